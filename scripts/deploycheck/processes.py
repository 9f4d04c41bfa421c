"""Child processes: start, wait until healthy, run a CLI, stop (each by its own handle)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "ROOT",
    "Proc",
    "SetupError",
    "free_ports",
    "run_cli",
    "run_clis",
    "spawn",
    "wait_healthy",
]

ROOT = Path(__file__).resolve().parents[2]


class SetupError(Exception):
    """The layout could not be started (not an inconsistency of TrustID's answers)."""


@dataclass
class Proc:
    """A child process and its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Terminate (then kill after 10 s) this child only."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def tail(self, lines: int = 15) -> str:
        """The last lines of the log."""
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


def free_port() -> int:
    """A TCP port that was free a moment ago on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(n: int) -> list[int]:
    """``n`` distinct free ports."""
    ports: set[int] = set()
    while len(ports) < n:
        ports.add(free_port())
    return list(ports)


def spawn(name: str, args: list[str], env: Mapping[str, str], logs: Path) -> Proc:
    """Start a child with ``env`` over ours, output to ``logs/<name>.log``."""
    log = logs / f"{name}.log"
    with log.open("wb") as handle:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and nginx, no shell
            args, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT
        )
    return Proc(name, proc, log)


def wait_healthy(procs: list[tuple[Proc, int]], timeout: float) -> None:
    """Wait until every process answers ``/healthz`` on its own port (plain http)."""
    pending = list(procs)
    deadline = time.monotonic() + timeout
    while pending:
        for item in list(pending):
            proc, port = item
            if proc.proc.poll() is not None:
                raise SetupError(f"{proc.name} exited early:\n{proc.tail()}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    pending.remove(item)
            except httpx.HTTPError:
                pass
        if pending and time.monotonic() > deadline:
            names = ", ".join(p.name for p, _ in pending)
            raise SetupError(f"not healthy within {timeout:.0f} s: {names}")
        if pending:
            time.sleep(0.2)


def run_cli(module: str, args: list[str], env: Mapping[str, str]) -> Any:
    """``python -m <module> <args> --json`` with ``env``; its JSON output."""
    result = subprocess.run(  # noqa: S603 - our own interpreter, no shell
        [sys.executable, "-m", module, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SetupError(f"{module} {' '.join(args)} failed: {result.stderr.strip()[-800:]}")
    out = result.stdout.strip()
    return json.loads(out) if out.startswith(("{", "[")) else out


def run_clis(calls: list[tuple[str, list[str]]], env: Mapping[str, str]) -> list[Any]:
    """Several :func:`run_cli` at once (each a process of its own); their outputs in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run_cli, module, args, env) for module, args in calls]
        return [future.result() for future in futures]
