"""The verifier's request-level problems (RFC 9457), on the shared :mod:`trustid_http.problems`.

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

from fastapi import FastAPI, Request

from trustid_http.problems import (
    PROBLEM_JSON,
    PROBLEM_SCHEMA,
    HTTPProblem,
    install_problem_handlers,
    problem_responses,
)
from vcore.errors import QRError, TrustIDError
from verifier.errors import DecoderBusyError

__all__ = [
    "AUTHENTICATE",
    "PROBLEM_JSON",
    "PROBLEM_SCHEMA",
    "RequestProblem",
    "install_verifier_problems",
    "problem_from_error",
    "problem_responses",
]

AUTHENTICATE = 'Bearer realm="trustid-verifier"'

RequestProblem = HTTPProblem
"""A request that cannot be processed (status, code, detail); rendered as problem+json."""

_QR_STATUS = {"image_too_large": 413, "unsupported_media": 415}
# verifier.errors codes whose status is not 400 (service code raises no HTTP status).
_VERIFIER_STATUS = {
    "invalid_request": 422,
    "unauthorized": 401,
    "rate_limited": 429,
    "image_too_complex": 422,
    "busy": 503,
}


def problem_from_error(error: TrustIDError) -> HTTPProblem:
    """A request-level problem for a core error (QR decoding, request parsing)."""
    status = _QR_STATUS.get(error.code) or _VERIFIER_STATUS.get(error.code, 400)
    if not isinstance(error, QRError) and error.code == "too_large":
        status = 413
    headers = {}
    if isinstance(error, DecoderBusyError):
        headers["Retry-After"] = str(error.retry_after)
    return HTTPProblem(status, error.code, error.detail, title=error.title, headers=headers)


def _count(request: Request, code: str) -> None:
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.rejected.labels(code).inc()


def install_verifier_problems(app: FastAPI) -> None:
    """Render every error of the verifier app as problem+json; never a stack trace."""
    install_problem_handlers(
        app,
        service="verifier",
        map_error=problem_from_error,
        observe=_count,
        authenticate=AUTHENTICATE,
    )
