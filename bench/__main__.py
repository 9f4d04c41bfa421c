"""``python -m bench`` (or ``bench/run``): every benchmark row, each as a ratio against a
baseline measured in the same run; writes ``docs/benchmarks.md`` and PNG plots.

Options: ``--seconds S`` per load run (default 6), ``--quick`` (or ``BENCH_QUICK=1``:
2 s load runs and smaller counts, a few minutes in all), ``--only NAME[,NAME]`` to run
some rows, ``--no-write`` to print only. ``BENCH_ISSUER_DATABASE_URL`` runs the issuer
rows on PostgreSQL. Needs ``wrk`` (Debian package) for the HTTP rows and
matplotlib (``pip install matplotlib``) for the plots; rows whose tool is missing say so.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench.report import write_report
from bench.rows import ROWS, Context, Result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--only", default="")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--docs", type=Path, default=None, help="Where to write (default docs/).")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - {row.name for row in ROWS}
    if unknown:
        print(f"unknown row(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results = []
    seconds = min(args.seconds, 2.0) if args.quick else args.seconds
    with Context(seconds=seconds, quick=args.quick) as ctx:
        for row in ROWS:
            if only and row.name not in only:
                continue
            print(f"-- {row.name}: {row.title}", flush=True)
            try:
                result = row.run(ctx)
            except Exception as exc:  # noqa: BLE001 - one broken row must not lose the others
                result = Result(
                    row.name, row.title, "-", "-", None, "-", None, f"failed: {exc!r}"[:200]
                )
            print(f"   {result.line()}", flush=True)
            results.append(result)
        series = ctx.series
    if not args.no_write:
        docs = args.docs or Path(__file__).resolve().parent.parent / "docs"
        docs.mkdir(parents=True, exist_ok=True)
        write_report(docs, results, series)
        print(f"wrote {docs / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
