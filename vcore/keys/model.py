"""Key objects pinned to one algorithm ("alg pinning"), their JWKs and thumbprints."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from vcore.errors import AlgorithmNotAllowedError, InvalidKeyError, WeakKeyError
from vcore.jwa import (
    ALGORITHMS,
    EC_CURVES,
    MAX_RSA_BITS,
    MIN_RSA_BITS,
    Alg,
    ECCurve,
    PrivateKeyObject,
    PublicKeyObject,
    curve_of,
    parse_alg,
)
from vcore.keys.base64url import b64url_encode, int_to_b64

__all__ = [
    "ALLOWED_ALGS",
    "RSA_ALGS",
    "PrivateKey",
    "PublicKey",
    "check_rsa_size",
    "describe_key",
    "generate_key",
    "jwk_thumbprint",
]


ALLOWED_ALGS: frozenset[str] = frozenset(Alg)
RSA_ALGS: frozenset[Alg] = frozenset({Alg.PS256, Alg.RS256})


_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "RSA": ("e", "kty", "n"),
}


def _thumbprint_members(jwk: Mapping[str, object]) -> dict[str, object]:
    kty = jwk.get("kty")
    names = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if names is None:
        raise InvalidKeyError(f"unsupported key type {kty!r}")
    try:
        return {name: jwk[name] for name in names}
    except KeyError as exc:
        raise InvalidKeyError(f"JWK lacks member {exc.args[0]!r}") from exc


def jwk_thumbprint(jwk: Mapping[str, object]) -> str:
    """RFC 7638 SHA-256 JWK thumbprint, base64url."""
    members = _thumbprint_members(jwk)
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def describe_key(key: PublicKeyObject | PrivateKeyObject) -> str:
    """A key's type for messages: its JOSE curve, ``RSA <n>-bit`` or ``Ed25519``."""
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        curve = curve_of(key)
        return curve.crv if curve is not None else f"EC {key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return f"RSA {key.key_size}-bit"
    return "Ed25519"


def check_rsa_size(bits: int) -> None:
    """Refuse an RSA modulus outside 2048..8192 bits (:class:`WeakKeyError` below)."""
    if bits < MIN_RSA_BITS:
        raise WeakKeyError(f"RSA key of {bits} bits: at least {MIN_RSA_BITS} are required")
    if bits > MAX_RSA_BITS:
        raise InvalidKeyError(f"RSA key of {bits} bits: at most {MAX_RSA_BITS} are accepted")


def _pin(alg: object, key: PublicKeyObject | PrivateKeyObject) -> Alg:
    """The :class:`Alg` for ``alg`` after checking that ``key`` is of its key type."""
    parsed = parse_alg(alg)
    if parsed is None:
        raise AlgorithmNotAllowedError(f"algorithm {alg!r} is not allowed")
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        check_rsa_size(key.key_size)
    if not ALGORITHMS[parsed].accepts(key):
        raise AlgorithmNotAllowedError(f"a {describe_key(key)} key cannot be used with {parsed}")
    return parsed


