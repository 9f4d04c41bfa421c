"""Multikey public keys (CID 1.0 §2.2.2) and multibase base58btc (CID 1.0 §2.4).

``publicKeyMultibase`` is ``z`` + base58btc(varint(multicodec) + key bytes):

=========  =============  ===========  ======================  ==============
curve      multicodec     varint       key bytes               looks like
=========  =============  ===========  ======================  ==============
Ed25519    ed25519-pub    ``ed 01``    32 raw                  ``z6Mk...``
P-256      p256-pub       ``80 24``    33 (SEC1 compressed)    ``zDn...``
P-384      p384-pub       ``81 24``    49 (SEC1 compressed)    ``z82...``
=========  =============  ===========  ======================  ==============

Any other prefix, length or encoding is refused (vc-di-eddsa §2.1.1, vc-di-ecdsa §2.1.1:
"Any other encoding MUST NOT be allowed"). JsonWebKey verification methods with the same
three curves are read too (CID 1.0 §2.2.3), so a DID document may use either form.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from vcore.base58 import b58decode, b58encode
from vcore.errors import InvalidKeyError, MalformedError
from vcore.jwa import ALGORITHMS, Alg

__all__ = [
    "Curve",
    "MultikeyPublicKey",
    "multibase_decode",
    "multibase_encode",
    "public_key_from_jwk",
    "public_key_from_multibase",
]

_MAX_MULTIBASE = 512  # a P-384 key is 68 characters, a P-384 signature about 132


class Curve(StrEnum):
    """The key curves the Data Integrity cryptosuites here use (named as in JWK ``crv``)."""

    ED25519 = "Ed25519"
    P256 = "P-256"
    P384 = "P-384"


_PREFIX = {
    Curve.ED25519: b"\xed\x01",
    Curve.P256: b"\x80\x24",
    Curve.P384: b"\x81\x24",
}
_KEY_LENGTH = {Curve.ED25519: 32, Curve.P256: 33, Curve.P384: 49}
_EC_CURVE: dict[Curve, ec.EllipticCurve] = {Curve.P256: ec.SECP256R1(), Curve.P384: ec.SECP384R1()}
_JWS_ALG = {Curve.ED25519: Alg.EdDSA, Curve.P256: Alg.ES256, Curve.P384: Alg.ES384}
"""The JWS algorithm of each curve: same hash and raw signature form (vcore.jwa)."""


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: ``z`` + base58btc (Bitcoin alphabet)."""
    return "z" + b58encode(data)


def multibase_decode(value: object, *, what: str = "value") -> bytes:
    """Decode a multibase base58btc string (``z`` prefix only).

    Raises:
        MalformedError: not a string, another multibase prefix, a character outside the
            alphabet, or too long.
    """
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 2:
        raise MalformedError(f"{what} must be multibase base58btc (a string starting with 'z')")
    if len(value) > _MAX_MULTIBASE:
        raise MalformedError(f"{what} is too long")
    try:
        return b58decode(value[1:])
    except ValueError as exc:
        raise MalformedError(f"{what} has a character outside the base58btc alphabet") from exc


@dataclass(frozen=True)
class MultikeyPublicKey:
    """A verification key and its curve (which pins the signature scheme and hash).

    Attributes:
        curve: Ed25519, P-256 or P-384.
        key: The ``cryptography`` public key object.
    """

    curve: Curve
    key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey

    @property
    def multibase(self) -> str:
        """The ``publicKeyMultibase`` form (compressed points for P-256/P-384)."""
        if isinstance(self.key, ed25519.Ed25519PublicKey):
            raw = self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        else:
            raw = self.key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
            )
        return multibase_encode(_PREFIX[self.curve] + raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Check an Ed25519 signature, or an ECDSA ``r || s`` signature (RFC 4754 §7).

        ECDSA hashes ``data`` with SHA-256 (P-256) or SHA-384 (P-384), as vc-di-ecdsa
        §3.2.x asks. A signature of the wrong length is simply invalid.
        """
        return ALGORITHMS[_JWS_ALG[self.curve]].verify(self.key, data, signature)


def _from_raw(curve: Curve, raw: bytes) -> MultikeyPublicKey:
    if len(raw) != _KEY_LENGTH[curve]:
        raise InvalidKeyError(f"{curve} Multikey must hold {_KEY_LENGTH[curve]} key bytes")
    try:
        if curve is Curve.ED25519:
            return MultikeyPublicKey(curve, ed25519.Ed25519PublicKey.from_public_bytes(raw))
        return MultikeyPublicKey(
            curve, ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVE[curve], raw)
        )
    except ValueError as exc:
        raise InvalidKeyError(f"{curve} Multikey is not a valid public key") from exc


def public_key_from_multibase(value: object) -> MultikeyPublicKey:
    """Read a ``publicKeyMultibase`` (``z6Mk`` Ed25519, ``zDn`` P-256, ``z82`` P-384).

    Raises:
        InvalidKeyError: not multibase base58btc, another multicodec, or not a valid point.
    """
    try:
        raw = multibase_decode(value, what="publicKeyMultibase")
    except MalformedError as exc:
        raise InvalidKeyError(exc.detail) from exc
    for curve, prefix in _PREFIX.items():
        if raw.startswith(prefix):
            return _from_raw(curve, raw[len(prefix) :])
    raise InvalidKeyError(
        "publicKeyMultibase must be an Ed25519, P-256 or P-384 Multikey "
        "(multicodec ed25519-pub, p256-pub or p384-pub)"
    )


def _b64url(value: object, length: int) -> bytes:
    if not isinstance(value, str) or "=" in value:
        raise InvalidKeyError("JWK coordinate must be unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError as exc:
        raise InvalidKeyError("JWK coordinate is not base64url") from exc
    if len(raw) != length:
        raise InvalidKeyError("JWK coordinate has the wrong length")
    return raw


def public_key_from_jwk(jwk: object) -> MultikeyPublicKey:
    """Read a public ``publicKeyJwk`` (OKP Ed25519, EC P-256 or EC P-384).

    Raises:
        InvalidKeyError: another key type or curve, private members, or a bad point.
    """
    if not isinstance(jwk, Mapping):
        raise InvalidKeyError("publicKeyJwk must be an object")
    if "d" in jwk:
        raise InvalidKeyError("publicKeyJwk must not hold a private key")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        return _from_raw(Curve.ED25519, _b64url(jwk.get("x"), 32))
    if kty == "EC" and crv in ("P-256", "P-384"):
        curve = Curve(crv)
        size = 32 if curve is Curve.P256 else 48
        point = b"\x04" + _b64url(jwk.get("x"), size) + _b64url(jwk.get("y"), size)
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVE[curve], point)
        except ValueError as exc:
            raise InvalidKeyError(f"{curve} JWK is not a point on the curve") from exc
        return MultikeyPublicKey(curve, key)
    raise InvalidKeyError(f"unsupported JWK for Data Integrity: kty={kty!r} crv={crv!r}")
