"""Hostile bodies past the protocol endpoints' first gates: never a 500, always the spec's
error JSON.

Schemathesis (``test_openapi_fuzz.py``) only reaches ``/credential`` without a token and
``/responses/{id}`` for unknown ids. Here the gates are passed: a real DPoP-bound access
token with generated credential requests and key proofs (any header and payload, signed
by the holder's key), and a real pending presentation request answered with generated
``vp_token`` values, extra members and corrupted presentations, in both response modes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.issuer.support import RESIDENT, Harness, MutableClock, make_settings, running_issuer
from tests.issuer.test_oid4vci import ISSUER, SD_JWT, nonce, redeemed_token, request_credential
from tests.property.strategies import bounded, json_values
from tests.verifier.test_openid4vp_api import World, world  # noqa: F401 - the fixture
from vcore.keys import PrivateKey, b64url_encode, generate_key
from vcore.signing import SoftwareSigner

pytestmark = pytest.mark.property


def assert_oauth_error_or_success(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json"), response.text
        assert isinstance(response.json().get("error"), str), response.text


def signed(key: PrivateKey, header: object, payload: object) -> str:
    """A compact JWS of any header and payload, validly signed by ``key``."""
    first = b64url_encode(json.dumps(header).encode())
    second = b64url_encode(json.dumps(payload).encode())
    signature = SoftwareSigner(key, "jwk").sign(f"{first}.{second}".encode())
    return f"{first}.{second}.{b64url_encode(signature)}"


@pytest.fixture
def open_issuer(tmp_path: Path) -> Iterator[Harness]:
    """An issuer without the per-address limit (every example reaches the endpoint)."""
    with running_issuer(make_settings(tmp_path, protocol_rate_limit=0), MutableClock()) as harness:
        harness.agency("Resident Registry", [RESIDENT])
        yield harness


@pytest.fixture(autouse=True)
def _no_protocol_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTID_PROTOCOL_RATE_LIMIT", "0")  # the verifier's (from settings)


def test_credential_requests_with_a_valid_token(open_issuer: Harness) -> None:
    dpop_key, holder = generate_key("ES256"), generate_key("ES256")
    public = {
        k: v for k, v in SoftwareSigner(holder, "x").public_jwk().items() if k not in ("kid", "alg")
    }

    @bounded(40)
    @given(body=json_values, header=json_values, payload=json_values, mode=st.integers(0, 3))
    def run(body: Any, header: Any, payload: Any, mode: int) -> None:
        token = redeemed_token(open_issuer, dpop_key)
        request: Any = body
        if mode == 1:  # a proof of any shape
            request = {
                "credential_configuration_id": SD_JWT,
                "proofs": {"jwt": [signed(holder, header, payload)]},
            }
        elif mode == 2:  # a well-formed proof with generated members over it
            head: dict[str, Any] = {"alg": "ES256", "typ": "openid4vci-proof+jwt", "jwk": public}
            claims: dict[str, Any] = {
                "aud": ISSUER,
                "iat": int(open_issuer.services.ctx.clock().timestamp()),
                "nonce": nonce(open_issuer),
            }
            head.update(header if isinstance(header, dict) else {})
            claims.update(payload if isinstance(payload, dict) else {})
            request = {
                "credential_configuration_id": SD_JWT,
                "proofs": {"jwt": [signed(holder, head, claims)]},
            }
        elif mode == 3:
            request = {"credential_configuration_id": SD_JWT, "proofs": body}
        assert_oauth_error_or_success(request_credential(open_issuer, token, dpop_key, request))

    run()


def test_responses_to_a_pending_request(world: World) -> None:  # noqa: F811
    @bounded(40)
    @given(value=json_values, text=st.text(max_size=200), mode=st.integers(0, 4), jwe=st.booleans())
    def run(value: Any, text: str, mode: int, jwe: bool) -> None:
        created = world.create(
            preset="age_over_18", responseMode="direct_post.jwt" if jwe else "direct_post"
        )
        request = world.request_object(created)
        query_id = request["dcql_query"]["credentials"][0]["id"]
        state = request["state"]
        if mode == 0:
            response = world.post(request, {"vp_token": value, "state": state})
        elif mode == 1:
            response = world.post(request, {"vp_token": {query_id: [value]}, "state": state})
        elif mode == 2:
            extra = value if isinstance(value, dict) else {"extra": value}
            payload = {**extra, "vp_token": {query_id: [text]}, "state": state}
            response = world.post(request, payload)
        elif mode == 3:
            path = "/responses/" + created["id"]
            form = {"response": text} if jwe else {"vp_token": text, "state": state}
            response = world.verifier.post(path, data=form)
        else:  # a real presentation with generated text spliced into it
            shown = world.presentation(
                ["age_over_18"], nonce=request["nonce"], audience=request["client_id"]
            )
            cut = len(text) % len(shown)
            corrupted = shown[:cut] + text + shown[cut:]
            response = world.post(request, {"vp_token": {query_id: [corrupted]}, "state": state})
        assert_oauth_error_or_success(response)

    run()
