"""Regressions found by fuzzing the running issuer (schemathesis and hand-made bodies).

Each test is one input that once got a 500 or broke the published contract; the answer
must be a 4xx RFC 9457 problem with a stable ``code``, never a stack trace, and a
refused request leaves nothing behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.issuer.support import (
    RESIDENT,
    Harness,
    issue_body,
    make_settings,
    running_issuer,
    token_of,
)
from trustid_http import limits
from vcore.jose import decode_unverified

PROBLEM_JSON = "application/problem+json"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def test_lone_surrogate_in_a_claim_is_malformed_not_500(issuer: Harness) -> None:
    # Found: "\ud800" is valid JSON grammar but not Unicode; the size check's
    # .encode("utf-8") raised UnicodeEncodeError -> 500.
    agency = issuer.agencies["Resident Registry"]
    raw = json.dumps(issue_body(givenName="\ud800"), ensure_ascii=True).encode("ascii")
    before = issuer.counts()
    response = issuer.client.post(
        "/credentials/issue",
        content=raw,
        headers={**agency.headers, "Content-Type": "application/json"},
    )
    body = _problem(response, 400, "malformed")
    assert "surrogate" in body["detail"]
    assert issuer.counts() == before


@pytest.mark.parametrize("holder", ["did:web:\x00", "did:web:host\x01name"])
def test_control_characters_in_the_holder_did_are_did_invalid(
    any_issuer: Harness, holder: str
) -> None:
    # Found: parse_did_url let control characters through; the NUL reached a PostgreSQL
    # text column (holder_did) and psycopg refused it -> 500 (SQLite stored it). Since
    # the VCDM 2.0 checks, such an id is refused first as not a URL (§4.4).
    agency = any_issuer.agencies["Resident Registry"]
    before = any_issuer.counts()
    _problem(any_issuer.issue(agency, issue_body(holder=holder)), 400, "vcdm_identifier")
    assert any_issuer.counts() == before


def _status_body(credential_id: str, reason: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "credentialId": credential_id,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"},
        "status": True,
    }
    if reason is not None:
        body["reason"] = reason
    return body


def test_nul_in_status_change_strings_is_invalid_request(any_issuer: Harness) -> None:
    # Found: credentialId (the lookup) and reason (the audit row) went to PostgreSQL with
    # a NUL in them; psycopg refused the text -> 500 (SQLite answered 404 / 200).
    agency = any_issuer.agencies["Resident Registry"]
    credential_id = decode_unverified(token_of(any_issuer.issue(agency))).payload["id"]
    before = any_issuer.counts()
    for body in (
        _status_body("urn:uuid:a\x00b"),
        _status_body(credential_id + "\n"),
        _status_body(credential_id, reason="holder\x00moved"),
    ):
        response = any_issuer.client.post("/credentials/status", json=body, headers=agency.headers)
        _problem(response, 422, "invalid_request")
    assert any_issuer.counts() == before
    # Tab and line breaks stay usable in a reason.
    response = any_issuer.change(agency, credential_id, "suspension", True, "moved\n\tticket 7")
    assert response.status_code == 200, response.text


# -- the published contract (schemathesis: status_code_conformance, content_type_conformance)


_PROTOCOL_PATHS = {"/credential-offer/{offer_id}", "/token", "/nonce", "/credential"}
"""OpenID4VC endpoints for wallets: errors are OAuth's ``{"error", ...}`` JSON (RFC 6749 §5.2)."""


def _oauth_error(path: str, response: dict[str, Any]) -> bool:
    """A protocol endpoint's error documented as OAuth error JSON (and only as that)."""
    content = response.get("content", {})
    if path not in _PROTOCOL_PATHS or list(content) != ["application/json"]:
        return False
    return "error" in content["application/json"]["schema"].get("required", [])


def _documented(spec: dict[str, Any], method: str, path: str, response: httpx.Response) -> None:
    """The response's status and media type are what /openapi.json says for the operation."""
    responses = spec["paths"][path][method.lower()]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {path}: {status} is not documented"
    media = response.headers.get("content-type", "").split(";")[0]
    assert media in responses[status].get("content", {}), f"{method} {path} {status}: {media}"


def test_every_error_response_is_documented_as_problem_json(issuer: Harness) -> None:
    # Found: 4xx documented without content, and 422 as FastAPI's HTTPValidationError
    # (application/json), while the app only ever answers application/problem+json.
    spec = issuer.client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if path == "/healthz" and status == "503":
                    # Degraded health is the health document itself, not a problem.
                    assert list(response["content"]) == ["application/json"], (method, path)
                elif int(status) >= 400 and _oauth_error(path, response):
                    continue  # a wallet-facing protocol endpoint: the spec's error JSON
                elif int(status) >= 400:
                    assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_statuses_and_media_types_found_by_fuzzing_are_documented(issuer: Harness) -> None:
    # Found: 400/413/415 from POST /credentials/status, 404 from /schemas/{type_name}
    # were undocumented; /schemas/{type_name} was documented as application/json.
    spec = issuer.client.get("/openapi.json").json()
    auth = issuer.agencies["Resident Registry"].headers
    json_type = {**auth, "Content-Type": "application/json"}
    cases: list[tuple[str, str, str, dict[str, Any], int]] = [
        ("POST", "/credentials/status", "/credentials/status", {"headers": auth}, 415),
        (
            "POST",
            "/credentials/status",
            "/credentials/status",
            {"headers": json_type, "content": b"\x00"},
            400,
        ),
        (
            "POST",
            "/credentials/status",
            "/credentials/status",
            {"headers": json_type, "content": b'{"reason":"' + b"x" * 40_000 + b'"}'},
            413,
        ),
        ("POST", "/credentials/issue", "/credentials/issue", {"headers": auth}, 415),
        ("GET", "/schemas/{type_name}", "/schemas/0", {}, 404),
        ("GET", "/schemas/{type_name}", f"/schemas/{'x' * 65}", {}, 422),
        ("GET", "/schemas/{type_name}", "/schemas/ResidentIdentityCredential", {}, 200),
        ("GET", "/status-lists/{list_id}", "/status-lists/0", {}, 422),
        ("GET", "/status-lists/{list_id}", "/status-lists/99999", {}, 404),
    ]
    for method, template, url, kwargs, status in cases:
        response = issuer.client.request(method, url, **kwargs)
        assert response.status_code == status, (url, response.text)
        _documented(spec, method, template, response)


async def _stalled_body() -> AsyncIterator[bytes]:
    yield b'{"credential": '
    await anyio.sleep(60)
    yield b"{}}"


def test_a_stalled_body_gets_408_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found: a client that declares a body and stops sending held its request open for
    # ever (uvicorn has no body-read timeout).
    monkeypatch.setattr(limits, "BODY_READ_TIMEOUT", 0.3)
    with running_issuer(make_settings(tmp_path)) as issuer:
        agency = issuer.agency("Resident Registry", [RESIDENT])
        started = time.monotonic()
        response = issuer.client.post(
            "/credentials/issue",
            content=_stalled_body(),
            headers={**agency.headers, "Content-Type": "application/json"},
        )
        assert time.monotonic() - started < 10
        _problem(response, 408, "request_timeout")
        assert response.headers["connection"] == "close"
        # A body that arrives in time is unaffected.
        assert issuer.issue(agency).status_code == 201
