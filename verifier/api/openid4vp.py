"""OpenID4VP 1.0 routes: the verifier's DID document, presentation requests (API key),
and the protocol endpoints wallets call (request objects, responses).

The protocol endpoints answer errors as OAuth error JSON (``{"error",
"error_description"}``, OpenID4VP 1.0 §8.5), never problem+json.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import parse_qs

import anyio.to_thread
import qrcode
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage

from vcore.dcql import Preset, parse_dcql_query, preset_query, supported_formats
from vcore.errors import DcqlQueryError, TrustIDError
from vcore.openid4vp import ClientIdPrefix, ResponseMode
from vcore.outbound import did_web_url
from verifier.api.deps import Caller, Service, caller_binding, openapi_body, parse_json_body
from verifier.api.openid4vp_models import (
    PresentationRequestCreateRequest,
    PresentationRequestCreateResponse,
    PresentationRequestStateResponse,
)
from verifier.identity import VerifierIdentity
from verifier.openid4vp import OpenID4VPError, PresentationRequests
from verifier.problems import RequestProblem, problem_responses

router = APIRouter(tags=["openid4vp"])

_NO_STORE = {"Cache-Control": "no-store"}
_OAUTH_ERROR = {
    "description": "OAuth error JSON: {error, error_description}",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string"},
                    "error_description": {"type": "string"},
                },
            }
        }
    },
}


_AUTH = {
    401: "API key missing, malformed or unknown once clients exist (`unauthorized`)",
    429: "Rate limit of this API key exceeded (`rate_limited`, with Retry-After)",
}
_BODY = {
    400: "The body is not strict JSON (`malformed`)",
    408: "The body did not arrive within 60 s (`request_timeout`)",
    413: "Body over 64 KiB (`too_large`)",
    415: "Body is not JSON (`unsupported_media_type`)",
}
# Answered before the endpoint runs (the body limits, FastAPI's parameter checks), so
# as problem+json like every other route, not as the protocol's error JSON.
_LIMITS: dict[int | str, dict[str, Any]] = problem_responses(
    {
        408: "The body did not arrive within 60 s (`request_timeout`)",
        413: "Body over 64 KiB (`too_large`)",
    }
)
_PARAMETERS = problem_responses({422: "A malformed path parameter (`invalid_request`)"})


def _requests(request: Request) -> PresentationRequests:
    requests: PresentationRequests = request.app.state.presentation_requests
    return requests


def _oauth_error(exc: OpenID4VPError) -> JSONResponse:
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status,
        headers=_NO_STORE,
    )


@router.get("/.well-known/did.json", summary="The verifier's did:web document")
async def did_document(request: Request) -> JSONResponse:
    """The key that signs request objects, as a JsonWebKey verification method."""
    identity: VerifierIdentity = request.app.state.identity
    return JSONResponse(identity.did_document(), headers={"Cache-Control": "max-age=300"})


@router.get("/did.json", include_in_schema=False)
async def did_document_under_path(request: Request) -> JSONResponse:
    # did:web with a path resolves to <path>/did.json (behind a prefix-stripping proxy).
    return await did_document(request)


def _issuer_urls(request: Request, service: Service) -> list[str]:
    """Base URLs of the trusted did:web issuers: the vct prefixes the presets accept
    (``http`` only for a host allow-listed for development, as their DID documents)."""
    allow = request.app.state.settings.allow_hosts
    urls = []
    for entry in service.trust_source.current():
        try:
            document = did_web_url(entry.id, allow)
        except TrustIDError:
            continue
        urls.append(document.removesuffix("/did.json").removesuffix("/.well-known"))
    return urls


@router.post(
    "/presentation-requests",
    status_code=201,
    response_model=PresentationRequestCreateResponse,
    openapi_extra=openapi_body(PresentationRequestCreateRequest),
    responses=problem_responses(
        {
            **_AUTH,
            **_BODY,
            409: "A preset, and no trusted did:web issuer to take its types from "
            "(`no_trusted_issuer`)",
            422: "Neither or both of dcql_query and preset, or an invalid DCQL query "
            "(`invalid_request`, `dcql_invalid`)",
        }
    ),
    summary="Ask a wallet for credentials (OpenID4VP 1.0 with DCQL)",
)
async def create_presentation_request(
    request: Request, service: Service, caller: Caller
) -> JSONResponse:
    body = await parse_json_body(request, PresentationRequestCreateRequest)
    if (body.dcql_query is None) == (body.preset is None):
        raise RequestProblem(422, "invalid_request", "send exactly one of dcql_query and preset")
    if body.preset is not None:
        urls = _issuer_urls(request, service)
        if not urls:
            raise RequestProblem(
                409, "no_trusted_issuer", "the trust list has no did:web issuer to ask for"
            )
        query = preset_query(Preset(body.preset), urls)
    else:
        try:
            query = parse_dcql_query(body.dcql_query)
        except DcqlQueryError as exc:
            raise RequestProblem(422, exc.code, exc.detail) from exc
        unsupported = [c.format for c in query.credentials if c.format not in supported_formats()]
        if unsupported:
            raise RequestProblem(
                422, "dcql_invalid", f"format {unsupported[0]!r} is not verified here"
            )
    created = await anyio.to_thread.run_sync(
        lambda: _requests(request).create(
            caller_binding(request, caller),
            query,
            response_mode=ResponseMode(body.responseMode),
            prefix=ClientIdPrefix(body.clientIdPrefix),
        )
    )
    out = PresentationRequestCreateResponse(
        id=created.id,
        request=created.link,
        requestUri=created.request_uri,
        expiresAt=created.expires_at.isoformat().replace("+00:00", "Z"),
    )
    return JSONResponse(out.model_dump(), status_code=201, headers=_NO_STORE)


def _status(request: Request, caller: Caller, request_id: str) -> dict[str, Any]:
    try:
        return _requests(request).status(request_id, caller_binding(request, caller))
    except OpenID4VPError as exc:
        raise RequestProblem(404, "not_found", "no such presentation request of yours") from exc


@router.get(
    "/presentation-requests/{request_id}",
    response_model=PresentationRequestStateResponse,
    responses=problem_responses(
        {**_AUTH, 404: "Not a request of yours (`not_found`)", 422: "A malformed request id"}
    ),
    summary="The state of a presentation request, and its report once answered",
)
async def presentation_request_state(
    request: Request, caller: Caller, request_id: str
) -> JSONResponse:
    body = await anyio.to_thread.run_sync(_status, request, caller, request_id)
    return JSONResponse(body, headers=_NO_STORE)


@router.get(
    "/presentation-requests/{request_id}/qr.png",
    responses={
        200: {"content": {"image/png": {}}, "description": "The openid4vp:// link as a QR code"},
        **problem_responses(
            {**_AUTH, 404: "Not a request of yours (`not_found`)", 422: "A malformed request id"}
        ),
    },
    summary="The request's link as a QR code (PNG)",
)
async def presentation_request_qr(request: Request, caller: Caller, request_id: str) -> Response:

    await anyio.to_thread.run_sync(_status, request, caller, request_id)
    requests = _requests(request)
    link = requests.link_of(request_id)
    code = qrcode.QRCode(
        border=4, box_size=8, error_correction=ERROR_CORRECT_M, image_factory=PilImage
    )
    code.add_data(link)
    code.make(fit=True)
    buffer = BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return Response(buffer.getvalue(), media_type="image/png", headers=_NO_STORE)


@router.get(
    "/request-objects/{request_id}",
    responses={
        200: {
            "content": {"application/oauth-authz-req+jwt": {}},
            "description": "The request object (RFC 9101), signed with the verifier's did:web "
            "key (client_id decentralized_identifier:...) or unsigned (redirect_uri:...)",
        },
        400: _OAUTH_ERROR,
        404: _OAUTH_ERROR,
        **_PARAMETERS,
    },
    summary="OpenID4VP request object (wallets fetch it from the link's request_uri)",
)
async def request_object(request: Request, request_id: str) -> Response:
    try:
        token = await anyio.to_thread.run_sync(_requests(request).request_object, request_id)
    except OpenID4VPError as exc:
        return _oauth_error(exc)
    return Response(token, media_type="application/oauth-authz-req+jwt", headers=_NO_STORE)


_FORM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "vp_token": {
                            "type": "string",
                            "description": "direct_post: JSON {credential query id: [presentation]}",
                        },
                        "state": {"type": "string"},
                        "response": {
                            "type": "string",
                            "description": "direct_post.jwt: the JWE of {vp_token, state}",
                        },
                        "error": {"type": "string"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/responses/{request_id}",
    openapi_extra=_FORM_BODY,
    responses={
        200: {"description": "Accepted and verified: {}"},
        400: _OAUTH_ERROR,
        404: _OAUTH_ERROR,
        **_LIMITS,
        **_PARAMETERS,
    },
    summary="OpenID4VP response endpoint (direct_post, direct_post.jwt)",
)
async def post_response(request: Request, request_id: str) -> JSONResponse:
    media = request.headers.get("content-type", "").split(";")[0].strip()
    if media != "application/x-www-form-urlencoded":
        return _oauth_error(
            OpenID4VPError("invalid_request", "send application/x-www-form-urlencoded")
        )
    raw = (await request.body()).decode("utf-8", errors="replace")
    fields = parse_qs(raw, keep_blank_values=True)
    if any(len(v) != 1 for v in fields.values()):
        return _oauth_error(OpenID4VPError("invalid_request", "a parameter is repeated"))
    form = {k: v[0] for k, v in fields.items()}
    try:
        body = await _requests(request).answer(request_id, form)
    except OpenID4VPError as exc:
        return _oauth_error(exc)
    return JSONResponse(body, headers=_NO_STORE)
