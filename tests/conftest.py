"""Shared fixtures: fixed clock, free ports, a fresh PostgreSQL database, real servers."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED_VECTORS = ROOT.parent / "shared" / "vectors"
PG_ADMIN_URL = os.environ.get("TRUSTID_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def fixed_now() -> datetime:
    """A fixed instant for time-dependent code."""
    return datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def free_port() -> int:
    """A TCP port that was free a moment ago on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def port_factory() -> Callable[[], int]:
    """Hand out free loopback ports."""
    return free_port


def _pg_connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url, autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty PostgreSQL database for this test session.

    Skips (with the reason) where no PostgreSQL is reachable; CI has one.
    """
    try:
        admin = _pg_connect(PG_ADMIN_URL)
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not here"
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    name = f"trustid_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    try:
        yield url
    finally:
        with _pg_connect(PG_ADMIN_URL) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """A separate fresh database per test (for tests that need an empty schema)."""
    name = f"trustid_t_{secrets.token_hex(6)}"
    with _pg_connect(PG_ADMIN_URL) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = postgres_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_connect(PG_ADMIN_URL) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """A real service process listening on loopback."""

    def __init__(self, proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.proc = proc
        self.url = url
        self.log = log

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(
    args: list[str], port: int, env: Mapping[str, str], log: Path, *, timeout: float = 90.0
) -> Server:
    """Start ``python -m <args>`` (e.g. ``["issuer.cli", "serve", "--port", ...]``) and wait
    for ``/healthz``."""
    full_env = {**os.environ, **env}
    handle = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", *args], env=full_env, stdout=handle, stderr=subprocess.STDOUT
    )
    handle.close()  # the child holds its own descriptor; ours would leak (ResourceWarning)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return Server(proc, url, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait()  # reap it here: an unreaped child warns (ResourceWarning) inside a later test
    raise RuntimeError(f"server did not become healthy:\n{log.read_text(errors='replace')}")


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start real servers; all are stopped at teardown."""
    started: list[Server] = []

    def factory(args: list[str], port: int, env: Mapping[str, str], name: str = "server") -> Server:
        server = start_server(args, port, env, tmp_path / f"{name}-{port}.log")
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
