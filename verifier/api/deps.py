"""Dependencies: the service, the caller's client (auth + rate limit), strict bodies."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from pydantic import BaseModel, ValidationError

from trustid_http.json import loads_request
from vcore.errors import TrustIDError
from verifier.challenges import (
    ANONYMOUS,
    SESSION_COOKIE,
    ChallengePolicy,
    client_caller,
    session_caller,
)
from verifier.clients import ClientInfo, ClientRegistry
from verifier.errors import RateLimitedError, UnauthorizedError
from verifier.problems import RequestProblem
from verifier.ratelimit import Limiter
from verifier.service import VerifierService

__all__ = [
    "Caller",
    "Service",
    "caller_binding",
    "challenge_policy_of",
    "parse_json_body",
    "take_cost",
]

M = TypeVar("M", bound=BaseModel)


async def get_service(request: Request) -> VerifierService:
    """The app's service (async: a sync dependency would cost a worker-thread hop)."""
    service: VerifierService = request.app.state.service
    return service


class BearerHeader(SecurityBase):
    """``Authorization: Bearer <key>`` as OpenAPI's HTTP bearer scheme; yields the raw header.

    The registry, not FastAPI, judges the header: a present but malformed or unknown
    key is 401 even while the verifier is open, and none at all is fine until a client
    exists.
    """

    def __init__(self, description: str) -> None:
        self.model = HTTPBearerModel(description=description)
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> str | None:
        return request.headers.get("authorization")


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="trustid-verifier"'}
_bearer = BearerHeader(
    "A verifier API key (tvk_...) from `trustid-verifier client create`; required once "
    "any client exists."
)


async def get_caller(
    request: Request, authorization: Annotated[str | None, Depends(_bearer)]
) -> ClientInfo | None:
    """Authenticate and rate-limit.

    A key authenticated moments ago is answered from memory on the event loop
    (:mod:`verifier.key_cache`); anything else (a new key, no key, a shared Redis
    limiter) goes to a worker thread, since it waits on the database or Redis.
    """
    clients: ClientRegistry = request.app.state.clients
    limiter: Limiter = request.app.state.rate_limiter
    try:
        client = clients.authenticate_cached(authorization)
        if client is None:
            client = await anyio.to_thread.run_sync(clients.authenticate, authorization)
        if client is not None:
            if limiter.blocking:
                await anyio.to_thread.run_sync(limiter.check, client)
            else:
                limiter.check(client)
    except UnauthorizedError as exc:
        raise RequestProblem(401, exc.code, exc.detail, headers=_CHALLENGE) from exc
    except RateLimitedError as exc:
        raise RequestProblem(
            429, exc.code, exc.detail, headers={"Retry-After": str(exc.retry_after)}
        ) from exc
    return client


async def take_cost(
    request: Request, client: ClientInfo | None, cost: int, *, refuse: bool = True
) -> None:
    """Take ``cost`` more rate-limit units for ``client`` (none in open mode).

    ``refuse``: 429 when the budget has less (before the work); otherwise the units
    are taken for work already done and the key's next requests wait.

    Raises:
        RequestProblem: 429 ``rate_limited`` with ``Retry-After``.
    """
    if client is None or cost <= 0:
        return
    limiter: Limiter = request.app.state.rate_limiter

    def take() -> None:
        if refuse:
            limiter.check(client, cost, taken=1)  # get_caller took the request's first unit
        else:
            limiter.charge(client, cost)

    try:
        if limiter.blocking:
            await anyio.to_thread.run_sync(take)
        else:
            take()
    except RateLimitedError as exc:
        raise RequestProblem(
            429, exc.code, exc.detail, headers={"Retry-After": str(exc.retry_after)}
        ) from exc


def caller_binding(request: Request, client: ClientInfo | None) -> str:
    """Who a challenge is bound to: the API client, else the counter page's session
    cookie (open mode), else ``anonymous`` (open mode, a caller without the cookie)."""
    if client is not None:
        return client_caller(client.id)
    session = request.cookies.get(SESSION_COOKIE)
    if session and 20 <= len(session) <= 100:
        return session_caller(session)
    return ANONYMOUS


def challenge_policy_of(client: ClientInfo | None) -> ChallengePolicy:
    """The caller's challenge policy: its client's, ``server`` in open mode (no client)."""
    return ChallengePolicy.SERVER if client is None else client.challenge_policy


Service = Annotated[VerifierService, Depends(get_service)]
Caller = Annotated[ClientInfo | None, Depends(get_caller)]


async def parse_json_body(request: Request, model: type[M]) -> M:
    """Read the body as strict JSON (no duplicate members, depth <= 32) into ``model``.

    A refusal names the line and column (:func:`trustid_http.json.loads_request`).

    Raises:
        RequestProblem: 415 not JSON, 400 malformed JSON, 422 schema mismatch (413 comes
            from the body-limit middleware while reading).
    """
    media = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if media != "application/json" and not media.endswith("+json"):
        raise RequestProblem(415, "unsupported_media_type", "send application/json")
    raw = await request.body()
    try:
        data: Any = loads_request(raw)
    except TrustIDError as exc:
        raise RequestProblem(400, "malformed", f"the body is not valid JSON: {exc.detail}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": [str(p) for p in e["loc"]], "msg": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        raise RequestProblem(
            422,
            "invalid_request",
            "the request body does not match the schema",
            extra={"errors": errors},
        ) from exc


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a body parsed by :func:`parse_json_body`."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    schema = _inline(schema, defs)
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }
