"""Errors of a JOSE-secured token: size, header, claims, algorithm, signature."""

from __future__ import annotations

from vcore.errors.base import MalformedError, TrustIDError

__all__ = [
    "AlgorithmNotAllowedError",
    "BadSignatureError",
    "ClaimNotAllowedError",
    "HeaderNotAllowedError",
    "TokenTooLargeError",
]


class TokenTooLargeError(MalformedError):
    """The token exceeds the size limit (DESIGN §4)."""

    code = "too_large"
    title = "Too large"


class HeaderNotAllowedError(MalformedError):
    """The JOSE header carries a parameter we refuse (jku, x5u, jwk, x5c, crit)."""

    code = "header_not_allowed"
    title = "JOSE header parameter not allowed"


class ClaimNotAllowedError(MalformedError):
    """A claim the format forbids is present (a ``vc``/``vp`` claim in a ``vc+jwt``).

    VC-JOSE-COSE §3.1.1: the payload is the credential itself; the VC-JWT 1.1 wrapper
    claims would let one token read as two different credentials.
    """

    code = "claim_not_allowed"
    title = "Claim not allowed"


class AlgorithmNotAllowedError(TrustIDError):
    """The ``alg`` is not allowed, or differs from the key's pinned algorithm."""

    code = "alg_not_allowed"
    title = "Algorithm not allowed"


class BadSignatureError(TrustIDError):
    """The signature does not verify with the resolved key."""

    code = "bad_signature"
    title = "Signature does not verify"
