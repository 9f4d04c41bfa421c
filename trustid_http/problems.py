"""RFC 9457 problem details for both services: the body, the exception, the handlers.

Every error a service answers leaves as ``application/problem+json``::

    {"type": "https://trustid.example/problems/<code>", "title", "status", "detail",
     "code", "instance"[, "errors"]}

``code`` is the stable machine-readable code (RFC 9457 §3.2 extension member); ``type``
derives from it. Field errors (``errors``) carry ``loc``, ``msg`` and ``type`` and never
the input itself: it may be a citizen's personal data and end up in client logs.
Problems are never cached (``Cache-Control: no-store``).

Each service keeps its own mapping from its error classes to statuses (the
``map_error`` callback of :func:`install_problem_handlers`); everything else is here:
routing errors, validation errors, body limits, a client that hung up, and the last
resort (:class:`ServerErrorGuard`: a 500 problem, logged, never a stack trace).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vcore.errors import TrustIDError

__all__ = [
    "HTTP_PROBLEMS",
    "PROBLEM_JSON",
    "PROBLEM_SCHEMA",
    "PROBLEM_TYPE_BASE",
    "HTTPProblem",
    "ServerErrorGuard",
    "field_errors",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
    "status_problem",
]

log = logging.getLogger("trustid.http")

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://trustid.example/problems/"

HTTP_PROBLEMS: Mapping[int, tuple[str, str]] = {
    400: ("malformed", "Malformed request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    408: ("request_timeout", "Request timeout"),
    413: ("too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("invalid_request", "Invalid request"),
    429: ("rate_limited", "Too many requests"),
    500: ("internal_error", "Internal error"),
    503: ("unavailable", "Service unavailable"),
}
"""The code and title of a bare HTTP status (routing errors, limits, server faults)."""

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with a stable machine-readable `code`.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Field errors (`loc`, `msg`, `type`); never the input itself.",
            "items": {"type": "object"},
        },
    },
}

_MAX_FIELD_ERRORS = 20


def _http_code(status: int) -> tuple[str, str]:
    return HTTP_PROBLEMS.get(status, ("error", "Error"))


class HTTPProblem(StarletteHTTPException):
    """A request that cannot be processed, rendered as problem+json.

    A Starlette ``HTTPException`` so that FastAPI passes it through unchanged when it is
    raised while a body is read (the body-limit middleware raises it from ``receive``);
    anything else raised there would become a generic 400.

    Args:
        status: The HTTP status.
        code: The stable code (``too_large``, ``unauthorized``, ...).
        detail: One human-readable sentence for this occurrence.
        title: The problem type's title; by default the status's (:data:`HTTP_PROBLEMS`).
        headers: Response headers (``WWW-Authenticate``, ``Retry-After``, ...).
        extra: More members of the body (``errors``, ...).
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(status, detail)
        self.headers: dict[str, str] = dict(headers or {})
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _http_code(status)[1]
        self.extra = dict(extra or {})

    def response(self, instance: str | None = None) -> JSONResponse:
        """This problem as a response."""
        return problem_response(
            self.status,
            self.code,
            self.detail,
            title=self.title,
            instance=instance,
            headers=self.headers,
            extra=self.extra,
        )


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response (RFC 9457 §3), never cached."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or _http_code(status)[1],
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra or {})
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = [dict(e) for e in errors]
    sent = dict(headers or {})
    sent.setdefault("Cache-Control", "no-store")
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=sent)


