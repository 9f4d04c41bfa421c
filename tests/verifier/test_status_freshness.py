"""Status freshness as a policy: stale-if-error 1 h by default (up to 24 h), and a relying
party's ``options.maxStatusAge`` (else ``status_unavailable``, fail closed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tests.asgi_client import AppClient
from tests.verifier.support import (
    RESIDENT,
    Clock,
    FakeWeb,
    Holder,
    Issuer,
    app_client,
    public_resolver,
    trust_document,
    write_json,
)
from verifier.app import create_app
from verifier.settings import VerifierSettings

HOST = "registry.example"


class Env:
    def __init__(self, tmp_path: Path, now: datetime, **settings: Any) -> None:
        self.clock = Clock(now)
        self.web = FakeWeb(self.clock)
        self.issuer = self.web.add(Issuer(f"https://{HOST}"))
        self.holder = Holder()
        trust = write_json(tmp_path / "trust.json", trust_document((self.issuer, [RESIDENT])))
        self.settings = VerifierSettings(
            trust_list=str(trust), data_dir=tmp_path / "var", **settings
        )
        self.app = create_app(
            self.settings,
            transport=self.web.transport(),
            host_resolver=public_resolver,
            clock=self.clock,
        )

    def body(self, **options: Any) -> dict[str, Any]:
        token, _ = self.issuer.issue(self.holder.did, now=self.clock.value)
        return {"verifiableCredential": token, "options": options}


@pytest.fixture
def env(tmp_path: Path, fixed_now: datetime) -> Env:
    return Env(tmp_path, fixed_now)


@pytest.fixture
def client(env: Env) -> Iterator[AppClient]:
    with app_client(env.app) as c:
        yield c


def _codes(result: dict[str, Any]) -> list[str]:
    return [p["code"] for p in result.get("problemDetails", [])]


def test_a_stale_list_is_used_for_one_hour_by_default_then_fail_closed(
    env: Env, client: AppClient
) -> None:
    assert client.post("/credentials/verify", json=env.body()).status_code == 200
    env.web.down.add(HOST)
    env.clock.advance(minutes=59)
    stale = client.post("/credentials/verify", json=env.body())
    assert stale.status_code == 200, stale.text
    env.clock.advance(minutes=2, seconds=1)
    refused = client.post("/credentials/verify", json=env.body())
    assert refused.status_code == 400
    assert "status_unavailable" in _codes(refused.json())
    assert "older than 1 h" in refused.text


def test_the_window_is_configurable_up_to_24_hours(tmp_path: Path, fixed_now: datetime) -> None:
    env = Env(tmp_path, fixed_now, verifier_stale_if_error=6 * 3600)
    with app_client(env.app) as client:
        assert client.post("/credentials/verify", json=env.body()).status_code == 200
        env.web.down.add(HOST)
        env.clock.advance(hours=5, minutes=59)
        assert client.post("/credentials/verify", json=env.body()).status_code == 200
        env.clock.advance(minutes=2)
        assert client.post("/credentials/verify", json=env.body()).status_code == 400
    for too_long in (86_401, -1):
        with pytest.raises(ValidationError):
            VerifierSettings(verifier_stale_if_error=too_long)


def test_max_status_age_refetches_a_younger_copy(env: Env, client: AppClient) -> None:
    assert client.post("/credentials/verify", json=env.body()).status_code == 200
    fetched = env.web.count("/status-lists/")
    env.clock.advance(seconds=120)  # within the list's 300 s ttl: normally a cache hit
    assert client.post("/credentials/verify", json=env.body()).status_code == 200
    assert env.web.count("/status-lists/") == fetched
    demanding = client.post("/credentials/verify", json=env.body(maxStatusAge=60))
    assert demanding.status_code == 200, demanding.text
    assert env.web.count("/status-lists/") > fetched


def test_max_status_age_fails_closed_when_only_an_older_copy_can_be_had(
    env: Env, client: AppClient
) -> None:
    assert client.post("/credentials/verify", json=env.body()).status_code == 200
    env.clock.advance(seconds=120)
    env.web.down.add(HOST)
    refused = client.post("/credentials/verify", json=env.body(maxStatusAge=60))
    assert refused.status_code == 400
    assert "status_unavailable" in _codes(refused.json())
    assert "maxStatusAge" in refused.text
    # Without the demand, the cached copy (within its ttl) still answers.
    assert client.post("/credentials/verify", json=env.body()).status_code == 200


def test_max_status_age_applies_to_batches(env: Env, client: AppClient) -> None:
    token = env.body()["verifiableCredential"]
    assert client.post("/credentials/verify/batch", json={"items": [token]}).status_code == 200
    env.clock.advance(seconds=120)
    env.web.down.add(HOST)
    answer = client.post(
        "/credentials/verify/batch", json={"items": [token], "options": {"maxStatusAge": 30}}
    )
    assert answer.status_code == 200
    assert "status_unavailable" in _codes(answer.json()["results"][0])


@pytest.mark.parametrize("value", [-1, 86_401, "60", 1.5, True, None])
def test_a_bad_max_status_age_is_422(env: Env, client: AppClient, value: object) -> None:
    body = env.body()
    body["options"] = {"maxStatusAge": value}
    answer = client.post("/credentials/verify", json=body)
    if value is None:
        assert answer.status_code == 200
        return
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_request"
    assert "maxStatusAge" in answer.json()["detail"]
