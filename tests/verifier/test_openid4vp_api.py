"""OpenID4VP 1.0 at the verifier's HTTP API, with a real issuer (in process) behind it.

A minimal wallet written here (SD-JWT + KB-JWT with the request's nonce and client id,
JWE for direct_post.jwt) answers requests made from presets and from DCQL; every bad
input of issue 11 is refused with the spec's error and nothing is accepted: expired or
finished request, replayed response, missing claim, wrong nonce or audience, wrong state,
an undecryptable JWE. The independent wallet (npm @openid4vc/openid4vp) is in
tests/e2e/test_openid4vp_node.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest
from fastapi import FastAPI

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
from vcore.dids import did_key_for, holder_kid, key_from_did_document
from vcore.formats import unwrap_credential
from vcore.formats.vp_jwt import build_presentation_v11
from vcore.jose import decode_unverified, verify
from vcore.jwe import encrypt_jwe
from vcore.keys import generate_key, public_key_from_jwk
from vcore.openid4vp import read_unsigned_request_object
from vcore.sdjwt import present_sd_jwt
from vcore.signing import SoftwareSigner
from verifier.app import create_app
from verifier.openid4vp import OpenID4VPError
from verifier.settings import VerifierSettings

VERIFIER = "https://verifier.example"
VERIFIER_DID = "did:web:verifier.example"


class World:
    app: FastAPI

    def __init__(self, harness: Harness, verifier: AppClient, clock: Clock) -> None:
        self.harness = harness
        self.verifier = verifier
        self.clock = clock
        self.holder = generate_key("ES256")
        agency = harness.agencies["Resident Registry"]
        body = issue_body(
            holder=did_key_for(self.holder.public_key()), options={"format": "dc+sd-jwt"}
        )
        response = harness.issue(agency, body)
        assert response.status_code == 201, response.text
        self.token = unwrap_credential(response.json()["verifiableCredential"])

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.verifier.post("/presentation-requests", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def request_object(self, created: dict[str, Any]) -> dict[str, Any]:
        query = parse_qs(urlsplit(created["request"]).query)
        assert query["request_uri"] == [created["requestUri"]]
        response = self.verifier.get(urlsplit(created["requestUri"]).path)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/oauth-authz-req+jwt")
        token = response.text
        if query["client_id"][0].startswith("redirect_uri:"):
            _header, claims = read_unsigned_request_object(token)
            return claims
        document = self.verifier.get("/.well-known/did.json").json()
        kid = decode_unverified(token).header["kid"]
        assert kid.startswith(VERIFIER_DID + "#")
        claims = verify(token, key_from_did_document(document, kid), typ="oauth-authz-req+jwt")
        payload: dict[str, Any] = claims.payload
        assert payload["client_id"] == query["client_id"][0]
        return payload

    def presentation(self, names: list[str], *, nonce: str, audience: str) -> str:
        signer = SoftwareSigner(self.holder, holder_kid(did_key_for(self.holder.public_key())))
        return present_sd_jwt(
            self.token, names, signer=signer, nonce=nonce, audience=audience, now=self.clock()
        )

    def respond(
        self,
        request: dict[str, Any],
        names: list[str],
        *,
        nonce: str | None = None,
        audience: str | None = None,
        state: str | None = None,
        vp_token: dict[str, Any] | None = None,
    ) -> httpx.Response:
        query_id = request["dcql_query"]["credentials"][0]["id"]
        if vp_token is None:
            shown = self.presentation(
                names,
                nonce=nonce or request["nonce"],
                audience=audience or request["client_id"],
            )
            vp_token = {query_id: [shown]}
        payload = {"vp_token": vp_token, "state": state or request["state"]}
        return self.post(request, payload)

    def post(self, request: dict[str, Any], payload: dict[str, Any]) -> httpx.Response:
        path = urlsplit(request["response_uri"]).path
        if request["response_mode"] == "direct_post.jwt":
            jwk = request["client_metadata"]["jwks"]["keys"][0]
            key = public_key_from_jwk({k: jwk[k] for k in ("kty", "crv", "x", "y")})
            jwe = encrypt_jwe(json.dumps(payload).encode(), key, kid=jwk["kid"])
            return self.verifier.post(path, data={"response": jwe})
        form = {"vp_token": json.dumps(payload["vp_token"]), "state": payload["state"]}
        return self.verifier.post(path, data=form)

    def state(self, created: dict[str, Any]) -> dict[str, Any]:
        response = self.verifier.get(f"/presentation-requests/{created['id']}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


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
            verifier_url=VERIFIER,
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
            world = World(harness, client, clock)
            world.app = app
            yield world


@pytest.mark.parametrize("mode", ["direct_post.jwt", "direct_post"])
def test_age_over_18_preset_is_answered_with_only_that_claim(world: World, mode: str) -> None:
    created = world.create(preset="age_over_18", responseMode=mode)
    assert created["request"].startswith("openid4vp://?client_id=decentralized_identifier")
    assert world.state(created)["state"] == "pending"
    request = world.request_object(created)
    assert request["response_type"] == "vp_token"
    assert request["response_mode"] == mode
    assert request["client_id"] == f"decentralized_identifier:{VERIFIER_DID}"
    assert request["response_uri"] == f"{VERIFIER}/responses/{created['id']}"
    vcts = request["dcql_query"]["credentials"][0]["meta"]["vct_values"]
    assert "http://issuer.test:8100/types/ResidentIdentityCredential" in vcts
    response = world.respond(request, ["age_over_18", "birthDate"])
    assert response.status_code == 200, response.text
    assert response.json() == {}
    state = world.state(created)
    assert state["state"] == "verified", state
    assert state["result"]["claims"] == {"age": [{"age_over_18": True}]}  # not birthDate
    # A replay of the same answer is refused, and the verdict stays.
    again = world.respond(request, ["age_over_18"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_request"
    assert "already answered" in again.json()["error_description"]
    assert world.state(created)["state"] == "verified"
    assert world.verifier.get(urlsplit(created["requestUri"]).path).status_code == 400


def test_fresh_nonce_and_state_per_request(world: World) -> None:
    one = world.request_object(world.create(preset="identity"))
    two = world.request_object(world.create(preset="identity"))
    assert one["nonce"] != two["nonce"]
    assert one["state"] != two["state"]
    assert one["client_metadata"]["jwks"] != two["client_metadata"]["jwks"]


def test_missing_claim_fails_the_request(world: World) -> None:
    created = world.create(preset="identity", responseMode="direct_post")
    request = world.request_object(created)
    response = world.respond(request, ["givenName", "familyName"])  # no birthDate etc.
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    state = world.state(created)
    assert state["state"] == "failed"
    assert state["result"]["problemDetails"][0]["code"] == "dcql_unsatisfied"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"nonce": "not-the-nonce"}, "not an answer"),
        ({"audience": "decentralized_identifier:did:web:evil.example"}, "not an answer"),
        ({"state": "another-state"}, "state does not match"),
        ({"vp_token": {"age": []}}, "non-empty array"),
        ({"vp_token": {"age": ["junk"]}}, "not an answer"),
        ({"vp_token": {"other": ["junk"]}}, "not asked"),
        ({"vp_token": {"age": ["junk", "junk"]}}, "only one presentation"),
    ],
)
def test_responses_not_bound_to_the_request_leave_it_pending(
    world: World, change: dict[str, Any], message: str
) -> None:
    created = world.create(preset="age_over_18")
    request = world.request_object(created)
    response = world.respond(request, ["age_over_18"], **change)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert message in response.json()["error_description"]
    assert world.state(created)["state"] == "pending"
    # The citizen's real answer still works.
    assert world.respond(request, ["age_over_18"]).status_code == 200
    assert world.state(created)["state"] == "verified"


def test_undecryptable_or_unencrypted_response_is_refused(world: World) -> None:
    created = world.create(preset="age_over_18")
    request = world.request_object(created)
    path = urlsplit(request["response_uri"]).path
    other = encrypt_jwe(b"{}", generate_key("ES256").public_key())
    response = world.verifier.post(path, data={"response": other})
    assert response.status_code == 400
    assert "does not decrypt" in response.json()["error_description"]
    plain = world.verifier.post(path, data={"vp_token": "{}", "state": request["state"]})
    assert plain.status_code == 400
    assert world.verifier.post(path, json={"x": 1}).status_code == 400
    assert world.state(created)["state"] == "pending"


def test_expired_request_is_refused(world: World) -> None:
    created = world.create(preset="age_over_18")
    request = world.request_object(created)
    world.clock.advance(minutes=6)
    assert world.state(created)["state"] == "expired"
    response = world.respond(request, ["age_over_18"])
    assert response.status_code == 400
    assert "expired" in response.json()["error_description"]
    ro = world.verifier.get(urlsplit(created["requestUri"]).path)
    assert ro.status_code == 400
    assert ro.json()["error"] == "invalid_request"


def test_wallet_error_response_is_acknowledged_and_changes_nothing(world: World) -> None:
    created = world.create(preset="age_over_18", responseMode="direct_post")
    request = world.request_object(created)
    path = urlsplit(request["response_uri"]).path
    response = world.verifier.post(path, data={"error": "access_denied", "state": request["state"]})
    assert response.status_code == 200
    assert world.state(created)["state"] == "pending"  # anyone with the QR could send it
    assert world.respond(request, ["age_over_18"]).status_code == 200


def test_dcql_query_and_redirect_uri_prefix(world: World) -> None:
    vct = "http://issuer.test:8100/types/ResidentIdentityCredential"
    query = {
        "credentials": [
            {
                "id": "pid",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [vct]},
                "claims": [{"path": ["familyName"]}],
            }
        ]
    }
    created = world.create(
        dcql_query=query, clientIdPrefix="redirect_uri", responseMode="direct_post"
    )
    request = world.request_object(created)
    assert request["client_id"] == f"redirect_uri:{request['response_uri']}"
    assert world.respond(request, ["familyName"]).status_code == 200
    assert world.state(created)["result"]["claims"] == {"pid": [{"familyName": "Zhang"}]}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "invalid_request"),
        ({"preset": "age_over_18", "dcql_query": {"credentials": []}}, 422, "invalid_request"),
        ({"preset": "nope"}, 422, "invalid_request"),
        ({"dcql_query": {"credentials": []}}, 422, "dcql_invalid"),
        (
            {"dcql_query": {"credentials": [{"id": "m", "format": "mso_mdoc", "meta": {}}]}},
            422,
            "dcql_invalid",
        ),
        ({"preset": "identity", "responseMode": "fragment"}, 422, "invalid_request"),
    ],
)
def test_bad_creation_requests_are_problems(
    world: World, body: dict[str, Any], status: int, code: str
) -> None:
    response = world.verifier.post("/presentation-requests", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_unknown_request_ids(world: World) -> None:
    assert world.verifier.get("/presentation-requests/nope").status_code == 404
    assert world.verifier.get("/request-objects/nope").json()["error"] == "invalid_request"
    response = world.verifier.post("/responses/nope", data={"vp_token": "{}", "state": "x"})
    assert response.status_code == 404
    assert response.json()["error"] == "invalid_request"


def test_qr_png_and_did_document(world: World) -> None:
    created = world.create(preset="age_over_18")
    png = world.verifier.get(f"/presentation-requests/{created['id']}/qr.png")
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    from verifier.qr_image import decode_qr_image

    assert decode_qr_image(png.content) == created["request"]
    document = world.verifier.get("/.well-known/did.json").json()
    assert document["id"] == VERIFIER_DID


def test_only_the_creating_client_sees_its_request(world: World) -> None:
    _a, key_a = world.app.state.clients.create("Counter A")
    _b, key_b = world.app.state.clients.create("Counter B")
    a = {"Authorization": f"Bearer {key_a}"}
    b = {"Authorization": f"Bearer {key_b}"}
    assert (
        world.verifier.post("/presentation-requests", json={"preset": "identity"}).status_code
        == 401
    )
    created = world.verifier.post(
        "/presentation-requests", json={"preset": "identity"}, headers=a
    ).json()
    path = f"/presentation-requests/{created['id']}"
    assert world.verifier.get(path, headers=a).json()["state"] == "pending"
    assert world.verifier.get(path, headers=b).status_code == 404
    assert world.verifier.get(path + "/qr.png", headers=b).status_code == 404
    assert world.verifier.get(path).status_code == 401
    # The wallet's endpoints need no key: the request id and its nonce are the capability.
    assert world.verifier.get(urlsplit(created["requestUri"]).path).status_code == 200


def test_openapi_documents_the_openid4vp_endpoints(world: World) -> None:
    spec = world.verifier.get("/openapi.json").json()
    assert set(spec["paths"]) >= {
        "/.well-known/did.json",
        "/presentation-requests",
        "/presentation-requests/{request_id}",
        "/presentation-requests/{request_id}/qr.png",
        "/request-objects/{request_id}",
        "/responses/{request_id}",
    }
    body = spec["paths"]["/presentation-requests"]["post"]["requestBody"]["content"]
    assert "dcql_query" in json.dumps(body)
    form = spec["paths"]["/responses/{request_id}"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in form


def test_jwt_vc_json_through_dcql_with_a_vc_jwt_11_presentation(world: World) -> None:
    agency = world.harness.agencies["Resident Registry"]
    holder = did_key_for(world.holder.public_key())
    issued = world.harness.issue(
        agency, issue_body(holder=holder, options={"format": "jwt_vc_json"})
    )
    assert issued.status_code == 201, issued.text
    token = unwrap_credential(issued.json()["verifiableCredential"])
    query = {
        "credentials": [
            {
                "id": "w3c",
                "format": "jwt_vc_json",
                "meta": {"type_values": [["ResidentIdentityCredential"]]},
                "claims": [{"path": ["credentialSubject", "familyName"]}],
            }
        ]
    }
    created = world.create(dcql_query=query)
    request = world.request_object(created)
    presentation = build_presentation_v11(
        [token],
        world.holder,
        holder,
        audience=request["client_id"],
        nonce=request["nonce"],
        now=world.clock(),
    )
    response = world.post(request, {"vp_token": {"w3c": [presentation]}, "state": request["state"]})
    assert response.status_code == 200, response.text
    claims = world.state(created)["result"]["claims"]
    assert claims == {"w3c": [{"credentialSubject.familyName": "Zhang"}]}


def test_two_answers_racing_finish_the_request_once(world: World) -> None:
    created = world.create(preset="age_over_18", responseMode="direct_post")
    request = world.request_object(created)
    requests = world.app.state.presentation_requests
    forms = []
    for _ in range(2):
        shown = world.presentation(
            ["age_over_18"], nonce=request["nonce"], audience=request["client_id"]
        )
        forms.append({"vp_token": json.dumps({"age": [shown]}), "state": request["state"]})
    outcomes: list[str] = []

    async def answer(form: dict[str, str]) -> None:
        try:
            await requests.answer(created["id"], form)
            outcomes.append("accepted")
        except OpenID4VPError as exc:
            outcomes.append(exc.description)

    async def race() -> None:
        async with anyio.create_task_group() as group:
            for form in forms:
                group.start_soon(answer, form)

    anyio.run(race)
    assert sorted(outcomes) == ["accepted", "this request was already answered"]
    assert world.state(created)["state"] == "verified"
