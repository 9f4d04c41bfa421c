"""Request body limits (DESIGN §4): 64 KiB on verify, 8 MiB on batch and QR upload.

Checked twice, as an ASGI middleware: the declared ``Content-Length`` before anything is
read (400 ``malformed`` when it is not a plain decimal), and the bytes actually streamed
(chunked uploads declare nothing), so a client cannot make the verifier buffer more than
the limit.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifier.problems import RequestProblem, problem_response

__all__ = ["BodyLimitMiddleware", "BodyTooLargeError", "limit_for_path"]

KIB = 1024
MIB = 1024 * KIB
VERIFY_LIMIT = 64 * KIB
UPLOAD_LIMIT = 8 * MIB
_UPLOAD_PATHS = ("/credentials/verify/batch", "/verify/qr")


class BodyTooLargeError(RequestProblem):
    """The streamed body passed the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "too_large", f"the request body exceeds {limit // KIB} KiB")


def limit_for_path(path: str) -> int:
    """The body limit of a path."""
    return UPLOAD_LIMIT if path.rstrip("/") in _UPLOAD_PATHS else VERIFY_LIMIT


class BodyLimitMiddleware:
    """Refuse bodies over the path's limit with 413 problem+json."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int] = limit_for_path) -> None:
        self.app = app
        self.limit_for = limit_for

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
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, limited_receive, send)
