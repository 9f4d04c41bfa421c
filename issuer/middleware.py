"""The issuer's middleware stack, from :mod:`trustid_http` (all pure ASGI).

Outermost first: the security headers (on every answer, also the guard's), the
last-resort guard (an unhandled exception becomes a logged 500 problem), and the
32 KiB / 60 s request body limit (DESIGN §4; 8 MiB on the bulk endpoints), then the
per-address rate limit of the OpenID4VCI endpoints a wallet calls without an API key
(:mod:`trustid_http.address_limits`; the agency API has its keys).
"""

from __future__ import annotations

from fastapi import FastAPI

from issuer.settings import MAX_ISSUE_BODY
from trustid_http.address_limits import AddressBuckets, AddressRateLimitMiddleware
from trustid_http.headers import SecurityHeadersMiddleware
from trustid_http.limits import MIB, BodyLimitMiddleware
from trustid_http.problems import ServerErrorGuard

__all__ = ["install_middleware", "is_protocol_path"]


BATCH_BODY = 8 * MIB
"""Body limit of the bulk endpoints (DESIGN §4: 8 MiB on batch uploads)."""
_BATCH_PATHS = ("/credentials/issue/batch", "/credentials/status/batch")
_PROTOCOL_PATHS = ("/token", "/nonce", "/credential")
_PROTOCOL_PREFIX = "/credential-offer/"


def is_protocol_path(path: str) -> bool:
    """The OpenID4VCI endpoints a wallet calls without an API key."""
    return path.rstrip("/") in _PROTOCOL_PATHS or path.startswith(_PROTOCOL_PREFIX)


def install_middleware(
    app: FastAPI, *, body_limit: int = MAX_ISSUE_BODY, protocol_rate_limit: int = 0
) -> None:
    """Add the issuer's middleware to ``app`` (last added runs first).

    ``protocol_rate_limit``: requests per minute per client address (0: none).
    """

    def limit_for(path: str) -> int:
        return BATCH_BODY if path.rstrip("/") in _BATCH_PATHS else body_limit

    limiter = AddressBuckets(protocol_rate_limit) if protocol_rate_limit else None
    app.add_middleware(AddressRateLimitMiddleware, limiter=limiter, applies=is_protocol_path)
    app.add_middleware(BodyLimitMiddleware, limit=limit_for)
    app.add_middleware(ServerErrorGuard, service="issuer")
    app.add_middleware(SecurityHeadersMiddleware)
