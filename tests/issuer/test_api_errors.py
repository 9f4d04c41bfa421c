"""Bad input: every case gets its 4xx problem+json with a stable code, and writes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.issuer.support import (
    LICENCE,
    RESIDENT,
    Harness,
    MutableClock,
    issue_body,
    make_settings,
    running_issuer,
    token_of,
)
from vcore.formats import parse_credential_unverified


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """One issuer for the whole matrix: every case must leave the database unchanged."""
    with running_issuer(make_settings(tmp_path_factory.mktemp("issuer"))) as harness:
        harness.agency("Resident Registry", [RESIDENT])
        yield harness


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["type"].endswith("/" + code)
    assert problem["title"]
    assert problem["detail"]
    assert "Traceback" not in response.text
    return problem


def _post_raw(
    harness: Harness, content: bytes, content_type: str = "application/json"
) -> httpx.Response:
    agency = harness.agencies["Resident Registry"]
    return harness.client.post(
        "/credentials/issue",
        content=content,
        headers={**agency.headers, "Content-Type": content_type},
    )


def _with(mutate: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    body = issue_body(RESIDENT)
    mutate(body)
    return body


def _subject(body: dict[str, Any]) -> dict[str, Any]:
    subject: dict[str, Any] = body["credential"]["credentialSubject"]
    return subject


VC2 = "https://www.w3.org/ns/credentials/v2"

BAD_BODIES: list[tuple[str, dict[str, Any], int, str]] = [
    (
        "unknown type",
        _with(
            lambda b: b["credential"].update(type=["VerifiableCredential", "PassportCredential"])
        ),
        422,
        "unknown_type",
    ),
    (
        "two types without VerifiableCredential",
        _with(lambda b: b["credential"].update(type=[RESIDENT, LICENCE])),
        400,
        "vcdm_type",
    ),
    (
        "two registered types",
        _with(lambda b: b["credential"].update(type=["VerifiableCredential", RESIDENT, LICENCE])),
        422,
        "invalid_request",
    ),
    (
        "a registered type with another type",
        _with(
            lambda b: b["credential"].update(
                type=["VerifiableCredential", RESIDENT, "https://example.org/#Extra"]
            )
        ),
        422,
        "invalid_request",
    ),
    (
        "repeated type",
        _with(lambda b: b["credential"].update(type=["VerifiableCredential", RESIDENT, RESIDENT])),
        422,
        "invalid_request",
    ),
    (
        "claims fail the schema",
        _with(lambda b: _subject(b).update(birthDate="14/03/1990")),
        422,
        "schema_invalid",
    ),
    (
        "missing required claim",
        _with(lambda b: _subject(b).pop("residentNumber")),
        422,
        "schema_invalid",
    ),
    ("unexpected claim", _with(lambda b: _subject(b).update(bloodType="O")), 422, "schema_invalid"),
    ("no holder", _with(lambda b: _subject(b).pop("id")), 422, "invalid_request"),
    (
        "holder not a DID",
        _with(lambda b: _subject(b).update(id="https://example.com/me")),
        422,
        "did_invalid",
    ),
    (
        "holder did:key with a broken key",
        _with(lambda b: _subject(b).update(id="did:key:z6Mkf")),
        422,
        "did_invalid",
    ),
    (
        "holder DID URL with fragment",
        _with(lambda b: _subject(b).update(id=_subject(b)["id"] + "#x")),
        422,
        "did_invalid",
    ),
    (
        "another issuer",
        _with(lambda b: b["credential"].update(issuer="did:web:evil.example")),
        422,
        "issuer_mismatch",
    ),
    (
        "another issuer as an object",
        _with(lambda b: b["credential"].update(issuer={"id": "did:web:evil.example"})),
        422,
        "issuer_mismatch",
    ),
    (
        "issuer not a URL",
        _with(lambda b: b["credential"].update(issuer="fake-issuer")),
        400,
        "vcdm_issuer",
    ),
    (
        "issuer null",
        _with(lambda b: b["credential"].update(issuer=None)),
        400,
        "vcdm_issuer",
    ),
    (
        "issuer object with other members",
        _with(
            lambda b: b["credential"].update(
                issuer={"id": "did:web:issuer.test%3A8100", "image": "https://x.example/i.png"}
            )
        ),
        422,
        "invalid_request",
    ),
    (
        "credentialStatus without a type",
        _with(lambda b: b["credential"].update(credentialStatus={})),
        400,
        "vcdm_status",
    ),
    (
        "credentialStatus pointing into this issuer's lists",
        _with(
            lambda b: b["credential"].update(
                credentialStatus={
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                    "statusListIndex": "7",
                    "statusListCredential": "http://issuer.test:8100/status-lists/1",
                }
            )
        ),
        422,
        "invalid_request",
    ),
    (
        "credentialSchema without an id",
        _with(lambda b: b["credential"].update(credentialSchema={"type": "JsonSchema"})),
        400,
        "vcdm_schema",
    ),
    (
        "other @context",
        _with(lambda b: b["credential"].update({"@context": ["https://example.com/ctx"]})),
        400,
        "vcdm_context",
    ),
    (
        "@context redefines a protected term",
        _with(
            lambda b: b["credential"].update(
                {"@context": [VC2, {"VerifiableCredential": "https://example.org/#Bad"}]}
            )
        ),
        400,
        "vcdm_term_redefined",
    ),
    (
        "credential id not a URL",
        _with(lambda b: b["credential"].update(id="not a url")),
        400,
        "vcdm_identifier",
    ),
    (
        "name with extra members",
        _with(lambda b: b["credential"].update(name={"@value": "x", "url": "did:example:x"})),
        400,
        "vcdm_language_value",
    ),
    (
        "evidence without a type",
        _with(lambda b: b["credential"].update(evidence={})),
        400,
        "vcdm_evidence",
    ),
    (
        "termsOfUse without a type",
        _with(lambda b: b["credential"].update(termsOfUse={"id": "did:example:terms/1"})),
        400,
        "vcdm_terms_of_use",
    ),
    (
        "refreshService without a type",
        _with(lambda b: b["credential"].update(refreshService={"id": "did:example:refresh/1"})),
        400,
        "vcdm_refresh_service",
    ),
    (
        "relatedResource without a digest",
        _with(lambda b: b["credential"].update(relatedResource=[{"id": "https://r.example/1"}])),
        400,
        "vcdm_related_resource",
    ),
    (
        "empty credentialSubject list",
        _with(lambda b: b["credential"].update(credentialSubject=[])),
        400,
        "vcdm_subject",
    ),
    (
        "proof set by the caller",
        _with(lambda b: b["credential"].update(proof={"type": "DataIntegrityProof"})),
        422,
        "invalid_request",
    ),
    (
        "validFrom in the past for a type that does not backdate",
        _with(lambda b: b["credential"].update(validFrom="2020-01-01T00:00:00Z")),
        422,
        "invalid_request",
    ),
    (
        "validUntil before validFrom",
        _with(
            lambda b: b["credential"].update(
                validFrom="2031-01-01T00:00:00Z", validUntil="2030-01-01T00:00:00Z"
            )
        ),
        400,
        "vcdm_validity",
    ),
    (
        "unknown format",
        _with(lambda b: b.update(options={"format": "ldp_vc"})),
        422,
        "invalid_request",
    ),
    (
        "validDays as a string",
        _with(lambda b: b.update(options={"validDays": "5"})),
        422,
        "invalid_request",
    ),
    (
        "validDays over ten years",
        _with(lambda b: b.update(options={"validDays": 4000})),
        422,
        "invalid_request",
    ),
    (
        "validUntil in the past",
        _with(lambda b: b["credential"].update(validUntil="2001-01-01T00:00:00Z")),
        422,
        "invalid_request",
    ),
    (
        "validUntil not a date",
        _with(lambda b: b["credential"].update(validUntil="tomorrow")),
        400,
        "vcdm_validity",
    ),
    (
        "validUntil and validDays",
        _with(
            lambda b: (
                b["credential"].update(validUntil="2030-01-01T00:00:00Z"),
                b.update(options={"validDays": 5}),
            )
        ),
        422,
        "invalid_request",
    ),
    ("unknown top-level member", _with(lambda b: b.update(extra=1)), 422, "invalid_request"),
    ("credential missing", {"options": {}}, 422, "invalid_request"),
]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [pytest.param(body, status, code, id=name) for name, body, status, code in BAD_BODIES],
)
def test_bad_issue_bodies(issuer: Harness, body: dict[str, Any], status: int, code: str) -> None:
    before = issuer.counts()
    problem = assert_problem(issuer.issue(issuer.agencies["Resident Registry"], body), status, code)
    assert issuer.counts() == before
    if code in {"schema_invalid", "invalid_request"} and "errors" in problem:
        assert all({"loc", "msg", "type"} <= set(e) for e in problem["errors"])


def test_schema_errors_name_the_field_without_echoing_the_value(issuer: Harness) -> None:
    body = issue_body(RESIDENT)
    _subject(body)["residentNumber"] = "SECRET-VALUE-123"
    problem = assert_problem(
        issuer.issue(issuer.agencies["Resident Registry"], body), 422, "schema_invalid"
    )
    assert problem["errors"][0]["loc"] == ["credential", "credentialSubject", "residentNumber"]
    assert "SECRET-VALUE-123" not in json.dumps(problem)


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        pytest.param(b'{"credential": ', "application/json", 400, "malformed", id="truncated JSON"),
        pytest.param(b"\xff\xfe{}", "application/json", 400, "malformed", id="not UTF-8"),
        pytest.param(
            b'{"credential": {}, "credential": {}}',
            "application/json",
            400,
            "malformed",
            id="duplicate member",
        ),
        pytest.param(b'{"a": NaN}', "application/json", 400, "malformed", id="NaN"),
        pytest.param(
            b"[" * 40 + b"]" * 40, "application/json", 400, "malformed", id="nested too deep"
        ),
        pytest.param(b"[]", "application/json", 422, "invalid_request", id="array body"),
        pytest.param(b"", "application/json", 422, "invalid_request", id="empty body"),
        pytest.param(b"{}", "text/plain", 415, "unsupported_media_type", id="text/plain"),
        pytest.param(
            b"a=b", "application/x-www-form-urlencoded", 415, "unsupported_media_type", id="form"
        ),
    ],
)
def test_malformed_bodies(
    issuer: Harness, content: bytes, content_type: str, status: int, code: str
) -> None:
    before = issuer.counts()
    assert_problem(_post_raw(issuer, content, content_type), status, code)
    assert issuer.counts() == before


def test_a_refused_body_names_line_and_column(issuer: Harness) -> None:
    content = b'{\n  "credential": {},\n  "options": {},\n  "credential": {}\n}'
    problem = assert_problem(_post_raw(issuer, content, "application/json"), 400, "malformed")
    assert "duplicate JSON member 'credential' at line 4, column 3" in problem["detail"]


def test_body_over_32_kib_by_content_length(issuer: Harness) -> None:
    body = issue_body(RESIDENT)
    _subject(body)["padding"] = "x" * 33_000
    before = issuer.counts()
    problem = assert_problem(
        issuer.issue(issuer.agencies["Resident Registry"], body), 413, "too_large"
    )
    assert "32768" in problem["detail"]
    assert issuer.counts() == before


def test_body_over_32_kib_streamed_without_content_length(issuer: Harness) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"credential": {"type": "ResidentIdentityCredential", "credentialSubject": {"x": "'
        for _ in range(40):
            yield b"y" * 1024
        yield b'"}}}'

    agency = issuer.agencies["Resident Registry"]
    before = issuer.counts()
    response = issuer.client.post(
        "/credentials/issue",
        content=chunks(),
        headers={**agency.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 413, "too_large")
    assert issuer.counts() == before


def test_body_just_under_the_limit_is_parsed(issuer: Harness) -> None:
    body = issue_body(RESIDENT)
    _subject(body)["padding"] = "x" * 30_000
    # Accepted by the limit, refused by the schema (additionalProperties false).
    assert_problem(issuer.issue(issuer.agencies["Resident Registry"], body), 422, "schema_invalid")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer tid_" + "A" * 43, id="unknown key"),
        pytest.param("Bearer not-a-key", id="malformed key"),
        pytest.param("Basic dXNlcjpwYXNz", id="wrong scheme"),
        pytest.param("Bearer ", id="empty"),
    ],
)
def test_missing_or_wrong_api_key(issuer: Harness, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    before = issuer.counts()
    response = issuer.client.post("/credentials/issue", json=issue_body(), headers=headers)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert issuer.counts() == before


@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        pytest.param("Bearer tvk_" + "A" * 43, "this is a verifier API key", id="verifier key"),
        pytest.param("Bearer tid_" + "A" * 43, "unknown to this issuer", id="unknown key"),
        pytest.param("Bearer not-a-key", "not an issuer key", id="malformed key"),
        pytest.param(None, "an API key is required", id="missing"),
    ],
)
def test_a_wrong_key_is_told_which_command_makes_a_right_one(
    issuer: Harness, authorization: str | None, says: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = issuer.client.post("/credentials/issue", json=issue_body(), headers=headers)
    detail = assert_problem(response, 401, "unauthorized")["detail"]
    assert says in detail
    assert "`trustid-issuer agency create NAME --types TYPE`" in detail
    assert "`trustid-issuer agency key create AGENCY_ID`" in detail


def test_type_not_accredited(issuer: Harness) -> None:
    before = issuer.counts()
    response = issuer.issue(issuer.agencies["Resident Registry"], issue_body(LICENCE))
    assert_problem(response, 403, "type_not_accredited")
    assert issuer.counts() == before


def test_bad_idempotency_key_header(issuer: Harness) -> None:
    before = issuer.counts()
    response = issuer.issue(
        issuer.agencies["Resident Registry"], headers={"Idempotency-Key": "k" * 300}
    )
    assert_problem(response, 422, "invalid_request")
    assert issuer.counts() == before


def test_credential_that_would_exceed_16_kib(tmp_path: Path, clock: MutableClock) -> None:
    types_dir = tmp_path / "types"
    types_dir.mkdir()
    (types_dir / "NoteCredential.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "NoteCredential",
                "type": "object",
                "properties": {"id": {"type": "string"}, "note": {"type": "string"}},
                "required": ["note"],
                "additionalProperties": False,
                "examples": [{"note": "hello"}],
            }
        )
    )
    with running_issuer(make_settings(tmp_path, types_dir=types_dir), clock) as harness:
        agency = harness.agency("Notary", ["NoteCredential"])
        small = issue_body("ResidentIdentityCredential")
        small["credential"]["type"] = ["VerifiableCredential", "NoteCredential"]
        small["credential"]["credentialSubject"] = {"id": _subject(small)["id"], "note": "hi"}
        token = token_of(harness.issue(agency, small))
        assert parse_credential_unverified(token).credential_type == "NoteCredential"

        big = json.loads(json.dumps(small))
        big["credential"]["credentialSubject"]["note"] = "n" * 15_000
        before = harness.counts()
        assert_problem(harness.issue(agency, big), 422, "credential_too_large")
        assert harness.counts() == before


def test_routing_errors_are_problems_too(issuer: Harness) -> None:
    assert_problem(issuer.client.get("/nowhere"), 404, "not_found")
    assert_problem(issuer.client.get("/credentials/issue"), 405, "method_not_allowed")
    assert_problem(issuer.client.get("/status-lists/999"), 404, "not_found")
    assert_problem(issuer.client.get("/status-lists/abc"), 422, "invalid_request")
    assert_problem(issuer.client.get("/schemas/NoSuchCredential"), 404, "not_found")


def test_unexpected_failure_is_a_bare_500_problem(
    issuer: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> dict[str, Any]:
        raise RuntimeError("internal detail: /srv/secret/path")

    # Fault injection: the one way to reach the last-resort handler on purpose.
    monkeypatch.setattr(issuer.services.publication, "jwks", explode)
    response = issuer.client.get("/.well-known/jwks.json")
    problem = assert_problem(response, 500, "internal_error")
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    assert problem["instance"] == "/.well-known/jwks.json"
    assert "internal detail" in caplog.text  # logged for the operator
