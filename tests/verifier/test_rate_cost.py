"""Rate limits count cost: a batch of N costs N, a QR image its decode time.

The in-process bucket and the shared Redis window (a real Redis at 127.0.0.1:6379,
a key prefix per test) are checked on their own, then the routes through the app: a
batch that the remaining budget cannot pay is refused before any work, and a QR image
that ran its decoder to the budget leaves the key waiting.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.asgi_client import AppClient
from tests.verifier.support import app_client, public_resolver
from verifier.app import create_app
from verifier.clients import ClientInfo, ClientRegistry, RateLimiter
from verifier.errors import RateLimitedError
from verifier.qr_pool import QRDecoderPool
from verifier.ratelimit import RedisRateLimiter, qr_decode_cost
from verifier.settings import VerifierSettings
from verifier.storage import make_engine

REDIS_URL = "redis://127.0.0.1:6379/0"


def _client(limit: int) -> ClientInfo:
    return ClientInfo(id=7, name="Housing Office", rate_limit=limit, created_at="")


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_qr_decode_cost_is_one_unit_per_started_100_ms() -> None:
    assert [qr_decode_cost(s) for s in (0.0, 0.02, 0.1, 0.101, 0.5, 2.0, 2.05)] == [
        1,
        1,
        1,
        2,
        5,
        20,
        21,
    ]


def test_bucket_counts_cost() -> None:
    clock = FakeTime()
    limiter = RateLimiter(600, monotonic=clock)
    client = _client(10)  # 10 per minute: one unit every 6 s
    limiter.check(client, 6)
    with pytest.raises(RateLimitedError) as refused:
        limiter.check(client, 5)  # 4 left
    assert refused.value.retry_after == 6  # one more unit
    limiter.check(client, 4)
    limiter.charge(client, 3)  # work already done: taken, never refused -> 3 in debt
    with pytest.raises(RateLimitedError) as refused:
        limiter.check(client)
    assert refused.value.retry_after == 24  # 4 units to earn back
    clock.now += 24
    limiter.check(client)


def test_bucket_lets_a_cost_above_the_limit_through_on_a_full_budget() -> None:
    clock = FakeTime()
    limiter = RateLimiter(600, monotonic=clock)
    client = _client(10)
    limiter.check(client, 1)
    with pytest.raises(RateLimitedError):
        limiter.check(client, 25)  # needs a full bucket
    clock.now += 6
    limiter.check(client, 25)  # full: passes, 15 in debt
    clock.now += 60
    with pytest.raises(RateLimitedError):
        limiter.check(client)  # 60 s earned 10: still 5 short of one unit
    clock.now += 36
    limiter.check(client)


@pytest.fixture
def prefix() -> Iterator[str]:
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


def test_redis_window_counts_cost(prefix: str) -> None:
    replicas = [
        RedisRateLimiter(redis.Redis.from_url(REDIS_URL), 600, prefix=prefix) for _ in range(2)
    ]
    a, b = replicas
    client = _client(10)
    try:
        a.check(client, 6)
        with pytest.raises(RateLimitedError) as refused:
            b.check(client, 5)  # the other replica sees the 6
        assert refused.value.retry_after >= 1
        b.check(client, 4)
        a.charge(client, 3)  # over the limit, taken anyway
        with pytest.raises(RateLimitedError):
            b.check(client, 1)
    finally:
        for limiter in replicas:
            limiter.close()


def test_redis_window_lets_a_cost_above_the_limit_through_when_empty(prefix: str) -> None:
    limiter = RedisRateLimiter(redis.Redis.from_url(REDIS_URL), 600, prefix=prefix)
    client = _client(10)
    try:
        limiter.check(client, 25)
        with pytest.raises(RateLimitedError) as refused:
            limiter.check(client, 1)
        # Into the next window, until 25 x its overlap share is down to 9: >= 38.4 s.
        assert refused.value.retry_after >= 38
    finally:
        limiter.close()


@pytest.fixture
def app_with_key(tmp_path: Path) -> Iterator[tuple[AppClient, dict[str, str]]]:
    settings = VerifierSettings(data_dir=tmp_path / "var")
    engine = make_engine(settings.db_url)
    try:
        _info, key = ClientRegistry(engine).create("Housing Office", rate_limit=6)
    finally:
        engine.dispose()
    app = create_app(settings, host_resolver=public_resolver)
    pool = QRDecoderPool(workers=1, queue=0, budget=0.5, target="tests.verifier.qr_slow:by_content")
    app.state.service.qr_decoder = pool
    try:
        with app_client(app) as client:
            yield client, {"Authorization": f"Bearer {key}"}
    finally:
        pool.close()


def _batch(client: AppClient, headers: dict[str, str], n: int) -> int:
    items = [{"verifiableCredential": "not-a-token"} for _ in range(n)]
    return client.post(
        "/credentials/verify/batch", json={"items": items}, headers=headers
    ).status_code


def test_a_batch_of_n_counts_n(app_with_key: tuple[AppClient, dict[str, str]]) -> None:
    client, headers = app_with_key
    assert _batch(client, headers, 4) == 200  # 4 of 6
    refused = client.post(
        "/credentials/verify/batch",
        json={"items": [{"verifiableCredential": "x"}] * 3},
        headers=headers,
    )
    assert refused.status_code == 429  # 3 more do not fit in what is left
    assert refused.json()["code"] == "rate_limited"
    assert "costs 2" in refused.json()["detail"]  # the request itself took one already
    assert int(refused.headers["retry-after"]) >= 1


def test_a_batch_above_the_whole_limit_waits_instead_of_failing_for_ever(
    app_with_key: tuple[AppClient, dict[str, str]],
) -> None:
    client, headers = app_with_key
    assert _batch(client, headers, 10) == 200  # 10 > 6 a minute: passes on a full budget
    refused = client.post(
        "/credentials/verify", json={"verifiableCredential": "x"}, headers=headers
    )
    assert refused.status_code == 429  # and leaves the key in debt
    assert int(refused.headers["retry-after"]) > 40  # 5 units owed at one per 10 s


def test_taken_units_count_towards_a_full_budget() -> None:
    clock = FakeTime()
    limiter = RateLimiter(600, monotonic=clock)
    client = _client(10)
    limiter.check(client)  # the request's first unit
    limiter.check(client, 24, taken=1)  # a batch of 25: 9 left is a full budget now
    with pytest.raises(RateLimitedError):
        limiter.check(client)


def test_redis_counts_taken_units_towards_a_full_budget(prefix: str) -> None:
    limiter = RedisRateLimiter(redis.Redis.from_url(REDIS_URL), 600, prefix=prefix)
    client = _client(10)
    try:
        limiter.check(client)
        limiter.check(client, 24, taken=1)
        with pytest.raises(RateLimitedError):
            limiter.check(client)
    finally:
        limiter.close()


def _qr(client: AppClient, headers: dict[str, str], data: bytes) -> int:
    files = {"file": ("qr.png", data, "image/png")}
    return client.post("/verify/qr", files=files, headers=headers).status_code


def _text(client: AppClient, headers: dict[str, str]) -> int:
    return client.post("/verify/qr", data={"text": "not a credential"}, headers=headers).status_code


def test_a_qr_image_counts_its_decode_time(
    app_with_key: tuple[AppClient, dict[str, str]],
) -> None:
    client, headers = app_with_key
    assert _qr(client, headers, b"warm") != 429  # fast: one unit (the worker starts)
    assert _qr(client, headers, b"spin") == 422  # ran to its 0.5 s budget: >= 5 units
    assert _text(client, headers) == 429  # 1 + 5 of 6 gone


def test_fast_qr_images_cost_one_unit_each(
    app_with_key: tuple[AppClient, dict[str, str]],
) -> None:
    client, headers = app_with_key
    assert [_qr(client, headers, b"warm") != 429 for _ in range(5)] == [True] * 5
    assert _text(client, headers) != 429  # the sixth unit
    assert _text(client, headers) == 429
