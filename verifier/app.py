"""The verifier application factory.

``create_app(settings=None)`` wires settings -> resolvers -> service -> routes; nothing
is built at import time. Tests pass ``transport`` (an ``httpx.MockTransport``),
``host_resolver`` and ``clock`` to run the real app without a network. The HTTP
plumbing (problem+json, body limits, security headers, offline API docs) is the shared
:mod:`trustid_http`.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from trustid_http.address_limits import AddressRateLimitMiddleware
from trustid_http.docs import install_offline_docs
from trustid_http.headers import SecurityHeadersMiddleware
from trustid_http.limits import BodyLimitMiddleware
from trustid_http.outbound import HostResolver, resolve_host
from trustid_http.problems import ServerErrorGuard
from vcore.clock import Clock, system_clock
from vcore.errors import OutboundURLError, TrustIDError, TrustListError
from vcore.jsontext import loads_strict
from vcore.keys import PublicKey, public_key_from_jwk
from verifier.api import openid4vp, ops, verify
from verifier.api.hot_path import HotVerifyRoute
from verifier.challenges import SESSION_COOKIE, new_session_id
from verifier.clients import ClientRegistry
from verifier.identity import load_identity
from verifier.key_cache import signal_for
from verifier.keystore import load_kek
from verifier.limits import is_protocol_path, limit_for_path
from verifier.metrics import VerifierMetrics
from verifier.openid4vp import PresentationRequests
from verifier.problems import RequestProblem, install_verifier_problems
from verifier.ratelimit import build_address_limiter, build_limiter
from verifier.resolution import (
    Fetcher,
    KeyResolver,
    SchemaResolver,
    StatusListResolver,
    TrustListSource,
    build_http_client,
)
from verifier.service import VerifierService
from verifier.settings import VerifierSettings, get_settings
from verifier.storage import make_engine
from verifier.trust_marks import TrustListMarks

__all__ = ["COUNTER_CSP", "OPEN_MODE_WARNING", "WEB_DIR", "create_app", "load_anchor"]

log = logging.getLogger("trustid.verifier")

WEB_DIR = Path(__file__).resolve().parent / "web"
# The counter page shows personal data: own origin only, no inline script or style,
# the camera for the page itself.
COUNTER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; font-src 'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
COUNTER_PERMISSIONS = "camera=(self), microphone=(), geolocation=()"
OPEN_MODE_WARNING = (
    "NO API CLIENTS: the verifier is OPEN, anyone can call it. Development only. "
    "Create one with `trustid-verifier client create NAME` to require API keys."
)


def load_anchor(path: Path | None) -> PublicKey | None:
    """The trust anchor's public key from a JWK file (``TRUSTID_TRUST_ANCHOR``).

    Raises:
        TrustListError: unreadable file or not a public P-256/Ed25519 JWK.
    """
    if path is None:
        return None
    try:
        jwk = loads_strict(path.read_bytes())
    except OSError as exc:
        raise TrustListError(f"cannot read TRUSTID_TRUST_ANCHOR {path}: {exc.strerror}") from exc
    except TrustIDError as exc:
        raise TrustListError(f"TRUSTID_TRUST_ANCHOR {path} is not JSON") from exc
    if isinstance(jwk, dict) and "keys" in jwk and isinstance(jwk["keys"], list):
        keys = jwk["keys"]
        if len(keys) != 1:
            raise TrustListError("TRUSTID_TRUST_ANCHOR must hold exactly one key")
        jwk = keys[0]
    if isinstance(jwk, dict) and "d" in jwk:
        raise TrustListError("TRUSTID_TRUST_ANCHOR must be the PUBLIC key (it has 'd')")
    try:
        return public_key_from_jwk(jwk)
    except TrustIDError as exc:
        raise TrustListError(f"TRUSTID_TRUST_ANCHOR: {exc.detail}") from exc


def create_app(
    settings: VerifierSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    host_resolver: HostResolver | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    """Build the verifier app.

    Args:
        settings: Defaults to :func:`verifier.settings.get_settings`.
        transport: Outbound transport (tests: ``httpx.MockTransport``); default guarded.
        host_resolver: Name resolution for the address policy (tests: a fake map).
        clock: Time source.

    Raises:
        TrustListError: the trust anchor is unusable.
        OutboundURLError: ``TRUSTID_ALLOW_INSECURE_HOSTS`` / ``_PRIVATE_HOSTS`` is
            malformed, or ``TRUSTID_CA_FILE`` holds no usable certificate.
    """
    settings = settings or get_settings()
    allow = settings.allow_hosts
    anchor = load_anchor(settings.trust_anchor)
    metrics = VerifierMetrics()
    try:
        client = build_http_client(allow, transport=transport, ca_file=settings.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise OutboundURLError(f"TRUSTID_CA_FILE {settings.ca_file}: no usable CA ({exc})") from exc
    engine = make_engine(
        settings.db_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
    )
    fetcher = Fetcher(
        client, allow=allow, resolver=host_resolver or resolve_host, events=metrics.event
    )
    trust_source = TrustListSource(
        settings.trust_list,
        anchor=anchor,
        fetcher=fetcher,
        clock=clock,
        marks=None if anchor is None else TrustListMarks(engine, anchor),
    )
    keys = KeyResolver(fetcher, trust_source.current, clock=clock, events=metrics.event)
    service = VerifierService(
        trust_source=trust_source,
        keys=keys,
        status_lists=StatusListResolver(
            fetcher,
            keys,
            trust_source.current,
            max_age=settings.status_max_age,
            stale_if_error=settings.stale_if_error,
            clock=clock,
            events=metrics.event,
        ),
        schemas=SchemaResolver(fetcher, clock=clock, events=metrics.event),
        engine=engine,
        metrics=metrics,
        audience=settings.audience,
        require_key_binding=settings.verifier_require_key_binding,
        clock=clock,
    )
    clients = ClientRegistry(
        engine,
        clock=clock,
        signal=signal_for(
            engine, redis_url=settings.redis_url, redis_prefix=settings.redis_key_prefix
        ),
    )
    # An empty TRUSTID_MASTER_KEY (a shared environment's placeholder) means "use the file".
    master_key = settings.master_key.get_secret_value() if settings.master_key else None
    identity = load_identity(
        engine, load_kek(master_key or None, settings.data_dir), settings.verifier_url, clock=clock
    )
    presentation_requests = PresentationRequests(
        engine=engine,
        identity=identity,
        service=service,
        base_url=settings.verifier_url,
        clock=clock,
    )
    rate_limiter = build_limiter(
        settings.redis_url, settings.verifier_rate_limit, prefix=settings.redis_key_prefix
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.trust_list:
            trust = await trust_source.load()
            log.info("trust list: %d issuer(s), signed=%s", len(trust), trust.signed)
        else:
            log.warning("TRUSTID_TRUST_LIST is not set: no issuer is trusted")
        if not clients.any():
            log.warning(OPEN_MODE_WARNING)
        try:
            yield
        finally:
            await client.aclose()
            rate_limiter.close()
            clients.close()
            engine.dispose()

    app = FastAPI(
        title="TrustID Verifier",
        version="0.1.0",
        description="Verify W3C Verifiable Credentials and Presentations (vc+jwt, VC-JWT 1.1).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.service = service
    app.state.metrics = metrics
    app.state.clients = clients
    app.state.identity = identity
    app.state.presentation_requests = presentation_requests
    app.state.rate_limiter = rate_limiter
    install_offline_docs(app, docs_url="/docs", redoc_url="/redoc")
    install_verifier_problems(app)
    app.include_router(verify.router)
    app.include_router(ops.router)
    app.include_router(openid4vp.router)

    @app.get("/", include_in_schema=False)
    async def counter_page(request: Request) -> FileResponse:
        index = WEB_DIR / "index.html"
        if not index.is_file():
            raise RequestProblem(404, "not_found", "the counter page is not installed")
        page = FileResponse(index, headers={"Cache-Control": "no-cache"})
        if not request.cookies.get(SESSION_COOKIE):
            # The counter's session: challenges asked for without an API key are bound
            # to it, so another page (or a script that saw the challenge) cannot use them.
            page.set_cookie(
                SESSION_COOKIE,
                new_session_id(),
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
                path="/",
            )
        return page

    app.mount("/static", StaticFiles(directory=WEB_DIR, check_dir=False), name="static")
    # Last added runs first: headers on every answer (also the guard's 500), then the
    # last-resort guard, then the body limit, then the anonymous endpoints' address limit,
    # then the hot route's pure-ASGI dispatch.
    app.add_middleware(HotVerifyRoute)
    app.add_middleware(
        AddressRateLimitMiddleware,
        limiter=build_address_limiter(rate_limiter, settings.protocol_rate_limit),
        applies=is_protocol_path,
    )
    app.add_middleware(BodyLimitMiddleware, limit=limit_for_path)
    app.add_middleware(ServerErrorGuard, service="verifier")
    app.add_middleware(
        SecurityHeadersMiddleware, csp=COUNTER_CSP, permissions_policy=COUNTER_PERMISSIONS
    )
    return app
