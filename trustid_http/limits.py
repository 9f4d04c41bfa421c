"""Request body limits (DESIGN §4) as pure ASGI middleware: 413 too large, 408 too slow.

Checked twice: the declared ``Content-Length`` before anything is read (400
``malformed`` when it is not a plain decimal), and the bytes actually streamed (chunked
uploads declare nothing), so a client can never make a service buffer more than the
limit. The whole body must also arrive within :data:`BODY_READ_TIMEOUT` seconds (408
``request_timeout``, then the connection is closed): uvicorn has no body-read timeout,
and a client that declares a body and stalls would otherwise hold its connection for ever.

Pure ASGI (not ``BaseHTTPMiddleware``) so bodies stream through untouched; the errors
are raised from ``receive`` as :class:`~trustid_http.problems.HTTPProblem`, which FastAPI
passes through from body parsing to the problem handlers.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustid_http.problems import HTTPProblem

__all__ = [
    "BODY_READ_TIMEOUT",
    "KIB",
    "MIB",
    "BodyLimitMiddleware",
    "BodyTimeoutError",
    "BodyTooLargeError",
    "describe_size",
]

KIB = 1024
MIB = 1024 * KIB

BODY_READ_TIMEOUT = 60.0
"""Seconds for a whole request body to arrive (an 8 MiB upload needs about 1.1 Mbit/s)."""

# Bounded before int(): Python refuses to convert more than 4,300 digits, and no body
# this large is ever accepted.
_MAX_LENGTH_DIGITS = 18


def describe_size(size: int) -> str:
    """A byte count as people write it (``64 KiB``, ``8 MiB``, ``1000 bytes``)."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= KIB and size % KIB == 0:
        return f"{size // KIB} KiB"
    return f"{size} bytes"


class BodyTooLargeError(HTTPProblem):
    """The body passed the limit (declared or streamed): 413 ``too_large``."""

    def __init__(self, limit: int) -> None:
        size = describe_size(limit)
        if not size.endswith("bytes"):
            size += f" ({limit} bytes)"
        super().__init__(413, "too_large", f"the request body exceeds {size}")


class BodyTimeoutError(HTTPProblem):
    """The body did not arrive in time: 408 ``request_timeout``, then the connection closes."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408,
            "request_timeout",
            f"the request body did not arrive within {seconds:g} s",
            headers={"Connection": "close"},
        )


class BodyLimitMiddleware:
    """Refuse bodies over the path's limit (413) or slower than ``read_timeout`` (408).

    Args:
        app: The wrapped application.
        limit: Bytes, or a function of the request path giving them.
        read_timeout: Seconds for the whole body; :data:`BODY_READ_TIMEOUT` when None
            (read when the middleware is built).

    Once the last chunk has arrived, ``receive`` is passed through untouched
    (disconnect listening must not time out).
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int | Callable[[str], int],
        read_timeout: float | None = None,
    ) -> None:
        self.app = app
        if callable(limit):
            self.limit_for = limit
        else:
            fixed = limit
            self.limit_for = lambda _path: fixed
        self.read_timeout = BODY_READ_TIMEOUT if read_timeout is None else read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.limit_for(path)
        for name, value in scope.get("headers", []):
            if name != b"content-length":
                continue
            problem: HTTPProblem | None = None
            if not value.isdigit() or len(value) > _MAX_LENGTH_DIGITS:
                problem = HTTPProblem(400, "malformed", "invalid Content-Length")
            elif int(value) > limit:
                problem = BodyTooLargeError(limit)
            if problem is not None:
                await problem.response(path)(scope, receive, send)
                return
        timeout = self.read_timeout
        deadline = anyio.current_time() + timeout
        seen = 0
        complete = False

        async def limited_receive() -> Message:
            nonlocal seen, complete
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
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLargeError(limit)
            complete = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)
