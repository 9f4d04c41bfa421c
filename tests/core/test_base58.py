"""Base58btc (vcore.base58): known answers, leading zeros, refusal of foreign characters."""

from __future__ import annotations

import pytest

from vcore.base58 import b58decode, b58encode


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"\0", "1"),
        (b"\0\0\x01", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),
        (bytes.fromhex("ed01") + bytes(32), "z6MkeTG3bFFSLYVU7VqhgZxqr6YzpaGrQtFMh1uvqGy1vDnP"[1:]),
    ],
)
def test_known_answers(data: bytes, text: str) -> None:
    assert b58encode(data) == text
    assert b58decode(text) == data


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc+", "z z"])
def test_characters_outside_the_alphabet_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="base58btc"):
        b58decode(bad)
