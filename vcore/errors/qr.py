"""Errors of QR payloads and images."""

from __future__ import annotations

from vcore.errors.base import TrustIDError

__all__ = [
    "ImageTooLargeError",
    "NoQRFoundError",
    "QRError",
    "QRTooLargeError",
    "UnsupportedImageError",
]


class QRError(TrustIDError):
    """A QR payload or image cannot be used."""

    code = "qr_invalid"
    title = "Invalid QR code"


class QRTooLargeError(QRError):
    """The payload does not fit in a single QR code."""

    code = "qr_too_large"
    title = "Does not fit in a QR code"


class UnsupportedImageError(QRError):
    """The uploaded file is not a PNG or JPEG image (judged by its magic bytes)."""

    code = "unsupported_media"
    title = "Unsupported image type"


class ImageTooLargeError(QRError):
    """The image exceeds the byte or pixel limit (DESIGN §4: 5 MiB, 16 Mpx)."""

    code = "image_too_large"
    title = "Image too large"


class NoQRFoundError(QRError):
    """No readable QR code was found in the image."""

    code = "no_qr_found"
    title = "No QR code found"
