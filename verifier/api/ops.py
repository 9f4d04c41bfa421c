"""Health and metrics.

``/healthz`` answers ``{"status": "ok" | "degraded", "failing": [...], "components": {...}}``
with codes only (no path, URL or message: it is unauthenticated); 503 when degraded, so a
load balancer stops sending counters to a verifier that would refuse every issuer.

``/metrics`` is for operators: with ``TRUSTID_METRICS_TOKEN`` set it needs
``Authorization: Bearer <that token>``; without it, it is open only while the verifier
itself is open (no API clients) and refused (401) once any client exists. An API
client's key never opens it.
"""

from __future__ import annotations

import hmac
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from verifier.metrics import CONTENT_TYPE, VerifierMetrics
from verifier.problems import RequestProblem, problem_responses
from verifier.resolution import TrustListSource

router = APIRouter(tags=["operations"])

_METRICS_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="trustid-verifier-metrics"'}


_HEALTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "failing", "components"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "failing": {"type": "array", "items": {"type": "string"}},
        "open": {"type": "boolean"},
        "components": {"type": "object"},
    },
}


@router.get(
    "/healthz",
    summary="Liveness: ok, or degraded naming the failing component",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "Healthy",
            "content": {"application/json": {"schema": _HEALTH_SCHEMA}},
        },
        503: {
            "description": "Degraded: `failing` names the component(s) (not a problem+json: "
            "the same health document as 200)",
            "content": {"application/json": {"schema": _HEALTH_SCHEMA}},
        },
    },
)
async def healthz(request: Request) -> JSONResponse:
    source: TrustListSource = request.app.state.service.trust_source
    now = request.app.state.service.clock()
    trust = source.health(now)
    clients = request.app.state.clients
    open_mode = not (clients.any_cached() or await anyio.to_thread.run_sync(clients.any))
    failing = [] if trust["status"] == "ok" else ["trustList"]
    body: dict[str, Any] = {
        "status": "degraded" if failing else "ok",
        "failing": failing,
        "open": open_mode,
        "components": {"trustList": trust},
    }
    return JSONResponse(body, status_code=503 if failing else 200)


def _check_metrics_access(request: Request) -> None:
    token: str | None = request.app.state.settings.metrics_token
    given = request.headers.get("authorization", "")
    if token:
        scheme, _, value = given.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode("utf-8"), token.encode("utf-8")
        ):
            return
        raise RequestProblem(
            401,
            "unauthorized",
            "metrics need 'Authorization: Bearer <TRUSTID_METRICS_TOKEN>'",
            headers=_METRICS_CHALLENGE,
        )
    if request.app.state.clients.any():
        raise RequestProblem(
            401,
            "unauthorized",
            "API clients exist, so metrics are for operators only: set TRUSTID_METRICS_TOKEN "
            "and send it as a Bearer token",
            headers=_METRICS_CHALLENGE,
        )


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": f"Prometheus text format (`{CONTENT_TYPE}`)",
            "content": {CONTENT_TYPE.split(";")[0]: {}},
        },
        **problem_responses({401: "Operator token (`TRUSTID_METRICS_TOKEN`) missing or wrong"}),
    },
    summary="Prometheus metrics (operator token once clients exist or when set)",
)
async def metrics(request: Request) -> Response:
    await anyio.to_thread.run_sync(_check_metrics_access, request)
    registry: VerifierMetrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE)
