"""What nginx holds back: half-sent headers and bodies, oversize bodies, connection floods."""

from __future__ import annotations

import socket
import ssl
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from scripts.deploycheck.certificates import HOST, client_tls
from scripts.deploycheck.layout import Layout
from scripts.deploycheck.nginx import Limits
from scripts.deploycheck.report import Results

__all__ = ["check_nginx_limits", "finish_slow_probes", "start_slow_probes"]


@dataclass(frozen=True)
class Probe:
    """A connection left half-sent: when nginx closed it, and what it said first."""

    closed: bool
    waited: float
    answer: bytes


def _tls_socket(layout: Layout, timeout: float) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", layout.ports["verifiers"]), timeout=timeout)
    return client_tls(layout.ca).wrap_socket(raw, server_hostname=HOST)


def _probe(layout: Layout, payload: bytes, timeout: float) -> Probe:
    """Send ``payload`` and nothing more; wait (at most ``timeout``) for nginx to close."""
    with _tls_socket(layout, timeout) as sock:
        sock.sendall(payload)
        start = time.monotonic()
        answer = b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
            closed = True
        except TimeoutError:
            closed = False
        except (ssl.SSLError, OSError):
            closed = True
        return Probe(closed, time.monotonic() - start, answer[:12])


def start_slow_probes(layout: Layout, limits: Limits) -> dict[str, Future[Probe]]:
    """Half-sent headers and a half-sent body, in the background while the rest runs."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="probe")
    probes = {
        "header": pool.submit(
            _probe,
            layout,
            b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n",
            limits.header_timeout + 10,
        ),
        "body": pool.submit(
            _probe,
            layout,
            b"POST /credentials/verify HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
            limits.body_timeout + 10,
        ),
    }
    pool.shutdown(wait=False)
    return probes


def finish_slow_probes(results: Results, probes: dict[str, Future[Probe]], limits: Limits) -> None:
    """Each probe was closed by nginx after its timeout (and never reached a verifier)."""
    for name, directive, timeout in (
        ("header", "client_header_timeout", limits.header_timeout),
        ("body", "client_body_timeout", limits.body_timeout),
    ):
        probe = probes[name].result()
        answer = f" ({probe.answer.decode('latin-1').strip()})" if probe.answer else ""
        results.require(
            f"nginx drops a half-sent {name} after {directive} {timeout} s",
            probe.closed and timeout - 1 <= probe.waited <= timeout + 5,
            f"closed after {probe.waited:.1f} s{answer}" if probe.closed else "still open",
            f"closed after ~{timeout} s",
        )


def check_nginx_limits(results: Results, layout: Layout, limits: Limits) -> None:
    """Body size limit and the per-address connection limit of nginx."""
    context = client_tls(layout.ca)

    def tls_socket() -> ssl.SSLSocket:
        return _tls_socket(layout, 10)

    # Over client_max_body_size: 413 before anything reaches a verifier.
    with httpx.Client(verify=context, timeout=10) as http:
        response = http.post(
            f"{layout.url('verifiers')}/credentials/verify",
            content=b"x" * (limits.max_body_bytes + 1),
            headers={"Content-Type": "application/json"},
        )
    results.add(
        f"nginx refuses a body over client_max_body_size {limits.max_body}",
        413,
        response.status_code,
    )

    # limit_conn: that many requests in progress from one address, then 503.
    held: list[ssl.SSLSocket] = []
    try:
        for _ in range(limits.conn_per_ip):
            sock = tls_socket()
            sock.sendall(
                b"POST /credentials/verify HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            held.append(sock)
        time.sleep(0.3)
        with httpx.Client(verify=context, timeout=10) as http:
            over = http.get(f"{layout.url('verifiers')}/healthz").status_code
    finally:
        for sock in held:
            sock.close()
    results.add(f"nginx limit_conn: request {limits.conn_per_ip + 1} from one address", 503, over)
    time.sleep(0.3)
    with httpx.Client(verify=context, timeout=10) as http:
        after = http.get(f"{layout.url('verifiers')}/healthz").status_code
    results.add("nginx limit_conn: served again once they closed", 200, after)
