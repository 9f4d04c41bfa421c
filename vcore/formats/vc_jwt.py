"""Credentials secured as JWTs: ``vc+jwt`` (VC-JOSE-COSE) and ``jwt_vc_json`` (VC-JWT 1.1).

* ``vc+jwt`` (VC-JOSE-COSE §3.1.1), media type ``application/vc+jwt``: header
  ``{alg, kid, typ: "vc+jwt", cty: "vc"}``, the payload is the credential itself. Kept
  lean (no iat/exp mirrors) for QR codes. A payload that also carries a ``vc`` or ``vp``
  claim is refused (``claim_not_allowed``): one token must not read as two credentials.
* ``jwt_vc_json`` (VC Data Model 1.1 §6.3.1), media type ``application/jwt``: registered
  claims ``iss``, ``sub``, ``jti``, ``nbf``, ``exp`` with the credential under ``vc``
  (1.1 names ``issuanceDate`` / ``expirationDate``); for older verifiers.

Both parse into one normalised VC 2.0 view (:class:`~vcore.formats.secured.SecuredCredential`)
and are registered in :mod:`vcore.formats.registry` when this module is imported. This
module is the only place that tells the two apart.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vcore.clock import format_datetime, from_timestamp, parse_datetime, to_timestamp
from vcore.credentials import VC1_CONTEXT, VC2_CONTEXT
from vcore.errors import (
    ClaimNotAllowedError,
    IssuerMismatchError,
    MalformedError,
    TrustIDError,
)
from vcore.formats.binding import check_subject_is_holder, issuer_key_id
from vcore.formats.jwt_times import check_jwt_times
from vcore.formats.registry import register_credential_format
from vcore.formats.secured import Recognition, SecuredCredential
from vcore.jose import (
    MAX_TOKEN_SIZE,
    UnverifiedJWS,
    decode_unverified,
    sign,
    verify,
    verify_decoded,
)
from vcore.jsontext import loads_strict
from vcore.keys import PublicKey, b64url_decode
from vcore.signing import Signer
from vcore.vcdm import check_credential

__all__ = [
    "JWT_VC_JSON",
    "VC_JWT",
    "JwtCredential",
    "PeekedJWT",
    "VcJwt11Format",
    "VcJwtFormat",
    "peek_jwt_unverified",
    "to_vc11_payload",
]

# VC 2.0 properties that VC-JWT 1.1 carries as registered claims or renames.
_MAPPED = frozenset(
    {"@context", "id", "type", "issuer", "validFrom", "validUntil", "credentialSubject"}
)
_MAPPED_11 = frozenset(
    {"@context", "id", "type", "issuer", "issuanceDate", "expirationDate", "credentialSubject"}
)


@dataclass(frozen=True)
class JwtCredential(SecuredCredential):
    """A :class:`SecuredCredential` secured as a compact JWS (either JWT format).

    Attributes:
        jws: The parsed, unverified JWS.
    """

    jws: UnverifiedJWS | None = None


def _typ(jws: UnverifiedJWS) -> str:
    return (jws.typ or "").lower().removeprefix("application/")


@dataclass(frozen=True)
class PeekedJWT:
    """Header ``typ`` and payload members of a compact JWS, read only to pick a format.

    Attributes:
        typ: The ``typ`` in lower case without ``application/``; "" when absent, None
            when it is not a string.
        claims: The payload's member names.
    """

    typ: str | None
    claims: frozenset[str]


def peek_jwt_unverified(value: object, *, max_size: int = 64 * 1024) -> PeekedJWT | None:
    """Read a compact JWS's ``typ`` and claim names for :meth:`recognise`; never raises.

    Deliberately lenient (no ``alg`` or header checks): recognising routes the token to
    the format whose parser then refuses what is wrong with it, with the right code.
    Every JWT format asks this about the same token in turn, so the last few answers
    are memoised (a pure function of the text).
    """
    if not isinstance(value, str) or len(value) > max_size:
        return None
    return _peek_memo(value)


@functools.lru_cache(maxsize=64)
def _peek_memo(value: str) -> PeekedJWT | None:
    parts = value.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        header = loads_strict(b64url_decode(parts[0]))
        payload = loads_strict(b64url_decode(parts[1]))
    except (ValueError, TrustIDError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    typ = header.get("typ", "")
    norm = typ.lower().removeprefix("application/") if isinstance(typ, str) else None
    return PeekedJWT(typ=norm, claims=frozenset(payload))


def _issuer_id(value: object) -> str:
    if isinstance(value, Mapping):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise MalformedError("issuer must be a URL string or an object with an id")
    return value


def _as_type_list(value: object) -> object:
    # JSON-LD lets ``type`` be one term; the normalised view always holds a list.
    return [value] if isinstance(value, str) else value


def _check_shape(credential: dict[str, Any]) -> None:
    types = credential.get("type")
    if (
        not isinstance(types, list)
        or "VerifiableCredential" not in types
        or not all(isinstance(t, str) for t in types)
    ):
        raise MalformedError("type must be a list containing VerifiableCredential")
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    if not subjects or not all(isinstance(s, dict) for s in subjects):
        raise MalformedError("credentialSubject must be an object or a non-empty list of objects")
    for name in ("credentialStatus", "credentialSchema"):
        # VCDM 2.0 §4.10, §4.11: each entry is an object; anything else cannot be checked,
        # and an unchecked status entry must not pass as "no status".
        value = credential.get(name)
        entries = value if isinstance(value, list) else [] if value is None else [value]
        if not all(isinstance(entry, dict) for entry in entries):
            raise MalformedError(f"{name} must be an object or a list of objects")


def _normalise_vc2(payload: dict[str, Any]) -> dict[str, Any]:
    contexts = payload.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first != VC2_CONTEXT:
        raise MalformedError(f"@context must start with {VC2_CONTEXT}")
    for claim in ("vc", "vp"):
        if claim in payload:
            raise ClaimNotAllowedError(
                f"a vc+jwt payload is the credential itself: a {claim!r} claim is not allowed"
            )
    # Every MUST of VCDM 2.0 §4 on the document itself; the code names the rule.
    check_credential(payload)
    credential = dict(payload)
    credential["issuer"] = _issuer_id(payload.get("issuer"))
    credential["type"] = _as_type_list(payload.get("type"))
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
        "type": _as_type_list(vc.get("type")),
        "issuer": _issuer_id(payload.get("iss", vc.get("issuer"))),
    }
    ident = payload.get("jti", vc.get("id"))
    if ident is not None:
        credential["id"] = ident
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
    for name, value in vc.items():
        if name not in _MAPPED_11:
            credential[name] = value
    return credential


def to_vc11_payload(credential: Mapping[str, Any]) -> dict[str, Any]:
    """Map a VC 2.0 document to a VC-JWT 1.1 claims set (VC Data Model 1.1 §6.3.1).

    ``iss`` from ``issuer`` (an issuer object also goes under ``vc.issuer``), ``jti`` only
    when there is an ``id``, ``nbf``/``iat`` and ``vc.issuanceDate`` from ``validFrom``,
    ``exp`` and ``vc.expirationDate`` from ``validUntil``, ``sub`` from a single subject's
    ``id``; ``type`` is kept as given (a string stays a string); every other property is
    carried under ``vc``. A missing field is left out, never an error.

    Raises:
        MalformedError: a date that does not parse, or no usable issuer.
    """
    vc: dict[str, Any] = {"@context": [VC1_CONTEXT]}
    types = credential.get("type")
    if types is not None:
        vc["type"] = types if isinstance(types, str) else list(types)
    issuer = credential.get("issuer")
    payload: dict[str, Any] = {"iss": _issuer_id(issuer)}
    if isinstance(issuer, Mapping):
        vc["issuer"] = dict(issuer)
    if isinstance(credential.get("id"), str):
        payload["jti"] = credential["id"]
    if "validFrom" in credential:
        valid_from = parse_datetime(credential["validFrom"])
        payload["nbf"] = payload["iat"] = to_timestamp(valid_from)
        vc["issuanceDate"] = format_datetime(valid_from)
    if "validUntil" in credential:
        valid_until = parse_datetime(credential["validUntil"])
        payload["exp"] = to_timestamp(valid_until)
        vc["expirationDate"] = format_datetime(valid_until)
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping):
        subject = dict(subject)
        holder = subject.pop("id", None)
        if holder is not None:
            payload["sub"] = holder
    if subject is not None:
        vc["credentialSubject"] = subject
    for name, value in credential.items():
        if name not in _MAPPED:
            vc[name] = value
    payload["vc"] = vc
    return payload


class _JwtFormat:
    """What both JWT formats share: kid binding, JOSE signature, exp/nbf, subject binding."""

    def issuer_key_id(self, credential: SecuredCredential) -> str:
        """``kid`` DID = ``iss`` = ``issuer`` (see :func:`vcore.formats.binding.issuer_key_id`).

        Raises:
            IssuerMismatchError, UnknownKeyError.
        """
        if "iss" in credential.claims and credential.claims["iss"] != credential.issuer:
            raise IssuerMismatchError("the iss claim and the credential's issuer differ")
        return issuer_key_id(credential.issuer, credential.key_id)

    def verify_signature(self, credential: SecuredCredential, key: PublicKey) -> None:
        """Verify the compact JWS with the key's pinned algorithm.

        Raises:
            AlgorithmNotAllowedError, BadSignatureError, MalformedError.
        """
        jws = credential.jws if isinstance(credential, JwtCredential) else None
        if jws is None or jws.token != credential.token:
            verify(credential.token, key, typ=None)
            return
        # Parsed by this format from this very token: check its bytes, not a new decode.
        verify_decoded(jws, key, alg=credential.alg)

    def check_times(self, credential: SecuredCredential, now: datetime) -> None:
        """``exp`` and ``nbf`` when present; the stricter of them and the document wins.

        ``iat`` decides nothing, but a malformed one (not a NumericDate in years
        1970-9999) is refused like a malformed ``exp``: no claim of a token is read loosely.

        Raises:
            ExpiredError, NotYetValidError, MalformedError.
        """
        check_jwt_times(credential.claims, now)

    def check_holder_binding(self, credential: SecuredCredential, holder: str) -> None:
        """The subject id must be the holder (see :func:`check_subject_is_holder`).

        Raises:
            HolderBindingError, DIDError.
        """
        check_subject_is_holder(credential, holder)


class VcJwtFormat(_JwtFormat):
    """``vc+jwt``: VC Data Model 2.0 secured with JOSE (VC-JOSE-COSE §3.1.1)."""

    key = "vc+jwt"
    media_types = ("application/vc+jwt",)

    def recognise(self, value: object) -> Recognition:
        """Certain for ``typ: vc+jwt``; the fallback for any other string.

        As the fallback its parser says what is wrong with a string no format claims
        (size, ``alg``, ``typ``).
        """
        if not isinstance(value, str):
            return Recognition.NO
        peeked = peek_jwt_unverified(value)
        if peeked is not None and peeked.typ == "vc+jwt":
            return Recognition.CERTAIN
        return Recognition.FALLBACK

    def parse_unverified(
        self, value: object, *, max_size: int = MAX_TOKEN_SIZE
    ) -> SecuredCredential:
        """Parse a ``vc+jwt`` without checking its signature.

        Raises:
            MalformedError: not a ``vc+jwt`` credential (with the reason).
            ClaimNotAllowedError: a ``vc`` or ``vp`` claim in the payload.
            DataModelError: the payload breaks a VCDM 2.0 rule (``vcdm_*``, :mod:`vcore.vcdm`).
            AlgorithmNotAllowedError: ``alg`` not allowed.
        """
        jws = decode_unverified(value, max_size=max_size)
        if _typ(jws) != "vc+jwt":
            raise MalformedError(
                f"typ {jws.typ!r} is not a credential (expected vc+jwt or JWT with a vc claim)"
            )
        credential = _normalise_vc2(jws.payload)
        _check_shape(credential)
        return _secured(self.key, jws, credential, value)

    def sign(self, credential: Mapping[str, Any], signer: Signer) -> str:
        """Sign the document itself; header ``{alg, cty: vc, kid, typ: vc+jwt}``."""
        return sign(dict(credential), signer, typ="vc+jwt", cty="vc")


class VcJwt11Format(_JwtFormat):
    """``jwt_vc_json``: VC-JWT as in VC Data Model 1.1 §6.3.1 (the ``vc`` claim)."""

    key = "jwt_vc_json"
    media_types = ("application/jwt",)

    def recognise(self, value: object) -> Recognition:
        """Certain for a JWS with ``typ`` absent or ``JWT`` and a ``vc`` claim."""
        peeked = peek_jwt_unverified(value)
        if peeked is not None and peeked.typ in {"", "jwt"} and "vc" in peeked.claims:
            return Recognition.CERTAIN
        return Recognition.NO

    def parse_unverified(
        self, value: object, *, max_size: int = MAX_TOKEN_SIZE
    ) -> SecuredCredential:
        """Parse a VC-JWT 1.1 token without checking its signature.

        Raises:
            MalformedError: not a VC-JWT 1.1 credential (with the reason).
            AlgorithmNotAllowedError: ``alg`` not allowed.
        """
        jws = decode_unverified(value, max_size=max_size)
        if _typ(jws) not in {"", "jwt"} or "vc" not in jws.payload:
            raise MalformedError(f"typ {jws.typ!r} with no vc claim is not a VC-JWT 1.1 credential")
        credential = _normalise_vc11(jws.payload)
        _check_shape(credential)
        return _secured(self.key, jws, credential, value)

    def issuer_key_id(self, credential: SecuredCredential) -> str:
        """Also ``vc.issuer`` (when present) must be ``iss``.

        Raises:
            IssuerMismatchError, UnknownKeyError.
        """
        vc = credential.claims.get("vc")
        inner = vc.get("issuer") if isinstance(vc, Mapping) else None
        if isinstance(inner, Mapping):
            inner = inner.get("id")
        if inner is not None and inner != credential.issuer:
            raise IssuerMismatchError("the vc.issuer and iss claims name different issuers")
        return issuer_key_id(credential.issuer, credential.key_id)

    def sign(self, credential: Mapping[str, Any], signer: Signer) -> str:
        """Sign :func:`to_vc11_payload` of the document; header ``{alg, kid, typ: JWT}``."""
        return sign(to_vc11_payload(credential), signer, typ="JWT")


def _secured(
    fmt: str, jws: UnverifiedJWS, credential: dict[str, Any], raw: object
) -> JwtCredential:
    return JwtCredential(
        format=fmt,
        credential=credential,
        token=jws.token,
        key_id=jws.kid,
        alg=jws.alg,
        header=jws.header,
        claims=jws.payload,
        secured=raw,
        confirmation=jws.payload.get("cnf") if isinstance(jws.payload.get("cnf"), dict) else None,
        jws=jws,
    )


VC_JWT = register_credential_format(VcJwtFormat())
"""The registered ``vc+jwt`` format."""
JWT_VC_JSON = register_credential_format(VcJwt11Format())
"""The registered ``jwt_vc_json`` format."""
