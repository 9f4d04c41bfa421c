"""Regressions found by fuzzing the running verifier (schemathesis and hand-made bodies).

Each test is one input that once got a 500 or broke the published contract; the answer
must be a 4xx (problem+json for requests that cannot be processed, the VC-API result for
credentials that fail) and never a stack trace.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.types import Message, Scope

from tests.asgi_client import AppClient
from tests.verifier.support import (
    RESIDENT,
    Clock,
    FakeWeb,
    Holder,
    Issuer,
    app_client,
    public_resolver,
    trust_document,
    write_json,
)
from trustid_http import limits
from vcore.clock import format_datetime
from vcore.keys import b64url_encode
from verifier.app import create_app
from verifier.settings import VerifierSettings


@pytest.fixture
def clock(fixed_now: datetime) -> Clock:
    return Clock(fixed_now)


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[AppClient]:
    web = FakeWeb(clock)
    issuer = web.add(Issuer("https://registry.example"))
    settings = VerifierSettings(
        trust_list=str(write_json(tmp_path / "trust.json", trust_document((issuer, [RESIDENT])))),
        data_dir=tmp_path / "var",
        verifier_url="https://verifier.example",
    )
    app = create_app(
        settings, transport=web.transport(), host_resolver=public_resolver, clock=clock
    )
    with app_client(app) as c:
        yield c


def _segment(value: dict[str, Any]) -> str:
    # ensure_ascii keeps a lone surrogate as the escape "\ud800": valid JSON grammar,
    # not Unicode text.
    return b64url_encode(json.dumps(value, ensure_ascii=True).encode("ascii"))


def _self_signed(payload: dict[str, Any]) -> str:
    """A vc+jwt signed by anyone's own did:jwk key (no trust needed to send one)."""
    attacker = Issuer(None, alg="EdDSA")
    assert isinstance(attacker.key.key, Ed25519PrivateKey)
    header = {"alg": "EdDSA", "kid": attacker.kid, "typ": "vc+jwt", "cty": "vc"}
    signing_input = (
        f"{_segment(header)}.{_segment({**payload, 'issuer': payload.get('issuer', attacker.did)})}"
    )
    return f"{signing_input}.{b64url_encode(attacker.key.key.sign(signing_input.encode()))}"


def _credential(now: datetime, **overrides: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:5b0f4d0c-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", RESIDENT],
        "validFrom": format_datetime(now - timedelta(days=1)),
        "credentialSubject": {"id": Holder().did, "givenName": "Mei", "familyName": "Chen"},
        **overrides,
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"issuer": "did:web:\ud800"},
        {"type": ["VerifiableCredential", "\ud800"]},
        {"credentialSubject": {"id": "did:key:z\udfff", "givenName": "\ud800"}},
    ],
    ids=["issuer", "type", "subject"],
)
def test_lone_surrogate_in_token_payload_is_malformed_not_500(
    client: AppClient, clock: Clock, overrides: dict[str, Any]
) -> None:
    # Found: the failed check's detail echoed the issuer/type, and rendering the
    # result as UTF-8 raised UnicodeEncodeError -> 500.
    token = _self_signed(_credential(clock.value, **overrides))
    for response in (
        client.post("/credentials/verify", json={"verifiableCredential": token}),
        client.post("/credentials/verify/batch", json={"items": [token]}),
    ):
        assert response.status_code in (200, 400), response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        result = body["results"][0] if "results" in body else body
        assert result["verified"] is False
        assert [p["code"] for p in result["problemDetails"]] == ["malformed"]


# -- the published contract (schemathesis: status_code_conformance, content_type_conformance)

PROBLEM_JSON = "application/problem+json"


_PROTOCOL_PATHS = {"/request-objects/{request_id}", "/responses/{request_id}"}
"""OpenID4VC endpoints for wallets: errors are OAuth's ``{"error", ...}`` JSON (RFC 6749 §5.2)."""


def _oauth_error(path: str, response: dict[str, Any]) -> bool:
    """A protocol endpoint's error documented as OAuth error JSON (and only as that)."""
    content = response.get("content", {})
    if path not in _PROTOCOL_PATHS or list(content) != ["application/json"]:
        return False
    return "error" in content["application/json"]["schema"].get("required", [])


def _documented(spec: dict[str, Any], method: str, path: str, response: Any) -> None:
    """The response's status and media type are what /openapi.json says for the operation."""
    responses = spec["paths"][path][method.lower()]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {path}: {status} is not documented"
    media = response.headers.get("content-type", "").split(";")[0]
    assert media in responses[status].get("content", {}), f"{method} {path} {status}: {media}"


def test_errors_are_documented_as_problem_json_and_the_key_as_a_bearer_scheme(
    client: AppClient,
) -> None:
    # Found: 4xx documented without content and 422 as FastAPI's HTTPValidationError;
    # Authorization was a free-text header parameter, so generated junk keys got only
    # 401s (a presented key is checked even while the verifier is open).
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "HTTPValidationError" not in spec["components"].get("schemas", {})
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            names = [p["name"].lower() for p in operation.get("parameters", [])]
            assert "authorization" not in names, (method, path)
            for status, response in operation["responses"].items():
                if path == "/healthz" and status == "503":
                    # Degraded health is the health document itself, not a problem.
                    assert "application/json" in response["content"], (method, path, status)
                elif int(status) >= 400 and _oauth_error(path, response):
                    continue  # a wallet-facing protocol endpoint: the spec's error JSON
                elif int(status) >= 400:
                    assert PROBLEM_JSON in response["content"], (method, path, status)


