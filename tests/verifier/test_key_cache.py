"""The API-key cache: no database per request, and a removed key refused at once.

A removal is made through a second registry on its own engine, as the CLI in another
process does: on SQLite the stamp file beside the database carries it, on PostgreSQL a
``NOTIFY``; in both the first registry refuses the key on its very next request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from verifier.clients import ClientRegistry
from verifier.errors import UnauthorizedError
from verifier.key_cache import KeyCache, PostgresSignal, StampFileSignal, TTLOnlySignal
from verifier.storage import make_engine


class Queries:
    """Counts the SQL statements an engine runs."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'verifier.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture
def two_processes(database_url: str) -> Iterator[tuple[ClientRegistry, ClientRegistry, Engine]]:
    """The server's registry, the CLI's registry (each its own engine), the server engine."""
    server_engine = make_engine(database_url)
    cli_engine = make_engine(database_url)
    server = ClientRegistry(server_engine)
    cli = ClientRegistry(cli_engine)
    try:
        yield server, cli, server_engine
    finally:
        server.close()
        cli.close()
        server_engine.dispose()
        cli_engine.dispose()


def _bearer(key: str) -> str:
    return f"Bearer {key}"


def _authenticate_soon(registry: ClientRegistry, key: str) -> None:
    """Authenticate, allowing the PostgreSQL listener up to 5 s to connect first."""
    deadline = time.monotonic() + 5
    while True:
        registry.authenticate(_bearer(key))
        if registry.authenticate_cached(_bearer(key)) is not None:
            return
        assert time.monotonic() < deadline, "the key never entered the cache"
        time.sleep(0.05)


def test_a_known_key_is_answered_from_memory(
    two_processes: tuple[ClientRegistry, ClientRegistry, Engine],
) -> None:
    server, cli, engine = two_processes
    info, key = cli.create("Border Agency")
    _authenticate_soon(server, key)
    queries = Queries(engine)
    for _ in range(20):
        authenticated = server.authenticate(_bearer(key))
        assert authenticated is not None
        assert (authenticated.id, authenticated.name) == (info.id, info.name)
        assert server.authenticate_cached(_bearer(key)) == authenticated
    assert queries.count == 0


def test_a_key_removed_by_another_process_is_refused_on_the_next_request(
    two_processes: tuple[ClientRegistry, ClientRegistry, Engine],
) -> None:
    server, cli, _engine = two_processes
    _info, key = cli.create("Border Agency")
    cli.create("Housing Office")
    _authenticate_soon(server, key)
    assert cli.remove("Border Agency")
    deadline = time.monotonic() + 2  # PostgreSQL: the NOTIFY arrives in milliseconds
    while server.authenticate_cached(_bearer(key)) is not None:
        assert time.monotonic() < deadline, "the removal never reached the cache"
        time.sleep(0.01)
    with pytest.raises(UnauthorizedError):
        server.authenticate(_bearer(key))


def test_on_sqlite_the_removal_is_seen_without_any_wait(sqlite_url: str) -> None:
    engines = [make_engine(sqlite_url), make_engine(sqlite_url)]
    server, cli = (ClientRegistry(e) for e in engines)
    try:
        _info, key = cli.create("Border Agency")
        server.authenticate(_bearer(key))
        assert server.authenticate_cached(_bearer(key)) is not None
        assert cli.remove("Border Agency")
        assert server.authenticate_cached(_bearer(key)) is None
        with pytest.raises(UnauthorizedError):
            server.authenticate(_bearer(key))
    finally:
        for engine in engines:
            engine.dispose()


def test_a_new_key_works_at_once_and_unknown_keys_are_never_kept(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    server = ClientRegistry(engine)
    try:
        server.create("First")
        made_up = "tvk_" + "A" * 43
        for _ in range(3):
            with pytest.raises(UnauthorizedError):
                server.authenticate(_bearer(made_up))
        assert server.authenticate_cached(_bearer(made_up)) is None
        cli = ClientRegistry(make_engine(sqlite_url))
        _info, key = cli.create("Second")
        assert server.authenticate(_bearer(key)).name == "Second"
    finally:
        engine.dispose()


def test_entries_expire_after_the_ttl() -> None:
    now = [0.0]
    cache: KeyCache[str] = KeyCache(TTLOnlySignal(), ttl=5.0, monotonic=lambda: now[0])
    value, generation = cache.get("h")
    assert value is None
    cache.put("h", "client", generation)
    assert cache.get("h")[0] == "client"
    now[0] = 5.1
    assert cache.get("h")[0] is None


def test_a_zero_ttl_disables_the_cache() -> None:
    cache: KeyCache[str] = KeyCache(TTLOnlySignal(), ttl=0)
    cache.put("h", "client", cache.get("h")[1])
    assert cache.get("h")[0] is None


def test_an_entry_read_before_a_change_is_not_kept(tmp_path: Path) -> None:
    signal = StampFileSignal(tmp_path / "verifier.db")
    cache: KeyCache[str] = KeyCache(signal)
    _none, generation = cache.get("h")
    signal.after_commit()  # another process removed a client while we queried
    cache.put("h", "client", generation)
    assert cache.get("h")[0] is None


def test_without_a_listener_postgres_never_serves_from_the_cache() -> None:
    engine = make_engine("sqlite://")  # never connected to: only its URL is read
    signal = PostgresSignal(engine)
    try:
        engine_url_has_no_server = signal.generation()
        assert engine_url_has_no_server is None
        cache: KeyCache[str] = KeyCache(signal)
        cache.put("h", "client", cache.get("h")[1])
        assert cache.get("h")[0] is None
    finally:
        signal.close()
        engine.dispose()
