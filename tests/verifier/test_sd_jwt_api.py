"""SD-JWT VCs from a real issuer (in process) through the verifier's HTTP API.

The verifier reaches the issuer's DID document, Token Status List and Type Metadata over
its guarded client (a transport into the issuer app): selective disclosure, key binding,
revocation and suspension through the Token Status List, the request/configuration
key-binding policy, and no claim value in the verifier's logs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.asgi_client import AppClient
from tests.issuer.support import (
    RESIDENT,
    Harness,
    MutableClock,
    issue_body,
    make_settings,
    running_issuer,
)
from tests.verifier.support import Clock, app_client, public_resolver, write_json
from vcore.dids import did_key_for, holder_kid
from vcore.formats import SdJwtCredential, parse_credential_unverified, unwrap_credential
from vcore.keys import generate_key
from vcore.sdjwt import CompactSdJwt, present_sd_jwt
from vcore.signing import SoftwareSigner
from verifier.app import create_app
from verifier.settings import VerifierSettings

AUDIENCE = "https://verifier.example"
ISSUER_BASE = "http://issuer.test:8100"
MARKER = "Quuxzyxwvut"


class World:
    def __init__(self, harness: Harness, verifier: AppClient, clock: Clock) -> None:
        self.harness = harness
        self.verifier = verifier
        self.clock = clock
        self.holder = generate_key("ES256")
        agency = harness.agencies["Resident Registry"]
        body = issue_body(
            holder=did_key_for(self.holder.public_key()),
            options={"format": "dc+sd-jwt"},
            givenName=MARKER,
        )
        response = harness.issue(agency, body)
        assert response.status_code == 201, response.text
        self.credential_id = response.json()["credentialId"]
        self.token = unwrap_credential(response.json()["verifiableCredential"])

    def present(self, names: list[str], *, nonce: str, audience: str = AUDIENCE) -> str:
        signer = SoftwareSigner(self.holder, holder_kid(did_key_for(self.holder.public_key())))
        return present_sd_jwt(
            self.token, names, signer=signer, nonce=nonce, audience=audience, now=self.clock()
        )

    def verify_presentation(self, names: list[str], **kw: Any) -> httpx.Response:
        challenge = self.verifier.post("/challenges").json()["challenge"]
        presented = self.present(names, nonce=kw.pop("nonce", challenge), **kw)
        return self.verifier.post(
            "/presentations/verify",
            json={"verifiablePresentation": presented, "options": {"challenge": challenge}},
        )


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> Iterator[World]:
    issuer_clock = MutableClock(fixed_now)
    with running_issuer(make_settings(tmp_path / "issuer"), issuer_clock) as harness:
        harness.agency("Resident Registry", [RESIDENT])

        def forward(request: httpx.Request) -> httpx.Response:
            assert request.url.host == "issuer.test", request.url
            answer = harness.client.request(
                request.method, request.url.raw_path.decode(), headers=dict(request.headers)
            )
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=answer.content
            )

        trust = {
            "issuers": [
                {
                    "id": harness.services.ctx.issuer_did,
                    "name": "Resident Registry",
                    "types": [RESIDENT],
                }
            ]
        }
        settings = VerifierSettings(
            trust_list=str(write_json(tmp_path / "trust.json", trust)),
            data_dir=tmp_path / "verifier",
            verifier_url=AUDIENCE,
            verifier_status_max_age=0,
            allow_insecure_hosts="issuer.test:8100",
        )
        clock = Clock(fixed_now)
        app = create_app(
            settings,
            transport=httpx.MockTransport(forward),
            host_resolver=public_resolver,
            clock=clock,
        )
        with app_client(app) as client:
            yield World(harness, client, clock)


def test_only_age_over_18_is_disclosed(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    response = world.verify_presentation(["age_over_18"])
    assert response.status_code == 200, response.text
    report = response.json()
    credential = report["credentials"][0]["credential"]
    assert credential["format"] == "dc+sd-jwt"
    assert credential["disclosed"] == {"age_over_18": True}
    assert {"givenName", "familyName", "birthDate", "address"} <= set(credential["withheld"])
    assert MARKER not in response.text
    assert MARKER not in caplog.text  # the verifier logs no claim value


def test_revoked_then_refused_and_suspended_is_suspended(world: World) -> None:
    agency = world.harness.agencies["Resident Registry"]
    assert world.harness.change(agency, world.credential_id, "suspension", True).status_code == 200
    body = world.verify_presentation(["age_over_18"]).json()
    assert "suspended" in [p["code"] for p in body["problemDetails"]]
    assert world.harness.change(agency, world.credential_id, "revocation", True).status_code == 200
    body = world.verify_presentation(["age_over_18"]).json()
    assert body["verified"] is False
    assert "revoked" in [p["code"] for p in body["problemDetails"]]


@pytest.mark.parametrize(
    ("change", "code"),
    [("nonce", "nonce_mismatch"), ("audience", "audience_mismatch")],
)
def test_key_binding_for_another_request_is_refused(world: World, change: str, code: str) -> None:
    kw = {"nonce": "not-the-challenge"} if change == "nonce" else {"audience": "https://x.example"}
    response = world.verify_presentation(["age_over_18"], **kw)
    assert response.status_code == 400
    assert code in [p["code"] for p in response.json()["problemDetails"]]


def test_presentation_without_key_binding_is_refused(world: World) -> None:
    challenge = world.verifier.post("/challenges").json()["challenge"]
    bare = CompactSdJwt.parse(world.present(["age_over_18"], nonce=challenge)).without_kb
    response = world.verifier.post(
        "/presentations/verify",
        json={"verifiablePresentation": bare, "options": {"challenge": challenge}},
    )
    assert response.status_code == 400
    assert "kb_jwt_required" in [p["code"] for p in response.json()["problemDetails"]]


def test_credential_endpoint_and_the_key_binding_option(world: World) -> None:
    bare = present_sd_jwt(world.token, ["givenName"])
    ok = world.verifier.post("/credentials/verify", json={"verifiableCredential": bare})
    assert ok.status_code == 200, ok.text
    assert ok.json()["credential"]["disclosed"] == {"givenName": MARKER}
    refused = world.verifier.post(
        "/credentials/verify",
        json={"verifiableCredential": bare, "options": {"requireKeyBinding": True}},
    )
    assert refused.status_code == 400
    assert [p["code"] for p in refused.json()["problemDetails"]] == ["kb_jwt_required"]
    credential = parse_credential_unverified(bare)
    assert isinstance(credential, SdJwtCredential)
