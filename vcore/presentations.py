"""Verifiable Presentations as ``vp+jwt`` (VC-JOSE-COSE §3.1.2) with holder binding.

The holder signs a VC 2.0 ``VerifiablePresentation`` whose ``verifiableCredential`` holds
enveloped credentials; JWT claims ``nonce`` (the verifier's challenge), ``aud`` (its
domain) and ``iat`` stop replay to another verifier or later (DESIGN §4: accept
``now-300s <= iat <= now+60s``). Holders are did:key or did:jwk, resolved offline.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vcore.clock import from_timestamp, to_timestamp
from vcore.credentials import (
    VC2_CONTEXT,
    UnverifiedCredential,
    envelope_credential,
    unwrap_credential,
)
from vcore.dids import holder_kid, is_offline_did, parse_did_url, resolve_offline
from vcore.errors import (
    AudienceMismatchError,
    ExpiredError,
    HolderBindingError,
    MalformedError,
    NonceMismatchError,
    NotYetValidError,
)
from vcore.jose import UnverifiedJWS, decode_unverified, sign, verify
from vcore.keys import PrivateKey
from vcore.signing import SoftwareSigner

__all__ = [
    "IAT_MAX_AGE",
    "IAT_MAX_SKEW",
    "MAX_PRESENTATION_SIZE",
    "VP_ENVELOPE_PREFIX",
    "UnverifiedPresentation",
    "VerifiedPresentation",
    "build_presentation",
    "check_holder_binding",
    "envelope_presentation",
    "parse_presentation_unverified",
    "unwrap_presentation",
    "verify_presentation",
]

VP_ENVELOPE_PREFIX = "data:application/vp+jwt,"
MAX_PRESENTATION_SIZE = 64 * 1024
IAT_MAX_AGE = timedelta(seconds=300)
IAT_MAX_SKEW = timedelta(seconds=60)


def build_presentation(
    credentials: Sequence[str],
    key: PrivateKey,
    holder: str,
    *,
    audience: str,
    nonce: str,
    now: datetime,
) -> str:
    """Sign a presentation of ``credentials`` (compact tokens) for one verifier.

    Args:
        credentials: Compact credential tokens to present.
        key: The holder's private key.
        holder: The holder DID (did:key or did:jwk) matching ``key``.
        audience: The verifier's domain (``aud``).
        nonce: The verifier's challenge.
        now: Issue time.

    Raises:
        MalformedError: no credentials, or an empty audience/nonce.
    """
    if not credentials:
        raise MalformedError("a presentation needs at least one credential")
    if not audience or not nonce:
        raise MalformedError("audience and nonce are required")
    payload: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [envelope_credential(t) for t in credentials],
        "nonce": nonce,
        "aud": audience,
        "iat": to_timestamp(now),
    }
    return sign(payload, SoftwareSigner(key, holder_kid(holder)), typ="vp+jwt")


def envelope_presentation(token: str) -> dict[str, Any]:
    """Wrap a token as an ``EnvelopedVerifiablePresentation``."""
    return {
        "@context": [VC2_CONTEXT],
        "type": "EnvelopedVerifiablePresentation",
        "id": VP_ENVELOPE_PREFIX + token,
    }


def unwrap_presentation(value: object) -> str:
    """Return the compact token of a bare token, data URL or enveloped presentation."""
    return unwrap_credential(value, prefix=VP_ENVELOPE_PREFIX)


@dataclass(frozen=True)
class UnverifiedPresentation:
    """A presentation read from a token whose signature has NOT been checked."""

    jws: UnverifiedJWS
    holder: str
    credentials: list[str]


def parse_presentation_unverified(token: object) -> UnverifiedPresentation:
    """Parse a ``vp+jwt`` without checking its signature.

    Raises:
        MalformedError: not a presentation (with the reason).
    """
    jws = decode_unverified(token, max_size=MAX_PRESENTATION_SIZE)
    if (jws.typ or "").lower().removeprefix("application/") != "vp+jwt":
        raise MalformedError(f"typ {jws.typ!r} is not vp+jwt")
    payload = jws.payload
    types = payload.get("type")
    types = types if isinstance(types, list) else [types]
    if "VerifiablePresentation" not in types:
        raise MalformedError("type must include VerifiablePresentation")
    holder = payload.get("holder", payload.get("iss"))
    if isinstance(holder, dict):
        holder = holder.get("id")
    if not isinstance(holder, str):
        raise MalformedError("presentation has no holder")
    raw = payload.get("verifiableCredential")
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    if not items:
        raise MalformedError("presentation holds no credential")
    credentials = [unwrap_credential(item) for item in items]
    return UnverifiedPresentation(jws=jws, holder=holder, credentials=credentials)


@dataclass(frozen=True)
class VerifiedPresentation:
    """A presentation whose holder signature, nonce, audience and time checked out."""

    holder: str
    credentials: list[str]
    payload: dict[str, Any]


def verify_presentation(
    token: object,
    *,
    nonce: str,
    audience: str,
    now: datetime,
    max_age: timedelta = IAT_MAX_AGE,
    max_skew: timedelta = IAT_MAX_SKEW,
) -> VerifiedPresentation:
    """Verify the holder's signature and the replay protections of a presentation.

    The credentials inside are NOT verified here; the caller verifies each one and calls
    :func:`check_holder_binding`.

    Raises:
        MalformedError, AlgorithmNotAllowedError, BadSignatureError: token problems.
        HolderBindingError: the signing key is not the holder DID's key.
        NonceMismatchError, AudienceMismatchError: replay protections failed.
        ExpiredError, NotYetValidError: ``iat`` outside the accepted window.
    """
    parsed = parse_presentation_unverified(token)
    kid = parsed.jws.kid
    if kid is None:
        raise MalformedError("presentation header has no kid")
    if parse_did_url(kid).did != parsed.holder:
        raise HolderBindingError("presentation is not signed by the holder's own key")
    if not is_offline_did(parsed.holder):
        raise HolderBindingError("holder must be a did:key or did:jwk")
    verified = verify(
        parsed.jws.token, resolve_offline(kid), typ="vp+jwt", max_size=MAX_PRESENTATION_SIZE
    )
    payload = verified.payload
    got_nonce = payload.get("nonce")
    if not isinstance(got_nonce, str) or not hmac.compare_digest(
        got_nonce.encode(), nonce.encode()
    ):
        raise NonceMismatchError("presentation nonce does not match the challenge")
    aud = payload.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if audience not in auds:
        raise AudienceMismatchError(f"presentation is for {aud!r}, not {audience!r}")
    if "iat" not in payload:
        raise MalformedError("presentation has no iat")
    issued = from_timestamp(payload["iat"])
    if issued > now + max_skew:
        raise NotYetValidError("presentation issued in the future")
    if issued < now - max_age:
        raise ExpiredError("presentation is too old; ask the holder for a fresh one")
    return VerifiedPresentation(
        holder=parsed.holder, credentials=parsed.credentials, payload=payload
    )


def check_holder_binding(holder: str, credential: UnverifiedCredential) -> None:
    """Require the credential's subject to be the presenting holder.

    Raises:
        HolderBindingError: the credential is bound to another DID (or to none).
    """
    if credential.holder is None or parse_did_url(credential.holder).did != holder:
        raise HolderBindingError("credential was issued to another holder")
