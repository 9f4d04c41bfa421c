"""Pure ASGI middleware: request body limit, response hardening, last-resort 500.

Pure ASGI (not ``BaseHTTPMiddleware``) so request bodies stream through untouched and
exceptions keep their context.
"""

from __future__ import annotations

import logging

import anyio
from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.problems import http_status_problem

__all__ = [
    "BODY_READ_TIMEOUT",
    "BodyLimitMiddleware",
    "BodyTimeoutError",
    "BodyTooLargeError",
    "ResponseGuardMiddleware",
]

log = logging.getLogger("issuer")

# Seconds for a whole request body to arrive. uvicorn has no body-read timeout: without
# one a client that declares a body and stalls holds its connection open for ever.
BODY_READ_TIMEOUT = 60.0


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit.

    A FastAPI ``HTTPException`` because FastAPI re-raises those from body parsing as
    they are (anything else becomes a generic 400), so the 413 reaches the handler.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


class BodyTimeoutError(HTTPException):
    """Raised from ``receive`` when the body has not arrived in time (408, then close)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408,
            f"the request body did not arrive within {seconds:g} s",
            headers={"Connection": "close"},
        )


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes (413) or slower than ``read_timeout`` (408).

    ``Content-Length`` is checked before anything is read; a chunked (or lying) body is
    counted as it streams and cut off at the limit, so no more than ``limit`` bytes of
    a request are ever buffered. The whole body must arrive within ``read_timeout``
    seconds (default :data:`BODY_READ_TIMEOUT`); once it has, ``receive`` is passed
    through untouched (disconnect listening must not time out).
    """

    def __init__(self, app: ASGIApp, limit: int, read_timeout: float | None = None) -> None:
        self.app = app
        self.limit = limit
        self.read_timeout = BODY_READ_TIMEOUT if read_timeout is None else read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                declared = value
                break
        if declared is not None:
            if not declared.isdigit() or len(declared) > 18:
                response = http_status_problem(
                    400, "invalid Content-Length", instance=scope.get("path")
                )
                await response(scope, receive, send)
                return
            if int(declared) > self.limit:
                response = http_status_problem(
                    413,
                    f"request body of {int(declared)} bytes exceeds {self.limit} bytes",
                    instance=scope.get("path"),
                )
                await response(scope, receive, send)
                return
        limit = self.limit
        timeout = self.read_timeout
        deadline = anyio.current_time() + timeout
        received = 0
        complete = False

        async def limited_receive() -> Message:
            nonlocal received, complete
            if complete:
                return await receive()
            message: Message | None = None
            with anyio.CancelScope(deadline=deadline):
                message = await receive()
            if message is None:
                raise BodyTimeoutError(timeout)
            if message["type"] != "http.request":
                complete = True
                return message
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLargeError(limit)
            complete = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)


class ResponseGuardMiddleware:
    """Add ``X-Content-Type-Options: nosniff``; turn unhandled exceptions into a 500 problem.

    The exception is logged with its traceback; the client sees only a problem+json
    with code ``internal_error`` (never a stack trace).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await http_status_problem(500, instance=scope.get("path"))(scope, receive, guarded_send)
