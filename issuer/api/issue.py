"""``POST /credentials/issue``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from issuer.api.deps import IdempotencyKeyHeader, PrincipalDep, ServicesDep, require_json
from issuer.api.models import IssueRequest, IssueResponse
from issuer.api.routing import StrictJSONRoute
from issuer.problems import problem_responses
from issuer.service import IssuedCredential
from vcore.formats import envelope_credential

router = APIRouter(route_class=StrictJSONRoute, tags=["credentials"])

_PROBLEMS = problem_responses(
    {
        400: "Malformed JSON (`malformed`), or a VC Data Model 2.0 rule broken (`vcdm_*`: "
        "the code names the rule, e.g. `vcdm_context`, `vcdm_validity`)",
        401: "Missing, invalid or revoked API key (`unauthorized`)",
        403: "Agency not accredited for this type (`type_not_accredited`) or disabled "
        "(`agency_disabled`)",
        409: "Idempotency-Key reused with another body (`idempotency_conflict`)",
        408: "The body did not arrive within 60 s (`request_timeout`)",
        413: "Body over 32 KiB (`too_large`)",
        415: "Body is not JSON (`unsupported_media_type`)",
        422: "Invalid request (`invalid_request`, `unknown_type`, `issuer_mismatch`, "
        "`schema_invalid`, `did_invalid`, `credential_too_large`)",
    }
)


@router.post(
    "/credentials/issue",
    status_code=201,
    response_model=IssueResponse,
    response_model_exclude_unset=True,
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
    """Sign a credential (VC-API "issue"): any credential VC Data Model 2.0 allows and
    the agency's accreditation permits.

    The issuer sets `id`, `issuer`, `validFrom`, `validUntil` (each unless given), adds
    its `credentialStatus` entries (revocation, suspension) and the type's
    `credentialSchema`. The response carries `credentialId` and those status entries
    beside the envelope, so a revoke needs no JWT decoding.
    """
    issued = services.issuance.issue(principal, body.to_command(), idempotency_key)
    # The body holds a citizen's personal data: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    if issued.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    answer = _copy(issued)
    if issued.copies:
        answer["copies"] = [_copy(c) for c in issued.copies]
    return answer


def _copy(issued: IssuedCredential) -> dict[str, Any]:
    return {
        "verifiableCredential": envelope_credential(issued.token),
        "credentialId": issued.credential_id,
        "credentialStatus": list(issued.status),
    }
