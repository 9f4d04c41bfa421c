"""Read the text of a QR code from an uploaded PNG or JPEG, in memory only.

Order of checks, cheapest first, so hostile uploads cost next to nothing (DESIGN §4):

1. byte size <= 5 MiB;
2. magic bytes: PNG or JPEG only (the declared content type is a hint, never trusted);
3. dimensions from the header via PIL's lazy ``open`` (no pixel is decoded yet):
   <= 16 megapixels, so a 50-megapixel PNG of a few KiB (a decompression bomb) is refused
   before it can allocate 50 MB; PIL's own ``MAX_IMAGE_PIXELS`` guard is set to the same
   limit as a second line;
4. decode pixels, then zxing-cpp restricted to QR formats, with fallbacks for hard phone
   photos (downscaled, contrast-stretched with a global binarizer, blurred against grain
   and JPEG noise) before giving up.

Nothing is written to disk.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator

import zxingcpp
from PIL import Image, ImageFilter, ImageOps

from vcore.errors import ImageTooLargeError, NoQRFoundError, QRError, UnsupportedImageError

__all__ = ["MAX_IMAGE_BYTES", "MAX_IMAGE_PIXELS", "decode_qr_image"]

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 16_000_000

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
)
# Plain QR only: a TrustID payload never fits Micro QR (35 characters at most).
_QR_FORMATS = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
# zxing-cpp is fastest and most reliable around 1-2 k pixels on the long side; phone
# photos are 3-4 k. The first pass uses the image as given (zxing also tries its own
# downscales); the fallbacks work on a copy bounded to this size.
_WORKING_SIDE = 1600
# Last resort for heavy grain: averaging pixels away at ~1 k on the long side.
_SMALL_SIDE = 1000


def _sniff(data: bytes, content_type: str | None) -> str:
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    declared = f" (declared {content_type})" if content_type else ""
    raise UnsupportedImageError(f"only PNG and JPEG images are accepted{declared}")


def _open_checked(data: bytes, fmt: str) -> Image.Image:
    # Tighten PIL's process-wide bomb guard to our limit (it only ever tightens): above
    # it PIL warns, above twice it raises. Both are caught below; our own check on the
    # header's dimensions is what refuses first in every case.
    if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(
            f"the image has more than {MAX_IMAGE_PIXELS:,} pixels (16 megapixels)"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise QRError("the image file is damaged or not a valid " + fmt) from exc
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise ImageTooLargeError(
            f"the image is {width} x {height} = {width * height:,} pixels; "
            f"the limit is {MAX_IMAGE_PIXELS:,} (16 megapixels)"
        )
    if width < 21 or height < 21:  # smaller than the smallest QR code (version 1)
        image.close()
        raise NoQRFoundError(f"the image is only {width} x {height} pixels")
    return image


def _grayscale(image: Image.Image) -> Image.Image:
    with warnings.catch_warnings():
        # Palette images with transparency emit a UserWarning on RGBA conversion.
        warnings.simplefilter("ignore", UserWarning)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            # A code drawn on a transparent background: what shows on screen is the
            # white page behind it, not the (often black) RGB under the alpha channel.
            rgba = image.convert("RGBA")
            backdrop = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(backdrop, rgba)
    if image.mode.startswith("I"):
        # 16-bit PNG: a plain convert("L") clips everything above 255 to white.
        image = image.convert("I").point(lambda v: v * (1 / 256))
    return image.convert("L")


def _read(
    image: Image.Image, *, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage
) -> str | None:
    for result in zxingcpp.read_barcodes(
        image,
        formats=_QR_FORMATS,
        try_rotate=True,
        try_downscale=True,
        try_invert=True,
        text_mode=zxingcpp.TextMode.Plain,
        binarizer=binarizer,
    ):
        if result.valid and result.text:
            return str(result.text)
    return None


def _bounded(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _attempts(gray: Image.Image) -> Iterator[Callable[[], str | None]]:
    """Decoding attempts, most likely first.

    Measured on 60 synthetic phone photos (tilt, blur, grain, washed-out print, JPEG
    40-90): the first pass reads 40; the fallbacks below rescue 14 more (bounded size,
    global-histogram binarizer on a stretched copy, Gaussian and box blur against
    grain). Sharpening, equalising and median filtering rescued none and were dropped.
    """
    yield lambda: _read(gray)
    work = _bounded(gray, _WORKING_SIDE)
    if work is not gray:
        yield lambda: _read(work)
    stretched = ImageOps.autocontrast(work, cutoff=1)
    yield lambda: _read(stretched, binarizer=zxingcpp.Binarizer.GlobalHistogram)
    yield lambda: _read(stretched.filter(ImageFilter.GaussianBlur(1)))
    yield lambda: _read(stretched.filter(ImageFilter.BoxBlur(2)))
    small = _bounded(gray, _SMALL_SIDE)
    if small is not gray:
        yield lambda: _read(small)


def decode_qr_image(data: bytes, content_type: str | None = None) -> str:
    """Return the text of the first QR code in a PNG or JPEG image.

    Args:
        data: The uploaded file's bytes.
        content_type: The declared media type; only used in messages (the magic bytes
            decide, since browsers and phones mislabel files).

    Raises:
        ImageTooLargeError: over 5 MiB or 16 megapixels.
        UnsupportedImageError: not a PNG or JPEG.
        NoQRFoundError: no readable QR code in the image.
        QRError: the file is damaged.
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLargeError(
            f"the image is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,} (5 MiB)"
        )
    fmt = _sniff(data, content_type)
    with _open_checked(data, fmt) as image:
        try:
            image.load()
            # Phone photos store "rotate on display" in EXIF; zxing tries 90° turns
            # anyway, but mirrored orientations it would not.
            upright = ImageOps.exif_transpose(image)
            gray = _grayscale(upright)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise QRError(f"the image file is damaged or not a valid {fmt}") from exc
    for attempt in _attempts(gray):
        text = attempt()
        if text is not None:
            return text
    raise NoQRFoundError(
        "no readable QR code in the image: hold the code flat, fill the frame, avoid glare"
    )
