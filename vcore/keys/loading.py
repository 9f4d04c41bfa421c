"""Reading keys: public and private JWKs, PKCS#8 DER, one key out of a JWK Set.

JWKs per RFC 7517, RFC 7518 §6 and RFC 8037 §2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from vcore.errors import AlgorithmNotAllowedError, InvalidKeyError
from vcore.jwa import EC_CURVES, MAX_RSA_EXPONENT_BITS, Alg, ECCurve, curve_of, parse_alg
from vcore.keys.base64url import b64url_decode
from vcore.keys.model import RSA_ALGS, PrivateKey, PublicKey, check_rsa_size, describe_key

__all__ = [
    "private_key_from_der",
    "private_key_from_jwk",
    "public_key_from_jwk",
    "select_key",
]


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
    check_rsa_size(n.bit_length())
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
        raise AlgorithmNotAllowedError(f"a {describe_key(key)} key cannot be used with {alg}")
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
