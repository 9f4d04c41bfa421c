"""OpenID4VCI 1.0 (pre-authorized code flow) and its OAuth metadata.

Agency API (problem+json errors): ``POST /credential-offers``,
``GET /credential-offers/{offerId}/qr.png``. Wallet-facing protocol endpoints (errors as
``{"error", "error_description"}`` with the spec's codes, :func:`issuer.problems.
install_oauth_errors`): ``GET /credential-offer/{id}``, ``POST /token``, ``POST /nonce``,
``POST /credential``, and the two well-known metadata documents. Bodies of the protocol
endpoints are read here, not by FastAPI, so a malformed one is the spec's
``invalid_request`` and never a 422.
"""

from __future__ import annotations

import io
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from issuer.api.deps import PrincipalDep, ServicesDep, require_json
from issuer.api.models import (
    CredentialOfferRequest,
    CredentialOfferResponse,
    CredentialResponse,
    NonceResponse,
    TokenResponse,
)
from issuer.api.routing import StrictJSONRoute
from issuer.api.wellknown import published_document
from issuer.problems import OAUTH_ERROR_SCHEMA, problem_responses
from issuer.service import IssuerServices
from issuer.service.oid4vci_metadata import (
    authorization_server_metadata,
    issuer_metadata,
    signed_issuer_metadata,
)
from trustid_http.json import loads_request
from vcore.clock import format_datetime
from vcore.errors import InvalidCredentialRequestError, OAuthRequestError, TrustIDError

router = APIRouter(route_class=StrictJSONRoute, tags=["openid4vci"])

_NO_STORE = {"Cache-Control": "no-store"}
_CACHE = {"Cache-Control": "max-age=300, public"}


def _oauth_errors(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": text,
            "content": {"application/json": {"schema": OAUTH_ERROR_SCHEMA}},
        }
        for status, text in described.items()
    } | problem_responses(
        # FastAPI's own parameter checks run before the endpoint: answered as problem+json
        # like every other route (bodies are read here, so never for a body).
        {422: "A malformed path or header parameter (`invalid_request`)"}
    )


# -- metadata ------------------------------------------------------------------------------


def _metadata_response(services: IssuerServices, request: Request) -> Response:
    if "application/jwt" in request.headers.get("accept", ""):
        token = signed_issuer_metadata(services.ctx, services.keys)
        return Response(token, media_type="application/jwt", headers=_CACHE)
    return published_document(issuer_metadata(services.ctx), request)


@router.get(
    "/.well-known/openid-credential-issuer",
    summary="OpenID4VCI Credential Issuer Metadata",
    responses={200: {"content": {"application/json": {}, "application/jwt": {}}}},
)
def credential_issuer_metadata(services: ServicesDep, request: Request) -> Response:
    """Credential Issuer Metadata (OpenID4VCI 1.0 §12.2): one credential configuration per
    type and format (`<Type>_sd_jwt`: `dc+sd-jwt`; `<Type>_jwt_vc_json`), display names in
    `en` and `zh-Hans`, the credential, nonce and batch parameters. With
    `Accept: application/jwt` the same document comes signed by the issuer's key
    (`typ: openidvci-issuer-metadata+jwt`, §12.2.3)."""
    return _metadata_response(services, request)


@router.get("/.well-known/openid-credential-issuer/{path:path}", include_in_schema=False)
def credential_issuer_metadata_with_path(
    path: str, services: ServicesDep, request: Request
) -> Response:
    # An issuer URL with a path (https://host/reg) publishes at
    # /.well-known/openid-credential-issuer/reg (§12.2.2); behind a prefix-stripping proxy.
    return _metadata_response(services, request)


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="OAuth 2.0 Authorization Server Metadata (RFC 8414)",
)
def oauth_metadata(services: ServicesDep) -> Response:
    """The issuer is its own authorization server: a token endpoint for the
    pre-authorized code grant (anonymous access) with DPoP-bound tokens."""
    return JSONResponse(authorization_server_metadata(services.ctx), headers=_CACHE)


@router.get("/.well-known/oauth-authorization-server/{path:path}", include_in_schema=False)
def oauth_metadata_with_path(path: str, services: ServicesDep) -> Response:
    return JSONResponse(authorization_server_metadata(services.ctx), headers=_CACHE)


# -- offers (agency API) ------------------------------------------------------------------


@router.post(
    "/credential-offers",
    status_code=201,
    response_model=CredentialOfferResponse,
    dependencies=[Depends(require_json)],
    responses=problem_responses(
        {
            400: "Malformed JSON (`malformed`)",
            401: "Missing, invalid or revoked API key (`unauthorized`)",
            403: "Agency not accredited for this type (`type_not_accredited`)",
            422: "Invalid request (`invalid_request`, `unknown_type`, `schema_invalid`)",
        }
    ),
    summary="Offer a credential to a wallet (OpenID4VCI pre-authorized code)",
)
def create_offer(
    body: CredentialOfferRequest, principal: PrincipalDep, services: ServicesDep
) -> JSONResponse:
    """Check the claims as `POST /credentials/issue` would and keep them, encrypted,
    until a wallet redeems the offer (or it expires). Give the citizen `offer` (as the
    QR code of `GET /credential-offers/{offerId}/qr.png`) and, on another channel,
    `txCode`."""
    made = services.offers.create(
        principal, body.type, body.credentialSubject, body.formats, tx_code=body.txCode
    )
    return JSONResponse(
        {
            "offerId": made.offer_id,
            "offer": made.offer,
            "credentialOfferUri": made.credential_offer_uri,
            "txCode": made.tx_code,
            "expiresAt": format_datetime(made.expires_at),
            "credentialConfigurationIds": list(made.configuration_ids),
        },
        status_code=201,
        headers=_NO_STORE,
    )


