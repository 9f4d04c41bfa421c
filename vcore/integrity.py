"""Subresource Integrity (W3C SRI) strings, as SD-JWT VC's ``vct#integrity`` uses them.

An integrity string is one or more whitespace-separated ``<alg>-<base64 digest>`` tokens
(``sha256``, ``sha384``, ``sha512``; ``?options`` after a token are ignored). As SRI says,
only the tokens of the strongest algorithm present count, and any one of them matching is
enough. Unlike a browser, a string with no usable token does not pass: the issuer signed a
commitment TrustID cannot check, so it is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from vcore.errors import TypeMetadataIntegrityError

__all__ = ["SRI_ALGORITHMS", "check_integrity", "integrity_of"]

SRI_ALGORITHMS = ("sha256", "sha384", "sha512")
"""Weakest first (SRI §3.3.3: the strongest present wins)."""

_MAX_INTEGRITY = 2048


def integrity_of(body: bytes) -> frozenset[str]:
    """Every SRI token that ``body`` satisfies (one per algorithm)."""
    return frozenset(
        f"{alg}-{base64.b64encode(hashlib.new(alg, body).digest()).decode('ascii')}"
        for alg in SRI_ALGORITHMS
    )


def _canonical(token: str) -> tuple[str, str] | None:
    alg, sep, value = token.partition("?")[0].partition("-")
    if not sep or alg not in SRI_ALGORITHMS:
        return None
    # Standard base64 as SRI says; base64url and missing padding are read alike.
    text = value.replace("-", "+").replace("_", "/").rstrip("=")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != hashlib.new(alg).digest_size:
        return None
    return alg, f"{alg}-{base64.b64encode(raw).decode('ascii')}"


def check_integrity(claim: object, satisfied: frozenset[str]) -> None:
    """``claim`` (an integrity string) must match the fetched bytes' ``satisfied`` tokens.

    Raises:
        TypeMetadataIntegrityError: not a string, no usable token, or no match.
    """
    if not isinstance(claim, str) or not claim.strip() or len(claim) > _MAX_INTEGRITY:
        raise TypeMetadataIntegrityError("vct#integrity is not an integrity string")
    tokens = [t for t in (_canonical(part) for part in claim.split()) if t is not None]
    if not tokens:
        raise TypeMetadataIntegrityError(
            "vct#integrity has no sha256, sha384 or sha512 digest TrustID can check"
        )
    strongest = max(SRI_ALGORITHMS.index(alg) for alg, _ in tokens)
    wanted = {t for alg, t in tokens if SRI_ALGORITHMS.index(alg) == strongest}
    if not wanted & satisfied:
        raise TypeMetadataIntegrityError(
            f"the Type Metadata served at the vct does not match its {SRI_ALGORITHMS[strongest]} "
            "vct#integrity"
        )
