"""Verifiable Credentials: VC Data Model 2.0 secured as ``vc+jwt``, and VC-JWT 1.1.

* ``vc+jwt`` (VC-JOSE-COSE §3.1.1): header ``{alg, kid, typ: "vc+jwt", cty: "vc"}``, the
  payload is the credential itself. Kept lean (no iat/exp mirrors) for QR codes.
* ``jwt_vc_json`` (VC Data Model 1.1 §6.3.1): registered claims ``iss``, ``sub``, ``jti``,
  ``nbf``, ``exp`` with the credential under ``vc``; for older verifiers.

:func:`parse_credential_unverified` maps both to one normalised VC 2.0 view, which is what
the verification pipeline reasons about after the signature has been checked.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from vcore.clock import format_datetime, from_timestamp, parse_datetime, to_timestamp
from vcore.errors import ExpiredError, MalformedError, NotYetValidError
from vcore.jose import MAX_TOKEN_SIZE, UnverifiedJWS, decode_unverified, sign
from vcore.signing import Signer

__all__ = [
    "DEFAULT_LEEWAY",
    "FORMATS",
    "VC1_CONTEXT",
    "VC2_CONTEXT",
    "VC_ENVELOPE_PREFIX",
    "CredentialFormat",
    "UnverifiedCredential",
    "build_credential",
    "check_validity",
    "credential_type_of",
    "envelope_credential",
    "new_credential_id",
    "parse_credential_unverified",
    "sign_credential",
    "unwrap_credential",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC_ENVELOPE_PREFIX = "data:application/vc+jwt,"
DEFAULT_LEEWAY = timedelta(seconds=60)

CredentialFormat = Literal["vc+jwt", "jwt_vc_json"]
FORMATS: tuple[CredentialFormat, ...] = ("vc+jwt", "jwt_vc_json")


def new_credential_id(rng: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh ``urn:uuid`` (UUIDv4, 122 random bits) from an injectable source."""
    return uuid.UUID(bytes=rng(16), version=4).urn


def credential_type_of(types: Sequence[str]) -> str:
    """The specific type of a credential: its first type other than VerifiableCredential."""
    for name in types:
        if name != "VerifiableCredential":
            return name
    return "VerifiableCredential"


_CORE_MEMBERS = frozenset(
    {
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "validUntil",
        "credentialSubject",
        "credentialStatus",
        "credentialSchema",
        "proof",
    }
)


