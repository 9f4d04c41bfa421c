"""What DPoP proofs and OpenID4VCI key proofs share: a JWS that carries its own key.

Both are short-lived JWTs signed by a key the sender proves possession of (RFC 9449 §4.2,
OpenID4VCI 1.0 §F.1). The key comes from the header (``jwk``, or for key proofs a DID URL
``kid`` resolved offline), never from anywhere the sender could point us at; its
algorithm is pinned by its key type and must be one the server advertises.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vcore.clock import from_timestamp
from vcore.errors import OAuthError, TrustIDError
from vcore.jose import decode_unverified, verify_signature
from vcore.keys import PublicKey, public_key_from_jwk

__all__ = ["PROOF_ALGS", "SignedProof", "check_iat", "read_signed_proof"]

PROOF_ALGS = ("ES256", "EdDSA")
"""Algorithms the issuer accepts for DPoP and key proofs (HAIP: ES256 at least)."""

MAX_PROOF_SIZE = 8 * 1024


@dataclass(frozen=True)
class SignedProof:
    """A proof JWT whose signature verified with the key it names."""

    header: dict[str, Any]
    payload: dict[str, Any]
    key: PublicKey


def read_signed_proof(
    token: object,
    *,
    typ: str,
    algs: Collection[str],
    error: type[OAuthError],
    key_from_kid: Callable[[str], PublicKey] | None = None,
) -> SignedProof:
    """Parse ``token``, check ``typ`` and ``alg``, take its key from the header, verify.

    Args:
        token: The compact JWS.
        typ: The exact ``typ`` the spec requires (``dpop+jwt``, ``openid4vci-proof+jwt``).
        algs: Accepted algorithms.
        error: The error class to raise (``invalid_dpop_proof`` or ``invalid_proof``).
        key_from_kid: Resolves a ``kid`` (None: a ``jwk`` header is required).
    """
    try:
        parsed = decode_unverified(token, max_size=MAX_PROOF_SIZE, allow_headers=frozenset({"jwk"}))
    except TrustIDError as exc:
        raise error(f"the proof is not a usable JWS: {exc.detail}") from exc
    if parsed.typ != typ:
        raise error(f"the proof's typ must be {typ!r}")
    if parsed.alg not in algs:
        raise error(f"the proof's alg {parsed.alg!r} is not one of {', '.join(algs)}")
    jwk, kid = parsed.header.get("jwk"), parsed.header.get("kid")
    try:
        if jwk is not None:
            if kid is not None and key_from_kid is not None:
                raise error("the proof names its key twice (jwk and kid)")
            if not isinstance(jwk, dict) or "d" in jwk or "p" in jwk or "k" in jwk:
                raise error("the proof's jwk must be a public asymmetric key")
            key = public_key_from_jwk(jwk)
        elif isinstance(kid, str) and key_from_kid is not None:
            key = key_from_kid(kid)
        else:
            raise error("the proof must carry its public key in the jwk header")
    except TrustIDError as exc:
        if isinstance(exc, OAuthError):
            raise
        raise error(f"the proof's key is unusable: {exc.detail}") from exc
    if key.alg != parsed.alg:
        raise error(f"the proof says {parsed.alg} but its key is a {key.alg} key")
    if not verify_signature(key, parsed.signing_input, parsed.signature):
        raise error("the proof's signature does not verify with its key")
    return SignedProof(header=parsed.header, payload=parsed.payload, key=key)


def check_iat(
    payload: dict[str, Any],
    *,
    now: datetime,
    max_age: timedelta,
    leeway: timedelta,
    error: type[OAuthError],
) -> datetime:
    """``iat`` must be present, numeric and within ``[now - max_age, now + leeway]``."""
    raw = payload.get("iat")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise error("the proof has no numeric iat")
    try:
        issued = from_timestamp(raw)
    except TrustIDError as exc:
        raise error("the proof's iat is not a time") from exc
    if issued > now + leeway:
        raise error("the proof's iat is in the future")
    if issued < now - max_age:
        raise error("the proof is too old (iat)")
    return issued
