"""Key Binding JWTs (RFC 9901 §4.3, §7.3): the holder proves possession of ``cnf``.

A KB-JWT has header ``{alg, typ: "kb+jwt"}`` and claims ``iat``, ``aud``, ``nonce`` and
``sd_hash`` (the hash of the SD-JWT it is appended to, so it cannot be moved to another
presentation or another choice of Disclosures). The verifier pins the algorithm to the
``cnf`` key, never to what the header says.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from vcore.clock import to_timestamp
from vcore.errors import (
    AlgorithmNotAllowedError,
    AudienceMismatchError,
    BadSignatureError,
    MalformedError,
    NonceMismatchError,
    TrustIDError,
)
from vcore.jose import decode_unverified, sign, verify
from vcore.keys import PublicKey, public_key_from_jwk
from vcore.sdjwt.disclosures import DEFAULT_SD_ALG
from vcore.sdjwt.errors import (
    KeyBindingError,
    KeyBindingRequiredError,
    KeyBindingSignatureError,
    KeyBindingTimeError,
    SdHashMismatchError,
)
from vcore.sdjwt.serialization import CompactSdJwt, sd_hash
from vcore.signing import Signer

__all__ = [
    "KB_JWT_TYP",
    "KB_MAX_AGE",
    "KB_MAX_SKEW",
    "confirmation_key",
    "create_kb_jwt",
    "verify_kb_jwt",
]

KB_JWT_TYP = "kb+jwt"
KB_MAX_AGE = timedelta(seconds=300)
"""A KB-JWT older than this is refused (as old as a presentation may be)."""
KB_MAX_SKEW = timedelta(seconds=60)
"""A KB-JWT ``iat`` at most this far in the future (clock skew)."""


def confirmation_key(payload: Mapping[str, Any]) -> PublicKey | None:
    """The holder key of ``cnf.jwk`` (RFC 7800), or None when the payload has no ``cnf``.

    Raises:
        KeyBindingError: a ``cnf`` without a usable ``jwk``.
    """
    cnf = payload.get("cnf")
    if cnf is None:
        return None
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    if not isinstance(jwk, Mapping) or "d" in jwk:
        raise KeyBindingError("cnf must hold the holder's public key as a jwk")
    try:
        return public_key_from_jwk(jwk)
    except TrustIDError as exc:
        raise KeyBindingError(f"the cnf key is unusable: {exc.detail}") from exc


def create_kb_jwt(
    without_kb: str,
    signer: Signer,
    *,
    nonce: str,
    audience: str,
    now: datetime,
    sd_alg: str = DEFAULT_SD_ALG,
) -> str:
    """The KB-JWT for the SD-JWT ``without_kb`` (ending with ``~``).

    Raises:
        SdAlgUnsupportedError, MalformedError, InvalidKeyError: cannot be built.
    """
    if not without_kb.endswith("~"):
        raise MalformedError("a KB-JWT is made over an SD-JWT that ends with '~'")
    claims = {
        "iat": to_timestamp(now),
        "aud": audience,
        "nonce": nonce,
        "sd_hash": sd_hash(without_kb, sd_alg),
    }
    return sign(claims, signer, typ=KB_JWT_TYP)


def verify_kb_jwt(
    sd_jwt: CompactSdJwt,
    key: PublicKey,
    *,
    nonce: str,
    audience: str,
    now: datetime,
    sd_alg: str = DEFAULT_SD_ALG,
    max_age: timedelta = KB_MAX_AGE,
    max_skew: timedelta = KB_MAX_SKEW,
) -> dict[str, Any]:
    """Check the KB-JWT of ``sd_jwt`` against the holder ``key`` (§7.3 steps 4-5).

    Returns:
        The verified KB-JWT claims.

    Raises:
        KeyBindingRequiredError: no KB-JWT.
        KeyBindingError: malformed, wrong ``typ``, claims missing.
        KeyBindingSignatureError: not signed by ``key``.
        SdHashMismatchError: made for another SD-JWT or another choice of Disclosures.
        NonceMismatchError, AudienceMismatchError: made for another request.
        KeyBindingTimeError: ``iat`` outside ``[now - max_age, now + max_skew]``.
    """
    if sd_jwt.kb_jwt is None:
        raise KeyBindingRequiredError("key binding is required and the SD-JWT has no KB-JWT")
    try:
        unverified = decode_unverified(sd_jwt.kb_jwt)
    except TrustIDError as exc:
        raise KeyBindingError(f"the KB-JWT does not parse: {exc.detail}") from exc
    if (unverified.typ or "").lower() != KB_JWT_TYP:
        raise KeyBindingError(f"the KB-JWT typ is {unverified.typ!r}, not {KB_JWT_TYP}")
    try:
        claims = verify(sd_jwt.kb_jwt, key).payload
    except (AlgorithmNotAllowedError, BadSignatureError) as exc:
        raise KeyBindingSignatureError(
            f"the KB-JWT is not signed by the key in cnf: {exc.detail}"
        ) from exc
    except TrustIDError as exc:
        raise KeyBindingError(f"the KB-JWT does not verify: {exc.detail}") from exc
    if claims.get("sd_hash") != sd_hash(sd_jwt.without_kb, sd_alg):
        raise SdHashMismatchError("the KB-JWT sd_hash is not the hash of this SD-JWT")
    if claims.get("nonce") != nonce:
        raise NonceMismatchError("the KB-JWT was made for another nonce")
    if claims.get("aud") != audience:
        raise AudienceMismatchError("the KB-JWT is addressed to another verifier")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise KeyBindingError("the KB-JWT has no numeric iat")
    stamp = to_timestamp(now)
    if iat > stamp + max_skew.total_seconds():
        raise KeyBindingTimeError("the KB-JWT iat is in the future")
    if iat < stamp - max_age.total_seconds():
        raise KeyBindingTimeError(
            f"the KB-JWT was made more than {int(max_age.total_seconds())} s ago"
        )
    return claims
