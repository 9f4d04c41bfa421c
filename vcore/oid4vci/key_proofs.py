"""OpenID4VCI key proofs of type ``jwt`` (OpenID4VCI 1.0 §8.2.1.1, Appendix F.1).

A proof says "the holder of this key asks this issuer for a credential, now, answering
this nonce". What is checked here: ``typ`` ``openid4vci-proof+jwt``, an allowed ``alg``
pinned by the key's type, the key from ``jwk`` or from a did:key / did:jwk ``kid``
(resolved offline: nothing is fetched), the signature, ``aud`` = the Credential Issuer
Identifier, ``iat`` within the window and a ``nonce``. Whether that nonce is a fresh one
of this issuer, and single use, is the caller's (it lives in a database).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from vcore.clock import to_timestamp
from vcore.dids import did_jwk_for, parse_did_url, resolve_offline
from vcore.errors import InvalidNonceError, InvalidProofError, TrustIDError
from vcore.jose import sign
from vcore.keys import PrivateKey, PublicKey
from vcore.oid4vci.jwt_proofs import PROOF_ALGS, check_iat, read_signed_proof
from vcore.signing import SoftwareSigner

__all__ = [
    "KEY_PROOF_TYP",
    "PROOF_LEEWAY",
    "PROOF_MAX_AGE",
    "KeyProof",
    "check_key_proof",
    "create_key_proof",
]

KEY_PROOF_TYP = "openid4vci-proof+jwt"
PROOF_MAX_AGE = timedelta(minutes=5)
PROOF_LEEWAY = timedelta(seconds=60)


@dataclass(frozen=True)
class KeyProof:
    """A key proof that verified.

    Attributes:
        key: The proven public key.
        holder: The DID to bind the credential to: the ``kid``'s DID when the proof named
            its key by a DID URL, else the did:jwk of the ``jwk``.
        nonce: The proof's ``nonce`` (still to be redeemed by the caller).
    """

    key: PublicKey
    holder: str
    nonce: str


def _key_from_kid(kid: str) -> PublicKey:
    return resolve_offline(kid)


def check_key_proof(
    token: object,
    *,
    audience: str,
    now: datetime,
    algs: Collection[str] = PROOF_ALGS,
) -> KeyProof:
    """Check one ``proofs.jwt`` entry (everything but the nonce's freshness).

    Raises:
        InvalidProofError: malformed, wrong ``typ``, ``alg``, key, signature, ``aud`` or ``iat``.
        InvalidNonceError: no ``nonce`` (the issuer always requires one: it has a nonce
            endpoint, §7).
    """
    signed = read_signed_proof(
        token, typ=KEY_PROOF_TYP, algs=algs, error=InvalidProofError, key_from_kid=_key_from_kid
    )
    claims = signed.payload
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience.rstrip("/") not in [a.rstrip("/") for a in audiences if isinstance(a, str)]:
        raise InvalidProofError("the proof is for another credential issuer (aud)")
    check_iat(claims, now=now, max_age=PROOF_MAX_AGE, leeway=PROOF_LEEWAY, error=InvalidProofError)
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidNonceError("the proof has no nonce: get a c_nonce from the nonce endpoint")
    kid = signed.header.get("kid")
    if "jwk" not in signed.header and isinstance(kid, str):
        try:
            holder = parse_did_url(kid).did
        except TrustIDError as exc:  # pragma: no cover - resolved above
            raise InvalidProofError(f"the proof's kid is not a DID URL: {exc.detail}") from exc
    else:
        holder = did_jwk_for(signed.key)
    return KeyProof(key=signed.key, holder=holder, nonce=nonce)


def create_key_proof(
    key: PrivateKey,
    *,
    audience: str,
    nonce: str,
    now: datetime,
    kid: str | None = None,
) -> str:
    """A key proof by ``key``: with ``kid`` (a DID URL) in the header, else its ``jwk``."""
    payload: dict[str, object] = {"aud": audience, "iat": to_timestamp(now), "nonce": nonce}
    signer = SoftwareSigner(key, kid or "jwk")
    return sign(payload, signer, typ=KEY_PROOF_TYP, public_jwk_header=kid is None)
