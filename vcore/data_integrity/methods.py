"""Verification methods: find a proof's key in a controller (DID) document, or in a did:key.

CID 1.0 §3.3 "Retrieve Verification Method": the method's id is an absolute URL with a
fragment; the controller document is the one for the URL without the fragment and its
``id`` must be that URL; the method must be listed under the verification relationship
the proof claims (``proofPurpose``: ``assertionMethod`` for credentials,
``authentication`` for presentations), by reference or embedded; its ``controller`` must
be the document's ``id``. Keys are Multikey (``publicKeyMultibase``) or JsonWebKey
(``publicKeyJwk``) with an Ed25519, P-256 or P-384 key.

did:key documents are built here, offline (did:key v0.7 §3.1.2 with Multikey methods): the
one method ``did:key:z...#z...`` is in every relationship.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from vcore.data_integrity.contexts import MULTIKEY_V1
from vcore.data_integrity.multikey import (
    MultikeyPublicKey,
    public_key_from_jwk,
    public_key_from_multibase,
)
from vcore.errors import DIDError, InvalidKeyError, UnknownKeyError

__all__ = [
    "MethodResolver",
    "ProofPurpose",
    "VerificationMethod",
    "did_key_document",
    "method_from_document",
    "resolve_did_key_method",
]

_DID_V1 = "https://www.w3.org/ns/did/v1"
_MAX_URL = 2048


class ProofPurpose(StrEnum):
    """``proofPurpose`` values (VC-DI §2.2), each named after its verification relationship."""

    ASSERTION_METHOD = "assertionMethod"
    AUTHENTICATION = "authentication"
    CAPABILITY_INVOCATION = "capabilityInvocation"
    CAPABILITY_DELEGATION = "capabilityDelegation"
    KEY_AGREEMENT = "keyAgreement"


@dataclass(frozen=True)
class VerificationMethod:
    """A verification method the proof's key came from.

    Attributes:
        id: The method's absolute URL (a DID URL with a fragment for DIDs).
        controller: The controller document's ``id`` (the DID).
        key: The public key.
    """

    id: str
    controller: str
    key: MultikeyPublicKey


MethodResolver = Callable[[str, ProofPurpose], VerificationMethod]
"""``(verificationMethod URL, proof purpose)`` -> the method; raises a TrustIDError."""


def _split(method_id: object) -> tuple[str, str]:
    if not isinstance(method_id, str) or len(method_id) > _MAX_URL or "#" not in method_id:
        raise UnknownKeyError("verificationMethod must be a URL with a fragment")
    base, _, fragment = method_id.partition("#")
    if not base or not fragment or ":" not in base or any(c.isspace() for c in method_id):
        raise UnknownKeyError("verificationMethod must be an absolute URL with a fragment")
    return base, fragment


def _absolute(value: object, base: str) -> object:
    if isinstance(value, str) and value.startswith("#"):
        return base + value
    return value


def _key_of(method: Mapping[str, Any]) -> MultikeyPublicKey:
    kind = method.get("type")
    if kind == "Multikey" and "publicKeyMultibase" in method:
        return public_key_from_multibase(method.get("publicKeyMultibase"))
    if kind == "JsonWebKey" and "publicKeyJwk" in method:
        return public_key_from_jwk(method.get("publicKeyJwk"))
    raise InvalidKeyError(
        f"verification method type {str(kind)[:40]!r} is not Multikey (publicKeyMultibase) "
        "or JsonWebKey (publicKeyJwk)"
    )


def method_from_document(
    document: object, method_id: str, purpose: ProofPurpose
) -> VerificationMethod:
    """Retrieve a verification method from its controller document (CID 1.0 §3.3).

    Raises:
        DIDError: the document is malformed or is not the document of the method's URL.
        UnknownKeyError: no such method, or it is not listed under ``purpose``.
        InvalidKeyError: the method's key is not an Ed25519/P-256/P-384 Multikey or JWK.
    """
    base, _ = _split(method_id)
    if not isinstance(document, Mapping) or document.get("id") != base:
        raise DIDError("the controller document's id is not the verification method's base URL")
    relationship = document.get(purpose.value)
    if not isinstance(relationship, list):
        raise UnknownKeyError(f"{method_id} is not listed under {purpose.value}")
    candidates: list[Mapping[str, Any]] = []
    for entry in relationship:
        if _absolute(entry, base) == method_id:
            methods = document.get("verificationMethod")
            if isinstance(methods, list):
                candidates.extend(
                    m
                    for m in methods
                    if isinstance(m, Mapping) and _absolute(m.get("id"), base) == method_id
                )
        elif isinstance(entry, Mapping) and _absolute(entry.get("id"), base) == method_id:
            candidates.append(entry)
    if not candidates:
        raise UnknownKeyError(f"{method_id} is not listed under {purpose.value} of {base}")
    if len(candidates) > 1:
        raise DIDError(f"{method_id} is defined more than once in its controller document")
    method = candidates[0]
    if method.get("controller") != base:
        raise DIDError(f"{method_id} has another controller than {base}")
    return VerificationMethod(id=method_id, controller=base, key=_key_of(method))


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of a did:key (Ed25519, P-256 or P-384 Multikey), built offline.

    Raises:
        DIDError: not a did:key DID.
        InvalidKeyError: the multibase value is not a supported Multikey.
    """
    if not isinstance(did, str) or not did.startswith("did:key:z") or "#" in did:
        raise DIDError("not a did:key DID (did:key:z...)")
    multibase = did.removeprefix("did:key:")
    if len(did) > _MAX_URL or ":" in multibase or "/" in multibase or "?" in multibase:
        raise DIDError("did:key must be did:key:<multibase>")
    public_key_from_multibase(multibase)  # refuse unknown keys before building anything
    method_id = f"{did}#{multibase}"
    return {
        "@context": [_DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multibase,
            }
        ],
        "authentication": [method_id],
        "assertionMethod": [method_id],
        "capabilityDelegation": [method_id],
        "capabilityInvocation": [method_id],
    }


def resolve_did_key_method(method_id: str, purpose: ProofPurpose) -> VerificationMethod:
    """A :data:`MethodResolver` for did:key methods (offline; refuses every other URL).

    Raises:
        UnknownKeyError: not a did:key method, or another fragment than the key.
        DIDError: a malformed did:key.
        InvalidKeyError: an unsupported key.
    """
    base, _ = _split(method_id)
    if not base.startswith("did:key:"):
        raise UnknownKeyError(f"{method_id[:100]} is not a did:key method")
    return method_from_document(did_key_document(base), method_id, purpose)
