"""trustid_http problems, body limits and security headers on a small app of their own.

Every problem body is checked against RFC 9457 §3.1's members with ``jsonschema`` (an
independent validator), beside the statuses and headers a client relies on.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from tests.asgi_client import AppClient, open_app_client
from trustid_http import limits
from trustid_http.headers import API_CSP, DOCS_CSP, SecurityHeadersMiddleware
from trustid_http.limits import BodyLimitMiddleware
from trustid_http.problems import (
    PROBLEM_JSON,
    PROBLEM_SCHEMA,
    HTTPProblem,
    ServerErrorGuard,
    install_problem_handlers,
)
from vcore.errors import MalformedError, TrustIDError

LIMIT = 1024

# RFC 9457 §3.1 member types, written out here rather than taken from the package.
RFC9457 = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "pattern": "^https://"},
        "title": {"type": "string", "minLength": 1},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "minLength": 1},
        "instance": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-z_]+$"},
    },
}


class UnmappedError(TrustIDError):
    code = "signing_failed"


class Body(BaseModel):
    name: str
    count: int


def _map(error: TrustIDError) -> HTTPProblem | None:
    if isinstance(error, MalformedError):
        return HTTPProblem(400, error.code, error.detail)
    return None


def _build(seen: list[str]) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None)
    install_problem_handlers(
        app,
        service="testsvc",
        map_error=_map,
        observe=lambda _request, code: seen.append(code),
        authenticate='Bearer realm="test"',
    )

    @app.get("/problem")
    async def problem() -> None:
        raise HTTPProblem(409, "conflict_here", "already there", extra={"hint": "try later"})

    @app.get("/locked")
    async def locked() -> None:
        raise HTTPProblem(401, "unauthorized", "no key")

    @app.get("/mapped")
    async def mapped() -> None:
        raise MalformedError("the thing is broken")

    @app.get("/unmapped")
    async def unmapped() -> None:
        raise UnmappedError("secret internal detail")

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret traceback text")

    @app.post("/typed")
    async def typed(body: Body) -> dict[str, Any]:
        return body.model_dump()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.get("/docs")
    async def docs() -> dict[str, str]:
        return {"page": "docs"}

    @app.get("/framed")
    async def framed() -> Any:
        from fastapi.responses import JSONResponse

        return JSONResponse({}, headers={"X-Frame-Options": "ALLOWALL"})

    app.add_middleware(BodyLimitMiddleware, limit=LIMIT)
    app.add_middleware(ServerErrorGuard, service="testsvc")
    app.add_middleware(SecurityHeadersMiddleware)
    return app


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
def client(seen: list[str]) -> Iterator[AppClient]:
    with open_app_client(_build(seen), "http://svc.test") as client:
        yield client


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    Draft202012Validator(RFC9457).validate(body)
    Draft202012Validator(PROBLEM_SCHEMA).validate(body)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    return body


def test_a_raised_problem_keeps_its_members(client: AppClient, seen: list[str]) -> None:
    body = _problem(client.get("/problem"), 409, "conflict_here")
    assert body["detail"] == "already there"
    assert body["hint"] == "try later"
    assert body["instance"] == "/problem"
    assert seen == ["conflict_here"]


def test_every_401_carries_a_bearer_challenge(client: AppClient) -> None:
    response = client.get("/locked")
    _problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="test"'


def test_core_errors_go_through_the_service_mapping(
    client: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert _problem(client.get("/mapped"), 400, "malformed")["detail"] == "the thing is broken"
    with caplog.at_level(logging.ERROR, logger="trustid.testsvc"):
        body = _problem(client.get("/unmapped"), 500, "internal_error")
    assert "secret" not in body["detail"]
    assert "testsvc" in body["detail"]
    assert "UnmappedError" in caplog.text


def test_an_unexpected_exception_is_a_logged_500_without_a_trace(
    client: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="trustid.testsvc"):
        response = client.get("/crash")
    body = _problem(response, 500, "internal_error")
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == "the testsvc could not process this request; the error was logged"
    assert "secret traceback text" in caplog.text
    # The guard's answer still gets the security headers (they sit outside it).
    assert response.headers["x-content-type-options"] == "nosniff"


def test_routing_errors_are_problems(client: AppClient) -> None:
    _problem(client.get("/nowhere"), 404, "not_found")
    response = client.post("/problem")
    _problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_validation_errors_name_fields_but_never_echo_input(client: AppClient) -> None:
    response = client.post("/typed", json={"name": "Zhang Wei 110101199003070011", "count": "x"})
    body = _problem(response, 422, "invalid_request")
    assert body["errors"] == [
        {"loc": ["body", "count"], "msg": body["errors"][0]["msg"], "type": "int_parsing"}
    ]
    assert "110101199003070011" not in response.text


def test_broken_json_is_400_malformed(client: AppClient) -> None:
    response = client.post(
        "/typed", content=b'{"name": "x",', headers={"content-type": "application/json"}
    )
    assert "not acceptable JSON" in _problem(response, 400, "malformed")["detail"]


def test_body_limit_by_declared_length(client: AppClient) -> None:
    assert client.post("/echo", content=b"x" * LIMIT).json() == {"size": LIMIT}
    body = _problem(client.post("/echo", content=b"x" * (LIMIT + 1)), 413, "too_large")
    assert body["detail"] == "the request body exceeds 1 KiB (1024 bytes)"


@pytest.mark.parametrize("value", ["12x", "-1", "9" * 19])
def test_an_invalid_content_length_is_400(client: AppClient, value: str) -> None:
    response = client.post("/echo", content=b"x", headers={"content-length": value})
    _problem(response, 400, "malformed")


async def _chunks(count: int, size: int, pause: float = 0.0) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size
        await anyio.sleep(pause)


def test_body_limit_counts_streamed_bytes(client: AppClient) -> None:
    # Chunked uploads declare no length: the bytes are counted as they arrive.
    assert client.post("/echo", content=_chunks(4, LIMIT // 4)).json() == {"size": LIMIT}
    _problem(client.post("/echo", content=_chunks(5, LIMIT // 4)), 413, "too_large")


def test_a_stalled_body_is_408_and_closes(monkeypatch: pytest.MonkeyPatch, seen: list[str]) -> None:
    monkeypatch.setattr(limits, "BODY_READ_TIMEOUT", 0.2)
    with open_app_client(_build(seen), "http://svc.test") as client:
        response = client.post("/echo", content=_chunks(3, 10, pause=5.0))
        _problem(response, 408, "request_timeout")
        assert response.headers["connection"] == "close"
        assert client.post("/echo", content=b"on time").json() == {"size": 7}


def test_security_headers(client: AppClient) -> None:
    api = client.get("/problem")
    for response in (api, client.get("/docs"), client.get("/framed")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert api.headers["content-security-policy"] == API_CSP
    assert client.get("/docs").headers["content-security-policy"] == DOCS_CSP
    # A route's own header is replaced, not doubled.
    assert client.get("/framed").headers.get_list("x-frame-options") == ["DENY"]
    assert "permissions-policy" not in api.headers
