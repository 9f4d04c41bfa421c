"""Where a credential comes from: a file, stdin, a compact JWT, an issuer's URL, a QR image.

Whatever the source, the result is one compact token; nothing here checks a signature
(that is :mod:`wallet_cli.receiving`). The QR image decoder is zxing-cpp, with the image
limits of DESIGN §4 (PNG/JPEG, <= 5 MiB, <= 16 Mpx) checked before any pixel is decoded.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO

from vcore.errors import NoQRFoundError, QRError, TrustIDError
from vcore.formats import unwrap_credential
from vcore.jsontext import loads_strict
from vcore.qr import decode_qr_text
from wallet_cli.client import MAX_CREDENTIAL_BODY, WalletClient
from wallet_cli.errors import InputError
from wallet_cli.store import read_input_file

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "decode_qr_image",
    "read_credential_source",
    "token_from_text",
]

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 16_000_000
_JWS_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# An SD-JWT (RFC 9901 §4): the issuer's JWS, its Disclosures, each followed by "~".
_SD_JWT_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:~[A-Za-z0-9_-]+)*~")


def _is_token(text: str) -> bool:
    return bool(_JWS_RE.fullmatch(text) or _SD_JWT_RE.fullmatch(text))


def token_from_text(text: str) -> str:
    """The compact credential token in a text: a JWT, a data URL, an enveloped credential,
    a VC-API issue response (``{"verifiableCredential": ...}``), or TrustID compact QR text.

    Raises:
        InputError: none of those.
    """
    text = text.strip().lstrip("\ufeff")
    if not text:
        raise InputError("the input is empty")
    try:
        if text.startswith("{"):
            value = loads_strict(text)
            if isinstance(value, dict) and "verifiableCredential" in value:
                value = value["verifiableCredential"]
            token = unwrap_credential(value)
        elif text.startswith(("data:", "TID1:")):
            token = decode_qr_text(text) if text.startswith("TID1:") else unwrap_credential(text)
        else:
            token = text
    except TrustIDError as exc:
        raise InputError(f"no credential found in the input: {exc.detail}") from None
    if not _is_token(token):
        raise InputError("the input is not a credential (expected a compact JWT or SD-JWT)")
    return token


def decode_qr_image(data: bytes, name: str = "the image") -> str:
    """The text of the QR code in a PNG/JPEG image.

    Raises:
        NoQRFoundError: no QR code in it.
        QRError: not a PNG/JPEG, or too many pixels.
    """
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        # Pillow warns (instead of failing) on large images; we refuse them outright.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, Image.DecompressionBombWarning, OSError) as exc:
            raise QRError(f"{name} is not a readable PNG or JPEG image") from exc
        if image.format not in ("PNG", "JPEG"):
            raise QRError(f"{name} is a {image.format} image: only PNG and JPEG are read")
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise QRError(f"{name} has {width}x{height} pixels, more than 16 Mpx")
        try:
            image.load()
        except (OSError, ValueError) as exc:
            raise QRError(f"{name} is damaged: {exc}") from exc
    formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    results = zxingcpp.read_barcodes(image, formats=formats)
    texts = [r.text for r in results if r.valid and r.text]
    if not texts:
        raise NoQRFoundError(f"no QR code found in {name}")
    return str(texts[0])


def read_credential_source(
    source: str | None,
    *,
    qr_image: Path | None,
    stdin: IO[str],
    client: Callable[[], WalletClient],
) -> str:
    """Read the credential named on the command line and return its compact token.

    Args:
        source: A path, ``-`` for stdin, a compact JWT, or an http(s) URL; None with
            ``qr_image``.
        qr_image: A PNG/JPEG with the credential's QR code.
        stdin: Standard input (for ``-``).
        client: Makes the HTTP client when the source is a URL.

    Raises:
        InputError: nothing usable, or both a source and an image.
        QRError: the image has no readable QR code.
        NetworkError, OutboundURLError: the URL could not be fetched.
    """
    if qr_image is not None:
        if source is not None:
            raise InputError("give either SOURCE or --qr IMAGE, not both")
        text = decode_qr_image(read_input_file(qr_image, MAX_IMAGE_BYTES), str(qr_image))
        try:
            return decode_qr_text(text)
        except QRError as exc:
            raise QRError(f"the QR code in {qr_image} holds no credential: {exc.detail}") from None
    if source is None:
        raise InputError("say where the credential is: a file, -, a JWT, a URL or --qr IMAGE")
    if source == "-":
        text = stdin.read(MAX_CREDENTIAL_BODY + 1)
        if len(text) > MAX_CREDENTIAL_BODY:
            raise InputError("standard input holds more than 64 KiB: not a credential")
        return token_from_text(text)
    if source.startswith(("https://", "http://")):
        with client() as http:
            return token_from_text(http.fetch_credential(source))
    if _is_token(source.strip()) or source.startswith(("data:", "TID1:")):
        return token_from_text(source)
    raw = read_input_file(Path(source), MAX_CREDENTIAL_BODY)
    try:
        return token_from_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{source} is not a text file with a credential") from None
