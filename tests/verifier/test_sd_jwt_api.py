"""SD-JWT VCs from a real issuer (in process) through the verifier's HTTP API.

The verifier reaches the issuer's DID document, Token Status List and Type Metadata over
its guarded client (a transport into the issuer app): selective disclosure, key binding,
revocation and suspension through the Token Status List, the request/configuration
key-binding policy, and no claim value in the verifier's logs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def make_world(
    tmp_path: Path,
    fixed_now: datetime,
    type_metadata: Callable[[bytes], bytes] | None = None,
    **settings_kw: Any,
) -> Iterator[World]:
    """An issuer and a verifier; ``type_metadata`` rewrites the Type Metadata served."""
    issuer_clock = MutableClock(fixed_now)
    with running_issuer(make_settings(tmp_path / "issuer"), issuer_clock) as harness:
        harness.agency("Resident Registry", [RESIDENT])

        def forward(request: httpx.Request) -> httpx.Response:
            assert request.url.host == "issuer.test", request.url
            answer = harness.client.request(
                request.method, request.url.raw_path.decode(), headers=dict(request.headers)
            )
            content = answer.content
            if request.url.path.startswith("/types/") and type_metadata is not None:
                content = type_metadata(content)
            headers = {k: v for k, v in answer.headers.items() if k != "content-length"}
            return httpx.Response(answer.status_code, headers=headers, content=content)

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
            **settings_kw,
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


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> Iterator[World]:
    with make_world(tmp_path, fixed_now) as made:
        yield made


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


def _batch(world: World, items: list[Any], **options: Any) -> httpx.Response:
    return world.verifier.post(
        "/credentials/verify/batch",
        json={"items": [{"verifiableCredential": i} for i in items], "options": options},
    )


def test_batch_takes_the_key_binding_option(world: World) -> None:
    bare = present_sd_jwt(world.token, ["givenName"])
    bound = world.present(["givenName"], nonce="n-1")
    ok = _batch(world, [bare, bound])
    assert ok.status_code == 200, ok.text
    assert [r["verified"] for r in ok.json()["results"]] == [True, True]
    refused = _batch(world, [bare, bound], requireKeyBinding=True)
    assert refused.status_code == 200
    results = refused.json()["results"]
    # A credential endpoint has no challenge: with the policy, every bare or bound
    # SD-JWT is refused, as on /credentials/verify.
    assert [[p["code"] for p in r["problemDetails"]] for r in results] == [
        ["kb_jwt_required"],
        ["kb_jwt_required"],
    ]
    invalid = _batch(world, [bare], requireKeyBinding="yes")
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "invalid_request"


def test_the_configured_key_binding_policy_applies_to_batches(
    tmp_path: Path, fixed_now: datetime
) -> None:
    with make_world(tmp_path, fixed_now, verifier_require_key_binding=True) as configured:
        bare = present_sd_jwt(configured.token, ["givenName"])
        # The request cannot lift the configuration.
        response = _batch(configured, [bare], requireKeyBinding=False)
        assert response.status_code == 200
        (result,) = response.json()["results"]
        assert [p["code"] for p in result["problemDetails"]] == ["kb_jwt_required"]
        single = configured.verifier.post(
            "/credentials/verify", json={"verifiableCredential": bare}
        )
        assert [p["code"] for p in single.json()["problemDetails"]] == ["kb_jwt_required"]


ALL_CLAIMS = ["givenName", "familyName", "birthDate", "residentNumber", "address", "age_over_18"]


def test_the_verifier_logs_no_claim_value_at_debug(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Every claim disclosed, through every endpoint, with DEBUG logging everywhere: no
    disclosed value (nor a Disclosure or salt) reaches a log record."""
    caplog.set_level(logging.DEBUG)
    for name in ("", "verifier", "httpx", "uvicorn", "trustid"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    bare = present_sd_jwt(world.token, ALL_CLAIMS)
    assert (
        world.verifier.post("/credentials/verify", json={"verifiableCredential": bare}).status_code
        == 200
    )
    assert _batch(world, [bare, bare]).status_code == 200
    response = world.verify_presentation(ALL_CLAIMS)
    assert response.status_code == 200, response.text
    disclosed = response.json()["credentials"][0]["credential"]["disclosed"]
    values = [
        MARKER,
        disclosed["familyName"],
        disclosed["birthDate"],
        disclosed["residentNumber"],
        disclosed["address"]["streetAddress"],
    ]
    compact = CompactSdJwt.parse(bare)
    secrets = [
        *values,
        *(d.salt for d in compact.disclosures),
        *(d.encoded for d in compact.disclosures),
    ]
    assert caplog.records  # logging was on
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in secrets:
        assert str(secret) not in logged, secret


def _checks(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report["checks"]}


def test_vct_integrity_is_checked_against_the_fetched_type_metadata(world: World) -> None:
    response = world.verify_presentation(["age_over_18"])
    assert response.status_code == 200, response.text
    credential = response.json()["credentials"][0]
    assert _checks(credential)["schema"] == "passed"
    assert not [w for w in credential.get("warnings", []) if "vct#integrity" in w]
    # The evidence bundle records the digests the check used (offline re-verification).
    bare = present_sd_jwt(world.token, ["givenName"])
    single = world.verifier.post(
        "/credentials/verify",
        json={"verifiableCredential": bare, "options": {"includeEvidence": True}},
    )
    assert single.status_code == 200, single.text
    (recorded,) = [s for s in single.json()["evidence"]["schemas"] if "/types/" in s["url"]]
    vct_integrity = parse_credential_unverified(bare).claims["vct#integrity"]
    assert vct_integrity in recorded["integrity"]


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda body: body + b" ",  # same JSON, other bytes: SRI pins bytes
        lambda body: body.replace(b'"display"', b'"displaz"', 1),
    ],
    ids=["one-byte-more", "changed-member"],
)
def test_type_metadata_not_matching_vct_integrity_is_refused(
    tmp_path: Path, fixed_now: datetime, rewrite: Callable[[bytes], bytes]
) -> None:
    with make_world(tmp_path, fixed_now, type_metadata=rewrite) as tampered:
        response = tampered.verify_presentation(["age_over_18"])
        assert response.status_code == 400, response.text
        report = response.json()
        assert [p["code"] for p in report["problemDetails"]] == ["vct_integrity_mismatch"]
        single = tampered.verifier.post(
            "/credentials/verify",
            json={"verifiableCredential": present_sd_jwt(tampered.token, ["givenName"])},
        )
        assert [p["code"] for p in single.json()["problemDetails"]] == ["vct_integrity_mismatch"]


