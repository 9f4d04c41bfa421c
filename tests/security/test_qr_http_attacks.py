"""Attacks on QR input and on the HTTP surface of both services (issue 9, "QR and HTTP").

QR: text and images a scanner (or an attacker with a printer) can present; every one is
a refusal with a code, inside its budget. HTTP: the shapes of requests an attacker can
send to either service: every answer is a 4xx ``application/problem+json`` with a
code, no stack trace, the security headers on, and no state changed. The timeouts and
decode budgets themselves belong to the performance work (issue 8); these tests pin the
current answers.
"""

from __future__ import annotations

import base64
import io
import struct
import time
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from tests.asgi_client import AppClient
from tests.issuer.support import RESIDENT, Harness, MutableClock, issue_body, make_settings
from tests.issuer.support import running_issuer as _running_issuer
from tests.security.support import World, codes_of, world_client
from vcore.qr import COMPACT_PREFIX, base45_encode, encode_qr_text


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> World:
    return World(tmp_path, fixed_now)


@pytest.fixture
def client(world: World) -> Iterator[AppClient]:
    with world_client(world) as c:
        yield c


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Harness]:
    with _running_issuer(make_settings(tmp_path / "issuer"), MutableClock()) as harness:
        harness.agency("Registry", [RESIDENT])
        harness.agency("Other Agency", [RESIDENT])
        yield harness


def _qr_code(response_body: dict[str, object]) -> str:
    if "code" in response_body:
        return str(response_body["code"])
    return codes_of(response_body)[0]  # type: ignore[arg-type]


def _qr_text(client: AppClient, text: str) -> tuple[int, str]:
    started = time.monotonic()
    response = client.post("/verify/qr", data={"text": text})
    assert time.monotonic() - started < 5.0
    assert response.status_code < 500, response.text
    return response.status_code, _qr_code(response.json())


def _problem(response: object) -> dict[str, object]:
    from httpx import Response

    assert isinstance(response, Response)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
    assert response.headers.get("x-content-type-options") == "nosniff"
    body: dict[str, object] = response.json()
    assert body["code"]
    return body


# -- QR text ---------------------------------------------------------------------------------


def test_qr_text_that_holds_no_credential_is_refused(client: AppClient) -> None:
    assert _qr_text(client, "https://phishing.example/login") == (400, "qr_invalid")


def test_qr_text_longer_than_any_qr_code_is_refused(client: AppClient) -> None:
    assert _qr_text(client, "A" * 5000) == (400, "qr_too_large")


def test_compact_qr_zlib_bomb_is_refused_within_its_budget(client: AppClient) -> None:
    bomb = zlib.compress(b"\x00" * (8 * 1024 * 1024), 9)
    text = COMPACT_PREFIX + base45_encode(bomb[:3000])
    status, code = _qr_text(client, text)
    assert status == 400
    assert code in ("qr_too_large", "qr_invalid")


def test_compact_qr_with_trailing_bytes_is_refused(world: World, client: AppClient) -> None:
    compact = encode_qr_text(world.credential(with_status=False), compact=True)
    assert compact.startswith(COMPACT_PREFIX)
    status, code = _qr_text(client, compact + "00")
    assert (status, code) == (400, "qr_invalid")


def test_qr_text_with_terminal_escapes_is_refused_and_not_echoed(client: AppClient) -> None:
    hostile = "\x1b]0;pwned\x07\x1b[2J eyJhbGciOiJFUzI1NiJ9.e30.AAAA\u202e"
    response = client.post("/verify/qr", data={"text": hostile})
    assert response.status_code == 400
    assert "\x1b" not in response.text
    assert "\\u001b]0;pwned" not in response.text


def test_qr_data_url_of_a_foreign_media_type_is_refused(world: World, client: AppClient) -> None:
    text = f"data:text/html,{world.credential(with_status=False)}"
    status, code = _qr_text(client, text)
    assert status == 400
    assert code in ("qr_invalid", "envelope_invalid", "format_unsupported")


