"""Signing keys: EC, Ed25519 and RSA; JWK import/export and RFC 7638 thumbprints.

Key types: EC P-256, P-384, P-521 and secp256k1, OKP Ed25519, RSA 2048..8192 bits; JWKs
per RFC 7517, RFC 7518 §6 and RFC 8037 §2.

Each key carries its algorithm ("alg pinning"): a signature is only ever checked with the
algorithm the key was created or published for, never with one named in a token header
(the alg-confusion attacks behind PyJWT CVE-2022-29217 and CVE-2017-11424). An EC or OKP
key's curve pins its algorithm (see :mod:`vcore.jwa`); an RSA key has two possible
algorithms, so an RSA JWK must name its ``alg`` (``RS256`` or ``PS256``).
"""

from __future__ import annotations

import base64
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
    MAX_RSA_EXPONENT_BITS,
    MIN_RSA_BITS,
    Alg,
    ECCurve,
    PrivateKeyObject,
    PublicKeyObject,
    curve_of,
    parse_alg,
)

__all__ = [
    "ALLOWED_ALGS",
    "RSA_ALGS",
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

ALLOWED_ALGS: frozenset[str] = frozenset(Alg)
RSA_ALGS: frozenset[Alg] = frozenset({Alg.PS256, Alg.RS256})


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


def _int_to_b64(value: int, length: int | None = None) -> str:
    """Fixed ``length`` octets (EC coordinates), or the minimum (RSA, RFC 7518 §2)."""
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url_encode(value.to_bytes(size, "big"))


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


def _describe(key: PublicKeyObject | PrivateKeyObject) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        curve = curve_of(key)
        return curve.crv if curve is not None else f"EC {key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return f"RSA {key.key_size}-bit"
    return "Ed25519"


def _check_rsa_size(bits: int) -> None:
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
        _check_rsa_size(key.key_size)
    if not ALGORITHMS[parsed].accepts(key):
        raise AlgorithmNotAllowedError(f"a {_describe(key)} key cannot be used with {parsed}")
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
                "n": _int_to_b64(numbers.n),
                "e": _int_to_b64(numbers.e),
                "alg": self.alg.value,
            }
        curve = cast(ECCurve, curve_of(key))
        point = key.public_numbers()
        return {
            "kty": "EC",
            "crv": curve.crv,
            "x": _int_to_b64(point.x, curve.size),
            "y": _int_to_b64(point.y, curve.size),
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
                jwk[name] = _int_to_b64(value)
        else:
            curve = cast(ECCurve, curve_of(key))
            jwk["d"] = _int_to_b64(key.private_numbers().private_value, curve.size)
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
        _check_rsa_size(rsa_bits)
        return PrivateKey(
            parsed, rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
        )
    curve = next(c for c in EC_CURVES.values() if c.alg is parsed)
    return PrivateKey(parsed, ec.generate_private_key(curve.curve))


def _check_alg(jwk: Mapping[str, object], alg: Alg) -> Alg:
    declared = jwk.get("alg")
    if declared is not None and declared != alg:
        raise AlgorithmNotAllowedError(f"JWK is for {declared!r}, its key type implies {alg}")
    return alg


def _b64_member(jwk: Mapping[str, object], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise InvalidKeyError(f"JWK member {name!r} missing or not a string")
    try:
        return b64url_decode(value)
    except ValueError as exc:
        raise InvalidKeyError(f"JWK member {name!r} is not base64url") from exc


def _coord(jwk: Mapping[str, object], name: str, length: int) -> bytes:
    raw = _b64_member(jwk, name)
    if len(raw) != length:
        raise InvalidKeyError(f"JWK member {name!r} must be {length} bytes")
    return raw


def _uint(jwk: Mapping[str, object], name: str) -> int:
    """An RSA integer: unsigned big-endian, minimum length (RFC 7518 §6.3, §2)."""
    raw = _b64_member(jwk, name)
    if not raw or (len(raw) > 1 and raw[0] == 0):
        raise InvalidKeyError(f"JWK member {name!r} must have no leading zero octets")
    return int.from_bytes(raw, "big")


def _rsa_public(jwk: Mapping[str, object]) -> tuple[Alg, rsa.RSAPublicKey]:
    declared = parse_alg(jwk.get("alg"))
    if declared not in RSA_ALGS:
        raise InvalidKeyError(
            f"an RSA JWK must name its alg (RS256 or PS256), not {jwk.get('alg')!r}: the key "
            "type alone does not pin an algorithm"
        )
    assert declared is not None  # noqa: S101 - narrowed by the membership test
    n = _uint(jwk, "n")
    _check_rsa_size(n.bit_length())
    e = _uint(jwk, "e")
    if e < 3 or e % 2 == 0 or e.bit_length() > MAX_RSA_EXPONENT_BITS or e >= n:
        raise InvalidKeyError("RSA public exponent must be odd, at least 3 and below 2^256")
    try:
        return declared, rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise InvalidKeyError("invalid RSA public key") from exc


def _ec_curve(jwk: Mapping[str, object]) -> ECCurve:
    crv = jwk.get("crv")
    curve = EC_CURVES.get(crv) if isinstance(crv, str) else None
    if curve is None:
        raise InvalidKeyError(
            f"unsupported EC curve {jwk.get('crv')!r}: only {', '.join(EC_CURVES)}"
        )
    return curve


def public_key_from_jwk(jwk: object) -> PublicKey:
    """Import a public JWK; the algorithm follows from ``kty``/``crv`` (RSA: from ``alg``).

    A JWK with an ``alg`` that contradicts its key type is refused. Private members are
    ignored. Points off the curve are refused by ``cryptography``.

    Raises:
        InvalidKeyError: not a usable EC, Ed25519 or RSA JWK.
        WeakKeyError: an RSA modulus below 2048 bits.
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
    kty = jwk.get("kty")
    if kty == "OKP" and jwk.get("crv") == "Ed25519":
        _check_alg(jwk, Alg.EdDSA)
        return PublicKey.from_raw_bytes(Alg.EdDSA, _coord(jwk, "x", 32))
    if kty == "RSA":
        return PublicKey(*_rsa_public(jwk))
    if kty != "EC":
        raise InvalidKeyError(
            f"unsupported key type {kty!r}/{jwk.get('crv')!r}: only EC, Ed25519 and RSA"
        )
    curve = _ec_curve(jwk)
    alg = _check_alg(jwk, curve.alg)
    point = b"\x04" + _coord(jwk, "x", curve.size) + _coord(jwk, "y", curve.size)
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(curve.curve, point)
    except ValueError as exc:
        raise InvalidKeyError(f"EC point is not on {curve.crv}") from exc
    return PublicKey(alg, key)


def _rsa_private(jwk: Mapping[str, object], public: rsa.RSAPublicKey) -> rsa.RSAPrivateKey:
    numbers = public.public_numbers()
    d = _uint(jwk, "d")
    crt = ("p", "q", "dp", "dq", "qi")
    present = [name for name in crt if name in jwk]
    try:
        if present:
            # RFC 7518 §6.3.2: when "p" is present the other CRT members must be too.
            if len(present) != len(crt):
                raise InvalidKeyError("an RSA JWK with CRT members must have all five")
            p, q, dp, dq, qi = (_uint(jwk, name) for name in crt)
        else:
            p, q = rsa.rsa_recover_prime_factors(numbers.n, numbers.e, d)
            dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
        return rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, numbers).private_key()
    except ValueError as exc:
        raise InvalidKeyError("invalid RSA private key") from exc


def private_key_from_jwk(jwk: object) -> PrivateKey:
    """Import a private JWK and check that ``d`` matches the public members.

    Raises:
        InvalidKeyError: not a usable private key, or ``d`` does not match ``x``/``y``/``n``.
    """
    public = public_key_from_jwk(jwk)
    assert isinstance(jwk, Mapping)  # noqa: S101 - checked by public_key_from_jwk
    try:
        if isinstance(public.key, ed25519.Ed25519PublicKey):
            d = _coord(jwk, "d", 32)
            private = PrivateKey(public.alg, ed25519.Ed25519PrivateKey.from_private_bytes(d))
        elif isinstance(public.key, rsa.RSAPublicKey):
            private = PrivateKey(public.alg, _rsa_private(jwk, public.key))
        else:
            curve = cast(ECCurve, curve_of(public.key))
            d = _coord(jwk, "d", curve.size)
            private = PrivateKey(
                public.alg, ec.derive_private_key(int.from_bytes(d, "big"), curve.curve)
            )
    except ValueError as exc:
        raise InvalidKeyError("invalid private key") from exc
    if private.public_key().to_jwk() != public.to_jwk():
        raise InvalidKeyError("private key does not match its public members")
    return private


def private_key_from_der(data: bytes, *, alg: str | None = None) -> PrivateKey:
    """Load an unencrypted PKCS#8 DER key written by :meth:`PrivateKey.to_der`.

    Args:
        data: The DER bytes.
        alg: Required for RSA keys (RS256 or PS256); for EC/Ed25519 keys, when given, it
            must be the algorithm the curve pins.

    Raises:
        InvalidKeyError: not a supported PKCS#8 key, or an RSA key without ``alg``.
        AlgorithmNotAllowedError: ``alg`` contradicts the key type.
    """
    try:
        key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidKeyError("not a PKCS#8 private key") from exc
    if isinstance(key, ed25519.Ed25519PrivateKey):
        pinned: str | None = Alg.EdDSA
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        curve = curve_of(key)
        if curve is None:
            raise InvalidKeyError(f"EC curve {key.curve.name} is not supported")
        pinned = curve.alg
    elif isinstance(key, rsa.RSAPrivateKey):
        if alg is None:
            raise InvalidKeyError("an RSA key needs its alg (RS256 or PS256)")
        pinned = alg
    else:
        raise InvalidKeyError("only EC, Ed25519 and RSA keys are supported")
    if alg is not None and alg != pinned:
        raise AlgorithmNotAllowedError(f"a {_describe(key)} key cannot be used with {alg}")
    return PrivateKey(cast(Alg, pinned), key)


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
