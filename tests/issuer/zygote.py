"""Start issuer processes by forking a parent that has already imported the issuer.

``python -m tests.issuer.zygote`` reads commands on stdin, one per line, and answers
each on stdout:

- ``start PORT LOGFILE``: fork; the child runs ``trustid-issuer serve --port PORT``
  (the production entry point, :func:`issuer.cli.main`) with its output in LOGFILE;
  answers ``pid N``.
- ``kill N``: SIGKILL the child N and reap it; answers ``dead N``.

The child is a new process with nothing shared but the imported code (no database
connection, thread or event loop exists in the parent before the fork), so killing it
is a real crash and starting the next one a real restart, in a fraction of a second
instead of the seconds a fresh interpreter spends importing. Used by the crash test.
"""

from __future__ import annotations

import os
import signal
import sys

import uvicorn  # noqa: F401 - imported before the fork, so children start at once

import issuer.app
import issuer.cli


def _child(port: str, log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.argv = ["trustid-issuer", "serve", "--port", port]
    try:
        issuer.cli.main()
    finally:
        os._exit(0)


def main() -> None:
    for line in sys.stdin:
        command, *args = line.split()
        if command == "start":
            pid = os.fork()
            if pid == 0:
                _child(*args)
            print(f"pid {pid}", flush=True)  # noqa: T201 - the protocol
        elif command == "kill":
            pid = int(args[0])
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            print(f"dead {pid}", flush=True)  # noqa: T201 - the protocol


if __name__ == "__main__":
    main()
