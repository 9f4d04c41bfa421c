"""Bulk endpoints: ``POST /credentials/issue/batch`` and ``POST /credentials/status/batch``.

Both answer per item (issuance) or with counts (status), never half a batch: each item
of an issuance batch is validated alone and a refused one is its own problem in
``results`` (the others are issued); a status batch is one transaction.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from issuer.api.deps import PrincipalDep, ServicesDep, require_json
from issuer.api.models import IssueRequest
from issuer.api.routing import StrictJSONRoute
from issuer.errors import InvalidRequestError
from issuer.problems import problem_for, problem_responses
from issuer.service import IssueCommand, IssuedCredential
from issuer.service.bulk_status import MAX_IDS, BulkStatusResult, Selection
from trustid_http.problems import HTTPProblem, field_errors
from vcore.clock import parse_datetime
from vcore.errors import MalformedError, TrustIDError
from vcore.formats import envelope_credential

__all__ = ["MAX_BATCH_ITEMS", "router"]

router = APIRouter(route_class=StrictJSONRoute, tags=["bulk"])

MAX_BATCH_ITEMS = 1000
_KEY_PATTERN = r"^[\x20-\x7e]{1,255}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _ItemKey(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    idempotencyKey: Annotated[str, Field(pattern=_KEY_PATTERN)] | None = None  # noqa: N815


def _item(raw: object) -> tuple[IssueRequest, str | None]:
    """One item: ``POST /credentials/issue``'s body plus an optional ``idempotencyKey``.

    Raises:
        ValidationError: the item does not have that shape.
    """
    key = _ItemKey.model_validate(raw).idempotencyKey
    assert isinstance(raw, dict)  # noqa: S101 - _ItemKey accepted it, so it is an object
    request = IssueRequest.model_validate({k: v for k, v in raw.items() if k != "idempotencyKey"})
    return request, key


class IssueBatchRequest(_Strict):
    """``{"items": [{"credential", "options", "idempotencyKey"}, ...]}`` (at most 1,000)."""

    items: list[Any] = Field(description="Issue requests, each validated on its own.")


def _problem(problem: HTTPProblem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "https://trustid.example/problems/" + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
    }
    body.update(problem.extra)
    return body


def _refused(exc: TrustIDError) -> dict[str, Any]:
    problem = problem_for(exc) or HTTPProblem(500, "internal_error", "the item failed")
    return {"status": problem.status, "problem": _problem(problem)}


def _issued(issued: IssuedCredential) -> dict[str, Any]:
    return {
        "status": 200 if issued.replayed else 201,
        "verifiableCredential": envelope_credential(issued.token),
        "credentialId": issued.credential_id,
        "credentialStatus": list(issued.status),
        **({"replayed": True} if issued.replayed else {}),
    }


_ISSUE_PROBLEMS = problem_responses(
    {
        400: "Malformed JSON (`malformed`)",
        401: "Missing, invalid or revoked API key (`unauthorized`)",
        403: "The agency is disabled (`agency_disabled`)",
        408: "The body did not arrive within 60 s (`request_timeout`)",
        413: "More than 1,000 items (`batch_too_large`) or a body over 8 MiB (`too_large`)",
        415: "Body is not JSON (`unsupported_media_type`)",
        422: "The body is not `{items: [...]}` (`invalid_request`)",
    }
)


@router.post(
    "/credentials/issue/batch",
    dependencies=[Depends(require_json)],
    responses=_ISSUE_PROBLEMS,
    summary="Issue up to 1,000 credentials, with a result per item",
)
def issue_batch(
    body: IssueBatchRequest, principal: PrincipalDep, services: ServicesDep
) -> dict[str, Any]:
    """Each item is `POST /credentials/issue`'s body plus an optional `idempotencyKey`.

    `results[i]` answers `items[i]`: `{status: 201, verifiableCredential, credentialId,
    credentialStatus}` (200 with `replayed: true` for a retried key), or `{status, problem}`
    for an item refused alone (the others are issued). Valid items are reserved, signed
    and recorded in chunks, one transaction per chunk.
    """
    if len(body.items) > MAX_BATCH_ITEMS:
        raise HTTPProblem(
            413,
            "batch_too_large",
            f"{len(body.items)} items; a batch holds at most {MAX_BATCH_ITEMS:,}",
        )
    results: list[dict[str, Any] | None] = [None] * len(body.items)
    commands: list[tuple[IssueCommand, str | None]] = []
    positions: list[int] = []
    for index, raw in enumerate(body.items):
        try:
            request, key = _item(raw)
        except ValidationError as exc:
            problem = HTTPProblem(
                422,
                "invalid_request",
                f"item {index} does not have the expected shape; see errors",
                extra={"errors": field_errors(exc.errors())},
            )
            results[index] = {"status": 422, "problem": _problem(problem)}
            continue
        commands.append((request.to_command(), key))
        positions.append(index)
    outcomes = services.issuance.issue_batch(principal, commands)
    for index, outcome in zip(positions, outcomes, strict=True):
        results[index] = (
            _refused(outcome) if isinstance(outcome, TrustIDError) else _issued(outcome)
        )
    return {"results": results}


class StatusBatchRequest(_Strict):
    """Select credentials by exactly one of ``credentialIds``, ``holder``, ``type``
    (with ``issuedFrom`` / ``issuedUntil``) or ``signedBy``; set ``statusPurpose``."""

    credentialIds: list[Annotated[str, Field(min_length=1, max_length=2048)]] | None = Field(  # noqa: N815
        default=None, max_length=MAX_IDS
    )
    holder: str | None = Field(default=None, min_length=1, max_length=4096)
    type: str | None = Field(default=None, min_length=1, max_length=200)
    issuedFrom: str | None = None  # noqa: N815
    issuedUntil: str | None = None  # noqa: N815
    signedBy: str | None = Field(default=None, min_length=1, max_length=4096)  # noqa: N815
    statusPurpose: str = Field(description="revocation or suspension")  # noqa: N815
    status: bool = Field(default=True, description="true sets; false lifts a suspension")
    reason: str = Field(min_length=1, max_length=500, description="Reason code, recorded")
    dryRun: bool = Field(default=False, description="Count only")  # noqa: N815

    def selection(self, agency_id: str) -> Selection:
        def when(value: str | None, name: str) -> Any:
            if value is None:
                return None
            try:
                return parse_datetime(value)
            except MalformedError as exc:
                raise InvalidRequestError(f"{name} must be an RFC 3339 date-time") from exc

        return Selection(
            ids=tuple(self.credentialIds or ()),
            holder=self.holder,
            type_name=self.type,
            issued_from=when(self.issuedFrom, "issuedFrom"),
            issued_until=when(self.issuedUntil, "issuedUntil"),
            signed_by=self.signedBy,
            agency_id=agency_id,
        )


def status_batch_body(result: BulkStatusResult) -> dict[str, Any]:
    return {
        "statusPurpose": result.purpose,
        "status": result.status,
        "matched": result.matched,
        "changed": result.changed,
        "unchanged": result.unchanged,
        "dryRun": result.dry_run,
        "listsRepublished": 0 if result.dry_run else len(result.lists),
    }


@router.post(
    "/credentials/status/batch",
    dependencies=[Depends(require_json)],
    responses=problem_responses(
        {
            400: "Malformed JSON (`malformed`)",
            401: "Missing, invalid or revoked API key (`unauthorized`)",
            404: "The selection matches none of the agency's credentials (`not_found`)",
            413: "Body over 8 MiB (`too_large`)",
            415: "Body is not JSON (`unsupported_media_type`)",
            422: "Not exactly one selector, a bad purpose, lifting a revocation "
            "(`invalid_request`)",
        }
    ),
    summary="Revoke or suspend many of the agency's credentials in one transaction",
)
def status_batch(
    body: StatusBatchRequest, principal: PrincipalDep, services: ServicesDep
) -> dict[str, Any]:
    """One transaction changes every selected credential of the calling agency; each
    affected status list is re-signed once. `dryRun: true` only counts."""
    result = services.bulk_status.change(
        body.selection(principal.agency_id),
        body.statusPurpose,
        body.status,
        body.reason,
        api_key_id=principal.api_key_id,
        dry_run=body.dryRun,
    )
    return status_batch_body(result)
