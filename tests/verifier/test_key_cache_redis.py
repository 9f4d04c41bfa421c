"""API-key invalidation through Redis pub/sub (a real Redis at 127.0.0.1:6379).

Two registries on one database stand for two processes. Their only cross-process
signal here is Redis (the database's own signal is left out on purpose), so a removed
key refused at once by the other registry can only have been carried by Redis; the
same removal without any signal is still accepted from the cache, which shows the test
can fail. Each test has its own channel prefix.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import redis

from verifier.clients import ClientRegistry
from verifier.errors import UnauthorizedError
from verifier.key_cache import (
    CompositeSignal,
    RedisSignal,
    StampFileSignal,
    TTLOnlySignal,
    redis_channel,
    signal_for,
)
from verifier.storage import make_engine

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.skip(f"needs a Redis server at {REDIS_URL} ({exc})")
    client.close()
    return f"trustid-test:{uuid.uuid4().hex}"  # a channel: nothing is stored under it


def _redis_signal(prefix: str) -> RedisSignal:
    return RedisSignal(redis.Redis.from_url(REDIS_URL), redis_channel(prefix))


def _wait_listening(registry: ClientRegistry, key: str) -> None:
    """Authenticate until the cache is live (the subscription confirmed)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        registry.authenticate(f"Bearer {key}")
        if registry.authenticate_cached(f"Bearer {key}") is not None:
            return
        time.sleep(0.02)
    raise AssertionError("the cache never became live")


def _refused_within(registry: ClientRegistry, key: str, seconds: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            registry.authenticate(f"Bearer {key}")
        except UnauthorizedError:
            return time.monotonic() - start
        time.sleep(0.005)
    return None


def test_removal_reaches_the_other_process_through_redis(tmp_path: Path, prefix: str) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    engines = [make_engine(url), make_engine(url)]
    server = ClientRegistry(engines[0], signal=_redis_signal(prefix))
    cli = ClientRegistry(engines[1], signal=_redis_signal(prefix))
    try:
        _info, key = cli.create("Housing Office")
        _wait_listening(server, key)
        assert cli.remove("Housing Office")
        took = _refused_within(server, key, 1.0)
        assert took is not None, "the removed key was still accepted after 1 s"
        assert took < 0.5
    finally:
        server.close()
        cli.close()
        for engine in engines:
            engine.dispose()


def test_without_a_signal_the_cache_keeps_a_removed_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    engines = [make_engine(url), make_engine(url)]
    server = ClientRegistry(engines[0], signal=TTLOnlySignal())
    cli = ClientRegistry(engines[1], signal=TTLOnlySignal())
    try:
        _info, key = cli.create("Housing Office")
        _wait_listening(server, key)
        assert cli.remove("Housing Office")
        assert _refused_within(server, key, 0.3) is None  # the TTL alone: still cached
    finally:
        for engine in engines:
            engine.dispose()


def test_unreachable_redis_disables_the_cache(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    engine = make_engine(url)
    dead = RedisSignal(
        redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2), "x:clients"
    )
    registry = ClientRegistry(
        engine, signal=CompositeSignal(StampFileSignal(tmp_path / "v.db"), dead)
    )
    try:
        _info, key = registry.create("Housing Office")  # publishing fails: a warning only
        for _ in range(3):
            assert registry.authenticate(f"Bearer {key}") is not None
            time.sleep(0.05)
        # Never served from memory while the subscription is down: each asks the database.
        assert registry.authenticate_cached(f"Bearer {key}") is None
    finally:
        registry.close()
        engine.dispose()


def test_signal_for_adds_redis_only_when_configured(tmp_path: Path, prefix: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'v.db'}")
    try:
        assert isinstance(signal_for(engine), StampFileSignal)
        both = signal_for(engine, redis_url=REDIS_URL, redis_prefix=prefix)
        assert isinstance(both, CompositeSignal)
        kinds = [type(s) for s in both.signals]
        assert kinds == [StampFileSignal, RedisSignal]
        redis_signal = both.signals[1]
        assert isinstance(redis_signal, RedisSignal)
        assert redis_signal.channel == f"{prefix}:clients"
        with pytest.raises(ValueError, match="scheme"):
            signal_for(engine, redis_url="http://not-redis")
    finally:
        engine.dispose()
