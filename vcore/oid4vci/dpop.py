"""DPoP proofs (RFC 9449): check one at the token and resource endpoints, make one.

A proof binds a request (``htm``, ``htu``) and a moment (``iat``) to a key; at the resource
it also binds the access token (``ath``, §4.3). The access token is bound to the key's
RFC 7638 thumbprint (``cnf.jkt``, §6). Replay (§11.1) is the caller's: it records the
returned ``jti`` (with the thumbprint) until the proof would be too old anyway.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from vcore.clock import to_timestamp
from vcore.errors import InvalidDpopProofError
from vcore.jose import sign
from vcore.keys import PrivateKey, b64url_encode
from vcore.oid4vci.jwt_proofs import PROOF_ALGS, check_iat, read_signed_proof
from vcore.signing import SoftwareSigner

__all__ = [
    "DPOP_LEEWAY",
    "DPOP_MAX_AGE",
    "DPOP_TYP",
    "DpopProof",
    "access_token_hash",
    "check_dpop_proof",
    "create_dpop_proof",
    "normalise_htu",
]

DPOP_TYP = "dpop+jwt"
DPOP_MAX_AGE = timedelta(minutes=5)
"""How old a proof may be; also how long its ``jti`` must be remembered."""
DPOP_LEEWAY = timedelta(seconds=60)


@dataclass(frozen=True)
class DpopProof:
    """A DPoP proof that verified: its key's thumbprint (``jkt``) and its ``jti``."""

    jkt: str
    jti: str
    issued_at: datetime


def normalise_htu(url: str) -> str:
    """The ``htu`` form of a URL: no query, no fragment, lower-case scheme and host (§4.3)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url SHA-256 of the access token's ASCII bytes (§4.2)."""
    return b64url_encode(hashlib.sha256(access_token.encode("ascii")).digest())


def check_dpop_proof(
    proof: str | None,
    *,
    method: str,
    url: str,
    now: datetime,
    access_token: str | None = None,
    algs: Collection[str] = PROOF_ALGS,
) -> DpopProof:
    """Check a DPoP proof (RFC 9449 §4.3) for a request; ``jti`` replay is the caller's.

    Args:
        proof: The ``DPoP`` header value (None: absent).
        method: The request's HTTP method.
        url: The request's URL as the server's public address names it.
        now: The current time.
        access_token: At a resource: the token the proof must hash in ``ath``.
        algs: Accepted algorithms.

    Raises:
        InvalidDpopProofError: anything wrong, with what in the description.
    """
    if not proof:
        raise InvalidDpopProofError("a DPoP proof is required (the DPoP header)")
    signed = read_signed_proof(proof, typ=DPOP_TYP, algs=algs, error=InvalidDpopProofError)
    claims = signed.payload
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 256:
        raise InvalidDpopProofError("the DPoP proof needs a jti of 8 to 256 characters")
    if claims.get("htm") != method.upper():
        raise InvalidDpopProofError(f"the DPoP proof is for another method (htm, not {method})")
    htu = claims.get("htu")
    if not isinstance(htu, str) or normalise_htu(htu) != normalise_htu(url):
        raise InvalidDpopProofError("the DPoP proof is for another URL (htu)")
    issued = check_iat(
        claims, now=now, max_age=DPOP_MAX_AGE, leeway=DPOP_LEEWAY, error=InvalidDpopProofError
    )
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not secrets.compare_digest(
            ath, access_token_hash(access_token)
        ):
            raise InvalidDpopProofError("the DPoP proof does not hash this access token (ath)")
    return DpopProof(jkt=signed.key.thumbprint(), jti=jti, issued_at=issued)


def create_dpop_proof(
    key: PrivateKey,
    *,
    method: str,
    url: str,
    now: datetime,
    access_token: str | None = None,
    jti: str | None = None,
    nonce: str | None = None,
) -> str:
    """A DPoP proof for a request, signed by ``key`` with its public key in ``jwk``.

    ``nonce`` is the server's ``DPoP-Nonce`` when it asked for one (§8).
    """
    payload: dict[str, object] = {
        "jti": jti or secrets.token_urlsafe(16),
        "htm": method.upper(),
        "htu": normalise_htu(url),
        "iat": to_timestamp(now),
    }
    if access_token is not None:
        payload["ath"] = access_token_hash(access_token)
    if nonce is not None:
        payload["nonce"] = nonce
    return sign(payload, SoftwareSigner(key, "dpop"), typ=DPOP_TYP, public_jwk_header=True)
