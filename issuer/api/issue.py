"""``POST /credentials/issue``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from issuer.api.deps import IdempotencyKeyHeader, PrincipalDep, ServicesDep, require_json
from issuer.api.models import IssueRequest, IssueResponse
from issuer.api.routing import StrictJSONRoute
from issuer.problems import problem_responses
from vcore.formats import envelope_credential

router = APIRouter(route_class=StrictJSONRoute, tags=["credentials"])

_PROBLEMS = problem_responses(
    {
        400: "Malformed JSON (`malformed`)",
        401: "Missing, invalid or revoked API key (`unauthorized`)",
        403: "Agency not accredited for this type (`type_not_accredited`) or disabled "
        "(`agency_disabled`)",
        409: "Idempotency-Key reused with another body (`idempotency_conflict`)",
        408: "The body did not arrive within 60 s (`request_timeout`)",
        413: "Body over 32 KiB (`too_large`)",
        415: "Body is not JSON (`unsupported_media_type`)",
        422: "Invalid request (`invalid_request`, `unknown_type`, `schema_invalid`, "
        "`did_invalid`, `credential_too_large`)",
    }
)


@router.post(
    "/credentials/issue",
    status_code=201,
    response_model=IssueResponse,
    dependencies=[Depends(require_json)],
    responses=_PROBLEMS,
    summary="Issue a credential",
)
def issue_credential(
    body: IssueRequest,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKeyHeader,
    response: Response,
) -> dict[str, Any]:
    """Sign a credential for the holder in `credentialSubject.id` (VC-API "issue").

    The issuer sets `id`, `issuer`, `validFrom`, `validUntil` (unless given),
    `credentialStatus` (a revocation and a suspension entry) and `credentialSchema`.
    """
    issued = services.issuance.issue(principal, body.to_command(), idempotency_key)
    # The body holds a citizen's personal data: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    if issued.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {"verifiableCredential": envelope_credential(issued.token)}