@dataclass(frozen=True)
class PublicKey:
    """A verification key pinned to one algorithm.

    Raises:
        AlgorithmNotAllowedError: ``key`` is not of the key type ``alg`` uses.
        WeakKeyError: an RSA key below 2048 bits.
    """

    alg: Alg
    key: PublicKeyObject

    def __post_init__(self) -> None:
        object.__setattr__(self, "alg", _pin(self.alg, self.key))

    def to_jwk(self) -> dict[str, str]:
        """Public JWK with only the required members plus ``alg`` (no ``kid``)."""
        key = self.key
        if isinstance(key, ed25519.Ed25519PublicKey):
            raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw), "alg": self.alg.value}
        if isinstance(key, rsa.RSAPublicKey):
            numbers = key.public_numbers()
            return {
                "kty": "RSA",
                "n": int_to_b64(numbers.n),
                "e": int_to_b64(numbers.e),
                "alg": self.alg.value,
            }
        curve = cast(ECCurve, curve_of(key))
        point = key.public_numbers()
        return {
            "kty": "EC",
            "crv": curve.crv,
            "x": int_to_b64(point.x, curve.size),
            "y": int_to_b64(point.y, curve.size),
            "alg": self.alg.value,
        }

    def thumbprint(self) -> str:
        """RFC 7638 thumbprint, used as the fragment of our ``kid``s."""
        return jwk_thumbprint(self.to_jwk())

    def raw_bytes(self) -> bytes:
        """Compressed SEC1 point (EC) or raw 32 bytes (Ed25519), as used by did:key.

        Raises:
            InvalidKeyError: an RSA key (it has no raw point form).
        """
        if isinstance(self.key, ed25519.Ed25519PublicKey):
            return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if isinstance(self.key, rsa.RSAPublicKey):
            raise InvalidKeyError("an RSA key has no raw point encoding")
        return self.key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )

    @classmethod
    def from_raw_bytes(cls, alg: Alg | str, data: bytes) -> PublicKey:
        """Inverse of :meth:`raw_bytes` (an EC point may also be uncompressed).

        Raises:
            AlgorithmNotAllowedError: ``alg`` is unknown.
            InvalidKeyError: the bytes are not a valid point/key for ``alg``.
        """
        parsed = parse_alg(alg)
        if parsed is None:
            raise AlgorithmNotAllowedError(f"algorithm {alg!r} is not allowed")
        try:
            if parsed is Alg.EdDSA:
                if len(data) != 32:
                    raise InvalidKeyError("an Ed25519 public key is 32 bytes")
                return cls(parsed, ed25519.Ed25519PublicKey.from_public_bytes(data))
            curve = next((c for c in EC_CURVES.values() if c.alg is parsed), None)
            if curve is None:
                raise InvalidKeyError(f"{parsed} keys have no raw point encoding")
            if len(data) not in (1 + curve.size, 1 + 2 * curve.size):
                raise InvalidKeyError(f"not a SEC1 point on {curve.crv}")
            return cls(parsed, ec.EllipticCurvePublicKey.from_encoded_point(curve.curve, data))
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise InvalidKeyError("invalid public key bytes") from exc


@dataclass(frozen=True)
class PrivateKey:
    """A signing key pinned to one algorithm.

    Raises:
        AlgorithmNotAllowedError: ``key`` is not of the key type ``alg`` uses.
        WeakKeyError: an RSA key below 2048 bits.
    """

    alg: Alg
    key: PrivateKeyObject

    def __post_init__(self) -> None:
        object.__setattr__(self, "alg", _pin(self.alg, self.key))

    def public_key(self) -> PublicKey:
        """The matching verification key."""
        return PublicKey(self.alg, self.key.public_key())

    def sign(self, data: bytes) -> bytes:
        """The raw JWS signature of ``data`` with the pinned algorithm (RFC 7518 §3)."""
        return ALGORITHMS[self.alg].sign(self.key, data)

    def to_der(self) -> bytes:
        """Unencrypted PKCS#8 DER; callers must encrypt it before it touches disk."""
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def to_jwk(self) -> dict[str, str]:
        """Private JWK (public members plus ``d``; RSA also the CRT members)."""
        jwk = self.public_key().to_jwk()
        key = self.key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            raw = key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            jwk["d"] = b64url_encode(raw)
        elif isinstance(key, rsa.RSAPrivateKey):
            numbers = key.private_numbers()
            for name, value in (
                ("d", numbers.d),
                ("p", numbers.p),
                ("q", numbers.q),
                ("dp", numbers.dmp1),
                ("dq", numbers.dmq1),
                ("qi", numbers.iqmp),
            ):
                jwk[name] = int_to_b64(value)
        else:
            curve = cast(ECCurve, curve_of(key))
            jwk["d"] = int_to_b64(key.private_numbers().private_value, curve.size)
        return jwk


def generate_key(alg: str = "ES256", *, rsa_bits: int = MIN_RSA_BITS) -> PrivateKey:
    """Generate a fresh key for ``alg`` (ES256 by default).

    Args:
        alg: Any :class:`Alg`.
        rsa_bits: Modulus size for PS256/RS256 (2048..8192).

    Raises:
        AlgorithmNotAllowedError: ``alg`` is not a supported algorithm.
        WeakKeyError: ``rsa_bits`` below 2048.
    """
    parsed = parse_alg(alg)
    if parsed is None:
        raise AlgorithmNotAllowedError(f"algorithm {alg!r} is not allowed")
    if parsed is Alg.EdDSA:
        return PrivateKey(parsed, ed25519.Ed25519PrivateKey.generate())
    if parsed in RSA_ALGS:
        check_rsa_size(rsa_bits)
        return PrivateKey(
            parsed, rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
        )
    curve = next(c for c in EC_CURVES.values() if c.alg is parsed)
    return PrivateKey(parsed, ec.generate_private_key(curve.curve))
