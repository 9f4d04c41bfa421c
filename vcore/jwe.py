"""Compact JWE with ECDH-ES key agreement on P-256 (RFC 7516, RFC 7518 §4.6).

For OpenID4VP ``direct_post.jwt`` responses (OpenID4VP 1.0 §8.3, HAIP).

Only what that mode needs: direct key agreement (``alg: ECDH-ES``, no key wrapping),
content encryption ``A128GCM`` or ``A256GCM``, the Concat KDF of NIST SP 800-56A with
``apu``/``apv`` from the header. The recipient names the algorithms it accepts; a header
asking for anything else is refused before any key agreement (no algorithm
confusion), and an ephemeral key not on P-256 is refused by the curve check of
``cryptography``.
"""

from __future__ import annotations

import json
import secrets
import struct
from collections.abc import Collection, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

from vcore.errors import JweError, TrustIDError
from vcore.jsontext import loads_strict
from vcore.keys import PrivateKey, PublicKey, b64url_decode, b64url_encode, public_key_from_jwk

__all__ = ["CONTENT_ENCRYPTION", "decrypt_jwe", "encrypt_jwe", "read_jwe_header_unverified"]

CONTENT_ENCRYPTION = {"A128GCM": 16, "A256GCM": 32}
"""Supported ``enc`` values and their key lengths in bytes."""

_MAX_JWE = 1024 * 1024


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _derive(shared: bytes, enc: str, apu: bytes, apv: bytes) -> bytes:
    length = CONTENT_ENCRYPTION[enc]
    other = (
        _length_prefixed(enc.encode("ascii"))
        + _length_prefixed(apu)
        + _length_prefixed(apv)
        + struct.pack(">I", length * 8)
    )
    return ConcatKDFHash(hashes.SHA256(), length, other).derive(shared)


def _p256(key: PublicKey | PrivateKey) -> None:
    inner = key.key
    curve = getattr(inner, "curve", None)
    if not isinstance(curve, ec.SECP256R1):
        raise JweError("ECDH-ES here is on P-256 only")


def encrypt_jwe(
    payload: bytes,
    recipient: PublicKey,
    *,
    enc: str = "A128GCM",
    kid: str | None = None,
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """Encrypt ``payload`` to ``recipient`` (a P-256 key) as a compact JWE.

    Raises:
        JweError: ``enc`` not supported, or the key is not P-256.
    """
    if enc not in CONTENT_ENCRYPTION:
        raise JweError(f"enc {enc!r} is not supported")
    _p256(recipient)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    epk_jwk = _ec_jwk(ephemeral.public_key())
    header: dict[str, Any] = {**(extra_header or {}), "alg": "ECDH-ES", "enc": enc, "epk": epk_jwk}
    if kid is not None:
        header["kid"] = kid
    assert isinstance(recipient.key, ec.EllipticCurvePublicKey)  # noqa: S101 - _p256 checked
    shared = ephemeral.exchange(ec.ECDH(), recipient.key)
    apu = b64url_decode(header["apu"]) if "apu" in header else b""
    apv = b64url_decode(header["apv"]) if "apv" in header else b""
    cek = _derive(shared, enc, apu, apv)
    protected = b64url_encode(json.dumps(header, separators=(",", ":")).encode("utf-8"))
    iv = secrets.token_bytes(12)
    sealed = AESGCM(cek).encrypt(iv, payload, protected.encode("ascii"))
    ciphertext, tag = sealed[:-16], sealed[-16:]
    return ".".join(
        (protected, "", b64url_encode(iv), b64url_encode(ciphertext), b64url_encode(tag))
    )


def _ec_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
    }


def read_jwe_header_unverified(token: str) -> dict[str, Any]:
    """The protected header of a compact JWE (nothing decrypted or authenticated).

    Raises:
        JweError: not a compact JWE with a JSON object header.
    """
    if not isinstance(token, str) or len(token) > _MAX_JWE:
        raise JweError("a JWE is a compact string of at most 1 MiB")
    parts = token.split(".")
    if len(parts) != 5:
        raise JweError("a compact JWE has five parts")
    try:
        header = loads_strict(b64url_decode(parts[0]))
    except (ValueError, TrustIDError) as exc:
        raise JweError("the JWE header does not parse") from exc
    if not isinstance(header, dict):
        raise JweError("the JWE header is not an object")
    return header


def decrypt_jwe(
    token: str, key: PrivateKey, *, enc_values: Collection[str] = ("A128GCM", "A256GCM")
) -> tuple[dict[str, Any], bytes]:
    """Decrypt a compact ECDH-ES JWE with the recipient's P-256 private key.

    Returns:
        The protected header and the plaintext.

    Raises:
        JweError: another algorithm, an ``enc`` not in ``enc_values``, a ``crit``
            header, an encrypted key (ECDH-ES has none), a bad ephemeral key, or a
            ciphertext that does not authenticate.
    """
    header = read_jwe_header_unverified(token)
    protected, encrypted_key, iv_text, ciphertext_text, tag_text = token.split(".")
    if header.get("alg") != "ECDH-ES":
        raise JweError(f"alg {header.get('alg')!r} is not ECDH-ES")
    enc = header.get("enc")
    if not isinstance(enc, str) or enc not in enc_values or enc not in CONTENT_ENCRYPTION:
        raise JweError(f"enc {enc!r} is not accepted")
    if "crit" in header or "zip" in header:
        raise JweError("crit and zip are not supported")
    if encrypted_key:
        raise JweError("ECDH-ES (direct) carries no encrypted key")
    _p256(key)
    epk = header.get("epk")
    if not isinstance(epk, dict) or epk.get("kty") != "EC" or epk.get("crv") != "P-256":
        raise JweError("epk must be a P-256 public key")
    try:
        ephemeral = public_key_from_jwk({k: epk[k] for k in ("kty", "crv", "x", "y") if k in epk})
        apu = b64url_decode(header["apu"]) if "apu" in header else b""
        apv = b64url_decode(header["apv"]) if "apv" in header else b""
        iv = b64url_decode(iv_text)
        ciphertext = b64url_decode(ciphertext_text)
        tag = b64url_decode(tag_text)
    except (ValueError, TypeError, TrustIDError) as exc:
        raise JweError("the JWE does not decode") from exc
    if len(iv) != 12 or len(tag) != 16:
        raise JweError("the JWE's iv or tag has the wrong length")
    inner = key.key
    assert isinstance(inner, ec.EllipticCurvePrivateKey)  # noqa: S101 - _p256 checked
    assert isinstance(ephemeral.key, ec.EllipticCurvePublicKey)  # noqa: S101 - P-256 JWK
    shared = inner.exchange(ec.ECDH(), ephemeral.key)
    cek = _derive(shared, enc, apu, apv)
    try:
        plaintext = AESGCM(cek).decrypt(iv, ciphertext + tag, protected.encode("ascii"))
    except InvalidTag as exc:
        raise JweError("the JWE does not decrypt with this key") from exc
    return header, plaintext
