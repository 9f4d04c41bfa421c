"""The verifier HTTP API through the real app (create_app), network replaced by FakeWeb.

Shapes follow DESIGN §3: 200 ``{verified: true, checks, credential, warnings}``, 400
``{verified: false, checks, problemDetails}``; request errors are problem+json.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import qrcode
from PIL import Image

from tests.asgi_client import AppClient
from tests.verifier.support import (
    RESIDENT,
    RESIDENT_SCHEMA,
    Clock,
    FakeWeb,
    Holder,
    Issuer,
    app_client,
    public_resolver,
    trust_document,
    write_json,
)
from vcore.formats import build_presentation, envelope_credential, envelope_presentation
from vcore.jose import sign
from vcore.keys import b64url_encode
from vcore.signing import SoftwareSigner
from verifier.app import create_app
from verifier.settings import VerifierSettings

AUDIENCE = "https://verifier.example"


class Env:
    def __init__(self, tmp_path: Path, now: datetime) -> None:
        self.clock = Clock(now)
        self.web = FakeWeb(self.clock)
        self.issuer = self.web.add(Issuer("https://registry.example"))
        self.jwk_issuer = self.web.add(Issuer(None))
        self.holder = Holder()
        self.trust_path = write_json(
            tmp_path / "trust.json",
            trust_document((self.issuer, [RESIDENT]), (self.jwk_issuer, [RESIDENT])),
        )
        self.settings = VerifierSettings(
            trust_list=str(self.trust_path),
            data_dir=tmp_path / "var",
            verifier_url=AUDIENCE,
            verifier_status_max_age=0,
        )
        self.app = create_app(
            self.settings,
            transport=self.web.transport(),
            host_resolver=public_resolver,
            clock=self.clock,
        )

    def issue(self, **kwargs: Any) -> tuple[str, int]:
        return self.issuer.issue(self.holder.did, now=self.clock.value, **kwargs)


@pytest.fixture
def env(tmp_path: Path, fixed_now: datetime) -> Env:
    return Env(tmp_path, fixed_now)


@pytest.fixture
def client(env: Env) -> Iterator[AppClient]:
    with app_client(env.app) as c:
        yield c


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


# ------------------------------------------------------------------ credentials


def test_verify_credential_success_shape(env: Env, client: AppClient) -> None:
    token, _ = env.issue()
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": envelope_credential(token)}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["verified"] is True
    assert body["warnings"] == []
    assert body["credential"]["credentialSubject"]["familyName"] == "Chen"
    assert body["issuer"]["id"] == env.issuer.did
    assert body["statusAsOf"] == "2026-11-23T12:00:00Z"
    assert {c["id"] for c in body["checks"]} >= {"signature", "status.revocation", "trust"}
    assert all(set(c) <= {"id", "status", "detail", "code"} for c in body["checks"])


@pytest.mark.parametrize("wrap", ["bare", "data_url"])
def test_verify_accepts_bare_and_data_url(env: Env, client: AppClient, wrap: str) -> None:
    token, _ = env.issue(fmt="jwt_vc_json")
    # VC-JWT 1.1 is enveloped as application/jwt (application/vc+jwt is VC 2.0 only).
    value = token if wrap == "bare" else "data:application/jwt," + token
    response = client.post("/credentials/verify", json={"verifiableCredential": value})
    assert response.json()["verified"] is True


def test_revoked_credential_is_400_with_problem_details(env: Env, client: AppClient) -> None:
    token, index = env.issue()
    assert (
        client.post("/credentials/verify", json={"verifiableCredential": token}).status_code == 200
    )
    env.issuer.set_status("revocation", index, True)
    response = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["verified"] is False
    assert [p["code"] for p in body["problemDetails"]] == ["revoked"]
    assert set(body["problemDetails"][0]) == {"code", "title", "detail"}


def test_schema_is_fetched_from_the_issuer_and_checked(env: Env, client: AppClient) -> None:
    env.web.schemas[RESIDENT] = RESIDENT_SCHEMA
    good, _ = env.issue(schema=True)
    bad, _ = env.issue(schema=True, subject={"givenName": "Mei"})
    assert client.post("/credentials/verify", json={"verifiableCredential": good}).json()[
        "verified"
    ]
    body = client.post("/credentials/verify", json={"verifiableCredential": bad}).json()
    assert [p["code"] for p in body["problemDetails"]] == ["schema_invalid"]
    assert env.web.count("/schemas/") == 1


# ---------------------------------------------------------------- hostile input


def _forged(header: dict[str, Any], payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(value).encode())

    return f"{part(header)}.{part(payload)}.{b64url_encode(b'x' * 64)}"


@pytest.mark.parametrize(
    ("header_extra", "code"),
    [
        ({"alg": "none"}, "alg_not_allowed"),
        ({"alg": "HS256"}, "alg_not_allowed"),
        ({"alg": "ES256", "jku": "https://attacker.example/jwks.json"}, "header_not_allowed"),
        ({"alg": "ES256", "x5u": "http://169.254.169.254/"}, "header_not_allowed"),
        (
            {"alg": "ES256", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AA"}},
            "header_not_allowed",
        ),
    ],
)
def test_hostile_headers_cause_no_outbound_request(
    env: Env, client: AppClient, header_extra: dict[str, Any], code: str
) -> None:
    token, _ = env.issue()
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    forged = _forged({"typ": "vc+jwt", "kid": env.issuer.kid, **header_extra}, payload)
    response = client.post("/credentials/verify", json={"verifiableCredential": forged})
    assert response.status_code == 400
    assert [p["code"] for p in response.json()["problemDetails"]] == [code]
    assert env.web.requests == []


def test_attacker_status_url_is_not_requested(env: Env, client: AppClient) -> None:
    stranger = Issuer("https://attacker.example")
    token, _ = stranger.issue(env.holder.did, now=env.clock.value)
    response = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert [p["code"] for p in response.json()["problemDetails"]] == ["untrusted_issuer"]
    assert env.web.requests == []


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b"{not json", {"content-type": "application/json"}, 400, "malformed"),
        (b'{"a": 1, "a": 2}', {"content-type": "application/json"}, 400, "malformed"),
        (b"[" * 100 + b"]" * 100, {"content-type": "application/json"}, 400, "malformed"),
        (b"{}", {"content-type": "application/json"}, 422, "invalid_request"),
        (
            b'{"verifiableCredential": 5}',
            {"content-type": "application/json"},
            422,
            "invalid_request",
        ),
        (b"verifiableCredential=x", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
        (b"\xff\xfe", {"content-type": "application/json"}, 400, "malformed"),
    ],
)
def test_bad_requests_are_problems(
    client: AppClient, content: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    response = client.post("/credentials/verify", content=content, headers=headers)
    _problem(response, status, code)


def test_one_megabyte_body_is_413(client: AppClient) -> None:
    big = json.dumps({"verifiableCredential": "a" * 1_000_000}).encode()
    _problem(
        client.post(
            "/credentials/verify", content=big, headers={"content-type": "application/json"}
        ),
        413,
        "too_large",
    )


def test_streamed_body_without_length_is_cut_at_the_limit(client: AppClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"verifiableCredential": "'
        for _ in range(200):
            yield b"a" * 8192
        yield b'"}'

    response = client.post(
        "/credentials/verify", content=chunks(), headers={"content-type": "application/json"}
    )
    _problem(response, 413, "too_large")


@pytest.mark.parametrize(
    "value",
    [
        {"type": "EnvelopedVerifiableCredential", "id": 5},
        {"type": "VerifiableCredential", "issuer": "did:web:registry.example"},
        "data:text/html,<script>",
        "a" * 20_000,
        "eyJhbGciOiJFUzI1NiJ9.e30.",
    ],
)
def test_garbage_credentials_are_clear_400s(env: Env, client: AppClient, value: object) -> None:
    response = client.post("/credentials/verify", json={"verifiableCredential": value})
    assert response.status_code == 400
    codes = [p["code"] for p in response.json()["problemDetails"]]
    # envelope_invalid / format_unsupported: the envelope rules of issue 7 (subclasses of malformed)
    assert codes[0] in {"malformed", "too_large", "envelope_invalid", "format_unsupported"}
    assert env.web.requests == []


def test_unknown_route_and_method_are_problems(client: AppClient) -> None:
    _problem(client.get("/nope"), 404, "not_found")
    _problem(client.get("/credentials/verify"), 405, "method_not_allowed")


# -------------------------------------------------------------------------- batch


def test_batch_gives_per_item_results_with_shared_fetches(env: Env, client: AppClient) -> None:
    good = [env.issue()[0] for _ in range(5)]
    revoked, index = env.issue()
    env.issuer.set_status("revocation", index, True)
    other, _ = env.jwk_issuer.issue(env.holder.did, now=env.clock.value, with_status=False)
    untrusted, _ = Issuer(None).issue(env.holder.did, now=env.clock.value)
    items: list[Any] = [{"verifiableCredential": t} for t in good]
    items += [
        {"verifiableCredential": revoked},
        {"verifiableCredential": envelope_credential(other)},
        {"verifiableCredential": untrusted},
        {"verifiableCredential": "garbage"},
        {"something": "else"},
        "not an object",
    ]
    response = client.post("/credentials/verify/batch", json={"items": items})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["verified"] for r in results] == [True] * 5 + [
        False,
        True,
        False,
        False,
        False,
        False,
    ]
    assert results[5]["problemDetails"][0]["code"] == "revoked"
    assert results[7]["problemDetails"][0]["code"] == "untrusted_issuer"
    assert results[8]["problemDetails"][0]["code"] == "malformed"
    assert results[9]["problemDetails"][0]["code"] == "malformed"
    # One DID document and one fetch per status list for the whole batch.
    assert env.web.count("did.json") == 1
    assert env.web.count("/status-lists/rev1") == 1
    assert env.web.count("/status-lists/sus1") == 1


def test_batch_limits(client: AppClient) -> None:
    too_many = {"items": [{"verifiableCredential": "x"}] * 1001}
    _problem(client.post("/credentials/verify/batch", json=too_many), 422, "invalid_request")
    _problem(client.post("/credentials/verify/batch", json={"items": []}), 422, "invalid_request")


# ------------------------------------------------------------------ presentations


def test_presentation_flow_with_challenge_and_replay(env: Env, client: AppClient) -> None:
    token, _ = env.issue()
    challenge = client.post("/challenges").json()
    assert challenge["domain"] == AUDIENCE
    assert len(challenge["challenge"]) >= 22
    vp = build_presentation(
        [token],
        env.holder.key,
        env.holder.did,
        audience=challenge["domain"],
        nonce=challenge["challenge"],
        now=env.clock.value,
    )
    request = {
        "verifiablePresentation": envelope_presentation(vp),
        "options": {"challenge": challenge["challenge"], "domain": challenge["domain"]},
    }
    response = client.post("/presentations/verify", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert body["holder"] == env.holder.did
    assert body["credentials"][0]["verified"] is True
    replay = client.post("/presentations/verify", json=request)
    assert replay.status_code == 400
    assert [p["code"] for p in replay.json()["problemDetails"]] == ["nonce_reused"]


def test_presentation_wrong_nonce_and_audience(env: Env, client: AppClient) -> None:
    token, _ = env.issue()
    vp = build_presentation(
        [token], env.holder.key, env.holder.did, audience=AUDIENCE, nonce="n-1", now=env.clock.value
    )
    wrong_nonce = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": vp, "options": {"challenge": "n-2"}},
    )
    assert wrong_nonce.status_code == 400
    assert [p["code"] for p in wrong_nonce.json()["problemDetails"]] == ["nonce_mismatch"]
    wrong_aud = client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": vp,
            "options": {"challenge": "n-1", "domain": "https://other.example"},
        },
    )
    assert [p["code"] for p in wrong_aud.json()["problemDetails"]] == ["audience_mismatch"]
    _problem(
        client.post("/presentations/verify", json={"verifiablePresentation": vp, "options": {}}),
        422,
        "invalid_request",
    )


def test_presentation_of_someone_elses_credential(env: Env, client: AppClient) -> None:
    token, _ = env.issue()  # issued to env.holder
    thief = Holder()
    vp = build_presentation(
        [token], thief.key, thief.did, audience=AUDIENCE, nonce="n-9", now=env.clock.value
    )
    response = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": vp, "options": {"challenge": "n-9"}},
    )
    assert [p["code"] for p in response.json()["problemDetails"]] == ["holder_binding"]


# ----------------------------------------------------------------------------- QR


def _qr_png(text: str) -> bytes:
    image = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_L)
    out = io.BytesIO()
    image.save(out)  # PNG is the default kind
    return out.getvalue()


def test_qr_image_of_a_credential_verifies(env: Env, client: AppClient) -> None:
    token, _ = env.jwk_issuer.issue(env.holder.did, now=env.clock.value, with_status=False)
    response = client.post("/verify/qr", files={"file": ("qr.png", _qr_png(token), "image/png")})
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True


def test_qr_text_field_verifies(env: Env, client: AppClient) -> None:
    token, _ = env.issue()
    response = client.post("/verify/qr", data={"text": token})
    assert response.status_code == 200, response.text


def test_qr_presentation_needs_its_challenge(env: Env, client: AppClient) -> None:
    token, _ = env.jwk_issuer.issue(env.holder.did, now=env.clock.value, with_status=False)
    vp = build_presentation(
        [token], env.holder.key, env.holder.did, audience=AUDIENCE, nonce="c-1", now=env.clock.value
    )
    _problem(client.post("/verify/qr", data={"text": vp}), 422, "invalid_request")
    response = client.post("/verify/qr", data={"text": vp, "challenge": "c-1"})
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True


def test_qr_that_is_not_a_credential(client: AppClient) -> None:
    _problem(
        client.post("/verify/qr", data={"text": "https://example.com/promo"}), 400, "qr_invalid"
    )
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, format="PNG")
    response = client.post("/verify/qr", files={"file": ("x.png", blank.getvalue(), "image/png")})
    _problem(response, 400, "no_qr_found")
    response = client.post("/verify/qr", files={"file": ("x.gif", b"GIF89a....", "image/gif")})
    _problem(response, 415, "unsupported_media")
    _problem(client.post("/verify/qr", data={"challenge": "c"}), 422, "invalid_request")
    _problem(client.post("/verify/qr", json={"text": "x"}), 415, "unsupported_media_type")


def test_qr_upload_over_8_mib_is_413(client: AppClient) -> None:
    response = client.post(
        "/verify/qr",
        files={"file": ("big.png", b"\x89PNG" + b"0" * (9 * 1024 * 1024), "image/png")},
    )
    _problem(response, 413, "too_large")


# ------------------------------------------------------------------ API clients


def test_keys_required_once_a_client_exists(env: Env, client: AppClient) -> None:
    token, _ = env.jwk_issuer.issue(env.holder.did, now=env.clock.value, with_status=False)
    body = {"verifiableCredential": token}
    assert client.get("/healthz").json()["open"] is True
    assert client.post("/credentials/verify", json=body).status_code == 200
    _info, key = env.app.state.clients.create("City Housing Office")
    assert client.get("/healthz").json()["open"] is False
    missing = _problem(client.post("/credentials/verify", json=body), 401, "unauthorized")
    assert "Bearer" in missing["detail"]
    assert (
        client.post("/credentials/verify", json=body)
        .headers["www-authenticate"]
        .startswith("Bearer")
    )
    _problem(
        client.post(
            "/credentials/verify", json=body, headers={"Authorization": "Bearer tvk_wrong"}
        ),
        401,
        "unauthorized",
    )
    _problem(
        client.post("/credentials/verify", json=body, headers={"Authorization": f"Basic {key}"}),
        401,
        "unauthorized",
    )
    ok = client.post("/credentials/verify", json=body, headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200
    for path in ("/credentials/verify/batch", "/presentations/verify", "/verify/qr", "/challenges"):
        _problem(client.post(path, json={}), 401, "unauthorized")
    assert client.get("/healthz").status_code == 200
    # Metrics are for operators once clients exist: no API key opens them.
    _problem(client.get("/metrics"), 401, "unauthorized")
    _problem(
        client.get("/metrics", headers={"Authorization": f"Bearer {key}"}), 401, "unauthorized"
    )


def test_a_refused_body_names_line_and_column(client: AppClient) -> None:
    response = client.post(
        "/credentials/verify",
        content=b'{"verifiableCredential": "a.b.c",\n "options": {"x": NaN}}',
        headers={"content-type": "application/json"},
    )
    problem = _problem(response, 400, "malformed")
    assert "non-finite number is not JSON at line 2, column 19" in problem["detail"]


@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        pytest.param("Bearer tid_" + "A" * 43, "this is an issuer API key", id="issuer key"),
        pytest.param("Bearer tvk_" + "A" * 43, "unknown to this verifier", id="unknown key"),
        pytest.param("Bearer nonsense", "must be 'Bearer <API key>'", id="malformed key"),
        pytest.param(None, "an API key is required", id="missing"),
    ],
)
def test_a_wrong_key_is_told_which_command_makes_a_right_one(
    env: Env, client: AppClient, authorization: str | None, says: str
) -> None:
    env.app.state.clients.create("City Housing Office")
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": "a.b.c"}, headers=headers
    )
    detail = _problem(response, 401, "unauthorized")["detail"]
    assert says in detail
    assert "`trustid-verifier client create NAME`" in detail


def test_rate_limit_per_key(env: Env, client: AppClient) -> None:
    _info, key = env.app.state.clients.create("Small Counter", rate_limit=2)
    headers = {"Authorization": f"Bearer {key}"}
    body = {"verifiableCredential": "x"}
    assert client.post("/credentials/verify", json=body, headers=headers).status_code == 400
    assert client.post("/credentials/verify", json=body, headers=headers).status_code == 400
    limited = client.post("/credentials/verify", json=body, headers=headers)
    _problem(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) >= 1


# ------------------------------------------------------------------- operations


def test_metrics_count_results_codes_and_cache(env: Env, client: AppClient) -> None:
    token, index = env.issue()
    client.post("/credentials/verify", json={"verifiableCredential": token})
    env.issuer.set_status("revocation", index, True)
    client.post("/credentials/verify", json={"verifiableCredential": token})
    client.post("/credentials/verify", json={"verifiableCredential": token})
    text = client.get("/metrics").text
    assert 'trustid_verifier_verifications_total{kind="credential",result="verified"} 1.0' in text
    assert (
        'trustid_verifier_verifications_total{kind="credential",result="not_verified"} 2.0' in text
    )
    assert 'trustid_verifier_problems_total{code="revoked",kind="credential"} 2.0' in text
    assert 'trustid_verifier_cache_events_total{cache="did",event="hit"}' in text
    assert "trustid_verifier_verification_seconds_bucket" in text


def test_healthz_reports_the_trust_list(client: AppClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    trust = body["components"]["trustList"]
    assert trust["status"] == "ok"
    assert trust["issuers"] == 2
    assert trust["signed"] is False
    assert trust["reloadError"] is None


def test_healthz_reports_a_failed_reload_by_code_without_the_path(
    env: Env, client: AppClient
) -> None:
    env.trust_path.write_text("{broken", encoding="utf-8")
    env.clock.advance(seconds=2)
    client.post("/credentials/verify", json={"verifiableCredential": "x"})
    response = client.get("/healthz")
    assert response.status_code == 200  # the last good list is still in force
    assert response.json()["components"]["trustList"]["reloadError"] == "trust_list_invalid"
    assert str(env.trust_path.parent) not in response.text
    assert "trust.json" not in response.text


def test_healthz_is_degraded_when_a_configured_list_is_missing(
    tmp_path: Path, fixed_now: datetime
) -> None:
    clock = Clock(fixed_now)
    path = write_json(tmp_path / "trust.json", trust_document())
    app = create_app(VerifierSettings(trust_list=str(path), data_dir=tmp_path / "v"), clock=clock)
    with app_client(app) as c:
        app.state.service.trust_source.loaded_at = None  # as if the load never succeeded
        response = c.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["failing"]) == ("degraded", ["trustList"])
    assert body["components"]["trustList"]["status"] == "not_loaded"
    assert str(tmp_path) not in response.text


def test_metrics_need_the_operator_token_when_it_is_set(
    tmp_path: Path, fixed_now: datetime
) -> None:
    settings = VerifierSettings(data_dir=tmp_path, metrics_token="s3cret-operator-token")
    with app_client(create_app(settings, clock=Clock(fixed_now))) as c:
        _problem(c.get("/metrics"), 401, "unauthorized")
        assert c.get("/metrics").headers["www-authenticate"].startswith("Bearer")
        _problem(c.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
        _problem(
            c.get("/metrics", headers={"Authorization": "Basic s3cret-operator-token"}),
            401,
            "unauthorized",
        )
        ok = c.get("/metrics", headers={"Authorization": "Bearer s3cret-operator-token"})
        assert ok.status_code == 200
        assert "trustid_verifier" in ok.text
        assert c.get("/healthz").status_code == 200  # health stays open


def test_metrics_open_to_the_operator_token_once_clients_exist(
    tmp_path: Path, fixed_now: datetime
) -> None:
    settings = VerifierSettings(data_dir=tmp_path, metrics_token="op-token")
    app = create_app(settings, clock=Clock(fixed_now))
    with app_client(app) as c:
        _info, key = app.state.clients.create("Counter")
        _problem(c.get("/metrics", headers={"Authorization": f"Bearer {key}"}), 401, "unauthorized")
        assert c.get("/metrics", headers={"Authorization": "Bearer op-token"}).status_code == 200


def test_counter_page_is_served_with_a_strict_csp(client: AppClient) -> None:
    page = client.get("/")
    if page.status_code == 404:
        pytest.skip("the counter page (verifier/web/index.html) is not installed yet")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "camera=(self)" in page.headers["permissions-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    api = client.post("/credentials/verify", json={"verifiableCredential": "x"})
    assert "content-security-policy" in api.headers


def test_app_without_trust_list_trusts_nobody(tmp_path: Path, fixed_now: datetime) -> None:
    clock = Clock(fixed_now)
    issuer = Issuer(None)
    app = create_app(VerifierSettings(data_dir=tmp_path), clock=clock)
    token, _ = issuer.issue(Holder().did, now=fixed_now, with_status=False)
    with app_client(app) as c:
        body = c.post("/credentials/verify", json={"verifiableCredential": token}).json()
    assert [p["code"] for p in body["problemDetails"]] == ["untrusted_issuer"]


def test_trust_list_edits_apply_without_restart(env: Env, client: AppClient) -> None:
    newcomer = Issuer(None)
    token, _ = newcomer.issue(env.holder.did, now=env.clock.value, with_status=False)
    body = {"verifiableCredential": token}
    assert client.post("/credentials/verify", json=body).status_code == 400
    write_json(
        env.trust_path,
        trust_document((env.issuer, [RESIDENT]), (newcomer, [RESIDENT])),
    )
    env.clock.advance(seconds=2)
    assert client.post("/credentials/verify", json=body).status_code == 200


def test_signed_forged_with_other_key_cannot_impersonate(env: Env, client: AppClient) -> None:
    token, _ = env.issue()
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    attacker = Issuer("https://registry.example")  # same DID, different key
    forged = sign(payload, SoftwareSigner(attacker.key, attacker.kid), typ="vc+jwt")
    response = client.post("/credentials/verify", json={"verifiableCredential": forged})
    assert [p["code"] for p in response.json()["problemDetails"]] == ["unknown_key"]


def test_forged_token_causes_no_status_or_schema_request(env: Env, client: AppClient) -> None:
    """URLs in a token whose signature fails are never fetched, even on the issuer's host."""
    env.web.schemas[RESIDENT] = RESIDENT_SCHEMA
    token, _ = env.issue(schema=True)
    header, payload, _sig = token.split(".")
    other, _ = env.issue()
    forged = f"{header}.{payload}.{other.split('.')[2]}"
    response = client.post("/credentials/verify", json={"verifiableCredential": forged})
    assert [p["code"] for p in response.json()["problemDetails"]] == ["bad_signature"]
    assert [str(r.url) for r in env.web.requests] == [
        "https://registry.example/.well-known/did.json"
    ]


def test_openapi_documents_every_endpoint(client: AppClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) >= {
        "/credentials/verify",
        "/credentials/verify/batch",
        "/presentations/verify",
        "/challenges",
        "/verify/qr",
        "/healthz",
        "/metrics",
    }
    body = spec["paths"]["/presentations/verify"]["post"]["requestBody"]["content"]
    assert "$ref" not in json.dumps(body)  # inlined: no dangling local references
    assert "multipart/form-data" in spec["paths"]["/verify/qr"]["post"]["requestBody"]["content"]
