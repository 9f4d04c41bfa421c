"""RFC 9457 problem details for request-level errors; the one place that builds them.

Verification *results* (a credential that is not valid) are not problems: they are the
VC-API result body with ``verified: false`` (400). Problems are for requests that could
not be processed at all: bad JSON, a missing field, a body over the limit, no API key,
too many requests, a QR image that holds no code.

Stable codes: ``malformed`` (400), ``invalid_request`` (422), ``too_large`` (413),
``request_timeout`` (408, the body came too slowly), ``unsupported_media_type`` (415),
``unauthorized`` (401), ``rate_limited`` (429),
``not_found`` (404), ``method_not_allowed`` (405), ``internal_error`` (500), and the
QR codes of ``vcore.errors``/``verifier.qr_image`` (400, 413 for oversize images).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from vcore.errors import QRError, TrustIDError

__all__ = [
    "PROBLEM_JSON",
    "PROBLEM_SCHEMA",
    "RequestProblem",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
]

log = logging.getLogger("trustid.verifier")

PROBLEM_JSON = "application/problem+json"

_HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("malformed", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    408: ("request_timeout", "Request timeout"),
    413: ("too_large", "Request too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("invalid_request", "Invalid request"),
    429: ("rate_limited", "Too many requests"),
}

_QR_STATUS = {"image_too_large": 413, "unsupported_media": 415}
# verifier.errors codes whose status is not 400 (service code raises no HTTP status).
_VERIFIER_STATUS = {"invalid_request": 422, "unauthorized": 401, "rate_limited": 429}

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
            "description": "Field errors (`loc`, `msg`); never the input itself.",
            "items": {"type": "object"},
        },
    },
}


def problem_responses(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, each documented as problem+json.

    Routes pass every error status they can answer (a declared 422 also replaces
    FastAPI's default ``HTTPValidationError``, which this app never sends).
    """
    return {
        status: {"description": text, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
        for status, text in described.items()
    }


class RequestProblem(Exception):  # noqa: N818 - it is a response, not only an error
    """A request that cannot be processed; rendered as problem+json."""

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
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title or _HTTP_CODES.get(status, ("error", "Error"))[1]
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def problem_response(problem: RequestProblem, instance: str | None = None) -> JSONResponse:
    """The problem+json response for a :class:`RequestProblem`."""
    body: dict[str, Any] = {
        "type": f"https://trustid.example/problems/{problem.code}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
        **problem.extra,
    }
    if instance is not None:
        body["instance"] = instance
    return JSONResponse(
        body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers
    )


def problem_from_error(error: TrustIDError) -> RequestProblem:
    """A request-level problem for a core error (QR decoding, request parsing)."""
    status = _QR_STATUS.get(error.code) or _VERIFIER_STATUS.get(error.code, 400)
    if not isinstance(error, QRError) and error.code == "too_large":
        status = 413
    return RequestProblem(status, error.code, error.detail, title=error.title)


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error as problem+json; never a stack trace to a user."""

    @app.exception_handler(RequestProblem)
    async def _problem(request: Request, exc: RequestProblem) -> JSONResponse:
        _count(request, exc.code)
        return problem_response(exc, request.url.path)

    @app.exception_handler(TrustIDError)
    async def _core(request: Request, exc: TrustIDError) -> JSONResponse:
        problem = problem_from_error(exc)
        _count(request, problem.code)
        return problem_response(problem, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        problem = RequestProblem(
            422,
            "invalid_request",
            "the request body does not match the schema",
            extra={"errors": errors},
        )
        _count(request, problem.code)
        return problem_response(problem, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = _HTTP_CODES.get(exc.status_code, ("error", "Error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        problem = RequestProblem(
            exc.status_code, code, detail, title=title, headers=getattr(exc, "headers", None)
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The client hung up mid-body: nobody reads this answer, and it is not a server
        # fault (no traceback at ERROR, which the catch-all below would log twice).
        log.info("client disconnected during %s %s", request.method, request.url.path)
        problem = RequestProblem(400, "malformed", "the client disconnected before the body")
        return problem_response(problem, request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = RequestProblem(
            500,
            "internal_error",
            "the verifier failed unexpectedly; the error was logged",
            title="Internal error",
        )
        return problem_response(problem, request.url.path)


def _count(request: Request, code: str) -> None:
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.rejected.labels(code).inc()
