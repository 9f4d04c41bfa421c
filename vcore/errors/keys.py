"""Errors of keys and DIDs: unknown, invalid or weak keys, bad DIDs."""

from __future__ import annotations

from vcore.errors.base import TrustIDError

__all__ = [
    "DIDError",
    "InvalidKeyError",
    "UnknownKeyError",
    "WeakKeyError",
]


class UnknownKeyError(TrustIDError):
    """No key matching the ``kid`` could be found for the issuer."""

    code = "unknown_key"
    title = "Unknown signing key"


class InvalidKeyError(TrustIDError):
    """A key (JWK, multibase, PEM) is malformed or of an unsupported type."""

    code = "invalid_key"
    title = "Invalid key"


class WeakKeyError(InvalidKeyError):
    """The key is too weak to trust (an RSA modulus below 2048 bits, RFC 7518 §3.3)."""

    code = "weak_key"
    title = "Key too weak"


class DIDError(TrustIDError):
    """A DID or DID document is malformed or unsupported."""

    code = "did_invalid"
    title = "Invalid DID"