def test_qr_text_of_a_forged_credential_fetches_only_the_key(
    world: World, client: AppClient
) -> None:
    from tests.security.support import tamper

    forged = tamper(world.credential(), givenName="Mallory")
    status, code = _qr_text(client, forged)
    assert (status, code) == (400, "bad_signature")
    assert [str(r.url) for r in world.web.requests] == [
        "https://registry.example/.well-known/did.json"
    ]


# -- QR images -------------------------------------------------------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + bytes((width + 7) // 8)
    idat = zlib.compress(row * 64, 9)  # far fewer rows than claimed
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _upload(client: AppClient, data: bytes, media: str) -> tuple[int, str]:
    started = time.monotonic()
    response = client.post("/verify/qr", files={"file": ("qr", data, media)})
    assert time.monotonic() - started < 10.0
    assert response.status_code < 500, response.text
    return response.status_code, _qr_code(response.json())


def test_png_decompression_bomb_is_refused_before_decoding(client: AppClient) -> None:
    status, code = _upload(client, _png_header_only(50_000, 50_000), "image/png")
    assert (status, code) in ((400, "image_too_large"), (413, "image_too_large"))


def test_image_that_is_not_png_or_jpeg_is_refused(client: AppClient) -> None:
    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, format="GIF")
    status, code = _upload(client, buffer.getvalue(), "image/gif")
    assert (status, code) == (415, "unsupported_media")


def test_bytes_labelled_png_that_are_not_an_image_are_refused(client: AppClient) -> None:
    status, code = _upload(client, b"<?php system($_GET['c']); ?>", "image/png")
    assert status in (400, 415)
    assert code in ("unsupported_media", "no_qr_found")


def test_blank_image_is_no_qr_found(client: AppClient) -> None:
    buffer = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buffer, format="PNG")
    assert _upload(client, buffer.getvalue(), "image/png") == (400, "no_qr_found")


def test_two_files_in_one_upload_are_refused(client: AppClient) -> None:
    buffer = io.BytesIO()
    Image.new("L", (32, 32), 255).save(buffer, format="PNG")
    png = buffer.getvalue()
    response = client.post(
        "/verify/qr",
        files=[("file", ("a.png", png, "image/png")), ("file", ("b.png", png, "image/png"))],
    )
    _problem(response)


# -- HTTP, verifier ------------------------------------------------------------------------


