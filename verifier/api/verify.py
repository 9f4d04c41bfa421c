"""Verification routes (VC-API shaped): credentials, presentations, batches, QR."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from vcore.clock import format_datetime
from verifier.api.deps import (
    Caller,
    Service,
    caller_binding,
    challenge_policy_of,
    openapi_body,
    parse_json_body,
    take_cost,
)
from verifier.api.models import (
    ChallengeResponse,
    VerifyBatchRequest,
    VerifyCredentialRequest,
    VerifyPresentationRequest,
)
from verifier.problems import RequestProblem, problem_responses
from verifier.ratelimit import qr_decode_cost
from verifier.resolution import EvidenceBundle
from verifier.service import QRInput, report_status

router = APIRouter(tags=["verification"])

# The VC-API verification result (DESIGN §3).
_RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["verified", "checks"],
    "properties": {
        "verified": {"type": "boolean"},
        "checks": {"type": "array", "items": {"type": "object"}},
        "credential": {"type": "object"},
        "evidence": {
            "type": "object",
            "description": "With options.includeEvidence: what the decision was made on "
            "(trust list, DID documents, status lists, schemas, each with its fetch time); "
            "`trustid-verifier verify --offline` decides again from it with no network.",
        },
        "warnings": {"type": "array"},
        "problemDetails": {
            "type": "array",
            "items": {"type": "object", "required": ["code", "title", "detail"]},
        },
    },
}
_COMMON = {
    401: "API key missing, malformed or unknown once clients exist (`unauthorized`)",
    408: "The body did not arrive within 60 s (`request_timeout`)",
    422: "Request does not match the schema (`invalid_request`)",
    429: "Rate limit of this API key exceeded (`rate_limited`, with Retry-After); a batch "
    "of N costs N units, a QR image one per started 100 ms of decoding",
}


def _result_responses(
    not_verified: str, problems: dict[int, str]
) -> dict[int | str, dict[str, Any]]:
    """200 verified; 400 not verified (a result) or a request problem; the problems."""
    responses = problem_responses({**_COMMON, **problems})
    responses[200] = {
        "description": "Verified: {verified: true, checks, credential, warnings}",
        "content": {"application/json": {"schema": _RESULT_SCHEMA}},
    }
    bad = responses[400]
    responses[400] = {
        "description": f"{not_verified}; or {bad['description']}",
        "content": {"application/json": {"schema": _RESULT_SCHEMA}, **bad["content"]},
    }
    return dict(sorted(responses.items(), key=lambda item: int(item[0])))


_JSON_PROBLEMS = {
    400: "the body is not strict JSON (`malformed`; problem+json)",
    413: "Body over 64 KiB (`too_large`)",
    415: "Body is not JSON (`unsupported_media_type`)",
}
_RESULT = _result_responses(
    "Not verified: {verified: false, checks, problemDetails} (application/json)", _JSON_PROBLEMS
)
_BATCH = {
    200: {
        "description": "One result per item, in order: {results: [...]}",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["results"],
                    "properties": {"results": {"type": "array", "items": _RESULT_SCHEMA}},
                }
            }
        },
    },
    **problem_responses(
        dict(sorted({**_COMMON, **_JSON_PROBLEMS, 413: "Body over 8 MiB (`too_large`)"}.items()))
    ),
}
_QR = _result_responses(
    "Not verified (application/json)",
    {
        400: "No readable QR code, or one that holds no credential, or malformed multipart "
        "(`no_qr_found`, `qr_invalid`, `qr_too_large`, `malformed`; problem+json)",
        413: "Body over 8 MiB or image over 5 MiB / 16 megapixels (`too_large`, `image_too_large`)",
        415: "Not multipart/form-data or x-www-form-urlencoded, or an image that is not "
        "PNG/JPEG (`unsupported_media_type`, `unsupported_media`)",
    },
)


def _result(body: dict[str, Any], status: int) -> JSONResponse:
    # Results hold personal data: never cached by browsers or proxies.
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.post(
    "/credentials/verify",
    responses=_RESULT,
    openapi_extra=openapi_body(VerifyCredentialRequest),
    summary="Verify one credential",
)
async def verify_credential(request: Request, service: Service, _caller: Caller) -> JSONResponse:
    body = await parse_json_body(request, VerifyCredentialRequest)
    evidence = _evidence_option(body.options)
    report = await service.verify_credential(
        body.verifiableCredential,
        evidence=evidence,
        max_status_age=_max_status_age_option(body.options),
        require_key_binding=_key_binding_option(body.options),
    )
    return _result(_with_evidence(report.to_json(), evidence), report_status(report))


def _key_binding_option(options: dict[str, Any]) -> bool:
    """``options.requireKeyBinding``: refuse SD-JWTs without a KB-JWT (the configuration
    may require it anyway; the holder's token never decides)."""
    required = options.get("requireKeyBinding", False)
    if not isinstance(required, bool):
        raise RequestProblem(422, "invalid_request", "options.requireKeyBinding must be a boolean")
    return required


def _evidence_option(options: dict[str, Any]) -> EvidenceBundle | None:
    """``options.includeEvidence``: a bundle to record into, when true."""
    include = options.get("includeEvidence", False)
    if not isinstance(include, bool):
        raise RequestProblem(422, "invalid_request", "options.includeEvidence must be a boolean")
    return EvidenceBundle() if include else None


_MAX_STATUS_AGE_LIMIT = 86_400


def _max_status_age_option(options: dict[str, Any]) -> timedelta | None:
    """``options.maxStatusAge``: seconds, the oldest status list copy acceptable."""
    value = options.get("maxStatusAge")
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= _MAX_STATUS_AGE_LIMIT
    ):
        raise RequestProblem(
            422,
            "invalid_request",
            f"options.maxStatusAge must be a whole number of seconds from 0 to {_MAX_STATUS_AGE_LIMIT}",
        )
    return timedelta(seconds=value)


