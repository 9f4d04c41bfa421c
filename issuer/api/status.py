"""``POST /credentials/status``, ``GET /status-lists/{list_id}`` (W3C Bitstring) and
``GET /statuslists/{list_id}`` (IETF Token Status List, for SD-JWT VC)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Response

from issuer.api.deps import PrincipalDep, ServicesDep, require_json
from issuer.api.models import StatusChangeRequest, StatusChangeResponse
from issuer.api.routing import StrictJSONRoute
from issuer.problems import problem_responses
from issuer.service.status import PublishedStatusList

router = APIRouter(route_class=StrictJSONRoute, tags=["status"])

VC_JWT = "application/vc+jwt"
STATUSLIST_JWT = "application/statuslist+jwt"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2 If-None-Match: weak comparison against a list or ``*``."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in if_none_match.split(","))


@router.post(
    "/credentials/status",
    response_model=StatusChangeResponse,
    dependencies=[Depends(require_json)],
    responses=problem_responses(
        {
            400: "Malformed JSON (`malformed`)",
            401: "Missing, invalid or revoked API key (`unauthorized`)",
            403: "Another agency's credential (`forbidden`) or the agency is disabled "
            "(`agency_disabled`)",
            404: "Unknown credential id (`not_found`)",
            408: "The body did not arrive within 60 s (`request_timeout`)",
            409: "The credential is revoked (`revocation_final`)",
            413: "Body over 32 KiB (`too_large`)",
            415: "Body is not JSON (`unsupported_media_type`)",
            422: "Invalid request (`invalid_request`)",
        }
    ),
    summary="Revoke, suspend or un-suspend a credential",
)
def change_status(
    body: StatusChangeRequest, principal: PrincipalDep, services: ServicesDep
) -> StatusChangeResponse:
    """Set (`status: true`) or clear a credential's revocation or suspension bit.

    Revocation is final. The change shows in the published list at the next fetch.
    """
    result = services.status.change(
        principal,
        body.credentialId,
        body.credentialStatus.statusPurpose,
        body.status,
        body.reason,
    )
    return StatusChangeResponse.of(result)


@router.get(
    "/status-lists/{list_id}",
    response_class=Response,
    responses={
        200: {"content": {VC_JWT: {}}, "description": "BitstringStatusListCredential (vc+jwt)"},
        304: {"description": "Not modified (If-None-Match)"},
        **problem_responses(
            {
                404: "No such status list (`not_found`)",
                422: "`list_id` is not an integer from 1 (`invalid_request`)",
            }
        ),
    },
    summary="A signed status list",
)
def get_status_list(
    list_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    services: ServicesDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The W3C Bitstring Status List credential, signed as `vc+jwt`, cacheable for its ttl."""
    return _served(services.status.published(list_id), if_none_match, VC_JWT)


@router.get(
    "/statuslists/{list_id}",
    response_class=Response,
    responses={
        200: {
            "content": {STATUSLIST_JWT: {}},
            "description": "IETF Token Status List (statuslist+jwt, 2 bits per entry)",
        },
        304: {"description": "Not modified (If-None-Match)"},
        **problem_responses(
            {
                404: "No such Token Status List (`not_found`)",
                422: "`list_id` is not an integer from 1 (`invalid_request`)",
            }
        ),
    },
    summary="A signed Token Status List (SD-JWT VC)",
)
def get_token_status_list(
    list_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    services: ServicesDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The IETF Token Status List of `dc+sd-jwt` credentials: `sub` (its URL), `iat`, `exp`,
    `ttl`; values 0 valid, 1 revoked, 2 suspended. Cacheable for its ttl."""
    return _served(
        services.status.published(list_id, token_list=True), if_none_match, STATUSLIST_JWT
    )


def _served(published: PublishedStatusList, if_none_match: str | None, media_type: str) -> Response:
    headers: dict[str, Any] = {
        "ETag": published.etag,
        "Cache-Control": f"max-age={published.max_age}, public",
    }
    if etag_matches(if_none_match, published.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=published.token, media_type=media_type, headers=headers)