def status_problem(
    status: int,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem for a bare HTTP status, with the status's code and title."""
    code, title = _http_code(status)
    return problem_response(
        status, code, detail or title, title=title, instance=instance, headers=headers
    )


def problem_responses(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, each documented as problem+json.

    Routes pass every error status they can answer (a declared 422 also replaces
    FastAPI's default ``HTTPValidationError``, which these apps never send).
    """
    return {
        status: {"description": text, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
        for status, text in described.items()
    }


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors reduced to ``loc``, ``msg`` and ``type`` (never ``input``), at most 20."""
    return [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors[:_MAX_FIELD_ERRORS]
    ]


def _server_fault_detail(service: str) -> str:
    return f"the {service} could not process this request; the error was logged"


ErrorMapper = Callable[[TrustIDError], HTTPProblem | None]
"""A service's mapping of its errors to problems; None means a server fault (500)."""

ProblemObserver = Callable[[Request, str], None]
"""Called with each request-level problem's code (metrics)."""


def install_problem_handlers(
    app: FastAPI,
    *,
    service: str,
    map_error: ErrorMapper,
    observe: ProblemObserver | None = None,
    authenticate: str | None = None,
) -> None:
    """Render every error of ``app`` as problem+json.

    Args:
        app: The application.
        service: ``"issuer"`` or ``"verifier"``: named in server-fault details and logs.
        map_error: The service's mapping of core and service errors to problems.
        observe: Told the code of each problem answered (e.g. a metrics counter).
        authenticate: ``WWW-Authenticate`` value added to every 401 that has none
            (RFC 9110 §11.6.1 requires one).
    """
    logger = logging.getLogger(f"trustid.{service}")

    def answer(request: Request, problem: HTTPProblem) -> JSONResponse:
        if observe is not None:
            observe(request, problem.code)
        if problem.status == 401 and authenticate and "WWW-Authenticate" not in problem.headers:
            problem.headers["WWW-Authenticate"] = authenticate
        return problem.response(request.url.path)

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPProblem)  # noqa: S101 - registered for this class only
        return answer(request, exc)

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TrustIDError)  # noqa: S101 - registered for this class only
        problem = map_error(exc)
        if problem is None:
            logger.error("unmapped %s on %s: %s", type(exc).__name__, request.url.path, exc.detail)
            return status_problem(500, _server_fault_detail(service), instance=request.url.path)
        if problem.status == 503:
            logger.warning("%s on %s: %s", exc.code, request.url.path, exc.__cause__ or exc.detail)
        return answer(request, problem)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this class only
        errors = exc.errors()
        broken = [e for e in errors if e.get("type") == "json_invalid"]
        if broken:
            reason = (broken[0].get("ctx") or {}).get("error", "not valid JSON")
            problem = HTTPProblem(400, "malformed", f"the body is not acceptable JSON: {reason}")
        else:
            problem = HTTPProblem(
                422,
                "invalid_request",
                "the request does not have the expected shape; see errors",
                extra={"errors": field_errors(errors)},
            )
        return answer(request, problem)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this class only
        code, title = _http_code(exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else title
        if exc.status_code >= 500:
            detail = _server_fault_detail(service)
        problem = HTTPProblem(exc.status_code, code, detail, headers=exc.headers)
        return answer(request, problem)

    async def on_disconnect(request: Request, exc: Exception) -> JSONResponse:
        # The client hung up mid-body: nobody reads this answer, and it is not a server
        # fault (no traceback at ERROR).
        logger.info("client disconnected during %s %s", request.method, request.url.path)
        problem = HTTPProblem(400, "malformed", "the client disconnected before the body")
        return problem.response(request.url.path)

    app.add_exception_handler(HTTPProblem, on_problem)
    app.add_exception_handler(TrustIDError, on_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(ClientDisconnect, on_disconnect)


class ServerErrorGuard:
    """Pure ASGI last resort: an unhandled exception becomes a logged 500 problem.

    The client sees only a problem+json with code ``internal_error`` (never a stack
    trace); the traceback goes to the log. Pure ASGI (not ``BaseHTTPMiddleware``), so
    bodies stream through untouched. If the response had already started, the
    exception is re-raised for the server to close the connection.
    """

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        self.log = logging.getLogger(f"trustid.{service}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception:
            self.log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = status_problem(
                500, _server_fault_detail(self.service), instance=scope.get("path")
            )
            await response(scope, receive, send)
