"""Portrait claims: a small JPEG or PNG carried as a ``data:`` URL (RFC 2397).

A portrait is what the clerk compares with the person at the counter, so it must be an
image a browser shows and nothing else: ``data:image/jpeg;base64,...`` or
``data:image/png;base64,...``, canonical base64, at most :data:`MAX_PORTRAIT_BYTES`
decoded, and the bytes must start with the declared type's signature (a PNG labelled
JPEG, or a script labelled PNG, is refused). The bound keeps the claim's SD-JWT
disclosure under the 8 KiB every TrustID verifier accepts for one disclosure.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

__all__ = [
    "MAX_PORTRAIT_BYTES",
    "MAX_PORTRAIT_CHARS",
    "PORTRAIT_MEDIA_TYPES",
    "PORTRAIT_PATTERN",
    "Portrait",
    "PortraitError",
    "parse_portrait",
]

MAX_PORTRAIT_BYTES = 4096
"""Decoded size limit: a 4 KiB thumbnail's disclosure stays under 8 KiB."""

_SIGNATURES = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
PORTRAIT_MEDIA_TYPES = tuple(_SIGNATURES)
_PREFIX_RE = re.compile(r"data:(image/(?:jpeg|png));base64,")
PORTRAIT_PATTERN = r"^data:image/(jpeg|png);base64,[A-Za-z0-9+/]+={0,2}$"
"""The JSON Schema ``pattern`` of a portrait (the type files carry the same text)."""
MAX_PORTRAIT_CHARS = len("data:image/jpeg;base64,") + 4 * ((MAX_PORTRAIT_BYTES + 2) // 3)
"""The JSON Schema ``maxLength`` matching :data:`MAX_PORTRAIT_BYTES`."""


class PortraitError(ValueError):
    """The value is not an acceptable portrait; the message never echoes it."""


@dataclass(frozen=True)
class Portrait:
    """A checked portrait."""

    media_type: str
    data: bytes


def parse_portrait(value: object) -> Portrait:
    """Check ``value`` as a portrait data URL and return its decoded image.

    Raises:
        PortraitError: not a string, not a JPEG/PNG base64 data URL, too large, not
            canonical base64, or bytes that are not the declared image type.
    """
    if not isinstance(value, str):
        raise PortraitError("a portrait must be a string")
    if len(value) > MAX_PORTRAIT_CHARS:
        raise PortraitError(f"a portrait must be at most {MAX_PORTRAIT_BYTES} bytes decoded")
    prefix = _PREFIX_RE.match(value)
    if prefix is None:
        raise PortraitError(
            "a portrait must be a data:image/jpeg;base64 or data:image/png;base64 URL"
        )
    media_type = prefix.group(1)
    encoded = value[prefix.end() :]
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise PortraitError("a portrait's data is not valid base64") from None
    if base64.b64encode(data).decode("ascii") != encoded:
        raise PortraitError("a portrait's data is not canonical base64")
    if len(data) > MAX_PORTRAIT_BYTES:
        raise PortraitError(f"a portrait must be at most {MAX_PORTRAIT_BYTES} bytes decoded")
    if not data.startswith(_SIGNATURES[media_type]):
        raise PortraitError(f"a portrait's data is not {media_type}: its signature bytes differ")
    return Portrait(media_type, data)