def _with_evidence(body: dict[str, Any], evidence: EvidenceBundle | None) -> dict[str, Any]:
    if evidence is not None:
        body["evidence"] = evidence.to_json()
    return body


@router.post(
    "/credentials/verify/batch",
    responses=_BATCH,
    openapi_extra=openapi_body(VerifyBatchRequest),
    summary="Verify up to 1,000 credentials with shared fetches",
)
async def verify_batch(request: Request, service: Service, caller: Caller) -> JSONResponse:
    body = await parse_json_body(request, VerifyBatchRequest)
    values = [
        item.get("verifiableCredential") if isinstance(item, dict) else item for item in body.items
    ]
    # A batch of N counts N against the key's rate limit (the request itself took one).
    await take_cost(request, caller, len(values) - 1)
    evidence = _evidence_option(body.options)
    reports = await service.verify_batch(
        values,
        evidence=evidence,
        max_status_age=_max_status_age_option(body.options),
        require_key_binding=_key_binding_option(body.options),
    )
    return _result(_with_evidence({"results": [r.to_json() for r in reports]}, evidence), 200)


@router.post(
    "/presentations/verify",
    responses=_RESULT,
    openapi_extra=openapi_body(VerifyPresentationRequest),
    summary="Verify a presentation (nonce, audience, holder binding, every credential)",
)
async def verify_presentation(request: Request, service: Service, caller: Caller) -> JSONResponse:
    body = await parse_json_body(request, VerifyPresentationRequest)
    report = await service.verify_presentation(
        body.verifiablePresentation,
        challenge=body.options.challenge,
        domain=body.options.domain,
        caller=caller_binding(request, caller),
        challenge_policy=challenge_policy_of(caller),
    )
    return _result(report.to_json(), report_status(report))


@router.post(
    "/challenges",
    response_model=ChallengeResponse,
    responses=problem_responses({401: _COMMON[401], 429: _COMMON[429]}),
    summary="Get a fresh challenge, bound to you (your API key or counter session), 5 min",
)
async def new_challenge(request: Request, service: Service, caller: Caller) -> ChallengeResponse:
    issued = await anyio.to_thread.run_sync(
        service.challenges.issue, caller_binding(request, caller)
    )
    return ChallengeResponse(
        challenge=issued.challenge,
        domain=service.audience,
        expiresAt=format_datetime(issued.expires_at),
        expiresIn=int(service.challenges.lifetime.total_seconds()),
    )


_MAX_FORM_TEXT = 64 * 1024


def _form_text(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestProblem(422, "invalid_request", f"'{name}' must be a text field")
    return value


_QR_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "PNG/JPEG"},
                        "text": {"type": "string", "description": "The QR code's text"},
                        "challenge": {"type": "string", "description": "For presentations"},
                        "domain": {"type": "string", "description": "For presentations"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/verify/qr",
    responses=_QR,
    openapi_extra=_QR_FORM,
    summary="Verify a QR code: multipart 'file' (PNG/JPEG) or 'text', optional challenge/domain",
)
async def verify_qr(request: Request, service: Service, caller: Caller) -> JSONResponse:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise RequestProblem(
            415, "unsupported_media_type", "send multipart/form-data with 'file' or 'text'"
        )
    # Malformed multipart becomes Starlette's HTTP 400 (rendered as problem+json); an
    # oversize body becomes 413 from the body-limit middleware while it is read.
    decoded: list[float] = []
    async with request.form(max_files=1, max_fields=8, max_part_size=_MAX_FORM_TEXT) as form:
        upload = form.get("file")
        image: bytes | None = None
        content_type: str | None = None
        if isinstance(upload, UploadFile):
            image = await upload.read()
            content_type = upload.content_type
        elif upload is not None:
            raise RequestProblem(422, "invalid_request", "'file' must be an uploaded file")
        qr = QRInput(
            image=image,
            content_type=content_type,
            text=_form_text(form.get("text"), "text"),
            challenge=_form_text(form.get("challenge"), "challenge") or None,
            domain=_form_text(form.get("domain"), "domain") or None,
            caller=caller_binding(request, caller),
            challenge_policy=challenge_policy_of(caller),
            on_decoded=decoded.append,
        )
    try:
        report = await service.verify_qr(qr)
    finally:
        # An image counts its decode time (verifier.ratelimit.qr_decode_cost), also when
        # decoding failed or ran over its budget; the request itself took one unit.
        if decoded:
            await take_cost(request, caller, qr_decode_cost(decoded[0]) - 1, refuse=False)
    return _result(report.to_json(), report_status(report))
