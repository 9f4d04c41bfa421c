"""The issuer's FastAPI application: ``create_app(settings=None)``.

Nothing is built at import time. The lifespan opens the services (database migration,
first signing key) unless the caller passes ready ones (tests, the CLI's ``serve``).
Every error leaves as RFC 9457 problem+json (:mod:`issuer.problems`); an unexpected
exception is logged and answered with a bare 500 problem, never a trace.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from issuer.api import health, issue, status, wellknown
from issuer.middleware import BodyLimitMiddleware, ResponseGuardMiddleware
from issuer.problems import error_response, http_status_problem, problem_response
from issuer.service import IssuerServices, open_services
from issuer.settings import MAX_ISSUE_BODY, IssuerSettings, get_settings
from vcore.errors import TrustIDError

__all__ = ["create_app"]

log = logging.getLogger("issuer")

_DESCRIPTION = """
Accredited agencies issue W3C Verifiable Credentials (VC Data Model 2.0 as `vc+jwt`, or
VC-JWT 1.1) and revoke or suspend them through W3C Bitstring Status Lists.

Authenticate with `Authorization: Bearer <API key>` (from `trustid-issuer agency create`).
Errors are RFC 9457 `application/problem+json` with a stable `code`.
"""


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # loc/msg/type only: pydantic's "input" would echo personal data back.
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ][:20]


async def _on_trustid_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TrustIDError)  # noqa: S101 - registered for this class only
    response = error_response(exc, instance=request.url.path)
    if response.status_code >= 500 and response.status_code != 503:
        log.error("unmapped %s on %s: %s", type(exc).__name__, request.url.path, exc.detail)
    elif response.status_code == 503:
        log.warning("%s on %s: %s", exc.code, request.url.path, exc.__cause__ or exc.detail)
    return response


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = exc.errors()
    broken = [e for e in errors if e.get("type") == "json_invalid"]
    if broken:
        reason = (broken[0].get("ctx") or {}).get("error", "not valid JSON")
        return problem_response(
            400,
            "malformed",
            "Malformed request",
            f"body is not acceptable JSON: {reason}",
            instance=request.url.path,
        )
    return problem_response(
        422,
        "invalid_request",
        "Invalid request",
        "the request does not have the expected shape; see errors",
        instance=request.url.path,
        errors=_field_errors(exc),
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    headers = dict(exc.headers or {})
    detail = exc.detail if isinstance(exc.detail, str) else None
    return http_status_problem(exc.status_code, detail, instance=request.url.path, headers=headers)


def create_app(
    settings: IssuerSettings | None = None, *, services: IssuerServices | None = None
) -> FastAPI:
    """Build the issuer app.

    Args:
        settings: Settings; read from the environment when None.
        services: Ready services (the caller keeps ownership); opened from ``settings``
            at startup and closed at shutdown when None.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        ready = (
            services if services is not None else await run_in_threadpool(open_services, settings)
        )
        app.state.services = ready
        log.info(
            "issuer %s (%s) ready; types: %s",
            ready.ctx.issuer_did,
            settings.issuer_url,
            ", ".join(ready.ctx.types),
        )
        try:
            yield
        finally:
            if owned:
                ready.close()

    app = FastAPI(
        title="TrustID Issuer",
        version="0.1.0",
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    if services is not None:
        # Ready services are usable at once, also by ASGI hosts that skip the lifespan.
        app.state.services = services
    app.include_router(issue.router)
    app.include_router(status.router)
    app.include_router(wellknown.router)
    app.include_router(health.router)
    app.add_exception_handler(TrustIDError, _on_trustid_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    # Last added runs first: the guard wraps everything, the body limit sits inside it.
    app.add_middleware(BodyLimitMiddleware, limit=MAX_ISSUE_BODY)
    app.add_middleware(ResponseGuardMiddleware)
    return app
