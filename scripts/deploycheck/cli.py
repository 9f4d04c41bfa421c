"""``scripts/deploy_check.py``: arguments, the temporary directory, the exit code."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import scripts.deploycheck as package
from scripts.deploycheck.checks import run_checks
from scripts.deploycheck.layout import start_layout
from scripts.deploycheck.nginx import Limits
from scripts.deploycheck.processes import SetupError

__all__ = ["EXIT_FAILED", "EXIT_SETUP", "main"]

EXIT_FAILED = 1
EXIT_SETUP = 2


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the check; 0 consistent, 1 an inconsistency, 2 could not start."""
    parser = argparse.ArgumentParser(description=(package.__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TRUSTID_CHECK_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="an admin connection to PostgreSQL; a fresh database is created and dropped",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("TRUSTID_CHECK_REDIS", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument(
        "--header-timeout",
        type=int,
        default=Limits.header_timeout,
        help="nginx client_header_timeout (s)",
    )
    parser.add_argument(
        "--body-timeout",
        type=int,
        default=Limits.body_timeout,
        help="nginx client_body_timeout (s)",
    )
    parser.add_argument(
        "--conn-limit", type=int, default=Limits.conn_per_ip, help="nginx limit_conn per address"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args(argv)
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C: every child stopped, the
    # database dropped, the Redis keys deleted.
    signal.signal(signal.SIGTERM, _terminated)
    if not Path(args.nginx).is_file():
        print(
            f"deploy check: nginx not found at {args.nginx} (apt-get install nginx)",
            file=sys.stderr,
        )
        return EXIT_SETUP
    limits = Limits(
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        conn_per_ip=args.conn_limit,
    )
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="trustid-deploy-"))
    code = EXIT_SETUP
    try:
        with ExitStack() as stack:
            try:
                layout = start_layout(
                    stack,
                    work,
                    pg_admin=args.postgres,
                    redis_url=args.redis,
                    nginx=args.nginx,
                    limits=limits,
                )
                up = time.monotonic() - started
                print(
                    f"layout up in {up:.1f} s (nginx, 2 issuers, 2 verifiers; {work})", flush=True
                )
                results = run_checks(layout, limits)
            except SetupError as exc:
                print(f"deploy check: could not run: {exc}\nlogs: {work / 'logs'}", file=sys.stderr)
                args.keep = True
                return EXIT_SETUP
            print(results.table())
            code = 0 if results.passed else EXIT_FAILED
            if not results.passed:
                args.keep = True
                for proc in layout.procs:
                    print(f"\n--- {proc.name} ({proc.log}) ---\n{proc.tail(8)}", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"deploy check took {time.monotonic() - started:.1f} s", flush=True)
    return code
