"""The hot route, ``POST /credentials/verify``, dispatched as pure ASGI.

FastAPI's routing, dependency solving and exception wrapping cost about a quarter of a
verification's CPU (``bench/inproc.py``). :class:`HotVerifyRoute` sits inside the app's
middleware (body limit, server-error guard, security headers still apply) and answers
this one method and path by calling the very functions FastAPI would: the same
dependencies (:func:`verifier.api.deps.get_service`, :func:`verifier.api.deps.get_caller`
with the raw ``Authorization`` header, in the same order), the same endpoint
(:func:`verifier.api.verify.verify_credential`), and the app's own exception handlers
for whatever they raise. The FastAPI route stays registered: it is what OpenAPI
documents, and every other method on the path (405) still goes to it.
``tests/verifier/test_hot_path.py`` compares both paths' answers byte for byte.
"""

from __future__ import annotations

import inspect

from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, HTTPExceptionHandler, Receive, Scope, Send

from verifier.api.deps import get_caller, get_service
from verifier.api.verify import verify_credential

__all__ = ["HOT_PATH", "HotVerifyRoute"]

HOT_PATH = "/credentials/verify"


class HotVerifyRoute:
    """Pure-ASGI ``POST /credentials/verify``; everything else passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or get_route_path(scope) != HOT_PATH
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            service = await get_service(request)
            caller = await get_caller(request, request.headers.get("authorization"))
            response: Response = await verify_credential(request, service, caller)
        except Exception as exc:
            handler = _handler_for(request, exc)
            if handler is None:
                raise  # the server-error guard outside answers 500
            answer = handler(request, exc)  # the app's handlers are all async
            response = await answer if inspect.isawaitable(answer) else answer
        await response(scope, receive, send)


def _handler_for(request: Request, exc: Exception) -> HTTPExceptionHandler | None:
    """The app's exception handler for ``exc`` (by class, most specific first), as
    Starlette's exception middleware looks it up."""
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        if cls in handlers:
            handler: HTTPExceptionHandler = handlers[cls]
            return handler
    return None
