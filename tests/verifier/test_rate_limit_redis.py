"""Rate limits shared through a real Redis (127.0.0.1:6379) by two verifier replicas.

Two apps built with the same settings share one client database and one Redis: together
they allow the key's rate. Without ``TRUSTID_REDIS_URL`` each app counts alone, and an
unreachable Redis falls back to the in-process limiter. Each test uses its own key
prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis

from tests.asgi_client import AppClient
from tests.verifier.support import app_client, public_resolver
from verifier.app import create_app
from verifier.clients import ClientRegistry
from verifier.settings import VerifierSettings
from verifier.storage import make_engine

REDIS_URL = "redis://127.0.0.1:6379/0"
BODY = {"verifiableCredential": "x"}  # malformed: 400, but only after auth + rate limit
LIMIT = 5


@pytest.fixture
def prefix() -> Iterator[str]:
    """A unique key prefix on the real Redis (skips when none runs); keys removed after."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.skip(f"needs a Redis server at {REDIS_URL} ({exc})")
    value = f"trustid-test:{uuid.uuid4().hex}:ratelimit"
    try:
        yield value
    finally:
        keys = list(client.scan_iter(match=f"{value}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def _replicas(
    tmp_path: Path, redis_url: str | None, prefix: str = "trustid:ratelimit"
) -> Iterator[tuple[AppClient, AppClient, dict[str, str]]]:
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    settings = VerifierSettings(
        data_dir=tmp_path / "var",
        verifier_database_url=database_url,
        redis_url=redis_url,
        redis_key_prefix=prefix,
    )
    engine = make_engine(database_url)
    try:
        ClientRegistry(engine).create("Other Office", rate_limit=1000)
        _info, key = ClientRegistry(engine).create("Housing Office", rate_limit=LIMIT)
    finally:
        engine.dispose()
    with ExitStack() as stack:
        a, b = (
            stack.enter_context(app_client(create_app(settings, host_resolver=public_resolver)))
            for _ in range(2)
        )
        yield a, b, {"Authorization": f"Bearer {key}"}


@pytest.fixture
def shared(tmp_path: Path, prefix: str) -> Iterator[tuple[AppClient, AppClient, dict[str, str]]]:
    yield from _replicas(tmp_path, REDIS_URL, prefix)


def _post(client: AppClient, headers: dict[str, str]) -> int:
    return client.post("/credentials/verify", json=BODY, headers=headers).status_code


def test_two_replicas_share_one_limit(
    shared: tuple[AppClient, AppClient, dict[str, str]],
) -> None:
    a, b, headers = shared
    codes = [_post(client, headers) for client in (a, b, a, b, a)]
    assert codes == [400] * LIMIT  # 5 requests across both replicas pass the limiter
    limited = b.post("/credentials/verify", json=BODY, headers=headers)
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("application/problem+json")
    problem = limited.json()
    assert problem["code"] == "rate_limited"
    assert problem["status"] == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 120
    assert _post(a, headers) == 429  # and on the other replica too


def test_without_redis_each_replica_counts_alone(tmp_path: Path) -> None:
    for a, b, headers in _replicas(tmp_path, None):
        assert [_post(a, headers) for _ in range(LIMIT)] == [400] * LIMIT
        assert _post(a, headers) == 429
        # The other process has its own bucket: the full rate again.
        assert [_post(b, headers) for _ in range(LIMIT)] == [400] * LIMIT
        assert _post(b, headers) == 429


def test_unreachable_redis_falls_back_to_local_limiter(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for a, _b, headers in _replicas(tmp_path, "redis://127.0.0.1:1/0"):
        with caplog.at_level("WARNING", logger="trustid.verifier"):
            assert [_post(a, headers) for _ in range(LIMIT)] == [400] * LIMIT
            limited = a.post("/credentials/verify", json=BODY, headers=headers)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert a.get("/healthz").status_code == 200
        warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
        assert len(warnings) == 1  # once per outage, not once per request
