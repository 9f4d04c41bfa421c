"""``GET /healthz``: ok, or degraded naming the failing component (codes only).

Unauthenticated, so it says nothing an attacker could use: no database URL, host, path
or driver message, only ``{"status", "failing", "components": {"database": {"status"}}}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from issuer.api.deps import ServicesDep
from issuer.errors import UnavailableError

router = APIRouter(tags=["operations"])

HEALTH: dict[str, Any] = {
    "type": "object",
    "required": ["status", "failing", "components"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "failing": {"type": "array", "items": {"type": "string"}},
        "components": {"type": "object"},
    },
}


@router.get(
    "/healthz",
    response_class=JSONResponse,
    responses={
        200: {"description": "Healthy", "content": {"application/json": {"schema": HEALTH}}},
        503: {
            "description": 'Degraded: `failing` names the component (`["database"]`)',
            "content": {"application/json": {"schema": HEALTH}},
        },
    },
    summary="Liveness: ok, or degraded naming the failing component",
)
def healthz(services: ServicesDep) -> JSONResponse:
    """200 ok when the database answers; 503 degraded with ``failing: ["database"]``."""
    try:
        services.publication.ping()
        database = "ok"
    except UnavailableError:
        database = "unavailable"
    failing = [] if database == "ok" else ["database"]
    body: dict[str, Any] = {
        "status": "degraded" if failing else "ok",
        "failing": failing,
        "components": {"database": {"status": database}},
    }
    return JSONResponse(body, status_code=503 if failing else 200)
