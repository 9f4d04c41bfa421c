"""trustid_http.outbound: the guarded transports against a real loopback HTTP server.

Names resolve through injected resolvers (no DNS); the connections are real sockets.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from tests.conftest import free_port
from trustid_http.outbound import (
    AsyncGuardedTransport,
    GuardedTransport,
    OutboundRefused,
    async_client,
    sync_client,
)
from vcore.errors import OutboundURLError
from vcore.outbound import parse_allow_list
from wallet_cli.client import WalletClient

PUBLIC = "93.184.215.14"


@pytest.fixture
def loopback_server() -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/x")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _sync_map(mapping: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int) -> list[str]:
        return mapping.get(host, [PUBLIC])

    return resolve


def _async_map(mapping: dict[str, list[str]]) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        return mapping.get(host, [PUBLIC])

    return resolve


def test_async_transport_connects_only_to_allowed_addresses(loopback_server: int) -> None:
    port = loopback_server

    async def scenario() -> None:
        allowed = parse_allow_list(f"127.0.0.1:{port}")
        async with httpx.AsyncClient(transport=AsyncGuardedTransport(allowed)) as client:
            response = await client.get(f"http://127.0.0.1:{port}/x")
            assert response.json() == {"ok": True}
        # A public-looking name that resolves to loopback (DNS rebinding) is refused at
        # connect time, even though the URL itself passes the policy.
        rebinding = _async_map({"rebind.example": ["127.0.0.1"]})
        transport = AsyncGuardedTransport(frozenset(), rebinding)
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(OutboundRefused, match="non-public") as caught:
                await client.get(f"http://rebind.example:{port}/x")
            assert isinstance(caught.value, httpx.ConnectError)
            assert isinstance(caught.value.error, OutboundURLError)
        async with httpx.AsyncClient(transport=AsyncGuardedTransport(frozenset())) as client:
            with pytest.raises(httpx.ConnectError, match="non-public"):
                await client.get(f"http://127.0.0.1:{port}/x")

    anyio.run(scenario)


def test_sync_transport_connects_only_to_allowed_addresses(loopback_server: int) -> None:
    port = loopback_server
    allowed = parse_allow_list(f"127.0.0.1:{port}")
    with httpx.Client(transport=GuardedTransport(allowed)) as client:
        assert client.get(f"http://127.0.0.1:{port}/x").json() == {"ok": True}
    # One private address among public ones is enough to refuse the name.
    mixed = _sync_map({"mixed.example": [PUBLIC, "127.0.0.1"]})
    with (
        httpx.Client(transport=GuardedTransport(frozenset(), mixed)) as client,
        pytest.raises(OutboundRefused, match="non-public"),
    ):
        client.get(f"http://mixed.example:{port}/x")
    # An allow-listed name may resolve to loopback (the development quick start).
    local = _sync_map({"dev.example": ["127.0.0.1"]})
    dev = parse_allow_list(f"dev.example:{port}")
    with httpx.Client(transport=GuardedTransport(dev, local)) as client:
        assert client.get(f"http://dev.example:{port}/x").json() == {"ok": True}


def test_transport_errors_are_httpx_errors() -> None:
    port = free_port()  # nothing listens there
    allowed = parse_allow_list(f"127.0.0.1:{port}")
    with (
        httpx.Client(transport=GuardedTransport(allowed)) as client,
        pytest.raises(httpx.ConnectError) as caught,
    ):
        client.get(f"http://127.0.0.1:{port}/x")
    assert not isinstance(caught.value, OutboundRefused)

    def unresolvable(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    with (
        httpx.Client(transport=GuardedTransport(frozenset(), unresolvable)) as client,
        pytest.raises(httpx.ConnectError, match="cannot resolve"),
    ):
        client.get("https://nowhere.example/x")
    with (
        httpx.Client(transport=GuardedTransport(frozenset(), _sync_map({"e.example": []}))) as c,
        pytest.raises(httpx.ConnectError, match="no address"),
    ):
        c.get("https://e.example/x")


def test_clients_follow_no_redirects_and_ignore_the_environment(
    loopback_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = loopback_server
    # A proxy from the environment would take requests elsewhere; it must be ignored.
    monkeypatch.setenv("HTTP_PROXY", "http://203.0.113.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://203.0.113.1:9")
    allowed = parse_allow_list(f"127.0.0.1:{port}")
    with sync_client(allowed, user_agent="t/1") as client:
        response = client.get(f"http://127.0.0.1:{port}/redirect")
        assert response.status_code == 302
        assert response.request.headers["User-Agent"] == "t/1"

    async def scenario() -> None:
        async with async_client(allowed, user_agent="t/2") as client:
            response = await client.get(f"http://127.0.0.1:{port}/redirect")
            assert response.status_code == 302
            assert response.request.headers["User-Agent"] == "t/2"

    anyio.run(scenario)


def test_wallet_turns_a_connect_time_refusal_into_the_policy_error(loopback_server: int) -> None:
    rebinding = _sync_map({"rebind.example": ["127.0.0.1"]})
    http = sync_client(
        frozenset(), user_agent="t", transport=GuardedTransport(frozenset(), rebinding)
    )
    with (
        WalletClient(frozenset(), http=http) as client,
        pytest.raises(OutboundURLError, match="non-public"),
    ):
        client.fetch_status_list(f"https://rebind.example:{loopback_server}/x")
