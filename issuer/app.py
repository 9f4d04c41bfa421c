"""The issuer's FastAPI application: ``create_app(settings=None)``.

Nothing is built at import time. The lifespan opens the services (database migration,
first signing key) unless the caller passes ready ones (tests, the CLI's ``serve``).
Every error leaves as RFC 9457 problem+json (:mod:`issuer.problems`); an unexpected
exception is logged and answered with a bare 500 problem, never a trace. The API docs
(``/docs``) are served from local assets, so they work offline (:mod:`trustid_http.docs`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from issuer.api import bulk, health, issue, oid4vci, status, wellknown
from issuer.middleware import install_middleware
from issuer.problems import install_issuer_problems, install_oauth_errors
from issuer.service import IssuerServices, open_services
from issuer.settings import IssuerSettings, get_settings
from trustid_http.docs import install_offline_docs

__all__ = ["create_app"]

log = logging.getLogger("issuer")

_DESCRIPTION = """
Accredited agencies issue W3C Verifiable Credentials (VC Data Model 2.0 as `vc+jwt`, or
VC-JWT 1.1) and revoke or suspend them through W3C Bitstring Status Lists.

Authenticate with `Authorization: Bearer <API key>` (an agency key, `tid_...`, from
`trustid-issuer agency create`). Errors are RFC 9457 `application/problem+json` with a
stable `code`.
"""


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
        docs_url=None,
        redoc_url=None,
    )
    if services is not None:
        # Ready services are usable at once, also by ASGI hosts that skip the lifespan.
        app.state.services = services
    app.include_router(issue.router)
    app.include_router(bulk.router)
    app.include_router(status.router)
    app.include_router(oid4vci.router)
    app.include_router(wellknown.router)
    app.include_router(health.router)
    install_offline_docs(app, docs_url="/docs", redoc_url=None)
    install_issuer_problems(app)
    install_oauth_errors(app)
    install_middleware(app, protocol_rate_limit=settings.protocol_rate_limit)
    return app
