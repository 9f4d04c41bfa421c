"""How both services run under uvicorn: a header deadline, a connection bound, quiet logs.

uvicorn arms its keep-alive timer only *after* a response: a client that connects and
sends nothing, or sends half a request line and then a byte every few seconds
(slowloris), holds its connection for ever, and a few hundred of them hold every
connection an issuer has, so verifiers fall back to stale status lists. What uvicorn
offers does not help (``timeout_keep_alive`` is cancelled by the first byte;
``h11_max_incomplete_event_size`` bounds size, not time), so the HTTP protocol here is
uvicorn's own (httptools when installed, else h11) with one addition: from the
connection's first moment, and again from the first byte of each next request, the
complete headers must arrive within :data:`HEADER_TIMEOUT` seconds, else the connection
is closed without an answer and without a log line (a log line per attacker connection
is how a flood fills disks). The body has its own deadline
(:class:`trustid_http.limits.BodyLimitMiddleware`, 60 s).

Concurrent connections per process are bounded by uvicorn's ``limit_concurrency``
(:data:`MAX_CONNECTIONS`): above it new requests get 503 at once; uvicorn's warning
for each of them is let through once a minute (:class:`OncePerInterval`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

__all__ = [
    "HEADER_TIMEOUT",
    "KEEP_ALIVE_TIMEOUT",
    "MAX_CONNECTIONS",
    "OncePerInterval",
    "guarded_protocol",
    "uvicorn_options",
]

HEADER_TIMEOUT = 10.0
"""Seconds from a connection's start (or a next request's first byte) to complete headers."""
KEEP_ALIVE_TIMEOUT = 5
"""Seconds an idle keep-alive connection is kept (uvicorn's default)."""
MAX_CONNECTIONS = 1000
"""Concurrent connections (and requests) per process before new requests get 503."""

_QUIET = ("Exceeded concurrency limit.", "Invalid HTTP request received.")


class OncePerInterval(logging.Filter):
    """Let each of uvicorn's per-request warnings through at most once per ``interval`` s."""

    def __init__(self, interval: float = 60.0, messages: tuple[str, ...] = _QUIET) -> None:
        super().__init__()
        self.interval = interval
        self.messages = messages
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """True to log the record."""
        message = record.getMessage()
        if message not in self.messages:
            return True
        now = time.monotonic()
        last = self._last.get(message)
        if last is not None and now - last < self.interval:
            self._suppressed[message] = self._suppressed.get(message, 0) + 1
            return False
        self._last[message] = now
        suppressed = self._suppressed.pop(message, 0)
        if suppressed:
            record.msg = f"{message} ({suppressed} more like it in the last interval)"
            record.args = ()
        return True


class _HeaderDeadline:
    """The mixin: a timer from connection start / request start to complete headers."""

    header_timeout: float = HEADER_TIMEOUT
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    _header_timer: asyncio.TimerHandle | None = None

    def _arm_header_deadline(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def _httptools_class() -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_header_deadline()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm_header_deadline()

        def on_headers_complete(self) -> None:
            self._disarm_header_deadline()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_deadline()
            super().connection_lost(exc)

    return GuardedHttpToolsProtocol


def _h11_class() -> type[asyncio.Protocol]:
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(_HeaderDeadline, H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_header_deadline()

        def data_received(self, data: bytes) -> None:
            # A byte of a next request: its headers are now due.
            if self.conn.our_state in (h11.IDLE, h11.DONE) and self.conn.their_state in (
                h11.IDLE,
                h11.DONE,
            ):
                self._arm_header_deadline()
            super().data_received(data)

        def handle_events(self) -> None:
            if self.conn.their_state is not h11.IDLE:
                self._disarm_header_deadline()  # the request line and headers are in
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:
                self._disarm_header_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_deadline()
            super().connection_lost(exc)

    return GuardedH11Protocol


def guarded_protocol(
    header_timeout: float = HEADER_TIMEOUT, *, prefer: str = "auto"
) -> type[asyncio.Protocol]:
    """Uvicorn's HTTP protocol with the header deadline (httptools if installed, else h11).

    Args:
        header_timeout: Seconds for complete headers.
        prefer: ``auto``, ``httptools`` or ``h11``.
    """
    base: type[asyncio.Protocol]
    if prefer == "h11":
        base = _h11_class()
    else:
        try:
            base = _httptools_class()
        except ImportError:
            if prefer == "httptools":
                raise
            base = _h11_class()
    return type(base.__name__, (base,), {"header_timeout": header_timeout})


def uvicorn_options(
    *,
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    http: str = "auto",
) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` (both services)."""
    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, OncePerInterval) for f in error_log.filters):
        error_log.addFilter(OncePerInterval())
    return {
        "http": guarded_protocol(header_timeout, prefer=http),
        "limit_concurrency": max_connections,
        "timeout_keep_alive": KEEP_ALIVE_TIMEOUT,
        "ws": "none",
        "server_header": False,
    }
