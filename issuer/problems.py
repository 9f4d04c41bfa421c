"""RFC 9457 problem details: the one place that maps error classes to HTTP responses.

Body: ``{"type", "title", "status", "detail", "code", "instance"[, "errors"]}`` with
media type ``application/problem+json``. ``code`` is the stable machine-readable code
(:mod:`issuer.errors` draws the tree). Field errors never echo the input back: it is
a citizen's personal data and may end up in client logs.

Statuses: 400 ``malformed``; 401 ``unauthorized`` (with ``WWW-Authenticate: Bearer``);
403 ``type_not_accredited``, ``forbidden``; 404 ``not_found``; 405
``method_not_allowed``; 408 ``request_timeout`` (the body came too slowly); 409
``idempotency_conflict``, ``revocation_final``, ``agency_exists``; 413 ``too_large``;
415 ``unsupported_media_type``; 422 ``invalid_request``, ``unknown_type``,
``credential_too_large``, ``schema_invalid``, ``did_invalid``; 500 ``internal_error``;
503 ``unavailable``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse

from issuer.errors import (
    AgencyExistsError,
    ClaimsInvalidError,
    ConfigurationError,
    ForbiddenError,
    IdempotencyConflictError,
    InvalidRequestError,
    NotFoundError,
    RevocationFinalError,
    UnauthorizedError,
    UnavailableError,
    UnsupportedMediaTypeError,
)
from vcore.errors import (
    DIDError,
    MalformedError,
    SchemaInvalidError,
    TokenTooLargeError,
    TrustIDError,
    TypeNotAccreditedError,
)

__all__ = [
    "PROBLEM_JSON",
    "PROBLEM_SCHEMA",
    "PROBLEM_TYPE_BASE",
    "error_response",
    "http_status_problem",
    "problem_response",
    "problem_responses",
    "status_for",
]

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://trustid.example/problems/"

_STATUS: dict[type[TrustIDError], int] = {
    TokenTooLargeError: 413,
    UnsupportedMediaTypeError: 415,
    MalformedError: 400,
    DIDError: 422,
    SchemaInvalidError: 422,
    TypeNotAccreditedError: 403,
    InvalidRequestError: 422,
    UnauthorizedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    IdempotencyConflictError: 409,
    RevocationFinalError: 409,
    AgencyExistsError: 409,
    UnavailableError: 503,
}

_HTTP_CODES: dict[int, tuple[str, str]] = {
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
    500: ("internal_error", "Internal error"),
    503: ("unavailable", "Service unavailable"),
}

_AUTHENTICATE = 'Bearer realm="trustid-issuer"'

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


def problem_responses(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, each documented as problem+json.

    Routes pass every error status they can answer (a declared 422 also replaces
    FastAPI's default ``HTTPValidationError``, which this app never sends).
    """
    return {
        status: {"description": text, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
        for status, text in described.items()
    }


def status_for(exc: TrustIDError) -> int | None:
    """The HTTP status for an error class (nearest mapped ancestor), or None if unmapped.

    Unmapped errors (a vcore failure while signing, a configuration problem found at
    run time) are server faults: callers answer 500 and log them.
    """
    if isinstance(exc, ConfigurationError):
        return None
    for cls in type(exc).__mro__:
        status = _STATUS.get(cls)
        if status is not None:
            return status
    return None


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = [dict(e) for e in errors]
    extra = dict(headers or {})
    if status == 401:
        extra.setdefault("WWW-Authenticate", _AUTHENTICATE)
    extra.setdefault("Cache-Control", "no-store")
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=extra)


def error_response(exc: TrustIDError, instance: str | None = None) -> JSONResponse:
    """The problem+json response for a mapped error (500 ``internal_error`` otherwise)."""
    status = status_for(exc)
    if status is None:
        return http_status_problem(500, instance=instance)
    errors = exc.errors if isinstance(exc, InvalidRequestError | ClaimsInvalidError) else None
    return problem_response(
        status, exc.code, exc.title, exc.detail, instance=instance, errors=errors
    )


def http_status_problem(
    status: int,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem for a bare HTTP status (routing errors, limits, server faults)."""
    code, title = _HTTP_CODES.get(status, ("error", "Error"))
    if status >= 500:
        detail = "the issuer could not process this request; it has been logged"
    return problem_response(
        status, code, title, detail or title, instance=instance, headers=headers
    )
