"""Signing keys: ES256 (P-256) and EdDSA (Ed25519), JWK import/export, RFC 7638 thumbprints.

Each key carries its algorithm ("alg pinning"): a signature is only ever checked with the
algorithm the key was created or published for, never with one named in a token header
(the alg-confusion attacks behind PyJWT CVE-2022-29217 and CVE-2017-11424).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from vcore.errors import AlgorithmNotAllowedError, InvalidKeyError

__all__ = [
    "ALLOWED_ALGS",
    "Alg",
    "PrivateKey",
    "PublicKey",
    "b64url_decode",
    "b64url_encode",
    "generate_key",
    "jwk_thumbprint",
    "private_key_from_der",
    "private_key_from_jwk",
    "public_key_from_jwk",
    "select_key",
]

Alg = Literal["ES256", "EdDSA"]
ALLOWED_ALGS: frozenset[str] = frozenset({"ES256", "EdDSA"})

_PublicKeyObj = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
_PrivateKeyObj = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding.

    Refuses ``=`` padding, characters outside the alphabet and non-canonical encodings
    (non-zero trailing bits), which Wycheproof marks as malleability.

    Raises:
        ValueError: the text is not canonical unpadded base64url.
    """
    if not isinstance(text, str) or len(text) % 4 == 1:
        raise ValueError("invalid base64url length")
    if text.strip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"):
        raise ValueError("invalid base64url character")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(raw) != text:
        raise ValueError("non-canonical base64url")
    return raw


def _int_to_b64(value: int, length: int) -> str:
    return b64url_encode(value.to_bytes(length, "big"))


def _thumbprint_members(jwk: Mapping[str, object]) -> dict[str, object]:
    kty = jwk.get("kty")
    if kty == "EC":
        names: tuple[str, ...] = ("crv", "kty", "x", "y")
    elif kty == "OKP":
        names = ("crv", "kty", "x")
    else:
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


@dataclass(frozen=True)
class PublicKey:
    """A verification key pinned to one algorithm."""

    alg: Alg
    key: _PublicKeyObj

    def to_jwk(self) -> dict[str, str]:
        """Public JWK with only the required members plus ``alg`` (no ``kid``)."""
        if isinstance(self.key, ed25519.Ed25519PublicKey):
            raw = self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw), "alg": self.alg}
        numbers = self.key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _int_to_b64(numbers.x, 32),
            "y": _int_to_b64(numbers.y, 32),
            "alg": self.alg,
        }

    def thumbprint(self) -> str:
        """RFC 7638 thumbprint, used as the fragment of our ``kid``s."""
        return jwk_thumbprint(self.to_jwk())

    def raw_bytes(self) -> bytes:
        """Compressed SEC1 point (P-256) or raw 32 bytes (Ed25519), as used by did:key."""
        if isinstance(self.key, ed25519.Ed25519PublicKey):
            return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return self.key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )

    @classmethod
    def from_raw_bytes(cls, alg: Alg, data: bytes) -> PublicKey:
        """Inverse of :meth:`raw_bytes`.

        Raises:
            InvalidKeyError: the bytes are not a valid point/key.
        """
        try:
            if alg == "EdDSA":
                return cls("EdDSA", ed25519.Ed25519PublicKey.from_public_bytes(data))
            return cls("ES256", ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data))
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise InvalidKeyError("invalid public key bytes") from exc


@dataclass(frozen=True)
class PrivateKey:
    """A signing key pinned to one algorithm."""

    alg: Alg
    key: _PrivateKeyObj

    def public_key(self) -> PublicKey:
        """The matching verification key."""
        return PublicKey(self.alg, self.key.public_key())

    def to_der(self) -> bytes:
        """Unencrypted PKCS#8 DER; callers must encrypt it before it touches disk."""
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def to_jwk(self) -> dict[str, str]:
        """Private JWK (public members plus ``d``)."""
        jwk = self.public_key().to_jwk()
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            raw = self.key.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            jwk["d"] = b64url_encode(raw)
        else:
            jwk["d"] = _int_to_b64(self.key.private_numbers().private_value, 32)
        return jwk


def generate_key(alg: str = "ES256") -> PrivateKey:
    """Generate a fresh key for ``alg`` (ES256 by default).

    Raises:
        AlgorithmNotAllowedError: ``alg`` is not ES256 or EdDSA.
    """
    if alg == "ES256":
        return PrivateKey("ES256", ec.generate_private_key(ec.SECP256R1()))
    if alg == "EdDSA":
        return PrivateKey("EdDSA", ed25519.Ed25519PrivateKey.generate())
    raise AlgorithmNotAllowedError(f"algorithm {alg!r} is not allowed")


