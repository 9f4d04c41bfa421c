"""Bulk issuance and bulk revocation in the service (no HTTP): rates and SQL statements.

Counts every statement the engine sends (an executemany counts once, as the driver
pipelines it) per credential, for single issuance, batch issuance (chunks of 100) and
bulk revocation, on SQLite (default) or PostgreSQL (``--database-url``).

Run: ``.venv/bin/python -m bench.bench_bulk [--count 2000] [--revoke 10000] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from issuer.credential_types import load_types
from issuer.service import IssueCommand, IssuerServices, open_services
from issuer.service.bulk_status import Selection
from issuer.settings import IssuerSettings
from vcore.dids import did_key_for
from vcore.keys import b64url_encode, generate_key

TYPE = "ResidentIdentityCredential"


class StatementCounter:
    """Counts statements sent through an engine while ``counting`` is on."""

    def __init__(self, services: IssuerServices) -> None:
        self.count = 0
        event.listen(services.ctx.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.count = 0
        yield


def commands(n: int) -> list[IssueCommand]:
    example = load_types()[TYPE].examples[0]
    holders = [did_key_for(generate_key().public_key()) for _ in range(min(n, 50))]
    out = []
    for i in range(n):
        credential = {
            "type": ["VerifiableCredential", TYPE],
            "credentialSubject": {"id": holders[i % len(holders)], **example},
        }
        out.append(
            IssueCommand(credential=credential, fmt="vc+jwt", valid_days=None, request={"n": i})
        )
    return out


def measure(database_url: str | None, count: int, revoke: int) -> dict[str, float]:
    """Figures: statements per credential and rates (credentials/s)."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = IssuerSettings(
            data_dir=Path(tmp),
            database_url=database_url,
            master_key=b64url_encode(secrets.token_bytes(32)),
            issuer_url="https://registry.example.gov",
        )
        services = open_services(settings)
        try:
            created = services.agencies.create(f"Bench {secrets.token_hex(4)}", [TYPE])
            principal = services.agencies.authenticate(created.api_key)
            counter = StatementCounter(services)
            single = commands(50)
            with counter.counting():
                started = time.perf_counter()
                for cmd in single:
                    services.issuance.issue(principal, cmd)
                elapsed = time.perf_counter() - started
            figures["single statements/credential"] = counter.count / len(single)
            figures["single credentials/s"] = len(single) / elapsed
            batch = commands(count)
            keys = [secrets.token_hex(8) for _ in batch]
            with counter.counting():
                started = time.perf_counter()
                for start in range(0, count, 1000):
                    items = list(
                        zip(batch[start : start + 1000], keys[start : start + 1000], strict=True)
                    )
                    results = services.issuance.issue_batch(principal, items)
                    bad = [r for r in results if isinstance(r, Exception)]
                    if bad:
                        raise SystemExit(f"batch item failed: {bad[0]!r}")
                elapsed = time.perf_counter() - started
            figures["batch statements/credential"] = counter.count / count
            figures["batch credentials/s"] = count / elapsed
            if revoke:
                _fill(services, principal, revoke - count - len(single))
                with counter.counting():
                    started = time.perf_counter()
                    result = services.bulk_status.change(
                        Selection(type_name=TYPE), "revocation", True, "bench", actor="cli:bench"
                    )
                    elapsed = time.perf_counter() - started
                figures["revoked"] = result.changed
                figures["revocation s"] = elapsed
                figures["revocation statements"] = counter.count
        finally:
            services.close()
    return figures


def _fill(services: IssuerServices, principal: Any, n: int) -> None:
    """Issue ``n`` more (batch path) so the revocation has its count."""
    batch = commands(n)
    for start in range(0, n, 1000):
        services.issuance.issue_batch(principal, [(c, None) for c in batch[start : start + 1000]])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--revoke", type=int, default=0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    figures = measure(args.database_url, args.count, args.revoke)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"bulk benchmark on {backend}")
    for name, value in figures.items():
        print(f"  {name:<32} {value:10.1f}")


if __name__ == "__main__":
    main()