def _one_or_many(values: Sequence[Mapping[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    return dict(values[0]) if len(values) == 1 else [dict(v) for v in values]


def build_credential(
    *,
    issuer: str | Mapping[str, Any],
    credential_type: str,
    subject: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    holder: str | None,
    credential_id: str,
    valid_from: datetime,
    valid_until: datetime | None,
    status: Sequence[Mapping[str, Any]] = (),
    schema: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    contexts: Sequence[str | Mapping[str, Any]] = (),
    types: Sequence[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a VC 2.0 credential (VC Data Model 2.0 §4).

    The result is not checked here: :func:`vcore.vcdm.check_credential` does that.

    Args:
        issuer: Issuer DID, or an issuer object (``id`` plus ``name`` / ``description``).
        credential_type: The specific type, e.g. ``ResidentIdentityCredential``.
        subject: Claims about the subject (without ``id``), or a list of whole subject
            objects (then ``holder`` must be None).
        holder: The holder DID, placed as ``credentialSubject.id``; None for none.
        credential_id: A ``urn:uuid`` from :func:`new_credential_id`, or another URL.
        valid_from: Start of validity (aware).
        valid_until: End of validity (aware) or None.
        status: ``credentialStatus`` entries; one is kept as an object, more as a list.
        schema: A ``credentialSchema`` object, or a list of them (one kept as an object).
        contexts: Extra ``@context`` URLs or objects after the VC 2.0 one.
        types: The whole ``type`` list, when it is more than VerifiableCredential and
            ``credential_type``.
        extra: Further members (``name``, ``description``, ``evidence``, ``termsOfUse``,
            ``refreshService``, ``relatedResource`` ...), placed after the core members.

    Raises:
        MalformedError: ``extra`` holds a member this function sets, or a list of
            subjects comes with a ``holder``.
    """
    members = dict(extra or {})
    clash = sorted(_CORE_MEMBERS & set(members))
    if clash:
        raise MalformedError(f"extra members {clash} are set by build_credential itself")
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT, *contexts],
        "id": credential_id,
        "type": list(types) if types is not None else ["VerifiableCredential", credential_type],
    }
    for name in ("name", "description"):
        if name in members:
            credential[name] = members.pop(name)
    credential["issuer"] = issuer if isinstance(issuer, str) else dict(issuer)
    credential["validFrom"] = format_datetime(valid_from)
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    if isinstance(subject, Mapping):
        claims = {k: v for k, v in subject.items() if k != "id"}
        credential["credentialSubject"] = claims if holder is None else {"id": holder, **claims}
    else:
        if holder is not None:
            raise MalformedError("a list of subjects carries its own ids: pass holder=None")
        subjects = [dict(s) for s in subject]
        credential["credentialSubject"] = subjects[0] if len(subjects) == 1 else subjects
    if status:
        credential["credentialStatus"] = _one_or_many(status)
    if schema is not None:
        schemas = [schema] if isinstance(schema, Mapping) else list(schema)
        if schemas:
            credential["credentialSchema"] = _one_or_many(schemas)
    credential.update(members)
    return credential


def _to_vc11_payload(credential: Mapping[str, Any]) -> dict[str, Any]:
    subjects = credential["credentialSubject"]
    holder = None
    if isinstance(subjects, Mapping):
        subject = dict(subjects)
        holder = subject.pop("id", None)
        subjects = subject
    vc: dict[str, Any] = {"@context": [VC1_CONTEXT], "type": list(credential["type"])}
    vc["credentialSubject"] = subjects
    if not isinstance(credential["issuer"], str):
        vc["issuer"] = dict(credential["issuer"])
    for name, value in credential.items():
        if name not in _CORE_MEMBERS or name in {"credentialStatus", "credentialSchema"}:
            vc[name] = value
    valid_from = parse_datetime(credential["validFrom"])
    issuer = credential["issuer"]
    payload: dict[str, Any] = {
        "iss": issuer if isinstance(issuer, str) else issuer["id"],
        "jti": credential["id"],
        "nbf": to_timestamp(valid_from),
        "iat": to_timestamp(valid_from),
        "vc": vc,
    }
    if holder is not None:
        payload["sub"] = holder
    if "validUntil" in credential:
        payload["exp"] = to_timestamp(parse_datetime(credential["validUntil"]))
    return payload


def sign_credential(
    credential: Mapping[str, Any], signer: Signer, *, fmt: CredentialFormat = "vc+jwt"
) -> str:
    """Sign a credential built by :func:`build_credential` as a compact JWS.

    ``signer`` supplies ``alg`` and ``kid`` (see :mod:`vcore.signing`).

    Raises:
        MalformedError: unknown format.
    """
    if fmt == "vc+jwt":
        return sign(dict(credential), signer, typ="vc+jwt", cty="vc")
    if fmt == "jwt_vc_json":
        return sign(_to_vc11_payload(credential), signer, typ="JWT")
    raise MalformedError(f"unknown credential format {fmt!r}")


def envelope_credential(token: str) -> dict[str, Any]:
    """Wrap a token as an ``EnvelopedVerifiableCredential`` (VC 2.0 §4.13)."""
    return {
        "@context": [VC2_CONTEXT],
        "type": "EnvelopedVerifiableCredential",
        "id": VC_ENVELOPE_PREFIX + token,
    }


def unwrap_credential(value: object, *, prefix: str = VC_ENVELOPE_PREFIX) -> str:
    """Return the compact token from a bare token, a data URL or an enveloped object.

    Raises:
        MalformedError: none of those shapes.
    """
    if isinstance(value, Mapping):
        kind = value.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(isinstance(k, str) and k.startswith("Enveloped") for k in kinds):
            raise MalformedError("object is not an Enveloped credential/presentation")
        value = value.get("id")
    if not isinstance(value, str):
        raise MalformedError("expected a compact JWT or an enveloped credential")
    value = value.strip()
    if value.startswith("data:"):
        head, sep, body = value.partition(",")
        if not sep or head.lower() != prefix[:-1].lower():
            raise MalformedError(f"data URL must start with {prefix!r}")
        value = body
    return value


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class UnverifiedCredential:
    """A credential read from a token whose signature has NOT been checked.

    ``credential`` is the normalised VC 2.0 view for both formats.
    """

    jws: UnverifiedJWS
    format: CredentialFormat
    credential: dict[str, Any]

    @property
    def token(self) -> str:
        """The compact token."""
        return self.jws.token

    @property
    def kid(self) -> str | None:
        """The header ``kid``."""
        return self.jws.kid

    @property
    def issuer(self) -> str:
        """The issuer DID."""
        return str(self.credential["issuer"])

    @property
    def id(self) -> str | None:
        """The credential id, if any."""
        value = self.credential.get("id")
        return value if isinstance(value, str) else None

    @property
    def types(self) -> list[str]:
        """All types."""
        return list(self.credential["type"])

    @property
    def credential_type(self) -> str:
        """The specific type (first that is not VerifiableCredential)."""
        return credential_type_of(self.types)

    @property
    def subject(self) -> dict[str, Any]:
        """The (first) credential subject."""
        return dict(self.credential["credentialSubject"])

    @property
    def holder(self) -> str | None:
        """The subject id (holder DID) if present."""
        value = self.subject.get("id")
        return value if isinstance(value, str) else None

    @property
    def valid_from(self) -> datetime | None:
        """Start of validity."""
        value = self.credential.get("validFrom")
        return None if value is None else parse_datetime(value)

    @property
    def valid_until(self) -> datetime | None:
        """End of validity."""
        value = self.credential.get("validUntil")
        return None if value is None else parse_datetime(value)

    @property
    def status_entries(self) -> list[dict[str, Any]]:
        """The ``credentialStatus`` entries as a list."""
        return [dict(s) for s in _as_list(self.credential.get("credentialStatus"))]

    @property
    def schemas(self) -> list[dict[str, Any]]:
        """The ``credentialSchema`` entries as a list."""
        return [dict(s) for s in _as_list(self.credential.get("credentialSchema"))]


def _issuer_id(value: object) -> str:
    if isinstance(value, Mapping):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise MalformedError("issuer must be a URL string or an object with an id")
    return value


def _normalise_vc2(payload: dict[str, Any]) -> dict[str, Any]:
    contexts = _as_list(payload.get("@context"))
    if not contexts or contexts[0] != VC2_CONTEXT:
        raise MalformedError(f"@context must start with {VC2_CONTEXT}")
    credential = dict(payload)
    credential["issuer"] = _issuer_id(payload.get("issuer"))
    if "validFrom" in credential:
        parse_datetime(credential["validFrom"])
    if "validUntil" in credential:
        parse_datetime(credential["validUntil"])
    return credential


def _normalise_vc11(payload: dict[str, Any]) -> dict[str, Any]:
    vc = payload.get("vc")
    if not isinstance(vc, dict):
        raise MalformedError("VC-JWT 1.1 'vc' claim must be an object")
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "type": vc.get("type"),
        "issuer": _issuer_id(payload.get("iss", vc.get("issuer"))),
    }
    if "jti" in payload:
        credential["id"] = payload["jti"]
    if "nbf" in payload:
        credential["validFrom"] = format_datetime(from_timestamp(payload["nbf"]))
    elif "issuanceDate" in vc:
        credential["validFrom"] = format_datetime(parse_datetime(vc["issuanceDate"]))
    if "exp" in payload:
        credential["validUntil"] = format_datetime(from_timestamp(payload["exp"]))
    elif "expirationDate" in vc:
        credential["validUntil"] = format_datetime(parse_datetime(vc["expirationDate"]))
    subject = vc.get("credentialSubject")
    if isinstance(subject, dict):
        subject = dict(subject)
        if "sub" in payload:
            if "id" in subject and subject["id"] != payload["sub"]:
                raise MalformedError("sub and credentialSubject.id disagree")
            subject["id"] = payload["sub"]
    credential["credentialSubject"] = subject
    for name in ("credentialStatus", "credentialSchema"):
        if name in vc:
            credential[name] = vc[name]
    return credential


def parse_credential_unverified(
    token: object, *, max_size: int = MAX_TOKEN_SIZE
) -> UnverifiedCredential:
    """Parse a ``vc+jwt`` or VC-JWT 1.1 token without checking its signature.

    Raises:
        MalformedError: not a credential token of either format (with the reason).
        AlgorithmNotAllowedError: ``alg`` not one of :class:`vcore.jwa.Alg`.
    """
    jws = decode_unverified(token, max_size=max_size)
    typ = (jws.typ or "").lower().removeprefix("application/")
    if "vc" in jws.payload and typ in {"", "jwt"}:
        fmt: CredentialFormat = "jwt_vc_json"
        credential = _normalise_vc11(jws.payload)
    elif typ == "vc+jwt":
        fmt = "vc+jwt"
        credential = _normalise_vc2(jws.payload)
    else:
        raise MalformedError(
            f"typ {jws.typ!r} is not a credential (expected vc+jwt or JWT with a vc claim)"
        )
    types = credential.get("type")
    if (
        not isinstance(types, list)
        or "VerifiableCredential" not in types
        or not all(isinstance(t, str) for t in types)
    ):
        raise MalformedError("type must be a list containing VerifiableCredential")
    if not isinstance(credential.get("credentialSubject"), dict):
        raise MalformedError("credentialSubject must be a single object")
    for name in ("credentialStatus", "credentialSchema"):
        # VCDM 2.0 §4.10, §4.11: each entry is an object; anything else cannot be checked,
        # and an unchecked status entry must not pass as "no status".
        if not all(isinstance(entry, dict) for entry in _as_list(credential.get(name))):
            raise MalformedError(f"{name} must be an object or a list of objects")
    return UnverifiedCredential(jws=jws, format=fmt, credential=credential)


def check_validity(
    credential: UnverifiedCredential, now: datetime, leeway: timedelta = DEFAULT_LEEWAY
) -> None:
    """Check the validity window with clock leeway (DESIGN §4: 60 s).

    Raises:
        NotYetValidError: ``validFrom`` is later than ``now + leeway``.
        ExpiredError: ``validUntil`` is earlier than ``now - leeway``.
    """
    valid_from, valid_until = credential.valid_from, credential.valid_until
    if valid_from is not None and valid_from > now + leeway:
        raise NotYetValidError(f"valid from {format_datetime(valid_from)}")
    if valid_until is not None and valid_until < now - leeway:
        raise ExpiredError(f"expired at {format_datetime(valid_until)}")
