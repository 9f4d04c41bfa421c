"""Portrait data URLs: JPEG and PNG accepted, everything else refused without echoing it."""

from __future__ import annotations

import base64
import re

import pytest

from tests.portrait_images import JPEG_BYTES, JPEG_URL, PNG_URL, data_url, png_bytes
from vcore.portrait import (
    MAX_PORTRAIT_BYTES,
    MAX_PORTRAIT_CHARS,
    PORTRAIT_PATTERN,
    PortraitError,
    parse_portrait,
)


def test_jpeg_and_png_are_accepted_and_decoded() -> None:
    assert parse_portrait(JPEG_URL).media_type == "image/jpeg"
    assert parse_portrait(JPEG_URL).data == JPEG_BYTES
    assert parse_portrait(PNG_URL).media_type == "image/png"


def test_largest_portrait_fits_the_schema_bound() -> None:
    biggest = png_bytes() + b"\x00" * (MAX_PORTRAIT_BYTES - len(png_bytes()))
    url = data_url("image/png", biggest)
    assert len(url) <= MAX_PORTRAIT_CHARS
    assert re.search(PORTRAIT_PATTERN, url)
    assert parse_portrait(url).data == biggest


_B64_PNG = base64.b64encode(png_bytes()).decode()

REFUSED = [
    pytest.param(42, "string", id="not a string"),
    pytest.param("https://example.com/me.jpg", "data:image", id="not a data URL"),
    pytest.param("data:image/gif;base64,R0lGODlhAQABAAAAACw=", "data:image", id="gif"),
    pytest.param("data:image/svg+xml;base64,PHN2Zz4=", "data:image", id="svg"),
    pytest.param(f"data:image/png,{_B64_PNG}", "data:image", id="not base64-tagged"),
    pytest.param(f"data:image/png;base64,{_B64_PNG}!", "base64", id="bad base64"),
    pytest.param("data:image/png;base64,iVBORw0KGgp=", "canonical", id="non-canonical padding"),
    pytest.param(data_url("image/jpeg", png_bytes()), "not image/jpeg", id="png as jpeg"),
    pytest.param(data_url("image/png", JPEG_BYTES), "not image/png", id="jpeg as png"),
    pytest.param(data_url("image/png", b"<script>alert(1)</script>"), "png", id="script"),
    pytest.param(
        data_url("image/png", png_bytes() + b"\x00" * MAX_PORTRAIT_BYTES), "at most", id="large"
    ),
    pytest.param(
        data_url("image/png", png_bytes() + b"\x00" * (MAX_PORTRAIT_BYTES - len(png_bytes()) + 1)),
        "at most",
        id="one byte over",
    ),
]


@pytest.mark.parametrize(("value", "message"), REFUSED)
def test_refused(value: object, message: str) -> None:
    with pytest.raises(PortraitError, match=message) as info:
        parse_portrait(value)
    if isinstance(value, str) and len(value) > 60:
        assert value[-20:] not in str(info.value)