def test_verifier_body_over_the_limit_is_413_problem(client: AppClient) -> None:
    response = client.post(
        "/credentials/verify",
        content=b'{"verifiableCredential":"' + b"a" * (70 * 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert _problem(response)["code"] == "too_large"


def test_verifier_body_that_is_not_json_is_415_problem(client: AppClient) -> None:
    response = client.post(
        "/credentials/verify", content=b"<xml/>", headers={"content-type": "application/xml"}
    )
    assert response.status_code == 415
    assert _problem(response)["code"] == "unsupported_media_type"


def test_duplicate_members_in_a_request_body_are_refused(client: AppClient) -> None:
    response = client.post(
        "/credentials/verify",
        content=b'{"verifiableCredential":"a.b.c","verifiableCredential":{"x":1}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert _problem(response)["code"] == "malformed"


def test_static_path_traversal_serves_nothing(client: AppClient) -> None:
    for path in ("/static/../app.py", "/static/%2e%2e/settings.py", "/static/..%2fcli.py"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "VerifierSettings" not in response.text


def test_malformed_and_unknown_api_keys_get_the_same_answer(
    world: World, client: AppClient
) -> None:
    world.app.state.clients.create("Counter")
    answers = []
    for header in ("Bearer not-a-key", "Bearer " + "A" * 43, "Basic YWRtaW46YWRtaW4=", "Bearer"):
        response = client.post(
            "/credentials/verify",
            json={"verifiableCredential": "x"},
            headers={"Authorization": header},
        )
        answers.append((response.status_code, _problem(response)["code"]))
    assert set(answers) == {(401, "unauthorized")}


def test_api_key_in_the_query_string_is_not_accepted(world: World, client: AppClient) -> None:
    _, key = world.app.state.clients.create("Counter")
    response = client.post(f"/credentials/verify?api_key={key}", json={"verifiableCredential": "x"})
    assert response.status_code == 401
    assert _problem(response)["code"] == "unauthorized"


def test_metrics_are_closed_once_clients_exist(world: World, client: AppClient) -> None:
    world.app.state.clients.create("Counter")
    response = client.get("/metrics")
    assert response.status_code in (401, 403, 404)
    assert "trustid_" not in response.text


# -- HTTP, issuer ----------------------------------------------------------------------------


def test_issuer_refuses_a_status_change_of_another_agencys_credential(issuer: Harness) -> None:
    mine = issuer.issue(issuer.agencies["Registry"], issue_body(RESIDENT)).json()
    response = issuer.change(
        issuer.agencies["Other Agency"], mine["credentialId"], "revocation", True
    )
    assert response.status_code == 403
    assert _problem(response)["code"] == "forbidden"
    assert issuer.counts()["status_changes"] == 0


def test_issuer_refuses_issuance_without_a_valid_key_and_stores_nothing(issuer: Harness) -> None:
    before = issuer.counts()
    for header in ("Bearer nope", "Bearer ", "Token abc", ""):
        response = issuer.client.post(
            "/credentials/issue", json=issue_body(RESIDENT), headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert _problem(response)["code"] == "unauthorized"
    assert issuer.counts() == before


def test_issuer_refuses_a_type_the_agency_is_not_accredited_for(issuer: Harness) -> None:
    before = issuer.counts()
    response = issuer.issue(issuer.agencies["Registry"], issue_body("DrivingLicenceCredential"))
    assert response.status_code == 403
    assert _problem(response)["code"] == "type_not_accredited"
    assert issuer.counts() == before


def test_issuer_refuses_a_caller_supplied_proof(issuer: Harness) -> None:
    body = issue_body(RESIDENT)
    body["credential"]["proof"] = {"type": "DataIntegrityProof", "proofValue": "z"}
    response = issuer.issue(issuer.agencies["Registry"], body)
    assert response.status_code in (400, 422)
    assert _problem(response)["code"]
    assert issuer.counts()["credentials"] == 0


def test_issuer_refuses_a_foreign_issuer_in_the_template(issuer: Harness) -> None:
    body = issue_body(RESIDENT)
    body["credential"]["issuer"] = "did:web:evil.example"
    response = issuer.issue(issuer.agencies["Registry"], body)
    assert response.status_code == 422
    assert _problem(response)["code"] == "issuer_mismatch"


def test_issuer_status_list_id_out_of_range_is_422(issuer: Harness) -> None:
    for list_id in ("0", "-1", "99999999999999999999", "1e3", "abc"):
        response = issuer.client.get(f"/status-lists/{list_id}")
        assert response.status_code == 422, list_id
        assert _problem(response)["code"] == "invalid_request"


def test_issuer_if_none_match_flood_is_answered_normally(issuer: Harness) -> None:
    issuer.issue(issuer.agencies["Registry"], issue_body(RESIDENT))
    response = issuer.client.get("/status-lists/1", headers={"If-None-Match": "W/" * 3000})
    assert response.status_code == 200


def test_issuer_body_over_the_limit_is_413_problem(issuer: Harness) -> None:
    body = issue_body(RESIDENT, note="x" * (40 * 1024))
    response = issuer.issue(issuer.agencies["Registry"], body)
    assert response.status_code == 413
    assert _problem(response)["code"] == "too_large"


def test_issuer_basic_auth_style_credentials_are_refused(issuer: Harness) -> None:
    key = issuer.agencies["Registry"].api_key
    basic = base64.b64encode(f"Registry:{key}".encode()).decode()
    response = issuer.client.post(
        "/credentials/issue", json=issue_body(RESIDENT), headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 401
    assert _problem(response)["code"] == "unauthorized"
