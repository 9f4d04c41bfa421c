"""``GET /healthz``."""

from __future__ import annotations

from fastapi import APIRouter

from issuer.api.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness and database reachability")
def healthz(services: ServicesDep) -> dict[str, str]:
    """200 `{"status": "ok"}` when the database answers; 503 `unavailable` otherwise."""
    services.publication.ping()
    return {"status": "ok"}
