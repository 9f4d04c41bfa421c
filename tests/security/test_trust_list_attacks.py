"""Attacks on the trust list (issue 9 §1), one test per attack, through the real verifier app.

Each asserts what an operator or counter would notice: the credential refused with the
code, ``/healthz`` degraded naming the trust list, the list in force kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.asgi_client import AppClient
from tests.verifier.support import (
    RESIDENT,
    Clock,
    FakeWeb,
    Holder,
    Issuer,
    app_client,
    public_resolver,
    trust_document,
    write_json,
)
from vcore.clock import to_timestamp
from vcore.errors import TrustListExpiredError, TrustListReplayError
from vcore.jose import sign
from vcore.keys import PrivateKey, generate_key
from vcore.signing import SoftwareSigner
from vcore.trust_list import TRUST_LIST_TYP, sign_trust_list
from verifier.app import create_app
from verifier.settings import VerifierSettings


class SignedEnv:
    """A verifier whose trust list is a signed trustlist+jwt file the test rewrites."""

    def __init__(self, tmp_path: Path, now: datetime) -> None:
        self.clock = Clock(now)
        self.web = FakeWeb(self.clock)
        self.issuer = self.web.add(Issuer(None))
        self.attacker = self.web.add(Issuer(None))
        self.holder = Holder()
        self.anchor: PrivateKey = generate_key()
        self.anchor_path = write_json(tmp_path / "anchor.jwk", self.anchor.public_key().to_jwk())
        self.trust_path = tmp_path / "trust.jwt"
        self._mtime = 10**18
        self.publish([self.issuer], sequence=5, days=2)
        self.app = create_app(
            VerifierSettings(
                trust_list=str(self.trust_path),
                trust_anchor=self.anchor_path,
                data_dir=tmp_path / "var",
                verifier_url="https://verifier.example",
            ),
            transport=self.web.transport(),
            host_resolver=public_resolver,
            clock=self.clock,
        )

    def token(
        self,
        issuers: list[Issuer],
        *,
        sequence: int | None,
        days: float,
        at: datetime | None = None,
    ) -> str:
        return sign_trust_list(
            trust_document(*[(i, [RESIDENT]) for i in issuers]),
            self.anchor,
            kid="anchor",
            now=at or self.clock.value,
            valid_for=timedelta(days=days),
            sequence=sequence,
        )

    def publish(self, issuers: list[Issuer], **kwargs: Any) -> None:
        self.write(self.token(issuers, **kwargs))

    def write(self, text: str) -> None:
        self.trust_path.write_text(text + "\n", encoding="ascii")
        self._mtime += 10**9
        os.utime(self.trust_path, ns=(self._mtime, self._mtime))

    def verify(self, client: AppClient, issuer: Issuer) -> list[str]:
        token, _ = issuer.issue(self.holder.did, now=self.clock.value, with_status=False)
        body = client.post("/credentials/verify", json={"verifiableCredential": token}).json()
        return [p["code"] for p in body.get("problemDetails", [])]


@pytest.fixture
def env(tmp_path: Path, fixed_now: datetime) -> SignedEnv:
    return SignedEnv(tmp_path, fixed_now)


@pytest.fixture
def client(env: SignedEnv) -> Iterator[AppClient]:
    with app_client(env.app) as c:
        yield c


def _health(client: AppClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    body: dict[str, Any] = response.json()
    return response.status_code, body


def test_expired_list_kept_in_memory_trusts_nobody(env: SignedEnv, client: AppClient) -> None:
    assert env.verify(client, env.issuer) == []
    env.clock.advance(days=3)  # the file is never replaced: the loaded list runs out
    assert env.verify(client, env.issuer) == ["trust_list_expired"]
    status, body = _health(client)
    assert status == 503
    assert body["status"] == "degraded"
    assert body["failing"] == ["trustList"]
    assert body["components"]["trustList"]["status"] == "expired"


def test_expired_list_with_a_failing_reload_still_trusts_nobody(
    env: SignedEnv, client: AppClient
) -> None:
    env.clock.advance(days=3)
    env.write("{broken")  # the replacement does not load: the expired one stays, closed
    assert env.verify(client, env.issuer) == ["trust_list_expired"]
    status, body = _health(client)
    assert status == 503
    assert body["components"]["trustList"]["reloadError"] == "trust_list_invalid"


def test_exp_shorter_than_valid_until_ends_the_list(env: SignedEnv, client: AppClient) -> None:
    # The list's own validUntil is far ahead but the JWT exp is near: the earlier one wins.
    payload = {
        **trust_document((env.issuer, [RESIDENT])),
        "validUntil": "2099-01-01T00:00:00Z",
        "sequence": 6,
        "iat": to_timestamp(env.clock.value),
        "exp": to_timestamp(env.clock.value + timedelta(hours=1)),
    }
    env.write(sign(payload, SoftwareSigner(env.anchor, "anchor"), typ=TRUST_LIST_TYP))
    env.clock.advance(seconds=2)
    assert env.verify(client, env.issuer) == []
    assert _health(client)[1]["components"]["trustList"]["sequence"] == 6
    env.clock.advance(hours=2)
    assert env.verify(client, env.issuer) == ["trust_list_expired"]


def test_replayed_list_with_a_lower_sequence_is_refused(env: SignedEnv, client: AppClient) -> None:
    # An older list, validly signed, that still named the attacker's issuer.
    env.publish([env.issuer, env.attacker], sequence=4, days=30)
    env.clock.advance(seconds=2)
    assert env.verify(client, env.attacker) == ["untrusted_issuer"]
    assert env.verify(client, env.issuer) == []
    status, body = _health(client)
    assert status == 200
    assert body["components"]["trustList"]["sequence"] == 5
    assert body["components"]["trustList"]["reloadError"] == "trust_list_replayed"


def test_replayed_list_with_an_earlier_iat_is_refused(env: SignedEnv, client: AppClient) -> None:
    earlier = env.clock.value - timedelta(days=1)
    env.write(env.token([env.issuer, env.attacker], sequence=5, days=30, at=earlier))
    env.clock.advance(seconds=2)
    assert env.verify(client, env.attacker) == ["untrusted_issuer"]
    assert _health(client)[1]["components"]["trustList"]["reloadError"] == "trust_list_replayed"


def test_list_without_sequence_cannot_replace_a_sequenced_one(
    env: SignedEnv, client: AppClient
) -> None:
    env.publish([env.issuer, env.attacker], sequence=None, days=30)
    env.clock.advance(seconds=2)
    assert env.verify(client, env.attacker) == ["untrusted_issuer"]


def test_replay_does_not_revive_an_expired_list(env: SignedEnv, client: AppClient) -> None:
    older = env.token([env.issuer], sequence=4, days=30, at=env.clock.value - timedelta(hours=1))
    env.clock.advance(days=3)
    env.write(older)  # still within its own exp, but older than the (expired) one in force
    assert env.verify(client, env.issuer) == ["trust_list_expired"]
    assert _health(client)[0] == 503


def test_newer_list_ends_the_degraded_state(env: SignedEnv, client: AppClient) -> None:
    env.clock.advance(days=3)
    assert env.verify(client, env.issuer) == ["trust_list_expired"]
    env.publish([env.issuer], sequence=6, days=2)
    env.clock.advance(seconds=2)
    assert env.verify(client, env.issuer) == []
    status, body = _health(client)
    assert (status, body["status"], body["failing"]) == (200, "ok", [])


def test_expired_list_is_refused_at_start(tmp_path: Path, fixed_now: datetime) -> None:
    env = SignedEnv(tmp_path, fixed_now)
    env.clock.advance(days=3)
    with pytest.raises(TrustListExpiredError), app_client(env.app):
        pass


def test_unsigned_list_with_list_valid_until_expires_too(
    tmp_path: Path, fixed_now: datetime
) -> None:
    clock = Clock(fixed_now)
    web = FakeWeb(clock)
    issuer = web.add(Issuer(None))
    until = (fixed_now + timedelta(hours=1)).isoformat()
    path = write_json(
        tmp_path / "trust.json", {**trust_document((issuer, [RESIDENT])), "validUntil": until}
    )
    app = create_app(
        VerifierSettings(trust_list=str(path), data_dir=tmp_path / "var"),
        transport=web.transport(),
        host_resolver=public_resolver,
        clock=clock,
    )
    token, _ = issuer.issue(Holder().did, now=fixed_now, with_status=False)
    with app_client(app) as c:
        body = {"verifiableCredential": token}
        assert c.post("/credentials/verify", json=body).status_code == 200
        clock.advance(hours=2)
        response = c.post("/credentials/verify", json=body)
        assert [p["code"] for p in response.json()["problemDetails"]] == ["trust_list_expired"]


def test_healthz_names_no_path_or_url_of_the_list(env: SignedEnv, client: AppClient) -> None:
    env.write("{broken")
    env.clock.advance(seconds=2)
    env.verify(client, env.issuer)  # triggers the reload, which fails
    text = client.get("/healthz").text
    assert str(env.trust_path) not in text
    assert "trust.jwt" not in text
    assert json.loads(text)["components"]["trustList"]["reloadError"] == "trust_list_invalid"


def _restarted(env: SignedEnv, tmp_path: Path) -> Any:
    """A new verifier process's app on the same database (the old one's data dir)."""
    return create_app(
        VerifierSettings(
            trust_list=str(env.trust_path),
            trust_anchor=env.anchor_path,
            data_dir=tmp_path / "var",
            verifier_url="https://verifier.example",
        ),
        transport=env.web.transport(),
        host_resolver=public_resolver,
        clock=env.clock,
    )


def test_replayed_list_is_refused_after_a_verifier_restart(
    env: SignedEnv, client: AppClient, tmp_path: Path
) -> None:
    """Issue 9 §7: the replay floor is in the database, not only in the process."""
    assert env.verify(client, env.issuer) == []  # sequence 5 accepted
    # While the verifier is down, the attacker puts back an older list naming them.
    env.publish([env.issuer, env.attacker], sequence=4, days=30)
    with pytest.raises(TrustListReplayError), app_client(_restarted(env, tmp_path)):
        pass


def test_replayed_list_with_an_earlier_iat_is_refused_after_a_restart(
    env: SignedEnv, client: AppClient, tmp_path: Path
) -> None:
    assert env.verify(client, env.issuer) == []
    earlier = env.clock.value - timedelta(days=1)
    env.write(env.token([env.issuer, env.attacker], sequence=5, days=30, at=earlier))
    with pytest.raises(TrustListReplayError), app_client(_restarted(env, tmp_path)):
        pass


def test_newer_list_is_accepted_after_a_restart_and_raises_the_floor(
    env: SignedEnv, client: AppClient, tmp_path: Path
) -> None:
    assert env.verify(client, env.issuer) == []
    env.publish([env.issuer], sequence=7, days=2)
    with app_client(_restarted(env, tmp_path)) as again:
        assert env.verify(again, env.issuer) == []
        assert _health(again)[1]["components"]["trustList"]["sequence"] == 7
    env.publish([env.issuer, env.attacker], sequence=6, days=30)
    with pytest.raises(TrustListReplayError), app_client(_restarted(env, tmp_path)):
        pass
