"""verifier.qr_image: real QR images of a real signed credential, and hostile uploads."""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Callable

import numpy as np
import pytest
import qrcode
import qrcode.constants
import zxingcpp
from PIL import Image, ImageFilter, ImageOps

from tests.qr_samples import sample_credential
from vcore.errors import ImageTooLargeError, NoQRFoundError, QRError, UnsupportedImageError
from vcore.qr import decode_qr_text, encode_qr_text
from verifier.qr_image import MAX_IMAGE_BYTES, decode_qr_image


@pytest.fixture(scope="module")
def token() -> str:
    """A realistic resident credential (~1,460 characters, QR version 32-M)."""
    return sample_credential(schema_id="https://registry.city.gov.example/schemas/Resident")


def _qr(text: str, *, box: int = 4) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


@pytest.fixture(scope="module")
def clean(token: str) -> Image.Image:
    return _qr(token)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _photo(
    qr: Image.Image,
    *,
    seed: int = 7,
    size: tuple[int, int] = (2400, 1800),
    tilt: float = 11,
    blur: float = 0.8,
    noise: float = 8,
    contrast: float = 180,
) -> Image.Image:
    """A phone-photo stand-in: the code small in a large, noisy, low-contrast, tilted frame."""
    rng = np.random.default_rng(seed)
    width, height = size
    # Uneven light: a gradient desk surface with grain.
    ramp = np.linspace(70, 190, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    background = ramp + rng.normal(0, 12, (height, width))
    scene = Image.fromarray(np.clip(background, 0, 255).astype(np.uint8), "L")
    # The code: washed-out print (dark grey on light grey), tilted, out of focus.
    printed = qr.resize((qr.width * 2, qr.height * 2), Image.Resampling.BICUBIC)
    printed = printed.point(lambda v: 128 - contrast / 2 + v * contrast / 255)
    printed = printed.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=150)
    printed = printed.filter(ImageFilter.GaussianBlur(blur))
    scene.paste(printed, (width // 3, height // 5))
    pixels = np.asarray(scene, dtype=np.float32) + rng.normal(0, noise, (height, width))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")


TRANSFORMS: dict[str, Callable[[Image.Image], bytes]] = {
    "png": _png,
    "jpeg": _jpeg,
    "scaled_half": lambda im: _png(
        im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)
    ),
    "scaled_x3": lambda im: _png(
        im.resize((im.width * 3, im.height * 3), Image.Resampling.BICUBIC)
    ),
    "rotated_7": lambda im: _png(
        im.rotate(7, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    ),
    "rotated_90": lambda im: _png(im.rotate(90, expand=True)),
    "blurred": lambda im: _png(im.filter(ImageFilter.GaussianBlur(1))),
    "jpeg_q30": lambda im: _jpeg(im, quality=30),
    "inverted": lambda im: _png(ImageOps.invert(im)),
    "rgb_jpeg_tinted": lambda im: _jpeg(Image.merge("RGB", (im, im.point(lambda v: v * 0.8), im))),
    "noisy_photo": lambda im: _jpeg(_photo(im), quality=80),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_decodes_the_exact_token(name: str, clean: Image.Image, token: str) -> None:
    assert decode_qr_image(TRANSFORMS[name](clean)) == token


def test_fallbacks_rescue_a_photo_zxing_alone_misses(clean: Image.Image, token: str) -> None:
    photo = _jpeg(
        _photo(clean, seed=1, size=(3000, 2200), tilt=17, blur=2.0, noise=20, contrast=50),
        quality=70,
    )
    plain = Image.open(io.BytesIO(photo)).convert("L")
    assert (
        zxingcpp.read_barcodes(
            plain, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
        == []
    )
    assert decode_qr_image(photo, "image/jpeg") == token


def test_decodes_the_compact_form(token: str) -> None:
    text = encode_qr_text(token, compact=True)
    image = _qr(text, box=3)
    assert decode_qr_text(decode_qr_image(_jpeg(_photo(image, seed=3)))) == token


def test_decodes_a_code_on_a_transparent_background(token: str) -> None:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=3)
    code.add_data(token)
    dark = code.make_image().get_image().convert("L")
    # Black modules, fully transparent elsewhere, with black RGB under the alpha: read
    # naively, it is all black.
    rgba = Image.new("RGBA", dark.size, (0, 0, 0, 0))
    rgba.putalpha(ImageOps.invert(dark))
    assert decode_qr_image(_png(rgba), "image/png") == token


def test_decodes_a_16_bit_png(clean: Image.Image, token: str) -> None:
    deep = Image.fromarray(np.asarray(clean, dtype=np.uint16) * 257)
    assert deep.mode.startswith("I;16")
    assert decode_qr_image(_png(deep)) == token


def test_the_declared_type_is_not_trusted(clean: Image.Image, token: str) -> None:
    assert decode_qr_image(_png(clean), "image/jpeg") == token
    assert decode_qr_image(_jpeg(clean), "application/octet-stream") == token


def test_first_of_several_codes_is_returned(token: str) -> None:
    canvas = Image.new("L", (1400, 700), 255)
    canvas.paste(_qr(token, box=3), (20, 20))
    canvas.paste(_qr("SECOND", box=6), (900, 200))
    assert decode_qr_image(_png(canvas)) in {token, "SECOND"}


# -- refusals --------------------------------------------------------------------------


def _other_format(fmt: str) -> bytes:
    out = io.BytesIO()
    _qr("hello").convert("RGB").save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (_other_format("GIF"), "image/gif"),
        (_other_format("BMP"), "image/bmp"),
        (_other_format("WEBP"), "image/webp"),
        (b"eyJhbGciOiJFUzI1NiJ9.eyJ9.c2ln", "text/plain"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"", None),
        (b"\x89PNG", "image/png"),  # a PNG signature cut short
    ],
)
def test_only_png_and_jpeg_are_accepted(data: bytes, content_type: str | None) -> None:
    with pytest.raises(UnsupportedImageError) as info:
        decode_qr_image(data, content_type)
    assert info.value.code == "unsupported_media"


def test_a_file_over_5_mib_is_refused_before_reading_it() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024)
    assert len(data) > MAX_IMAGE_BYTES
    with pytest.raises(ImageTooLargeError) as info:
        decode_qr_image(data, "image/png")
    assert info.value.code == "image_too_large"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height (8-bit grey) but carries almost no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8000, 6500),  # 52 Mpx: beyond twice PIL's guard once tightened to 16 Mpx
        (5000, 4000),  # 20 Mpx: between our limit and twice it (PIL would only warn)
        (4001, 4000),  # just over 16 Mpx
        (30000, 30000),  # 900 Mpx
    ],
)
def test_a_huge_image_is_refused_from_its_header(width: int, height: int) -> None:
    data = _png_header_only(width, height)
    assert len(data) < 200
    started = time.perf_counter()
    with pytest.raises(ImageTooLargeError) as info:
        decode_qr_image(data, "image/png")
    # Decoding 52 Mpx would take far longer and allocate 52 MB; the header costs nothing.
    assert time.perf_counter() - started < 0.05
    assert info.value.code == "image_too_large"


