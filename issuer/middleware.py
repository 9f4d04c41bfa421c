"""The issuer's middleware stack, from :mod:`trustid_http` (all pure ASGI).

Outermost first: the security headers (on every answer, also the guard's), the
last-resort guard (an unhandled exception becomes a logged 500 problem), and the
32 KiB / 60 s request body limit (DESIGN §4; 8 MiB on the bulk endpoints).
"""

from __future__ import annotations

from fastapi import FastAPI

from issuer.settings import MAX_ISSUE_BODY
from trustid_http.headers import SecurityHeadersMiddleware
from trustid_http.limits import MIB, BodyLimitMiddleware
from trustid_http.problems import ServerErrorGuard

__all__ = ["install_middleware"]


BATCH_BODY = 8 * MIB
"""Body limit of the bulk endpoints (DESIGN §4: 8 MiB on batch uploads)."""
_BATCH_PATHS = ("/credentials/issue/batch", "/credentials/status/batch")


def install_middleware(app: FastAPI, *, body_limit: int = MAX_ISSUE_BODY) -> None:
    """Add the issuer's middleware to ``app`` (last added runs first)."""

    def limit_for(path: str) -> int:
        return BATCH_BODY if path.rstrip("/") in _BATCH_PATHS else body_limit

    app.add_middleware(BodyLimitMiddleware, limit=limit_for)
    app.add_middleware(ServerErrorGuard, service="issuer")
    app.add_middleware(SecurityHeadersMiddleware)
