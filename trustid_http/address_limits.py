"""Per-client-address rate limits for the endpoints that take no API key.

The OpenID4VCI endpoints a wallet calls (``/token``, ``/nonce``, ``/credential``,
``/credential-offer/{id}``) and the OpenID4VP ones (``/request-objects/{id}``,
``/responses/{id}``) are anonymous by design, so the per-API-key limit cannot cover
them. Each of those requests costs one unit of its client address's budget (IPv4: the
address; IPv6: its /64, which one host usually holds whole); beyond it the answer is
429 with ``Retry-After`` and the OAuth error JSON of the endpoint family
(``temporarily_unavailable``, RFC 6749 §4.1.2.1), before any work.

Behind a reverse proxy the address is the proxy's unless uvicorn is told to trust its
``X-Forwarded-For`` (``FORWARDED_ALLOW_IPS``; see ``docs/deploy.md``).

:class:`AddressBuckets` is the in-process limiter (token buckets, memory bounded: at
most :data:`MAX_TRACKED` addresses, full buckets forgotten first). A service may give
:class:`AddressRateLimitMiddleware` any :class:`AddressLimiter` (the verifier's counts
in Redis across replicas when it has one).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

import anyio.to_thread
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "MAX_TRACKED",
    "AddressBuckets",
    "AddressLimiter",
    "AddressRateLimitMiddleware",
    "address_key",
    "oauth_rate_limited",
]

MAX_TRACKED = 100_000
"""Addresses an :class:`AddressBuckets` remembers (about 10 MB at most)."""


def address_key(host: str | None) -> str:
    """What a client address is counted as: IPv4 itself, IPv6 its /64, else the text."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]  # a test client's name, a Unix socket
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class AddressLimiter(Protocol):
    """Takes one unit of an address's budget; ``blocking``: call it from a thread."""

    blocking: bool

    def take(self, address: str) -> int | None:
        """None when allowed (the unit is taken), else seconds until it would be."""
        ...


class AddressBuckets:
    """Token bucket per address: ``per_minute`` requests a minute, bursts up to it."""

    blocking = False

    def __init__(
        self,
        per_minute: int,
        *,
        max_tracked: int = MAX_TRACKED,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = float(per_minute)
        self._rate = per_minute / 60.0
        self._max = max_tracked
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, address: str) -> int | None:
        """None when allowed (one unit taken), else the seconds to wait."""
        with self._lock:
            now = self._monotonic()
            tokens, last = self._buckets.pop(address, (self._limit, now))
            tokens = min(self._limit, tokens + (now - last) * self._rate)
            if tokens < 1:
                self._buckets[address] = (tokens, now)
                return max(1, math.ceil((1 - tokens) / self._rate))
            if len(self._buckets) >= self._max:
                self._forget(now)
            self._buckets[address] = (tokens - 1, now)  # re-inserted: newest last
            return None

    def _forget(self, now: float) -> None:
        # Full buckets are the same as absent ones; if every one is in use, the oldest
        # (least recently seen) go: a flood of fresh addresses forgets old debts, never
        # grows memory without bound.
        full = [
            a
            for a, (t, last) in self._buckets.items()
            if t + (now - last) * self._rate >= self._limit
        ]
        for address in full:
            del self._buckets[address]
        while len(self._buckets) >= self._max:
            del self._buckets[next(iter(self._buckets))]


def oauth_rate_limited(retry_after: int) -> JSONResponse:
    """429 as the OAuth endpoints answer errors (``{"error", "error_description"}``)."""
    return JSONResponse(
        {
            "error": "temporarily_unavailable",
            "error_description": (f"too many requests from this address; retry in {retry_after} s"),
        },
        status_code=429,
        headers={"Retry-After": str(retry_after), "Cache-Control": "no-store"},
    )


class AddressRateLimitMiddleware:
    """Charge one unit per request to the paths ``applies`` selects; 429 beyond the budget.

    Args:
        app: The wrapped application.
        limiter: The budget per address; None: no limit (the setting is 0).
        applies: Whether a request path is rate limited this way.
        refuse: The 429 response for a wait of N seconds.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: AddressLimiter | None,
        applies: Callable[[str], bool],
        refuse: Callable[[int], JSONResponse] = oauth_rate_limited,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.applies = applies
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        limiter = self.limiter
        if limiter is None or scope["type"] != "http" or not self.applies(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = address_key(client[0] if client else None)
        if limiter.blocking:
            wait = await anyio.to_thread.run_sync(limiter.take, address)
        else:
            wait = limiter.take(address)
        if wait is not None:
            await self.refuse(wait)(scope, receive, send)
            return
        await self.app(scope, receive, send)
