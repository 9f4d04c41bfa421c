"""Run one benchmark server: ``python -m bench.serve APP STACK PORT`` (BENCH_DIR set).

APP is ``verifier`` or ``hello``; STACK one of :data:`STACKS` (``service``: as the
services run). The server runs one worker
process with access logs off, as a production process would behind a load balancer.
"""

from __future__ import annotations

import subprocess
import sys

STACKS = (
    "service", "service-no-deadline", "service-no-limit", "uvicorn-h11", "uvicorn-fast", "granian",
)  # fmt: skip
_TARGETS = {"verifier": "bench.world:verifier_app", "hello": "bench.world:hello_app"}


def command(app: str, stack: str, port: int) -> list[str]:
    target = _TARGETS[app]
    if stack.startswith("service"):
        # Exactly what `trustid-verifier serve` runs: uvicorn with trustid_http.server's
        # options (httptools + uvloop, header deadline, connection bound); the variants
        # drop one of them, to measure what it costs.
        variant = stack.removeprefix("service").removeprefix("-")
        return [sys.executable, "-m", "bench.serve_service", target, str(port), variant]
    if stack == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--no-ws", "--log-level", "warning", target,
        ]  # fmt: skip
    loop, http = ("uvloop", "httptools") if stack == "uvicorn-fast" else ("asyncio", "h11")
    return [
        sys.executable, "-m", "uvicorn", "--factory", target, "--host", "127.0.0.1",
        "--port", str(port), "--loop", loop, "--http", http, "--no-access-log",
        "--log-level", "warning", "--ws", "none",
    ]  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(subprocess.call(command(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
