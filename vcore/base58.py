"""Base58btc, the Bitcoin alphabet: the encoding behind multibase ``z`` (CID 1.0 §2.4).

One implementation for did:key and Multikey values (:mod:`vcore.dids`,
:mod:`vcore.data_integrity.multikey`) and for ``digestMultibase`` (:mod:`vcore.vcdm`).
Callers bound the input length first and turn :class:`ValueError` into their own error.
"""

from __future__ import annotations

__all__ = ["ALPHABET", "b58decode", "b58encode"]

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: i for i, char in enumerate(ALPHABET)}


def b58encode(data: bytes) -> str:
    """Base58btc of ``data``; each leading zero byte becomes a ``1``."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(ALPHABET[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """The bytes of a base58btc string (without the multibase ``z``).

    Raises:
        ValueError: a character outside the alphabet.
    """
    number = 0
    for char in text:
        index = _INDEX.get(char)
        if index is None:
            raise ValueError("invalid base58btc character")
        number = number * 58 + index
    pad = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * pad + body
