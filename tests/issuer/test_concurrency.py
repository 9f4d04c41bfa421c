"""Two issuer processes on one PostgreSQL, issuing and revoking in parallel: no duplicate
slot, no lost credential, no lost status change."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from issuer.service.allocation import MAX_OPEN_LISTS
from issuer.storage.tables import CredentialRecord, StatusChange, StatusEntry, StatusList
from tests.conftest import Server
from tests.issuer.support import RESIDENT, bit_at, decode_bitstring, issue_body
from tests.issuer.test_server import run_cli
from vcore.jose import decode_unverified
from vcore.keys import b64url_encode

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.slow]

PER_SERVER = 150
LIST_SIZE = 256  # small lists, so the 75% rollover also happens under contention


def test_two_processes_issue_and_revoke_in_parallel_without_duplicates_or_losses(
    fresh_postgres_url: str,
    tmp_path: Path,
    port_factory: Callable[[], int],
    server_factory: Callable[..., Server],
) -> None:
    ports = [port_factory(), port_factory()]
    env = {
        "TRUSTID_DATABASE_URL": fresh_postgres_url,
        "TRUSTID_DATA_DIR": str(tmp_path / "var"),
        "TRUSTID_MASTER_KEY": b64url_encode(secrets.token_bytes(32)),
        "TRUSTID_ISSUER_URL": "http://issuer.test:8100",
        "TRUSTID_STATUS_LIST_SIZE": str(LIST_SIZE),
        "TRUSTID_TYPES_DIR": "",
    }
    # Both start at once against an empty database: migrations and the first key race.
    with ThreadPoolExecutor(2) as pool:
        servers = list(
            pool.map(
                lambda port: server_factory(
                    ["issuer.cli", "serve", "--port", str(port)], port, env, f"issuer-{port}"
                ),
                ports,
            )
        )
    api_key = run_cli(env, "agency", "create", "Registry", "--types", RESIDENT)["api_key"]
    headers = {"Authorization": f"Bearer {api_key}"}
    clients = [httpx.Client(base_url=s.url, timeout=60, headers=headers) for s in servers]

    def issue(n: int) -> str:
        response = clients[n % 2].post("/credentials/issue", json=issue_body(RESIDENT))
        assert response.status_code == 201, response.text
        token: str = response.json()["verifiableCredential"]["id"].split(",", 1)[1]
        return token

    def change(n: int, credential_id: str, purpose: str) -> None:
        response = clients[n % 2].post(
            "/credentials/status",
            json={
                "credentialId": credential_id,
                "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
                "status": True,
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["changed"] is True

    try:
        with ThreadPoolExecutor(12) as pool:
            first = list(pool.map(issue, range(PER_SERVER)))
            # Issuing the second half while both processes revoke and suspend the first:
            # allocations, list re-signing and status changes contend for the same rows.
            changes = [
                (n, decode_unverified(t).payload["id"], "revocation" if n % 3 else "suspension")
                for n, t in enumerate(first)
                if n % 2 == 0
            ]
            issued = [pool.submit(issue, PER_SERVER + n) for n in range(PER_SERVER)]
            changed = [pool.submit(change, *c) for c in changes]
            second = [f.result() for f in issued]
            for future in changed:
                future.result()
            tokens = first + second
            # Every acknowledged change is in the list each process publishes.
            for n, credential_id, purpose in changes:
                payload = decode_unverified(first[n]).payload
                entry = next(
                    e for e in payload["credentialStatus"] if e["statusPurpose"] == purpose
                )
                for client in clients:
                    path = "/status-lists/" + entry["statusListCredential"].rsplit("/", 1)[1]
                    published = decode_unverified(client.get(path).text).payload
                    bits = decode_bitstring(published["credentialSubject"]["encodedList"])
                    assert bit_at(bits, int(entry["statusListIndex"])) == 1, credential_id
    finally:
        for client in clients:
            client.close()

    payloads = [decode_unverified(t).payload for t in tokens]
    ids = [p["id"] for p in payloads]
    assert len(set(ids)) == 2 * PER_SERVER
    slots = [
        (entry["statusListCredential"], entry["statusListIndex"])
        for p in payloads
        for entry in p["credentialStatus"]
    ]
    duplicates = [slot for slot, count in Counter(slots).items() if count > 1]
    assert duplicates == []
    # Both processes signed with the one key created at bootstrap.
    assert len({decode_unverified(t).header["kid"] for t in tokens}) == 1

    engine = create_engine(fresh_postgres_url)
    try:
        with engine.connect() as connection:
            digests = dict(
                connection.execute(select(CredentialRecord.id, CredentialRecord.token_sha256)).all()
            )
            lists = connection.execute(
                select(StatusList.id, StatusList.purpose, StatusList.allocated, StatusList.active)
            ).all()
            status_changes = connection.execute(
                select(func.count()).select_from(StatusChange)
            ).scalar()
            per_list = dict(
                connection.execute(
                    select(StatusEntry.list_id, func.count()).group_by(StatusEntry.list_id)
                ).all()
            )
    finally:
        engine.dispose()
    # Every credential handed out has its record, with the digest of exactly that token.
    assert len(digests) == 2 * PER_SERVER
    for token, credential_id in zip(tokens, ids, strict=True):
        assert digests[credential_id] == hashlib.sha256(token.encode()).hexdigest()
    # Counters are exact and no list went past 75% (+1, the allocation that crossed it).
    assert {row.id: row.allocated for row in lists if row.allocated} == per_list
    assert all(row.allocated <= LIST_SIZE * 3 // 4 + 1 for row in lists)
    open_per_purpose = Counter(r.purpose for r in lists if r.active)
    assert set(open_per_purpose) == {"revocation", "suspension"}
    assert max(open_per_purpose.values()) <= MAX_OPEN_LISTS
    assert sum(per_list.values()) == 4 * PER_SERVER
    assert status_changes == len(changes)
