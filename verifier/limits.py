"""Request body limits (DESIGN §4): 64 KiB on verify, 8 MiB on batch and QR upload.

Checked twice, as an ASGI middleware: the declared ``Content-Length`` before anything is
read (400 ``malformed`` when it is not a plain decimal), and the bytes actually streamed
(chunked uploads declare nothing), so a client cannot make the verifier buffer more than
the limit. The whole body must also arrive within :data:`BODY_READ_TIMEOUT` seconds
(408 ``request_timeout``): uvicorn has no body-read timeout, and a client that declares a
body and stalls would otherwise hold its connection for ever.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifier.problems import RequestProblem, problem_response

__all__ = [
    "BODY_READ_TIMEOUT",
    "BodyLimitMiddleware",
    "BodyTimeoutError",
    "BodyTooLargeError",
    "limit_for_path",
]

KIB = 1024
MIB = 1024 * KIB
VERIFY_LIMIT = 64 * KIB
UPLOAD_LIMIT = 8 * MIB
_UPLOAD_PATHS = ("/credentials/verify/batch", "/verify/qr")
# Seconds for a whole request body to arrive (an 8 MiB upload needs ~1.1 Mbit/s).
BODY_READ_TIMEOUT = 60.0


class BodyTooLargeError(RequestProblem):
    """The streamed body passed the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "too_large", f"the request body exceeds {limit // KIB} KiB")


class BodyTimeoutError(RequestProblem):
    """The body did not arrive in time (408, then the connection is closed)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408,
            "request_timeout",
            f"the request body did not arrive within {seconds:g} s",
            headers={"Connection": "close"},
        )


def limit_for_path(path: str) -> int:
    """The body limit of a path."""
    return UPLOAD_LIMIT if path.rstrip("/") in _UPLOAD_PATHS else VERIFY_LIMIT


class BodyLimitMiddleware:
    """Refuse bodies over the path's limit (413) or slower than ``read_timeout`` (408).

    Once the last chunk has arrived, ``receive`` is passed through untouched
    (disconnect listening must not time out).
    """

    def __init__(
        self,
        app: ASGIApp,
        limit_for: Callable[[str], int] = limit_for_path,
        read_timeout: float | None = None,
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.read_timeout = BODY_READ_TIMEOUT if read_timeout is None else read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name != b"content-length":
                continue
            # Bounded before int(): Python refuses to convert over 4,300 digits.
            problem: RequestProblem | None = None
            if not value.isdigit() or len(value) > 18:
                problem = RequestProblem(400, "malformed", "invalid Content-Length")
            elif int(value) > limit:
                problem = BodyTooLargeError(limit)
            if problem is not None:
                await problem_response(problem, scope.get("path"))(scope, receive, send)
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