def test_type_metadata_that_cannot_be_fetched_leaves_a_warning(
    tmp_path: Path, fixed_now: datetime
) -> None:
    with make_world(tmp_path, fixed_now, type_metadata=lambda _body: b"not json") as broken:
        response = broken.verify_presentation(["age_over_18"])
        assert response.status_code == 200, response.text
        warnings = response.json()["credentials"][0]["warnings"]
        assert any("vct#integrity not checked" in w for w in warnings)


def test_offline_reverification_checks_vct_integrity_from_the_bundle(world: World) -> None:
    """The bundle's recorded digests decide offline as online; a bundle whose Type Metadata
    digests were edited is refused, one without them leaves the warning."""
    import anyio

    from verifier.resolution.evidence import EvidenceBundle
    from verifier.service import verify_credential_offline

    bare = present_sd_jwt(world.token, ["givenName"])
    online = world.verifier.post(
        "/credentials/verify",
        json={"verifiableCredential": bare, "options": {"includeEvidence": True}},
    ).json()
    assert online["verified"] is True

    def offline(evidence: dict[str, Any]) -> dict[str, Any]:
        bundle = EvidenceBundle.from_json(evidence)

        async def run() -> dict[str, Any]:
            report = await verify_credential_offline(bare, bundle, anchor=None)
            return report.to_json()

        return anyio.run(run)

    same = offline(online["evidence"])
    assert same["verified"] is True
    assert _checks(same)["schema"] == "passed"
    edited = json.loads(json.dumps(online["evidence"]))
    for item in edited["schemas"]:
        if "/types/" in item["url"]:
            item["integrity"] = ["sha256-" + "A" * 43 + "="]
    refused = offline(edited)
    assert [p["code"] for p in refused["problemDetails"]] == ["vct_integrity_mismatch"]
    for item in edited["schemas"]:
        item.pop("integrity", None)
    unchecked = offline(edited)
    assert unchecked["verified"] is True
    assert any("vct#integrity not checked" in w for w in unchecked["warnings"])
