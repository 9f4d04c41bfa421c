"""In-process CPU per ``POST /credentials/verify``: the real ASGI app called directly.

Run: ``python -m bench.inproc [N] [--profile]``. No HTTP parsing, no sockets: every
request a never-seen credential, keys and status lists warm. Prints CPU ms per request
(``time.process_time``, best of 3 rounds) and, with ``--profile``, a cProfile table.

A repeatable figure (instructions, not time): ``BENCH_CALLGRIND=1 valgrind
--tool=callgrind --zero-before=math_lgamma --dump-before=math_erfc python -m bench.inproc
100``; the last dump's ``summary:`` line, divided by N, is instructions per request.
"""

from __future__ import annotations

import cProfile
import json
import math
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx

from bench.world import SimulatedIssuer, prepare, public_resolver


async def _call(app: Any, body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/credentials/verify", "raw_path": b"/credentials/verify",
        "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def build(directory: Path) -> tuple[Any, SimulatedIssuer, str]:
    from verifier.app import create_app
    from verifier.clients import ClientRegistry
    from verifier.settings import VerifierSettings
    from verifier.storage import make_engine

    issuer = prepare(directory)
    engine = make_engine(f"sqlite:///{directory / 'verifier.db'}")
    _info, api_key = ClientRegistry(engine).create("bench", rate_limit=10**9)
    engine.dispose()
    settings = VerifierSettings(trust_list=str(directory / "trust.json"), data_dir=directory)
    app = create_app(
        settings, transport=httpx.MockTransport(issuer.handle), host_resolver=public_resolver
    )
    return app, issuer, api_key


async def measure(n: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, issuer, api_key = build(Path(tmp))
        headers = [
            (b"host", b"verifier.example"), (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {api_key}".encode()),
        ]  # fmt: skip
        bodies = [
            json.dumps({"verifiableCredential": issuer.credential(2 * i + 1)}).encode()
            for i in range(n * 4 + 20)
        ]
        async with app.router.lifespan_context(app):
            for body in bodies[:20]:
                status, _ = await _call(app, body, headers)
                assert status == 200, status
            if os.environ.get("BENCH_CALLGRIND"):
                # Markers for valgrind's --zero-before=math_lgamma --dump-before=math_erfc:
                # the dump then counts the instructions of these n requests only.
                chunk = bodies[20 : 20 + n]
                math.lgamma(1.5)
                for body in chunk:
                    await _call(app, body, headers)
                math.erfc(0.5)
                return
            best = float("inf")
            for round_ in range(3):
                chunk = bodies[20 + round_ * n : 20 + (round_ + 1) * n]
                started = time.process_time()
                for body in chunk:
                    await _call(app, body, headers)
                best = min(best, (time.process_time() - started) / n)
            print(f"CPU per POST /credentials/verify: {best * 1000:.3f} ms (best of 3 x {n})")
            if profile:
                chunk = bodies[20 + 3 * n : 20 + 4 * n]
                prof = cProfile.Profile()
                prof.enable()
                for body in chunk:
                    await _call(app, body, headers)
                prof.disable()
                stats = pstats.Stats(prof)
                stats.sort_stats("cumulative").print_stats(60)
                stats.sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    count = int(next((a for a in sys.argv[1:] if a.isdigit()), "500"))
    anyio.run(measure, count, "--profile" in sys.argv)
