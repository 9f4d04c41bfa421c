"""The verifier's request body limits (DESIGN §4): 64 KiB on verify, 8 MiB on batch and QR.

The middleware itself (Content-Length and streamed bytes, the 60 s body timeout) is the
shared :class:`trustid_http.limits.BodyLimitMiddleware`; this module says which path gets
which limit.
"""

from __future__ import annotations

from trustid_http.limits import KIB, MIB

__all__ = ["UPLOAD_LIMIT", "VERIFY_LIMIT", "limit_for_path"]

VERIFY_LIMIT = 64 * KIB
UPLOAD_LIMIT = 8 * MIB
_UPLOAD_PATHS = ("/credentials/verify/batch", "/verify/qr")


def limit_for_path(path: str) -> int:
    """The body limit of a path."""
    return UPLOAD_LIMIT if path.rstrip("/") in _UPLOAD_PATHS else VERIFY_LIMIT
