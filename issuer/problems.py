"""The issuer's errors as RFC 9457 problems: the one place that maps classes to statuses.

The problem+json shape, the bare-status problems and the handlers are shared with the
verifier (:mod:`trustid_http.problems`); this module holds what is the issuer's own.
``code`` is the stable machine-readable code (:mod:`issuer.errors` draws the tree).

Statuses: 400 ``malformed``; 401 ``unauthorized`` (with ``WWW-Authenticate: Bearer``);
403 ``type_not_accredited``, ``forbidden``; 404 ``not_found``; 405
``method_not_allowed``; 408 ``request_timeout`` (the body came too slowly); 409
``idempotency_conflict``, ``revocation_final``, ``agency_exists``; 413 ``too_large``;
415 ``unsupported_media_type``; 422 ``invalid_request``, ``unknown_type``,
``credential_too_large``, ``schema_invalid``, ``did_invalid``; 500 ``internal_error``;
503 ``unavailable``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from issuer.errors import (
    AgencyExistsError,
    ClaimsInvalidError,
    ConfigurationError,
    ForbiddenError,
    IdempotencyConflictError,
    InvalidRequestError,
    KeyStateError,
    NotFoundError,
    RevocationFinalError,
    UnauthorizedError,
    UnavailableError,
    UnsupportedMediaTypeError,
)
from trustid_http.problems import (
    PROBLEM_JSON,
    PROBLEM_SCHEMA,
    PROBLEM_TYPE_BASE,
    HTTPProblem,
    install_problem_handlers,
    problem_responses,
)
from vcore.errors import (
    DIDError,
    MalformedError,
    OAuthError,
    SchemaInvalidError,
    TokenTooLargeError,
    TrustIDError,
    TypeNotAccreditedError,
)

__all__ = [
    "AUTHENTICATE",
    "OAUTH_ERROR_SCHEMA",
    "PROBLEM_JSON",
    "PROBLEM_SCHEMA",
    "PROBLEM_TYPE_BASE",
    "install_issuer_problems",
    "install_oauth_errors",
    "problem_for",
    "problem_responses",
    "status_for",
]

AUTHENTICATE = 'Bearer realm="trustid-issuer"'

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
    KeyStateError: 409,
    UnavailableError: 503,
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


def problem_for(exc: TrustIDError) -> HTTPProblem | None:
    """The problem for a mapped error; None for a server fault (answered 500, logged)."""
    status = status_for(exc)
    if status is None:
        return None
    errors = exc.errors if isinstance(exc, InvalidRequestError | ClaimsInvalidError) else None
    return HTTPProblem(
        status,
        exc.code,
        exc.detail,
        title=exc.title,
        extra={"errors": [dict(e) for e in errors]} if errors else None,
    )


def install_issuer_problems(app: FastAPI) -> None:
    """Render every error of the issuer app as problem+json."""
    install_problem_handlers(
        app, service="issuer", map_error=problem_for, authenticate=AUTHENTICATE
    )


OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
"""The OAuth 2.0 error body (RFC 6749 §5.2) the protocol endpoints answer with."""


def install_oauth_errors(app: FastAPI) -> None:
    """Render :class:`OAuthError` as the spec's error JSON, not problem+json.

    A 401 carries ``WWW-Authenticate: DPoP`` with the error (RFC 9449 §7.1). Nothing is
    cached (RFC 6749 §5.1).
    """

    async def on_oauth(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OAuthError)  # noqa: S101 - registered for this class only
        headers = {"Cache-Control": "no-store"}
        if exc.status == 401:
            headers["WWW-Authenticate"] = f'DPoP error="{exc.code}", algs="ES256 EdDSA"'
        return JSONResponse(
            {"error": exc.code, "error_description": exc.detail},
            status_code=exc.status,
            headers=headers,
        )

    app.add_exception_handler(OAuthError, on_oauth)
