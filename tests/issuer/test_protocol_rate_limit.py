"""The OpenID4VCI endpoints a wallet calls without an API key are limited per address.

``TRUSTID_PROTOCOL_RATE_LIMIT`` requests a minute per client address across ``/token``,
``/nonce``, ``/credential`` and ``/credential-offer/{id}``; beyond it 429 with the OAuth
error JSON and ``Retry-After``, before any work. The agency API and the metadata are not
counted; 0 turns the limit off.
"""

from __future__ import annotations

from pathlib import Path

from tests.issuer.support import RESIDENT, MutableClock, issue_body, make_settings, running_issuer

TOKEN_FORM = {
    "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
    "pre-authorized_code": "nope",
}


def test_protocol_endpoints_share_one_budget_per_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, protocol_rate_limit=4)
    with running_issuer(settings, MutableClock()) as issuer:
        agency = issuer.agency("Resident Registry", [RESIDENT])
        client = issuer.client
        assert client.post("/nonce").status_code == 200
        assert client.get("/credential-offer/unknown").status_code == 400
        assert client.post("/token", data=TOKEN_FORM).status_code == 400
        assert client.post("/credential", json={}).status_code == 401
        for method, path in (
            ("POST", "/nonce"),
            ("POST", "/token"),
            ("POST", "/credential"),
            ("GET", "/credential-offer/unknown"),
        ):
            limited = client.request(method, path)
            assert limited.status_code == 429, (path, limited.text)
            assert limited.headers["content-type"] == "application/json"
            assert limited.json()["error"] == "temporarily_unavailable"
            assert int(limited.headers["retry-after"]) >= 1
        # The agency API (its own keys) and the public metadata are not counted.
        assert issuer.issue(agency, issue_body()).status_code == 201
        assert client.get("/.well-known/openid-credential-issuer").status_code == 200


def test_zero_turns_the_limit_off(tmp_path: Path) -> None:
    with running_issuer(make_settings(tmp_path, protocol_rate_limit=0), MutableClock()) as issuer:
        assert {issuer.client.post("/nonce").status_code for _ in range(30)} == {200}


def test_the_429_is_in_the_openapi_document(tmp_path: Path) -> None:
    with running_issuer(make_settings(tmp_path), MutableClock()) as issuer:
        paths = issuer.client.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/token", "post"),
        ("/nonce", "post"),
        ("/credential", "post"),
        ("/credential-offer/{offer_id}", "get"),
    ):
        assert "429" in paths[path][method]["responses"], path