def _check_alg(jwk: Mapping[str, object], alg: Alg) -> Alg:
    declared = jwk.get("alg")
    if declared is not None and declared != alg:
        raise AlgorithmNotAllowedError(f"JWK is for {declared!r}, its key type implies {alg}")
    return alg


def _alg_for(jwk: Mapping[str, object]) -> Alg:
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and crv == "P-256":
        return _check_alg(jwk, "ES256")
    if kty == "OKP" and crv == "Ed25519":
        return _check_alg(jwk, "EdDSA")
    raise InvalidKeyError(f"unsupported key type {kty!r}/{crv!r}: only P-256 and Ed25519")


def _coord(jwk: Mapping[str, object], name: str, length: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise InvalidKeyError(f"JWK member {name!r} missing or not a string")
    try:
        raw = b64url_decode(value)
    except ValueError as exc:
        raise InvalidKeyError(f"JWK member {name!r} is not base64url") from exc
    if len(raw) != length:
        raise InvalidKeyError(f"JWK member {name!r} must be {length} bytes")
    return raw


def public_key_from_jwk(jwk: object) -> PublicKey:
    """Import a public JWK; the algorithm follows from ``kty``/``crv``.

    A JWK with an ``alg`` that contradicts its key type is refused. Private members are
    ignored. Points off the curve are refused by ``cryptography``.

    Raises:
        InvalidKeyError: not a usable P-256 or Ed25519 JWK.
        AlgorithmNotAllowedError: its ``alg`` contradicts the key type.
    """
    if not isinstance(jwk, Mapping):
        raise InvalidKeyError("JWK must be a JSON object")
    jwk = cast(Mapping[str, object], jwk)
    # A key published for encryption must not verify signatures (RFC 7517 §4.2, §4.3).
    if jwk.get("use", "sig") != "sig":
        raise InvalidKeyError(f"JWK use {jwk.get('use')!r} is not 'sig'")
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        raise InvalidKeyError("JWK key_ops does not allow 'verify'")
    alg = _alg_for(jwk)
    if alg == "EdDSA":
        return PublicKey.from_raw_bytes("EdDSA", _coord(jwk, "x", 32))
    point = b"\x04" + _coord(jwk, "x", 32) + _coord(jwk, "y", 32)
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as exc:
        raise InvalidKeyError("EC point is not on P-256") from exc
    return PublicKey("ES256", key)


def private_key_from_jwk(jwk: object) -> PrivateKey:
    """Import a private JWK and check that ``d`` matches the public members.

    Raises:
        InvalidKeyError: not a usable private key, or ``d`` does not match ``x``/``y``.
    """
    public = public_key_from_jwk(jwk)
    assert isinstance(jwk, Mapping)  # noqa: S101 - checked by public_key_from_jwk
    d = _coord(jwk, "d", 32)
    try:
        if public.alg == "EdDSA":
            private = PrivateKey("EdDSA", ed25519.Ed25519PrivateKey.from_private_bytes(d))
        else:
            private = PrivateKey(
                "ES256", ec.derive_private_key(int.from_bytes(d, "big"), ec.SECP256R1())
            )
    except ValueError as exc:
        raise InvalidKeyError("invalid private key") from exc
    if private.public_key().to_jwk() != public.to_jwk():
        raise InvalidKeyError("private key does not match its public members")
    return private


def private_key_from_der(data: bytes) -> PrivateKey:
    """Load an unencrypted PKCS#8 DER key written by :meth:`PrivateKey.to_der`.

    Raises:
        InvalidKeyError: not a P-256 or Ed25519 PKCS#8 key.
    """
    try:
        key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidKeyError("not a PKCS#8 private key") from exc
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return PrivateKey("EdDSA", key)
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return PrivateKey("ES256", key)
    raise InvalidKeyError("only P-256 and Ed25519 keys are supported")


def select_key(jwks: object, kid: str) -> PublicKey:
    """Pick the key with exactly this ``kid`` from a JWK Set (RFC 7517 §5).

    Ambiguity is refused: two keys with the same ``kid`` means we cannot know which one
    the signer meant (Wycheproof ``jws_duplicate_kid``). Keys we cannot use are skipped
    only if their ``kid`` differs.

    Raises:
        InvalidKeyError: not a JWK Set, duplicate ``kid``, or the matching key is unusable.
        UnknownKeyError: no key with this ``kid``.
    """
    from vcore.errors import UnknownKeyError  # local: the key module needs it only here

    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        raise InvalidKeyError("JWK Set must be an object with a 'keys' list")
    matches = [k for k in keys if isinstance(k, Mapping) and k.get("kid") == kid]
    if len(matches) > 1:
        raise InvalidKeyError(f"JWK Set has {len(matches)} keys with kid {kid!r}")
    if not matches:
        raise UnknownKeyError(f"no key with kid {kid!r} in the JWK Set")
    return public_key_from_jwk(matches[0])
