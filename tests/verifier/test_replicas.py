"""Two verifier replicas sharing one database: API keys and single-use nonces hold across
both (DESIGN §5: stateless replicas behind a load balancer). SQLite file and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.asgi_client import AppClient
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
    settings = [
        VerifierSettings(
            trust_list=str(trust),
            data_dir=tmp_path / name,
            verifier_database_url=database_url,
            verifier_url=AUDIENCE,
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
