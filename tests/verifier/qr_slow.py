"""Decoders for the QR pool tests, importable by a spawned worker process."""

from __future__ import annotations

import time


def spin(data: bytes, content_type: str | None) -> str:
    """Burn CPU until killed (a decompression-bomb-like image)."""
    while True:
        time.monotonic()


def by_content(data: bytes, content_type: str | None) -> str:
    """Answer at once, unless the image says to spin."""
    if data == b"spin":
        spin(data, content_type)
    if data == b"boom":
        raise RuntimeError("a bug in the decoder")
    return data.decode("ascii")


def niceness(data: bytes, content_type: str | None) -> str:
    """The worker's CPU niceness, as text."""
    import os

    return str(os.nice(0))
