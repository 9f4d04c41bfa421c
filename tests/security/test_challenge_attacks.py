"""Attacks on presentation challenges (issue 9 §3), one test per attack, through the real app.

A challenge comes from ``POST /challenges``, is bound to the caller (API client, or the
counter page's session cookie in open mode), lasts 5 minutes, and is consumed only once
the whole presentation verified.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
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
from vcore.formats import build_presentation
from verifier.app import create_app
from verifier.challenges import SESSION_COOKIE
from verifier.settings import VerifierSettings

AUDIENCE = "https://verifier.example"


class Counter:
    def __init__(self, tmp_path: Path, now: datetime) -> None:
        self.clock = Clock(now)
        self.web = FakeWeb(self.clock)
        self.issuer = self.web.add(Issuer(None))
        self.citizen = Holder()
        trust = write_json(tmp_path / "trust.json", trust_document((self.issuer, [RESIDENT])))
        self.app = create_app(
            VerifierSettings(
                trust_list=str(trust), data_dir=tmp_path / "var", verifier_url=AUDIENCE
            ),
            transport=self.web.transport(),
            host_resolver=public_resolver,
            clock=self.clock,
        )

    def presentation(self, nonce: str, holder: Holder | None = None, **kwargs: Any) -> str:
        holder = holder or self.citizen
        token, _ = self.issuer.issue(holder.did, now=self.clock.value, with_status=False, **kwargs)
        return build_presentation(
            [token], holder.key, holder.did, audience=AUDIENCE, nonce=nonce, now=self.clock.value
        )


@pytest.fixture
def counter(tmp_path: Path, fixed_now: datetime) -> Counter:
    return Counter(tmp_path, fixed_now)


@pytest.fixture
def client(counter: Counter) -> Iterator[AppClient]:
    with app_client(counter.app) as c:
        yield c


def _challenge(client: AppClient, **kwargs: Any) -> str:
    response = client.post("/challenges", **kwargs)
    assert response.status_code == 200, response.text
    value: str = response.json()["challenge"]
    return value


def _verify(client: AppClient, vp: object, challenge: str, **kwargs: Any) -> tuple[int, list[str]]:
    response = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": vp, "options": {"challenge": challenge}},
        **kwargs,
    )
    body = response.json()
    return response.status_code, [p["code"] for p in body.get("problemDetails", [])]


def test_junk_presentation_cannot_burn_the_citizens_challenge(
    counter: Counter, client: AppClient
) -> None:
    challenge = _challenge(client)
    # Someone who saw the challenge on the counter screen answers first, with junk...
    assert _verify(client, "eyJhbGciOiJFUzI1NiJ9.e30.AAAA", challenge)[0] == 400
    # ...and with a well-formed presentation of their own, signed by their key, carrying
    # a credential that is not theirs (holder binding fails).
    stolen, _ = counter.issuer.issue(counter.citizen.did, now=counter.clock.value)
    thief = Holder()
    forged = build_presentation(
        [stolen], thief.key, thief.did, audience=AUDIENCE, nonce=challenge, now=counter.clock.value
    )
    assert "holder_binding" in _verify(client, forged, challenge)[1]
    # The citizen's own answer still works.
    assert _verify(client, counter.presentation(challenge), challenge) == (200, [])


def test_presentation_with_a_failing_credential_leaves_the_challenge_open(
    counter: Counter, client: AppClient
) -> None:
    challenge = _challenge(client)
    expired = counter.presentation(challenge, valid_until=counter.clock.value)
    counter.clock.advance(minutes=2)
    status, codes = _verify(client, expired, challenge)
    assert status == 400
    assert "expired" in codes
    assert _verify(client, counter.presentation(challenge), challenge) == (200, [])


def test_self_made_challenge_is_refused_and_nothing_fetched(
    counter: Counter, client: AppClient
) -> None:
    status, codes = _verify(
        client, counter.presentation("made-up-by-the-wallet"), "made-up-by-the-wallet"
    )
    assert (status, codes) == (400, ["challenge_unknown"])
    assert counter.web.requests == []


def test_challenge_of_another_api_client_is_refused(counter: Counter, client: AppClient) -> None:
    _a, key_a = counter.app.state.clients.create("Counter A")
    _b, key_b = counter.app.state.clients.create("Counter B")
    as_a = {"headers": {"Authorization": f"Bearer {key_a}"}}
    as_b = {"headers": {"Authorization": f"Bearer {key_b}"}}
    challenge = _challenge(client, **as_a)
    vp = counter.presentation(challenge)
    assert _verify(client, vp, challenge, **as_b) == (400, ["challenge_unknown"])
    assert _verify(client, vp, challenge, **as_a) == (200, [])


def test_challenge_of_another_counter_session_is_refused(
    counter: Counter, client: AppClient
) -> None:
    page = client.get("/")
    if page.status_code == 404:
        pytest.skip("the counter page is not installed")
    cookie = page.cookies.get(SESSION_COOKIE)
    assert cookie, page.headers
    set_cookie = page.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=strict" in set_cookie
    client.cookies.clear()
    mine = {"headers": {"Cookie": f"{SESSION_COOKIE}={cookie}"}}
    other = {"headers": {"Cookie": f"{SESSION_COOKIE}={'x' * 43}"}}
    challenge = _challenge(client, **mine)
    vp = counter.presentation(challenge)
    assert _verify(client, vp, challenge, **other) == (400, ["challenge_unknown"])
    assert _verify(client, vp, challenge) == (400, ["challenge_unknown"])  # no cookie at all
    assert _verify(client, vp, challenge, **mine) == (200, [])


def test_expired_challenge_is_refused(counter: Counter, client: AppClient) -> None:
    response = client.post("/challenges")
    issued = response.json()
    assert datetime.fromisoformat(issued["expiresAt"].replace("Z", "+00:00")) > counter.clock.value
    counter.clock.advance(minutes=6)
    challenge = issued["challenge"]
    assert _verify(client, counter.presentation(challenge), challenge) == (
        400,
        ["challenge_expired"],
    )


def test_replayed_presentation_is_refused(counter: Counter, client: AppClient) -> None:
    challenge = _challenge(client)
    vp = counter.presentation(challenge)
    assert _verify(client, vp, challenge) == (200, [])
    assert _verify(client, vp, challenge) == (400, ["nonce_reused"])
    assert _verify(client, counter.presentation(challenge), challenge) == (400, ["nonce_reused"])


def test_qr_presentation_with_a_self_made_challenge_is_refused(
    counter: Counter, client: AppClient
) -> None:
    vp = counter.presentation("qr-self-made")
    response = client.post("/verify/qr", data={"text": vp, "challenge": "qr-self-made"})
    assert [p["code"] for p in response.json()["problemDetails"]] == ["challenge_unknown"]
    challenge = _challenge(client)
    ok = client.post(
        "/verify/qr", data={"text": counter.presentation(challenge), "challenge": challenge}
    )
    assert ok.status_code == 200, ok.text


def test_challenges_are_unpredictable_and_distinct(client: AppClient) -> None:
    values = {_challenge(client) for _ in range(20)}
    assert len(values) == 20
    assert all(len(v) >= 32 for v in values)  # 192 bits, base64url
