"""Verify rate against the number of credentials an issuer has issued (issue 8's row
"verify rate with 1,000,000 credentials issued vs 10,000 issued").

A real issuer (in process, SQLite) is filled to ``issued`` credentials: most of them
are records inserted straight into the table with slots from the real batch allocator
(:func:`issuer.service.allocation.allocate_slots`: random indexes, 75% rollover, so the
lists are what issuing would leave), because signing a million credentials would take
the whole run; a few real credentials (:meth:`IssuanceService.issue_batch`) are issued
between the fills so they land in every list, and 1% of the filled slots are revoked.
The real credentials are then verified with the verifier library, fetching DID
document and status lists from the issuer's ASGI app: half of them with cold caches
(at a million credentials eleven lists per purpose are fetched, each signed by the
issuer from a larger table), then the other half, never seen, against warm lists.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, update

from issuer.app import create_app
from issuer.credential_types import load_types
from issuer.service import IssueCommand, open_services
from issuer.service.allocation import PURPOSES, allocate_slots
from issuer.settings import IssuerSettings
from issuer.storage.tables import ApiKey, CredentialRecord, StatusEntry, StatusList
from vcore.dids import did_key_for
from vcore.keys import b64url_encode, generate_key

TYPE = "ResidentIdentityCredential"
_FILL_CHUNK = 10_000


def _fill(services: Any, agency_id: str, count: int) -> None:
    """``count`` records with their slots, straight into the tables."""
    ctx = services.ctx
    now = ctx.clock()
    with ctx.sessions() as session, session.begin():
        api_key_id = session.scalars(select(ApiKey.id).where(ApiKey.agency_id == agency_id)).one()
        kid = services.keys.active(session).kid
        ids = [f"urn:uuid:{secrets.token_hex(16)}" for _ in range(count)]
        session.execute(
            insert(CredentialRecord),
            [
                {
                    "id": cid,
                    "type_name": TYPE,
                    "agency_id": agency_id,
                    "api_key_id": api_key_id,
                    "holder_did": "did:key:zFill",
                    "format": "vc+jwt",
                    "kid": kid,
                    "valid_from": now,
                    "valid_until": now,
                    "created_at": now,
                }
                for cid in ids
            ],
        )
        for purpose in PURPOSES:
            allocate_slots(
                session,
                purpose=purpose,
                credential_ids=ids,
                new_list_size=ctx.settings.status_list_size,
                now=now,
                rng=ctx.rng,
            )


@contextmanager
def scale_world(
    directory: Path, issued: int, real: int
) -> Iterator[tuple[Callable[[], tuple[float, float]], dict[str, float]]]:
    """An issuer that has issued ``issued`` credentials, ``real`` of them signed.

    Yields ``measure`` (a fresh verifier each call: credentials/s with cold caches for
    half the real credentials, then with warm lists for the other, never-seen half) and
    facts about the setup. Measure two worlds in turn: the machine's load moves.
    """
    import anyio

    from bench.world import public_resolver
    from verifier.metrics import VerifierMetrics
    from verifier.resolution import (
        Fetcher,
        KeyResolver,
        SchemaResolver,
        StatusListResolver,
        TrustListSource,
        build_http_client,
    )
    from verifier.service import VerifierService
    from verifier.storage import make_engine

    settings = IssuerSettings(
        data_dir=directory / f"scale-{issued}",
        master_key=b64url_encode(secrets.token_bytes(32)),
        issuer_url="https://scale.example",
    )
    services = open_services(settings)
    example = load_types()[TYPE].examples[0]
    holder = did_key_for(generate_key().public_key())
    tokens: list[str] = []
    started = time.perf_counter()
    try:
        created = services.agencies.create("Scale Office", [TYPE])
        principal = services.agencies.authenticate(created.api_key)
        rounds = max(1, issued // _FILL_CHUNK)
        per_round = -(-real // rounds)
        for _ in range(rounds):
            _fill(services, principal.agency_id, issued // rounds - per_round)
            want = min(per_round, real - len(tokens))
            credential = {
                "type": ["VerifiableCredential", TYPE],
                "credentialSubject": {"id": holder, **example},
            }
            items = [(IssueCommand(credential, "vc+jwt", None, {}), None) for _ in range(want)]
            for result in services.issuance.issue_batch(principal, items):
                if isinstance(result, Exception):
                    raise result
                tokens.append(result.token)
        with services.ctx.sessions() as session, session.begin():
            # 1% of the filled slots revoked, so the lists carry realistic bits.
            session.execute(
                update(StatusEntry)
                .where(
                    StatusEntry.purpose == "revocation",
                    StatusEntry.idx % 97 == 0,
                    StatusEntry.credential_id.in_(
                        select(CredentialRecord.id).where(CredentialRecord.token_sha256.is_(None))
                    ),
                )
                .values(status=1)
            )
            session.execute(update(StatusList).values(version=StatusList.version + 1))
            lists = len(session.scalars(select(StatusList.id)).all())
            total = len(session.scalars(select(CredentialRecord.id)).all())
        setup = time.perf_counter() - started
        app = create_app(settings, services=services)
        trust = {"issuers": [{"id": settings.issuer_did, "name": "Scale", "types": [TYPE]}]}
        trust_file = directory / f"trust-scale-{issued}.json"
        trust_file.write_text(json.dumps(trust))

        calls = [0]

        async def run() -> tuple[float, float]:
            calls[0] += 1
            client = build_http_client(frozenset(), transport=httpx.ASGITransport(app=app))
            fetcher = Fetcher(client, allow=frozenset(), resolver=public_resolver)
            source = TrustListSource(str(trust_file), anchor=None, fetcher=None)
            keys = KeyResolver(fetcher, source.current)
            service = VerifierService(
                trust_source=source,
                keys=keys,
                status_lists=StatusListResolver(fetcher, keys, source.current, max_age=None),
                schemas=SchemaResolver(fetcher),
                engine=make_engine(
                    f"sqlite:///{directory / f'scale-verifier-{issued}-{calls[0]}.db'}"
                ),
                metrics=VerifierMetrics(),
                audience="https://verifier.example",
            )
            await source.load()
            rates = []
            # First half: cold caches (every list fetched and checked once); second half:
            # never-seen credentials against warm lists, the steady state of a verifier.
            for half in (tokens[0::2], tokens[1::2]):
                begun = time.perf_counter()
                reports = await service.verify_batch(half)
                elapsed = time.perf_counter() - begun
                failed = [r for r in reports if not r.verified]
                if failed:
                    raise RuntimeError(f"{len(failed)} of {len(half)} did not verify")
                rates.append(len(half) / elapsed)
            return rates[0], rates[1]

        def measure() -> tuple[float, float]:
            return anyio.run(run)

        yield measure, {"lists": lists, "issued": total, "setup_s": setup}
    finally:
        services.close()
