"""Issuer throughput: issuance on SQLite (or PostgreSQL) against bare vcore signing.

Everything is measured in one run on one machine, so the ratios mean something even
where absolute numbers do not (shared CI runners, laptops on battery):

* ``vcore sign``      build + sign the same credential, no database (the baseline);
* ``issue (service)`` the use case: validation, record + two status slots committed,
                       signing, digest committed (two durable transactions);
* ``issue (HTTP)``    the same through the ASGI app (auth, JSON parsing, problem layer);
* ``publish list``    build, compress and sign a 131,072-entry status list after a change.

Run: ``.venv/bin/python bench/bench_issuer.py [--count 200] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import select

from issuer.app import create_app
from issuer.credential_types import load_types
from issuer.service import IssueCommand, IssuerServices, open_services
from issuer.settings import IssuerSettings
from issuer.storage.tables import CredentialRecord
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import did_key_for
from vcore.formats import sign_credential
from vcore.keys import b64url_encode, generate_key
from vcore.status import build_status_entry

TYPE = "ResidentIdentityCredential"


def timed(label: str, count: int, step: Callable[[int], object]) -> tuple[str, float]:
    samples = []
    for n in range(count):
        started = time.perf_counter()
        step(n)
        samples.append(time.perf_counter() - started)
    return label, statistics.mean(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args(argv)

    example = load_types()[TYPE].examples[0]
    holders = [did_key_for(generate_key().public_key()) for _ in range(args.count)]
    with tempfile.TemporaryDirectory() as tmp:
        settings = IssuerSettings(
            data_dir=Path(tmp),
            database_url=args.database_url,
            master_key=b64url_encode(secrets.token_bytes(32)),
            issuer_url="https://registry.example.gov",
        )
        services = open_services(settings)
        try:
            created = services.agencies.create(f"Bench {secrets.token_hex(4)}", [TYPE])
            principal = services.agencies.authenticate(created.api_key)
            with services.ctx.sessions() as session:
                key = services.keys.active(session)

            def bare_sign(n: int) -> str:
                status = [
                    build_status_entry(
                        list_url=f"{settings.issuer_url}/status-lists/1", index=n, purpose=p
                    )
                    for p in ("revocation", "suspension")
                ]
                credential = build_credential(
                    issuer=settings.issuer_did,
                    credential_type=TYPE,
                    subject=example,
                    holder=holders[n],
                    credential_id=new_credential_id(),
                    valid_from=services.ctx.clock(),
                    valid_until=None,
                    status=status,
                    schema={"id": f"{settings.issuer_url}/schemas/{TYPE}", "type": "JsonSchema"},
                )
                return sign_credential(credential, key.signer)

            def issue(n: int) -> object:
                subject = {"id": holders[n], **example}
                credential = {"type": ["VerifiableCredential", TYPE], "credentialSubject": subject}
                command = IssueCommand(
                    credential=credential,
                    fmt="vc+jwt",
                    valid_days=None,
                    request={"credential": credential},
                )
                return services.issuance.issue(principal, command)

            results = [timed("vcore sign (baseline)", args.count, bare_sign)]
            results.append(timed("issue (service)", args.count, issue))
            results.append(_http(services, settings, created.api_key, holders, example, args.count))

            list_id = 1
            records = _credential_ids(services)[: args.count // 4]

            def publish(n: int) -> object:
                services.status.change(principal, records[n], "revocation", True)
                return services.status.published(list_id)

            results.append(timed("revoke + publish 131,072-entry list", len(records), publish))
        finally:
            services.close()

    baseline = results[0][1]
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"issuer benchmark on {backend}, {args.count} operations each")
    print(f"{'operation':<40} {'ms/op':>8} {'ops/s':>9} {'x baseline':>11}")
    for label, mean in results:
        print(f"{label:<40} {mean * 1000:8.2f} {1 / mean:9.1f} {mean / baseline:11.1f}")


def _credential_ids(services: IssuerServices) -> list[str]:
    with services.ctx.sessions() as session:
        return list(session.scalars(select(CredentialRecord.id)))


def _http(
    services: IssuerServices,
    settings: IssuerSettings,
    api_key: str,
    holders: list[str],
    example: dict[str, object],
    count: int,
) -> tuple[str, float]:
    app = create_app(settings, services=services)

    async def run() -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            samples = []
            for n in range(count):
                body = {
                    "credential": {
                        "type": ["VerifiableCredential", TYPE],
                        "credentialSubject": {"id": holders[n], **example},
                    }
                }
                started = time.perf_counter()
                response = await client.post(
                    "/credentials/issue", json=body, headers={"Authorization": f"Bearer {api_key}"}
                )
                samples.append(time.perf_counter() - started)
                if response.status_code != 201:
                    raise SystemExit(f"HTTP issue failed: {response.status_code} {response.text}")
            return statistics.mean(samples)

    return "issue (HTTP, in-process ASGI)", asyncio.run(run())


if __name__ == "__main__":
    main()