@router.get(
    "/credential-offers/{offer_id}/qr.png",
    response_class=Response,
    responses={
        **problem_responses(
            {
                401: "Missing or invalid API key",
                404: "No open offer (`not_found`)",
                422: "An offer id over 64 characters (`invalid_request`)",
            }
        ),
        200: {"content": {"image/png": {}}, "description": "The offer link as a QR code"},
    },
    summary="The offer's QR code (PNG)",
)
def offer_qr(
    offer_id: Annotated[str, Path(max_length=64)], principal: PrincipalDep, services: ServicesDep
) -> Response:
    """The `openid-credential-offer://` link of an open offer, as a QR code to show the
    citizen's wallet."""
    import qrcode
    import qrcode.constants
    from qrcode.image.pil import PilImage

    link = services.offers.owned(principal, offer_id)
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=6,
        border=4,
        image_factory=PilImage,
    )
    code.add_data(link)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, kind="PNG")
    return Response(buffer.getvalue(), media_type="image/png", headers=_NO_STORE)


# -- protocol endpoints ---------------------------------------------------------------------


@router.get(
    "/credential-offer/{offer_id}",
    summary="A Credential Offer object (credential_offer_uri)",
    responses=_oauth_errors({400: "Unknown, expired or used offer (`invalid_grant`)"}),
)
def credential_offer(
    offer_id: Annotated[str, Path(max_length=64)], services: ServicesDep
) -> Response:
    """OpenID4VCI 1.0 §4.1.1: the issuer, the offered configuration ids and the
    pre-authorized code grant (with `tx_code` when one is needed)."""
    return JSONResponse(services.offers.offer_document(offer_id), headers=_NO_STORE)


async def _form(request: Request) -> dict[str, str]:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise OAuthRequestError("send the token request as application/x-www-form-urlencoded")
    try:
        fields = parse_qs(
            (await request.body()).decode("utf-8"), keep_blank_values=True, strict_parsing=False
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthRequestError("the token request body is not a form") from exc
    repeated = [k for k, v in fields.items() if len(v) != 1]
    if repeated:
        raise OAuthRequestError(f"parameter {repeated[0][:40]!r} is repeated")
    return {k: v[0] for k, v in fields.items()}


@router.post(
    "/token",
    response_model=TokenResponse,
    summary="Token endpoint (pre-authorized code grant, DPoP)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type", "pre-authorized_code"],
                        "properties": {
                            "grant_type": {
                                "const": "urn:ietf:params:oauth:grant-type:pre-authorized_code"
                            },
                            "pre-authorized_code": {"type": "string"},
                            "tx_code": {"type": "string"},
                        },
                    }
                }
            }
        }
    },
    responses=_oauth_errors(
        {
            400: "`invalid_request`, `unsupported_grant_type`, `invalid_grant` (unknown, "
            "expired, used or locked code, wrong tx_code: 5 wrong tries lock the offer), "
            "`invalid_dpop_proof`"
        }
    ),
)
async def token(
    request: Request,
    services: ServicesDep,
    dpop: Annotated[str | None, Header(alias="DPoP", description="RFC 9449 proof")] = None,
) -> Response:
    """RFC 6749 §4.1.3 / OpenID4VCI 1.0 §6: exchange the pre-authorized code (and the
    transaction code) for an access token bound to the DPoP proof's key."""
    form = await _form(request)
    grant = await run_in_threadpool(
        services.offers.token, form, dpop=dpop, url=f"{services.ctx.issuer_url}/token"
    )
    token_type = "DPoP"  # noqa: S105 # nosec B105 - the RFC 9449 token type, not a secret
    return JSONResponse(
        {
            "access_token": grant.access_token,
            "token_type": token_type,
            "expires_in": grant.expires_in,
        },
        headers={**_NO_STORE, "Pragma": "no-cache"},
    )


@router.post("/nonce", response_model=NonceResponse, summary="Nonce endpoint (c_nonce)")
def nonce(services: ServicesDep) -> Response:
    """OpenID4VCI 1.0 §7: a fresh single-use `c_nonce` for key proofs."""
    return JSONResponse({"c_nonce": services.offers.nonce()}, headers=_NO_STORE)


@router.post(
    "/credential",
    response_model=CredentialResponse,
    summary="Credential endpoint (DPoP-bound token, key proofs)",
    responses=_oauth_errors(
        {
            400: "`invalid_credential_request`, `unknown_credential_configuration`, "
            "`invalid_proof` (typ, aud, iat, key type, signature), `invalid_nonce`, "
            "`credential_request_denied`",
            401: "`invalid_token`, `invalid_dpop_proof` (with `WWW-Authenticate: DPoP`)",
        }
    ),
)
async def credential(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header(description="DPoP <access token>")] = None,
    dpop: Annotated[str | None, Header(alias="DPoP", description="RFC 9449 proof")] = None,
) -> Response:
    """OpenID4VCI 1.0 §8: `{"credential_configuration_id", "proofs": {"jwt": [...]}}`;
    one credential per key proof (up to `batch_size`), each bound to its key and with
    its own status index. No notification endpoint (privacy)."""
    try:
        body = loads_request(await request.body())
    except TrustIDError as exc:
        raise InvalidCredentialRequestError(f"the body is not JSON: {exc.detail}") from exc
    tokens = await run_in_threadpool(
        services.offers.credential,
        body,
        authorization=authorization,
        dpop=dpop,
        url=f"{services.ctx.issuer_url}/credential",
    )
    return JSONResponse({"credentials": [{"credential": t} for t in tokens]}, headers=_NO_STORE)
