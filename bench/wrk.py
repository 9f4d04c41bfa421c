"""Drive ``wrk`` against a benchmark server and read its figures.

Requests come from a file of pre-built bodies (one JSON body a line); each wrk thread
walks its own share of them, so with enough bodies every request carries a credential
the server has never seen.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_LUA = r"""
local bodies = {}
local counter = 0
local threads = {}
local path = "%(path)s"
local auth = "%(auth)s"
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local n = 0
  for line in io.lines("%(bodies)s") do
    n = n + 1
    if n %% %(threads)d == id then
      local headers = {["Content-Type"] = "application/json"}
      if auth ~= "" then headers["Authorization"] = "Bearer " .. auth end
      table.insert(bodies, wrk.format("POST", path, headers, line))
    end
  end
  i = 0
end
function request()
  i = i + 1
  if i > #bodies then i = 1 end
  return bodies[i]
end
"""


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    non_2xx: int


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if match is None:
        raise ValueError(f"unexpected wrk latency {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3.6e6}[unit]


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    script: Path | None = None,
) -> WrkResult:
    duration = f"{max(1, round(seconds))}s"  # wrk takes whole seconds
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", duration,
           "--latency", "--timeout", "10s"]  # fmt: skip
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Anchored: a "+/- Stdev" column can also read "50.00%".
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(rps, p50, p99, errors, int(non.group(1)) if non else 0)


def post_script(directory: Path, path: str, bodies: list[dict[str, object]], *,
                auth: str = "", threads: int = 1) -> Path:  # fmt: skip
    lines = directory / f"bodies{abs(hash(path))}.jsonl"
    lines.write_text("\n".join(json.dumps(b, separators=(",", ":")) for b in bodies) + "\n")
    script = directory / f"post{abs(hash(path))}.lua"
    script.write_text(_LUA % {"path": path, "auth": auth, "bodies": lines, "threads": threads})
    return script


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")
