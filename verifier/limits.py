"""The verifier's request body limits (DESIGN §4): 64 KiB on verify, 8 MiB on batch and QR;
which paths the per-address limit of the anonymous OpenID4VP endpoints covers.

The middleware itself (Content-Length and streamed bytes, the 60 s body timeout) is the
shared :class:`trustid_http.limits.BodyLimitMiddleware`; this module says which path gets
which limit.
"""

from __future__ import annotations

from trustid_http.limits import KIB, MIB

__all__ = ["UPLOAD_LIMIT", "VERIFY_LIMIT", "is_protocol_path", "limit_for_path"]

VERIFY_LIMIT = 64 * KIB
UPLOAD_LIMIT = 8 * MIB
_UPLOAD_PATHS = ("/credentials/verify/batch", "/verify/qr")


def limit_for_path(path: str) -> int:
    """The body limit of a path."""
    return UPLOAD_LIMIT if path.rstrip("/") in _UPLOAD_PATHS else VERIFY_LIMIT


_PROTOCOL_PREFIXES = ("/request-objects/", "/responses/")


def is_protocol_path(path: str) -> bool:
    """The OpenID4VP endpoints a wallet calls without an API key (limited per address)."""
    return path.startswith(_PROTOCOL_PREFIXES)
