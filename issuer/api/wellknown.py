"""DID document, JWKS, credential schemas and issuer metadata: what verifiers and wallets fetch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from issuer.api.deps import ServicesDep
from issuer.api.routing import StrictJSONRoute
from issuer.api.status import etag_matches
from issuer.problems import problem_responses
from issuer.service.status import opaque_etag

router = APIRouter(route_class=StrictJSONRoute, tags=["discovery"])

_CACHE = {"Cache-Control": "max-age=300, public"}


def published_document(
    document: dict[str, Any],
    request: Request,
    response_class: type[JSONResponse] = JSONResponse,
) -> Response:
    """A published document with an opaque ETag (a hash of the served bytes) and 304.

    A verifier revalidating after a key withdrawal gets the new document at once: the
    tag changes with every byte, and says nothing else.
    """
    response = response_class(document, headers=_CACHE)
    etag = opaque_etag(bytes(response.body))
    response.headers["ETag"] = etag
    # Read from the request, not declared as a parameter: nothing here can be a 422.
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={**_CACHE, "ETag": etag})
    return response


@router.get(
    "/.well-known/did.json",
    summary="The issuer's did:web document",
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def did_document(services: ServicesDep, request: Request) -> Response:
    """Every published key (active, and retired ones still needed) as a JsonWebKey
    verification method; withdrawn keys are never listed."""
    return published_document(services.publication.did_document(), request)


@router.get("/did.json", include_in_schema=False)
def did_document_under_path(services: ServicesDep, request: Request) -> Response:
    # did:web with a path (TRUSTID_ISSUER_URL=https://host/some/path) resolves to
    # <path>/did.json; behind a prefix-stripping proxy that arrives here.
    return published_document(services.publication.did_document(), request)


@router.get(
    "/.well-known/jwks.json",
    summary="The issuer's keys as a JWK Set",
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def jwks(services: ServicesDep, request: Request) -> Response:
    """RFC 7517 JWK Set; each `kid` equals the JWS header `kid` (`<did>#<thumbprint>`).
    Withdrawn keys are never listed."""
    return published_document(services.publication.jwks(), request)


class SchemaJSONResponse(JSONResponse):
    """A JSON Schema document (``application/schema+json``)."""

    media_type = "application/schema+json"


@router.get(
    "/schemas/{type_name}",
    response_class=SchemaJSONResponse,
    responses=problem_responses(
        {
            404: "No credential type of this name (`not_found`)",
            422: "`type_name` is longer than 64 characters (`invalid_request`)",
        }
    )
    | {304: {"description": "Not modified (If-None-Match)"}},
    summary="JSON Schema of a credential type",
)
def credential_schema(
    type_name: Annotated[str, Path(max_length=64)],
    services: ServicesDep,
    request: Request,
) -> Response:
    """The schema named by `credentialSchema.id` in issued credentials."""
    return published_document(services.publication.schema(type_name), request, SchemaJSONResponse)


@router.get(
    "/types/{type_name}",
    response_class=Response,
    responses=problem_responses(
        {
            404: "No credential type of this name (`not_found`)",
            422: "`type_name` is longer than 64 characters (`invalid_request`)",
        }
    )
    | {
        200: {"content": {"application/json": {}}, "description": "SD-JWT VC Type Metadata"},
        304: {"description": "Not modified (If-None-Match)"},
    },
    summary="SD-JWT VC Type Metadata of a credential type (its vct)",
)
def type_metadata(
    type_name: Annotated[str, Path(max_length=64)],
    services: ServicesDep,
    request: Request,
) -> Response:
    """Display name, description and claim metadata (`sd`: always / allowed / never) of the
    type; `vct#integrity` in each credential is the SHA-256 of exactly these bytes."""
    body = services.publication.type_metadata(type_name)
    etag = opaque_etag(body)
    headers = {**_CACHE, "ETag": etag}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


@router.get("/", summary="Issuer summary")
def index(services: ServicesDep) -> dict[str, Any]:
    """Who this issuer is and where to look next."""
    entry = services.publication.trust_entry()
    return {
        "issuer": entry["id"],
        "name": entry["name"],
        "types": entry["types"],
        "docs": "/docs",
        "didDocument": "/.well-known/did.json",
        "jwks": "/.well-known/jwks.json",
        "credentialIssuerMetadata": "/.well-known/openid-credential-issuer",
    }
