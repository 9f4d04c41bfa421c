"""JSON Web Algorithms (RFC 7518, RFC 8037, RFC 8812): the JWS algorithms TrustID knows.

One registry entry per ``alg`` name, each bound to exactly one key type (and curve):

==========  ==================  =====================================================
``alg``     key                 signature (the raw JWS bytes)
==========  ==================  =====================================================
ES256       EC P-256            ``r || s``, 64 bytes, SHA-256 (RFC 7518 §3.4)
ES384       EC P-384            ``r || s``, 96 bytes, SHA-384
ES512       EC P-521            ``r || s``, 132 bytes, SHA-512
ES256K      EC secp256k1        ``r || s``, 64 bytes, SHA-256 (RFC 8812 §3.2)
EdDSA       OKP Ed25519         64 bytes (RFC 8037 §3.1)
PS256       RSA >= 2048 bits    RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt (§3.5)
RS256       RSA >= 2048 bits    RSASSA-PKCS1-v1_5, SHA-256 (§3.3)
==========  ==================  =====================================================

``none`` and the HMAC algorithms are absent on purpose: a verifier that accepts them can be
handed a token "signed" with nothing or with the issuer's public key as an HMAC secret
(CVE-2015-9235, CVE-2022-29217). A DER-encoded ECDSA signature, or one of the wrong length,
is refused (RFC 7518 §3.4 fixes the ``r || s`` form; accepting both is signature
malleability). RSA keys below 2048 bits are refused (RFC 7518 §3.3, §3.5; NIST SP 800-131A).

The table's key checks are used by :mod:`vcore.keys` so that a key object can never be
paired with an algorithm of another key type or curve ("alg pinning").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = [
    "ALGORITHMS",
    "EC_CURVES",
    "MAX_RSA_BITS",
    "MAX_RSA_EXPONENT_BITS",
    "MIN_RSA_BITS",
    "Alg",
    "ECCurve",
    "JWSAlgorithm",
    "PrivateKeyObject",
    "PublicKeyObject",
    "curve_of",
    "parse_alg",
]

MIN_RSA_BITS = 2048
# An upper bound keeps verification cheap for crafted keys (an RSA operation costs about
# the cube of the modulus size); 8192 bits covers every deployed profile.
MAX_RSA_BITS = 8192
# FIPS 186-5 §5.4 asks for 2^16 < e < 2^256; smaller odd exponents (3) are still seen, so
# only the upper bound is enforced (a huge exponent would make each verification slow).
MAX_RSA_EXPONENT_BITS = 256

PublicKeyObject = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey
PrivateKeyObject = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


class Alg(StrEnum):
    """The JWS ``alg`` values TrustID verifies (the IANA JOSE registry spelling)."""

    ES256 = "ES256"
    ES384 = "ES384"
    ES512 = "ES512"
    ES256K = "ES256K"
    EdDSA = "EdDSA"
    PS256 = "PS256"
    RS256 = "RS256"


def parse_alg(value: object) -> Alg | None:
    """The :class:`Alg` named by ``value``, or None when it is not one we verify."""
    if not isinstance(value, str):
        return None
    try:
        return Alg(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class ECCurve:
    """A JOSE elliptic curve: its JWK ``crv`` name, coordinate size and algorithm."""

    crv: str
    curve: ec.EllipticCurve
    size: int  # bytes per coordinate, per scalar and per half of the signature
    alg: Alg


EC_CURVES: Mapping[str, ECCurve] = {
    c.crv: c
    for c in (
        ECCurve("P-256", ec.SECP256R1(), 32, Alg.ES256),
        ECCurve("P-384", ec.SECP384R1(), 48, Alg.ES384),
        ECCurve("P-521", ec.SECP521R1(), 66, Alg.ES512),
        ECCurve("secp256k1", ec.SECP256K1(), 32, Alg.ES256K),
    )
}
_CURVE_BY_NAME = {c.curve.name: c for c in EC_CURVES.values()}


def curve_of(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> ECCurve | None:
    """The JOSE curve of an EC key, or None for a curve JOSE does not name."""
    return _CURVE_BY_NAME.get(key.curve.name)


class JWSAlgorithm(Protocol):
    """One JWS algorithm: which keys it takes and how it signs and verifies bytes."""

    @property
    def alg(self) -> Alg:
        """The registered ``alg`` name."""
        ...

    def accepts(self, key: PublicKeyObject | PrivateKeyObject) -> bool:
        """True if ``key`` is of the one key type (and curve) this algorithm uses."""
        ...

    def signature_size(self, key: PublicKeyObject) -> int:
        """The exact length of a valid raw signature under ``key``."""
        ...

    def sign(self, key: PrivateKeyObject, data: bytes) -> bytes:
        """The raw JWS signature of ``data`` (``key`` already checked by :meth:`accepts`)."""
        ...

    def verify(self, key: PublicKeyObject, data: bytes, signature: bytes) -> bool:
        """True if ``signature`` is a valid raw JWS signature of ``data`` under ``key``."""
        ...


@dataclass(frozen=True)
class _ECDSA:
    alg: Alg
    crv: str
    hash: type[hashes.HashAlgorithm]

    def accepts(self, key: PublicKeyObject | PrivateKeyObject) -> bool:
        if not isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
            return False
        curve = curve_of(key)
        return curve is not None and curve.crv == self.crv

    def signature_size(self, key: PublicKeyObject) -> int:
        return 2 * EC_CURVES[self.crv].size

    def sign(self, key: PrivateKeyObject, data: bytes) -> bytes:
        assert isinstance(key, ec.EllipticCurvePrivateKey)  # noqa: S101 - checked by accepts
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(self.hash())))
        size = EC_CURVES[self.crv].size
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def verify(self, key: PublicKeyObject, data: bytes, signature: bytes) -> bool:
        if not isinstance(key, ec.EllipticCurvePublicKey) or not self.accepts(key):
            return False
        size = EC_CURVES[self.crv].size
        # Only the fixed-length r || s form (RFC 7518 §3.4): no DER, no trimmed or padded
        # halves, so every signature has exactly one encoding.
        if len(signature) != 2 * size:
            return False
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        try:
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(self.hash()))
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class _EdDSA:
    alg: Alg = Alg.EdDSA

    def accepts(self, key: PublicKeyObject | PrivateKeyObject) -> bool:
        return isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey)

    def signature_size(self, key: PublicKeyObject) -> int:
        return 64

    def sign(self, key: PrivateKeyObject, data: bytes) -> bytes:
        assert isinstance(key, ed25519.Ed25519PrivateKey)  # noqa: S101 - checked by accepts
        return key.sign(data)

    def verify(self, key: PublicKeyObject, data: bytes, signature: bytes) -> bool:
        if not isinstance(key, ed25519.Ed25519PublicKey) or len(signature) != 64:
            return False
        try:
            key.verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class _RSA:
    alg: Alg
    pss: bool

    def accepts(self, key: PublicKeyObject | PrivateKeyObject) -> bool:
        return (
            isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey)
            and MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS
        )

    def signature_size(self, key: PublicKeyObject) -> int:
        assert isinstance(key, rsa.RSAPublicKey)  # noqa: S101 - checked by accepts
        return (key.key_size + 7) // 8

    def _padding(self) -> padding.AsymmetricPadding:
        if self.pss:
            # RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output.
            return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return padding.PKCS1v15()

    def sign(self, key: PrivateKeyObject, data: bytes) -> bytes:
        assert isinstance(key, rsa.RSAPrivateKey)  # noqa: S101 - checked by accepts
        return key.sign(data, self._padding(), hashes.SHA256())

    def verify(self, key: PublicKeyObject, data: bytes, signature: bytes) -> bool:
        if not isinstance(key, rsa.RSAPublicKey) or not self.accepts(key):
            return False
        # RFC 8017 §8.1.2 / §8.2.2 step 1: a signature is exactly k octets long.
        if len(signature) != self.signature_size(key):
            return False
        try:
            key.verify(signature, data, self._padding(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True


ALGORITHMS: Mapping[Alg, JWSAlgorithm] = {
    a.alg: a
    for a in (
        _ECDSA(Alg.ES256, "P-256", hashes.SHA256),
        _ECDSA(Alg.ES384, "P-384", hashes.SHA384),
        _ECDSA(Alg.ES512, "P-521", hashes.SHA512),
        _ECDSA(Alg.ES256K, "secp256k1", hashes.SHA256),
        _EdDSA(),
        _RSA(Alg.PS256, pss=True),
        _RSA(Alg.RS256, pss=False),
    )
}
