"""Health and metrics."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import Response

from verifier.metrics import CONTENT_TYPE, VerifierMetrics
from verifier.resolution import TrustListSource

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness and configuration summary")
async def healthz(request: Request) -> dict[str, Any]:
    source: TrustListSource = request.app.state.service.trust_source
    trust = source.current()
    open_mode = not await anyio.to_thread.run_sync(request.app.state.clients.any)
    return {
        "status": "ok",
        "open": open_mode,
        "trustList": {
            "issuers": len(trust),
            "signed": trust.signed,
            "loadedAt": None if source.loaded_at is None else source.loaded_at.isoformat(),
            "lastError": source.last_error,
        },
    }


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": f"Prometheus text format (`{CONTENT_TYPE}`)",
            "content": {CONTENT_TYPE.split(";")[0]: {}},
        }
    },
    summary="Prometheus metrics",
)
async def metrics(request: Request) -> Response:
    registry: VerifierMetrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE)