def test_a_huge_jpeg_is_refused_from_its_header() -> None:
    # A real 4,100 x 4,100 JPEG of a flat colour is small, but 16.8 Mpx.
    data = _jpeg(Image.new("L", (4100, 4100), 200), quality=20)
    assert len(data) < MAX_IMAGE_BYTES
    with pytest.raises(ImageTooLargeError):
        decode_qr_image(data, "image/jpeg")


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (640, 480), 255),
        Image.fromarray(np.random.default_rng(1).integers(0, 256, (480, 640), dtype=np.uint8)),
        Image.new("L", (12, 12), 0),
    ],
    ids=["blank", "noise", "tiny"],
)
def test_an_image_without_a_code(image: Image.Image) -> None:
    with pytest.raises(NoQRFoundError) as info:
        decode_qr_image(_png(image))
    assert info.value.code == "no_qr_found"


def test_other_barcodes_are_not_read() -> None:
    # A Data Matrix is a barcode, not a QR code: the counter must not act on it.
    matrix = zxingcpp.create_barcode("eyJ.eyJ.sig", zxingcpp.BarcodeFormat.DataMatrix)
    image = Image.fromarray(np.asarray(zxingcpp.write_barcode_to_image(matrix, scale=8)))
    with pytest.raises(NoQRFoundError):
        decode_qr_image(_png(ImageOps.expand(image, border=40, fill=255)))


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_file_is_refused(clean: Image.Image, cut: float) -> None:
    for data in (_png(clean), _jpeg(clean)):
        with pytest.raises(QRError) as info:
            decode_qr_image(data[: int(len(data) * cut)])
        assert info.value.code in {"qr_invalid", "no_qr_found"}


def test_garbage_after_a_jpeg_signature() -> None:
    with pytest.raises(QRError) as info:
        decode_qr_image(b"\xff\xd8\xff\xe0" + b"\x13" * 4000, "image/jpeg")
    assert info.value.code == "qr_invalid"
