"""Base64url without padding (RFC 7515 §2), strict on input."""

from __future__ import annotations

import base64

__all__ = [
    "b64url_decode",
    "b64url_encode",
    "int_to_b64",
]


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


def int_to_b64(value: int, length: int | None = None) -> str:
    """Fixed ``length`` octets (EC coordinates), or the minimum (RSA, RFC 7518 §2)."""
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url_encode(value.to_bytes(size, "big"))
