"""Small real portrait images for tests: a JPEG and a PNG made here, not copied."""

from __future__ import annotations

import base64
import struct
import zlib


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A valid grey PNG (signature, IHDR, IDAT, IEND with correct CRCs)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# A 1x1 baseline JPEG (grey), hand-assembled: SOI, DQT, SOF0, DHT (DC, AC), SOS, EOI.
JPEG_BYTES = bytes.fromhex(
    "ffd8ffdb004300"
    + "01" * 64
    + "ffc0000b080001000101011100"
    + "ffc4001f0000010501010101010100000000000000000102030405060708090a0b"
    + "ffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a4344"
    "45464748494a535455565758595a636465666768696a737475767778797a838485868788898a9293"
    "9495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7"
    "d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa" + "ffda0008010100003f00d2cf20" + "ffd9"
)


def data_url(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


PNG_URL = data_url("image/png", png_bytes())
JPEG_URL = data_url("image/jpeg", JPEG_BYTES)
