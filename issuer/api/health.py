"""``GET /healthz``."""

from __future__ import annotations

from fastapi import APIRouter

from issuer.api.deps import ServicesDep
from issuer.problems import problem_responses

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    responses=problem_responses({503: "The database does not answer (`unavailable`)"}),
    summary="Liveness and database reachability",
)
def healthz(services: ServicesDep) -> dict[str, str]:
    """200 `{"status": "ok"}` when the database answers; 503 `unavailable` otherwise."""
    services.publication.ping()
    return {"status": "ok"}
