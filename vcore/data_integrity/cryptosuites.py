"""The Data Integrity cryptosuites: a :class:`Cryptosuite` protocol and its registry.

Registered (keyed by the spec's own ``cryptosuite`` names):

===================  ==============  =========================  ==========================
cryptosuite          canonical form  keys                       spec
===================  ==============  =========================  ==========================
``eddsa-rdfc-2022``  RDFC-1.0        Ed25519                    vc-di-eddsa §3.2
``eddsa-jcs-2022``   JCS (RFC 8785)  Ed25519                    vc-di-eddsa §3.3
``ecdsa-rdfc-2019``  RDFC-1.0        P-256 (SHA-256), P-384     vc-di-ecdsa §3.2
                                     (SHA-384)
``ecdsa-jcs-2019``   JCS (RFC 8785)  P-256, P-384               vc-di-ecdsa §3.3
===================  ==============  =========================  ==========================

All four share one shape ("hash then sign"): ``hashData = H(canonical proof
configuration) || H(canonical document)`` and a signature over ``hashData``, with ``H``
SHA-256, or SHA-384 for a P-384 key. They differ in the canonical form and in how the
proof configuration gets its ``@context``:

* RDFC: the proof configuration takes the document's ``@context`` (§3.2.5 step 4).
* JCS: a ``@context`` in the proof must be a prefix of the document's (§3.3.2 step 4),
  the document is then hashed with the proof's ``@context``, and the proof configuration
  is hashed as it is (with or without its ``@context``).

To add a cryptosuite: implement :class:`Cryptosuite` and :func:`register_cryptosuite` it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vcore.data_integrity.canonical import canonicalize_jcs, canonicalize_rdfc
from vcore.data_integrity.multikey import Curve, MultikeyPublicKey
from vcore.errors import (
    AlgorithmNotAllowedError,
    BadSignatureError,
    CryptosuiteUnsupportedError,
    DataIntegrityError,
)

__all__ = [
    "Cryptosuite",
    "HashThenSignSuite",
    "cryptosuite_for",
    "cryptosuites",
    "register_cryptosuite",
]

_Canonicalize = Callable[[Mapping[str, Any]], bytes]


class Cryptosuite(Protocol):
    """What a Data Integrity cryptosuite implements (VC-DI §3 "cryptosuite instance")."""

    @property
    def name(self) -> str:
        """The ``cryptosuite`` value, e.g. ``eddsa-rdfc-2022``."""
        ...

    def verify_proof(
        self,
        unsecured: Mapping[str, Any],
        proof_options: Mapping[str, Any],
        proof_bytes: bytes,
        key: MultikeyPublicKey,
    ) -> Mapping[str, Any]:
        """Verify ``proof_bytes`` over the document; return the verified (unsecured) document.

        Args:
            unsecured: The secured document without ``proof``.
            proof_options: The proof without ``proofValue``.
            proof_bytes: The multibase-decoded ``proofValue``.
            key: The verification method's key.

        Raises:
            AlgorithmNotAllowedError: the key's curve is not one this suite uses.
            BadSignatureError: the signature does not verify.
            DataIntegrityError: the proof or document cannot be transformed.
        """
        ...

    def hash_data(
        self, unsecured: Mapping[str, Any], proof_options: Mapping[str, Any], curve: Curve
    ) -> tuple[Mapping[str, Any], bytes]:
        """The document as hashed and ``hashData`` (what the signature covers)."""
        ...


def _rdfc(document: Mapping[str, Any]) -> bytes:
    return canonicalize_rdfc(document)


def _jcs(document: Mapping[str, Any]) -> bytes:
    return canonicalize_jcs(document)


def _starts_with(document_context: object, proof_context: object) -> bool:
    doc = document_context if isinstance(document_context, list) else [document_context]
    proof = proof_context if isinstance(proof_context, list) else [proof_context]
    return len(proof) <= len(doc) and doc[: len(proof)] == proof


@dataclass(frozen=True)
class HashThenSignSuite:
    """One of the four registered suites (see the module docstring).

    Attributes:
        name: The ``cryptosuite`` name.
        curves: The key curves the suite accepts.
        rdfc: True for RDFC-1.0, False for JCS.
    """

    name: str
    curves: frozenset[Curve]
    rdfc: bool

    def hash_data(
        self, unsecured: Mapping[str, Any], proof_options: Mapping[str, Any], curve: Curve
    ) -> tuple[Mapping[str, Any], bytes]:
        """The document as hashed and ``hashData`` (vc-di-eddsa §3.x.4, vc-di-ecdsa §3.x.4).

        Raises:
            DataIntegrityError: a JCS proof ``@context`` that is not a prefix of the
                document's; JSON-LD errors from RDFC.
        """
        if (
            proof_options.get("type") != "DataIntegrityProof"
            or proof_options.get("cryptosuite") != self.name
        ):  # PROOF_TRANSFORMATION_ERROR
            raise CryptosuiteUnsupportedError(f"proof is not a DataIntegrityProof of {self.name}")
        document = dict(unsecured)
        config = dict(proof_options)
        canonicalize: _Canonicalize
        if self.rdfc:
            canonicalize = _rdfc
            if "@context" in document:
                config["@context"] = document["@context"]
            else:
                config.pop("@context", None)
        else:
            canonicalize = _jcs
            if "@context" in config:
                if not _starts_with(document.get("@context"), config["@context"]):
                    raise DataIntegrityError(
                        "the proof's @context is not a prefix of the document's @context"
                    )
                document["@context"] = config["@context"]
        digest = hashlib.sha384 if curve is Curve.P384 else hashlib.sha256
        transformed = canonicalize(document)
        canonical_config = canonicalize(config)
        return document, digest(canonical_config).digest() + digest(transformed).digest()

    def verify_proof(
        self,
        unsecured: Mapping[str, Any],
        proof_options: Mapping[str, Any],
        proof_bytes: bytes,
        key: MultikeyPublicKey,
    ) -> Mapping[str, Any]:
        """Verify the proof (vc-di-eddsa §3.2.2/§3.3.2, vc-di-ecdsa §3.2.2/§3.3.2).

        Raises:
            AlgorithmNotAllowedError: the key's curve is not one of :attr:`curves`.
            BadSignatureError: the signature does not verify.
            DataIntegrityError: the proof or document cannot be transformed.
        """
        if key.curve not in self.curves:
            raise AlgorithmNotAllowedError(
                f"{self.name} needs a {' or '.join(sorted(self.curves))} key, "
                f"the verification method holds a {key.curve} key"
            )
        document, hash_data = self.hash_data(unsecured, proof_options, key.curve)
        if not key.verify(proof_bytes, hash_data):
            raise BadSignatureError(f"{self.name} proof does not verify with the {key.curve} key")
        return document


_REGISTRY: dict[str, Cryptosuite] = {}


def register_cryptosuite(suite: Cryptosuite) -> None:
    """Make ``suite`` available under its ``name`` (replacing one of the same name)."""
    _REGISTRY[suite.name] = suite


def cryptosuite_for(name: object) -> Cryptosuite:
    """The registered cryptosuite called ``name``.

    Raises:
        CryptosuiteUnsupportedError: no such cryptosuite is registered.
    """
    suite = _REGISTRY.get(name) if isinstance(name, str) else None
    if suite is None:
        known = ", ".join(sorted(_REGISTRY))
        raise CryptosuiteUnsupportedError(
            f"cryptosuite {str(name)[:60]!r} is not supported (supported: {known})"
        )
    return suite


def cryptosuites() -> list[str]:
    """Names of the registered cryptosuites, sorted."""
    return sorted(_REGISTRY)


_EDDSA = frozenset({Curve.ED25519})
_ECDSA = frozenset({Curve.P256, Curve.P384})
for _suite in (
    HashThenSignSuite("eddsa-rdfc-2022", _EDDSA, rdfc=True),
    HashThenSignSuite("eddsa-jcs-2022", _EDDSA, rdfc=False),
    HashThenSignSuite("ecdsa-rdfc-2019", _ECDSA, rdfc=True),
    HashThenSignSuite("ecdsa-jcs-2019", _ECDSA, rdfc=False),
):
    register_cryptosuite(_suite)
