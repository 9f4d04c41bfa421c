"""Internal issuers over verified TLS: ``TRUSTID_ALLOW_PRIVATE_HOSTS`` and ``TRUSTID_CA_FILE``.

A private-TLS host may resolve to loopback or a private address but is reached over
https only, with the certificate checked against certifi plus the extra CA. Against a
real HTTPS server on loopback whose certificate comes from a throw-away CA (the one
the deployment check makes, scripts/deploycheck/certificates.py).
"""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from scripts.deploycheck.certificates import make_test_ca
from trustid_http.outbound import OutboundRefused, async_client, default_ssl_context
from vcore.errors import OutboundURLError
from vcore.outbound import (
    check_address,
    check_url,
    did_web_url,
    parse_allow_list,
    parse_private_hosts,
)


def test_private_hosts_are_https_only() -> None:
    allow = parse_private_hosts("localhost:8443, 10.0.0.5")
    assert check_url("https://localhost:8443/x", allow_insecure_hosts=allow) == (
        "https://localhost:8443/x"
    )
    check_address("127.0.0.1", "localhost:8443", allow)
    check_address("10.0.0.5", "10.0.0.5:443", allow)
    with pytest.raises(OutboundURLError, match="plain http"):
        check_url("http://localhost:8443/x", allow_insecure_hosts=allow)
    with pytest.raises(OutboundURLError, match="local host name"):
        check_url("https://localhost:9999/x", allow_insecure_hosts=allow)  # other port
    with pytest.raises(OutboundURLError, match="non-public"):
        check_address("127.0.0.1", "localhost:9999", allow)
    with pytest.raises(OutboundURLError, match="plain http"):
        check_url("http://10.0.0.5/x", allow_insecure_hosts=allow)
    # did:web of a private host resolves over https; an insecure entry would pick http.
    assert (
        did_web_url("did:web:localhost%3A8443", allow)
        == "https://localhost:8443/.well-known/did.json"
    )
    insecure = parse_allow_list("localhost:8443")
    assert did_web_url("did:web:localhost%3A8443", insecure).startswith("http://")
    # The mark never matches a plain entry, and plain entries refuse it.
    with pytest.raises(OutboundURLError):
        parse_allow_list("https://localhost:8443")
    with pytest.raises(OutboundURLError):
        parse_private_hosts("localhost:http")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    directory = tmp_path_factory.mktemp("ca")
    ca, cert, key = make_test_ca(directory)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), ca
    finally:
        server.shutdown()
        server.server_close()


async def _localhost(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def _get(url: str, allow: frozenset[str], context: ssl.SSLContext | None) -> int:
    from trustid_http.outbound import AsyncGuardedTransport

    async def run() -> int:
        transport = AsyncGuardedTransport(allow, _localhost, ssl_context=context)
        async with async_client(allow, user_agent="t", transport=transport) as client:
            return (await client.get(url)).status_code

    return anyio.run(run)


def test_private_tls_host_with_the_extra_ca(tls_server: tuple[int, Path]) -> None:
    port, ca = tls_server
    url = f"https://localhost:{port}/x"
    allow = parse_private_hosts(f"localhost:{port}")
    assert _get(url, allow, default_ssl_context(ca)) == 200
    # Without the CA: the certificate is not trusted (verification is never off).
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _get(url, allow, default_ssl_context())
    # Without the entry: the loopback address is refused at connect time.
    with pytest.raises(OutboundRefused, match="non-public"):
        _get(url, frozenset(), default_ssl_context(ca))


def test_ca_file_must_hold_a_certificate(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ssl.SSLError):
        default_ssl_context(bad)
    with pytest.raises(OSError, match="No such file"):
        default_ssl_context(tmp_path / "missing.pem")