def test_statuses_and_media_types_found_by_fuzzing_are_documented(client: AppClient) -> None:
    # Found: /metrics documented as application/json (it is Prometheus text), 401 from
    # /challenges, 415 from /verify/qr and the JSON endpoints, and the 400 problem of a
    # malformed body next to the 400 verification result.
    spec = client.get("/openapi.json").json()
    png_less = {"file": ("a.gif", b"GIF89a" + bytes(64), "image/gif")}
    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("GET", "/metrics", {}, 200),
        ("POST", "/challenges", {}, 200),
        ("POST", "/challenges", {"headers": {"Authorization": "Basic eDp5"}}, 401),
        ("POST", "/verify/qr", {"files": png_less}, 415),
        ("POST", "/verify/qr", {"data": {"text": "not a credential"}}, 400),
        ("POST", "/verify/qr", {"json": {}}, 415),
        ("POST", "/credentials/verify", {"json": {"verifiableCredential": "a.b.c"}}, 400),
        ("POST", "/credentials/verify", {"content": b"{", "headers": _JSON}, 400),
        ("POST", "/credentials/verify", {"content": b"{}", "headers": _TEXT}, 415),
        ("POST", "/credentials/verify/batch", {"content": b"[", "headers": _JSON}, 400),
        ("POST", "/presentations/verify", {"content": b"{}", "headers": _TEXT}, 415),
    ]
    for method, path, kwargs, status in cases:
        response = client.request(method, path, **kwargs)
        assert response.status_code == status, (path, response.text)
        _documented(spec, method, path, response)


_JSON = {"Content-Type": "application/json"}
_TEXT = {"Content-Type": "text/plain"}


@pytest.mark.parametrize(
    ("declared", "status", "code"),
    [
        ("9" * 5000, 400, "malformed"),
        ("12abc", 400, "malformed"),
        ("-1", 400, "malformed"),
        (str(10**17), 413, "too_large"),
    ],
    ids=["5000-digits", "not-a-number", "negative", "huge"],
)
def test_a_bad_content_length_is_a_problem_not_500(
    client: AppClient, declared: str, status: int, code: str
) -> None:
    # Found: int() of a 5,000-digit Content-Length raised ValueError in the body-limit
    # middleware -> 500; a non-numeric one was answered 413 too_large. (uvicorn refuses
    # such headers itself; other ASGI servers need not.)
    response = client.post(
        "/credentials/verify",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": declared},
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == code


def _stalled(first: bytes) -> AsyncIterator[bytes]:
    async def body() -> AsyncIterator[bytes]:
        yield first
        await anyio.sleep(60)
        yield b"never sent"

    return body()


@pytest.mark.parametrize(
    ("path", "content_type", "first"),
    [
        ("/credentials/verify", "application/json", b'{"verifiableCredential": '),
        (
            "/verify/qr",
            "multipart/form-data; boundary=XyZ",
            b'--XyZ\r\nContent-Disposition: form-data; name="text"\r\n\r\nHC1:',
        ),
    ],
    ids=["json", "multipart"],
)
def test_a_stalled_body_gets_408_instead_of_hanging(
    tmp_path: Path,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    content_type: str,
    first: bytes,
) -> None:
    # Found: a client that declares a body and stops sending held its request open for
    # ever (uvicorn has no body-read timeout).
    monkeypatch.setattr(limits, "BODY_READ_TIMEOUT", 0.3)
    app = create_app(
        VerifierSettings(data_dir=tmp_path / "var"),
        transport=FakeWeb(clock).transport(),
        host_resolver=public_resolver,
        clock=clock,
    )
    with app_client(app) as client:
        started = time.monotonic()
        response = client.post(
            path, content=_stalled(first), headers={"Content-Type": content_type}
        )
        assert time.monotonic() - started < 10
        assert response.status_code == 408, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "request_timeout"
        assert response.headers["connection"] == "close"
        # A body that arrives in time is unaffected.
        verified = client.post("/credentials/verify", json={"verifiableCredential": "a.b.c"})
        assert verified.status_code == 400
        assert verified.json()["verified"] is False


@pytest.mark.parametrize(
    ("path", "content_type", "first"),
    [
        ("/credentials/verify", "application/json", b'{"verifiableCredential": '),
        ("/verify/qr", "multipart/form-data; boundary=XyZ", b"--XyZ\r\n"),
    ],
    ids=["json", "multipart"],
)
def test_a_client_that_hangs_up_mid_body_is_not_a_server_error(
    tmp_path: Path,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    path: str,
    content_type: str,
    first: bytes,
) -> None:
    # Found: starlette's ClientDisconnect reached the catch-all handler, which logged a
    # traceback at ERROR and answered 500, and the server logged it again.
    app = create_app(
        VerifierSettings(data_dir=tmp_path / "var"),
        transport=FakeWeb(clock).transport(),
        host_resolver=public_resolver,
        clock=clock,
    )
    messages: list[Message] = [
        {"type": "http.request", "body": first, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"verifier.test"), (b"content-type", content_type.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("verifier.test", 80),
    }
    anyio.run(app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
