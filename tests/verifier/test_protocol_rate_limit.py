"""The OpenID4VP endpoints wallets call without an API key are limited per address.

``TRUSTID_PROTOCOL_RATE_LIMIT`` requests a minute per client address across
``/request-objects/{id}`` and ``/responses/{id}``: 429 with the OAuth error JSON and
``Retry-After`` beyond it, before any work. With ``TRUSTID_REDIS_URL`` two replicas
share the budget (the API keys' Redis window, keys ``<prefix>:addr:<address>``).
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx

from tests.asgi_client import AppClient
from tests.verifier.support import app_client, public_resolver
from tests.verifier.test_rate_limit_redis import REDIS_URL, prefix  # noqa: F401 - fixture
from verifier.app import create_app
from verifier.settings import VerifierSettings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _settings(tmp_path: Path, **values: object) -> VerifierSettings:
    return VerifierSettings(data_dir=tmp_path / "var", **values)  # type: ignore[arg-type]


def _oauth_429(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "temporarily_unavailable"
    assert int(response.headers["retry-after"]) >= 1


def test_request_objects_and_responses_share_one_budget(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, protocol_rate_limit=3), host_resolver=public_resolver)
    with app_client(app) as client:
        assert client.get("/request-objects/nope").status_code == 404
        assert client.post("/responses/nope", content="vp_token=x", headers=FORM).status_code == 404
        assert client.get("/request-objects/nope").status_code == 404
        _oauth_429(client.get("/request-objects/nope"))
        _oauth_429(client.post("/responses/nope", content="vp_token=x", headers=FORM))
        # The rest of the verifier is not counted per address.
        assert client.get("/healthz").status_code == 200
        assert client.get("/.well-known/did.json").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
    assert "429" in paths["/request-objects/{request_id}"]["get"]["responses"]
    assert "429" in paths["/responses/{request_id}"]["post"]["responses"]


def test_zero_turns_the_limit_off(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, protocol_rate_limit=0), host_resolver=public_resolver)
    with app_client(app) as client:
        assert {client.get("/request-objects/nope").status_code for _ in range(20)} == {404}


def test_two_replicas_share_the_address_budget_through_redis(
    tmp_path: Path,
    prefix: str,  # noqa: F811 - the fixture
) -> None:
    settings = _settings(
        tmp_path,
        verifier_database_url=f"sqlite:///{tmp_path / 'shared.db'}",
        redis_url=REDIS_URL,
        redis_key_prefix=prefix,
        protocol_rate_limit=4,
    )
    with ExitStack() as stack:
        a, b = (
            stack.enter_context(app_client(create_app(settings, host_resolver=public_resolver)))
            for _ in range(2)
        )

        def get(client: AppClient) -> int:
            return client.get("/request-objects/nope").status_code

        assert [get(c) for c in (a, b, a, b)] == [404] * 4
        _oauth_429(a.get("/request-objects/nope"))
        _oauth_429(b.get("/request-objects/nope"))


def test_unreachable_redis_still_limits_per_process(tmp_path: Path) -> None:
    settings = _settings(tmp_path, redis_url="redis://127.0.0.1:1/0", protocol_rate_limit=2)
    with app_client(create_app(settings, host_resolver=public_resolver)) as client:
        assert [client.get("/request-objects/nope").status_code for _ in range(2)] == [404, 404]
        _oauth_429(client.get("/request-objects/nope"))
