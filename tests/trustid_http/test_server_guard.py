"""The header deadline and the connection bound, tested with raw sockets on a real server.

A client that connects and sends nothing, or half a request, or dribbles bytes, is cut
off at the deadline with no answer; a complete request is served, also on a kept-alive
connection after a first one. Plain uvicorn (the first test) keeps such a connection
open: that is why the guard exists.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from trustid_http.server import OncePerInterval, guarded_protocol, uvicorn_options

DEADLINE = 0.6


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(1.5)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


@contextmanager
def _server(**options: Any) -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(_app, lifespan="off", log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _closed_within(conn: socket.socket, seconds: float) -> bool:
    """True when the server closes ``conn`` (EOF or reset) within ``seconds``."""
    conn.settimeout(seconds)
    try:
        return conn.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


GET = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"


def test_plain_uvicorn_holds_half_sent_headers_open() -> None:
    with _server(http="h11") as port, socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
        assert not _closed_within(conn, DEADLINE * 2)


@pytest.mark.parametrize("http", ["httptools", "h11"])
@pytest.mark.parametrize(
    "prefix",
    [b"", b"GET / HT", b"GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n"],
    ids=["none", "line", "headers"],
)
def test_incomplete_headers_are_cut_off_at_the_deadline(http: str, prefix: bytes) -> None:
    protocol = guarded_protocol(DEADLINE, prefer=http)
    with _server(http=protocol) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        started = time.monotonic()
        if prefix:
            conn.sendall(prefix)
        assert _closed_within(conn, DEADLINE * 4)
        assert time.monotonic() - started >= DEADLINE * 0.8


@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_a_dribbling_client_is_cut_off_too(http: str) -> None:
    protocol = guarded_protocol(DEADLINE, prefer=http)
    with _server(http=protocol) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        started = time.monotonic()
        closed = False
        for byte in b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 100:
            try:
                conn.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if _closed_within(conn, 0.05):
                closed = True
                break
        assert closed
        assert time.monotonic() - started < DEADLINE * 4


@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_complete_requests_are_served_and_the_next_one_is_due_again(http: str) -> None:
    protocol = guarded_protocol(DEADLINE, prefer=http)
    with _server(http=protocol) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        time.sleep(DEADLINE / 2)
        conn.sendall(GET)
        conn.settimeout(5)
        assert conn.recv(1024).startswith(b"HTTP/1.1 200")
        # A slow handler is not cut off: the deadline covers headers only.
        conn.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        assert conn.recv(1024).startswith(b"HTTP/1.1 200")
        conn.sendall(b"GET / HTTP/1.1\r\n")  # a half-sent next request
        assert _closed_within(conn, DEADLINE * 4)


def test_the_connection_bound_answers_503_beyond_it() -> None:
    options = uvicorn_options(header_timeout=5, max_connections=2)
    with _server(**options) as port:
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        try:
            time.sleep(0.1)
            with socket.create_connection(("127.0.0.1", port)) as extra:
                extra.sendall(GET)
                extra.settimeout(5)
                assert extra.recv(1024).startswith(b"HTTP/1.1 503")
        finally:
            for conn in held:
                conn.close()
        time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(GET)
            conn.settimeout(5)
            assert conn.recv(1024).startswith(b"HTTP/1.1 200")


def test_per_request_warnings_are_logged_once_per_interval() -> None:
    quiet = OncePerInterval(interval=60)
    record = logging.LogRecord(
        "uvicorn.error", logging.WARNING, "", 0, "Exceeded concurrency limit.", (), None
    )
    assert quiet.filter(record)
    assert not any(quiet.filter(record) for _ in range(100))
    other = logging.LogRecord("uvicorn.error", logging.WARNING, "", 0, "Started server", (), None)
    assert quiet.filter(other)
