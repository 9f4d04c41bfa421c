"""Two verifier replicas sharing one database: API keys and single-use nonces hold across
both (DESIGN §5: stateless replicas behind a load balancer). SQLite file and PostgreSQL."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.asgi_client import AppClient
from tests.conftest import Server
from tests.verifier.support import (
    RESIDENT,
    Clock,
    Holder,
    Issuer,
    app_client,
    trust_document,
    write_json,
)
from vcore.formats import build_presentation
from vcore.keys import b64url_encode
from verifier.app import create_app
from verifier.clients import ClientRegistry
from verifier.settings import VerifierSettings
from verifier.storage import make_engine

AUDIENCE = "https://verifier.example"


@dataclass
class Replicas:
    a: AppClient
    b: AppClient
    database_url: str
    issuer: Issuer
    holder: Holder
    clock: Clock


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture
def replicas(tmp_path: Path, database_url: str, fixed_now: datetime) -> Iterator[Replicas]:
    clock = Clock(fixed_now)
    issuer = Issuer(None)
    trust = write_json(tmp_path / "trust.json", trust_document((issuer, [RESIDENT])))
    # Replicas share the database, so they share the master key that seals the
    # verifier's signing key in it (as issuer replicas do).
    master_key = b64url_encode(secrets.token_bytes(32))
    settings = [
        VerifierSettings(
            trust_list=str(trust),
            data_dir=tmp_path / name,
            verifier_database_url=database_url,
            verifier_url=AUDIENCE,
            master_key=master_key,
        )
        for name in ("a", "b")
    ]
    with (
        app_client(create_app(settings[0], clock=clock)) as a,
        app_client(create_app(settings[1], clock=clock)) as b,
    ):
        yield Replicas(a, b, database_url, issuer, Holder(), clock)


def test_nonce_replayed_to_another_replica_is_refused(replicas: Replicas) -> None:
    # Issued by replica b, answered at a, replayed at b: the challenge is in the shared DB.
    challenge = replicas.b.post("/challenges").json()["challenge"]
    token, _ = replicas.issuer.issue(
        replicas.holder.did, now=replicas.clock.value, with_status=False
    )
    vp = build_presentation(
        [token],
        replicas.holder.key,
        replicas.holder.did,
        audience=AUDIENCE,
        nonce=challenge,
        now=replicas.clock.value,
    )
    request = {"verifiablePresentation": vp, "options": {"challenge": challenge}}
    assert replicas.a.post("/presentations/verify", json=request).status_code == 200
    replay = replicas.b.post("/presentations/verify", json=request)
    assert replay.status_code == 400
    assert [p["code"] for p in replay.json()["problemDetails"]] == ["nonce_reused"]


def test_a_client_created_anywhere_locks_every_replica(replicas: Replicas) -> None:
    token, _ = replicas.issuer.issue(
        replicas.holder.did, now=replicas.clock.value, with_status=False
    )
    body = {"verifiableCredential": token}
    assert replicas.b.post("/credentials/verify", json=body).status_code == 200
    engine = make_engine(replicas.database_url)
    try:
        _info, key = ClientRegistry(engine).create("Border Agency")
    finally:
        engine.dispose()
    for replica in (replicas.a, replicas.b):
        assert replica.post("/credentials/verify", json=body).status_code == 401
        ok = replica.post(
            "/credentials/verify", json=body, headers={"Authorization": f"Bearer {key}"}
        )
        assert ok.status_code == 200


def test_a_challenge_is_consumed_once_across_replicas(replicas: Replicas) -> None:
    from verifier.challenges import ANONYMOUS, ChallengeStore

    challenge = replicas.a.post("/challenges").json()["challenge"]
    engines = [make_engine(replicas.database_url) for _ in range(2)]
    try:
        stores = [ChallengeStore(e, clock=replicas.clock) for e in engines]
        results = [store.consume(challenge, ANONYMOUS) for store in stores]
        assert results == [True, False]
        assert not stores[0].consume(challenge, ANONYMOUS)
    finally:
        for engine in engines:
            engine.dispose()


@pytest.mark.postgres
@pytest.mark.e2e
@pytest.mark.slow
def test_two_verifier_processes_never_accept_the_same_nonce_twice(
    fresh_postgres_url: str,
    tmp_path: Path,
    port_factory: Callable[[], int],
    server_factory: Callable[..., Server],
) -> None:
    """Real processes on one PostgreSQL: each presentation is sent to both at the same
    instant; exactly one accepts it, the other says ``nonce_reused``."""
    issuer = Issuer(None)  # did:jwk: resolved offline, the processes need no network
    holder = Holder()
    trust = write_json(tmp_path / "trust.json", trust_document((issuer, [RESIDENT])))
    env = {
        "TRUSTID_TRUST_LIST": str(trust),
        "TRUSTID_VERIFIER_DATABASE_URL": fresh_postgres_url,
        "TRUSTID_VERIFIER_URL": AUDIENCE,
        "TRUSTID_VERIFIER_RATE_LIMIT": "100000",
        "TRUSTID_MASTER_KEY": b64url_encode(secrets.token_bytes(32)),  # shared by replicas
    }
    ports = [port_factory(), port_factory()]
    with ThreadPoolExecutor(2) as pool:
        servers = list(
            pool.map(
                lambda p: server_factory(
                    ["verifier.cli", "serve", "--port", str(p)],
                    p,
                    {**env, "TRUSTID_DATA_DIR": str(tmp_path / f"v{p}")},
                    f"verifier-{p}",
                ),
                ports,
            )
        )
    clients = [httpx.Client(base_url=s.url, timeout=30) for s in servers]
    try:
        outcomes: list[tuple[int, ...]] = []
        for round_number in range(25):
            challenge = clients[round_number % 2].post("/challenges").json()["challenge"]
            now = datetime.now(UTC).replace(microsecond=0)
            token, _ = issuer.issue(holder.did, now=now, with_status=False)
            vp = build_presentation(
                [token], holder.key, holder.did, audience=AUDIENCE, nonce=challenge, now=now
            )
            request = {"verifiablePresentation": vp, "options": {"challenge": challenge}}
            barrier = threading.Barrier(2)

            def send(
                client: httpx.Client,
                request: dict[str, object] = request,
                barrier: threading.Barrier = barrier,
            ) -> httpx.Response:
                barrier.wait()
                return client.post("/presentations/verify", json=request)

            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(send, clients))
            codes = sorted(a.status_code for a in answers)
            assert codes == [200, 400], [a.text for a in answers]
            refused = next(a for a in answers if a.status_code == 400)
            assert [p["code"] for p in refused.json()["problemDetails"]] == ["nonce_reused"]
            outcomes.append(tuple(codes))
        assert len(outcomes) == 25
    finally:
        for client in clients:
            client.close()
