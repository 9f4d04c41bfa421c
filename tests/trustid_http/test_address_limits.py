"""The per-client-address limit of the anonymous protocol endpoints (both services)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from trustid_http.address_limits import (
    AddressBuckets,
    AddressRateLimitMiddleware,
    address_key,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # one host's /64: one budget
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (None, "unknown"),
        ("testclient", "testclient"),
    ],
)
def test_address_key(host: str | None, key: str) -> None:
    assert address_key(host) == key


def test_buckets_refuse_beyond_the_rate_then_refill() -> None:
    clock = FakeClock()
    buckets = AddressBuckets(3, monotonic=clock)
    assert [buckets.take("a") for _ in range(3)] == [None, None, None]
    wait = buckets.take("a")
    assert wait == 20  # one unit every 20 s at 3 a minute
    assert buckets.take("b") is None  # another address has its own budget
    clock.now += 19
    assert buckets.take("a") is not None
    clock.now += 1.5
    assert buckets.take("a") is None


def test_buckets_memory_is_bounded() -> None:
    clock = FakeClock()
    buckets = AddressBuckets(1, max_tracked=2, monotonic=clock)
    assert buckets.take("a") is None
    assert buckets.take("a") is not None
    # Fresh addresses push the oldest debt out rather than growing without bound.
    for address in ("b", "c", "d"):
        assert buckets.take(address) is None
    assert len(buckets._buckets) <= 2
    assert buckets.take("a") is None


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/token")
    def token() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/other")
    def other() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(
        AddressRateLimitMiddleware,
        limiter=AddressBuckets(2),
        applies=lambda path: path == "/token",
    )
    return app


def _status(app: FastAPI, host: str, method: str, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.request(method, path)

    return asyncio.run(call())


def test_middleware_answers_429_oauth_json_per_address() -> None:
    app = _app()
    assert [_status(app, "192.0.2.1", "POST", "/token").status_code for _ in range(2)] == [
        200,
        200,
    ]
    limited = _status(app, "192.0.2.1", "POST", "/token")
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/json"
    assert limited.json()["error"] == "temporarily_unavailable"
    assert "retry in" in limited.json()["error_description"]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["cache-control"] == "no-store"
    # Paths it does not cover, and other addresses, are untouched.
    assert _status(app, "192.0.2.1", "GET", "/other").status_code == 200
    assert _status(app, "192.0.2.2", "POST", "/token").status_code == 200


def test_no_limiter_means_no_limit() -> None:
    app = FastAPI()

    @app.post("/token")
    def token() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(AddressRateLimitMiddleware, limiter=None, applies=lambda _p: True)
    assert {_status(app, "192.0.2.1", "POST", "/token").status_code for _ in range(5)} == {200}
