"""Dependencies as ``Annotated`` aliases: services, the authenticated agency, headers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from issuer.errors import InvalidRequestError, UnsupportedMediaTypeError
from issuer.service import IssuerServices, Principal

__all__ = [
    "IdempotencyKeyHeader",
    "PrincipalDep",
    "ServicesDep",
    "require_json",
]

_bearer = HTTPBearer(auto_error=False, description="An agency API key (tid_...).")


def get_services(request: Request) -> IssuerServices:
    services: IssuerServices = request.app.state.services
    return services


ServicesDep = Annotated[IssuerServices, Depends(get_services)]


def get_principal(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return services.agencies.authenticate(credentials.credentials if credentials else None)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_json(request: Request) -> None:
    """Refuse bodies that are not JSON with 415 (before any body validation)."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise UnsupportedMediaTypeError("send the body as Content-Type: application/json")


def get_idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Retry-safe issuance: same key and body -> same credential (24 h).",
        ),
    ] = None,
) -> str | None:
    if idempotency_key is None:
        return None
    if (
        not 1 <= len(idempotency_key) <= 255
        or not idempotency_key.isprintable()
        or not idempotency_key.isascii()
    ):
        raise InvalidRequestError("Idempotency-Key must be 1-255 printable ASCII characters")
    return idempotency_key


IdempotencyKeyHeader = Annotated[str | None, Depends(get_idempotency_key)]
