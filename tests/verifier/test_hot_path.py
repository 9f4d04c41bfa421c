"""``POST /credentials/verify`` answers byte for byte the same through the pure-ASGI hot
route (:mod:`verifier.api.hot_path`) as through FastAPI's router, for valid and invalid
credentials and requests, open and with API keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tests.asgi_client import AppClient
from tests.verifier.support import (
    RESIDENT,
    RESIDENT_SCHEMA,
    Clock,
    FakeWeb,
    Holder,
    Issuer,
    app_client,
    public_resolver,
    trust_document,
    write_json,
)
from vcore.formats import envelope_credential
from verifier.api.hot_path import HotVerifyRoute
from verifier.app import create_app
from verifier.settings import VerifierSettings


class World:
    def __init__(self, tmp_path: Path, now: datetime) -> None:
        self.clock = Clock(now)
        self.web = FakeWeb(self.clock)
        self.issuer = self.web.add(Issuer("https://registry.example"))
        self.stranger = Issuer("https://stranger.example")
        self.web.add(self.stranger)
        self.web.schemas[RESIDENT] = RESIDENT_SCHEMA
        self.holder = Holder()
        self.trust = write_json(tmp_path / "trust.json", trust_document((self.issuer, [RESIDENT])))
        self.tmp = tmp_path
        # ECDSA signatures are random: both apps must be served the same list tokens
        # for their evidence (which holds them) to compare equal.
        signed: dict[tuple[str, bytes], str] = {}
        sign_list = self.issuer.list_token

        def list_token(url: str, now: datetime) -> str:
            key = (url, self.issuer.lists[url].bits.to_bytes())
            if key not in signed:
                signed[key] = sign_list(url, now)
            return signed[key]

        self.issuer.list_token = list_token  # type: ignore[method-assign]

    def app(self, name: str, *, hot: bool) -> FastAPI:
        settings = VerifierSettings(
            trust_list=str(self.trust),
            data_dir=self.tmp / name,
            verifier_url="https://verifier.example",
            verifier_status_max_age=0,
        )
        app = create_app(
            settings,
            transport=self.web.transport(),
            host_resolver=public_resolver,
            clock=self.clock,
        )
        if not hot:  # the same app, every request through FastAPI's router
            app.user_middleware = [m for m in app.user_middleware if m.cls is not HotVerifyRoute]
        assert any(m.cls is HotVerifyRoute for m in app.user_middleware) is hot
        return app


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> World:
    return World(tmp_path, fixed_now)


@pytest.fixture
def pair(world: World) -> Iterator[tuple[AppClient, AppClient, FastAPI, FastAPI]]:
    hot, slow = world.app("hot", hot=True), world.app("slow", hot=False)
    with app_client(hot) as hot_client, app_client(slow) as slow_client:
        yield hot_client, slow_client, hot, slow


def _same(hot: AppClient, slow: AppClient, **request: Any) -> int:
    a = hot.post("/credentials/verify", **request)
    b = slow.post("/credentials/verify", **request)
    assert (a.status_code, a.headers.raw, a.content) == (b.status_code, b.headers.raw, b.content)
    return a.status_code


def _tampered(token: str) -> str:
    head, payload, sig = token.split(".")
    return ".".join([head, payload, sig[:-6] + ("AAAAAA" if sig[-6:] != "AAAAAA" else "BBBBBB")])


def _bodies(world: World) -> list[tuple[str, dict[str, Any]]]:
    now = world.clock.value
    issue = world.issuer.issue
    good, _ = issue(world.holder.did, now=now)
    revoked, index = issue(world.holder.did, now=now)
    world.issuer.set_status("revocation", index, True)
    expired, _ = issue(
        world.holder.did,
        now=now,
        valid_from=now - timedelta(days=30),
        valid_until=now - timedelta(days=1),
    )
    schema_bad, _ = issue(world.holder.did, now=now, schema=True, subject={"givenName": ""})
    jwt11, _ = issue(world.holder.did, now=now, fmt="jwt_vc_json")
    untrusted, _ = world.stranger.issue(world.holder.did, now=now)
    vc = "verifiableCredential"
    return [
        ("valid", {vc: good}),
        ("valid enveloped", {vc: envelope_credential(good)}),
        ("valid data URL", {vc: "data:application/jwt," + jwt11}),
        ("with evidence", {vc: good, "options": {"includeEvidence": True}}),
        ("max status age", {vc: good, "options": {"maxStatusAge": 60}}),
        ("key binding asked", {vc: good, "options": {"requireKeyBinding": True}}),
        ("revoked", {vc: revoked}),
        ("expired", {vc: expired}),
        ("schema broken", {vc: schema_bad}),
        ("untrusted issuer", {vc: untrusted}),
        ("bad signature", {vc: _tampered(good)}),
        ("garbage", {vc: "eyJhbGciOiJFUzI1NiJ9.e30."}),
        ("too long", {vc: "a" * 20_000}),
        ("html data URL", {vc: "data:text/html,<script>"}),
        ("bad envelope", {vc: {"type": "EnvelopedVerifiableCredential", "id": 5}}),
        ("not a string", {vc: 5}),
        ("missing", {}),
        ("extra member", {vc: good, "other": 1}),
        ("bad evidence option", {vc: good, "options": {"includeEvidence": "yes"}}),
        ("bad age option", {vc: good, "options": {"maxStatusAge": -1}}),
        ("bad binding option", {vc: good, "options": {"requireKeyBinding": 1}}),
    ]


def test_results_and_problems_are_identical(
    world: World, pair: tuple[AppClient, AppClient, FastAPI, FastAPI]
) -> None:
    hot, slow, _hot_app, _slow_app = pair
    statuses = {}
    for name, body in _bodies(world):
        statuses[name] = _same(hot, slow, json=body)
    assert statuses["valid"] == 200
    assert statuses["revoked"] == statuses["bad signature"] == 400
    assert statuses["missing"] == 422
    raw: list[tuple[bytes, dict[str, str]]] = [
        (b'{"verifiableCredential": "x", "verifiableCredential": "y"}', {}),
        (b"{not json", {}),
        (b"\xff\xfe", {}),
        (b"[" * 100 + b"]" * 100, {}),
        (b"verifiableCredential=x", {"content-type": "text/plain"}),
        (json.dumps({"verifiableCredential": "a" * 1_000_000}).encode(), {}),
    ]
    for content, headers in raw:
        status = _same(
            hot, slow, content=content, headers={"content-type": "application/json", **headers}
        )
        assert status in (400, 413, 415)


def test_auth_answers_are_identical(
    world: World, pair: tuple[AppClient, AppClient, FastAPI, FastAPI]
) -> None:
    hot, slow, hot_app, slow_app = pair
    token, _ = world.issuer.issue(world.holder.did, now=world.clock.value)
    body = {"verifiableCredential": token}
    assert _same(hot, slow, json=body) == 200  # open: no client yet
    _info, key_hot = hot_app.state.clients.create("Office")
    _info, key_slow = slow_app.state.clients.create("Office")
    assert _same(hot, slow, json=body) == 401
    for header in ("Bearer tvk_wrong", "Basic abc", "Bearer "):
        assert _same(hot, slow, json=body, headers={"Authorization": header}) == 401
    good_hot = hot.post(
        "/credentials/verify", json=body, headers={"Authorization": f"Bearer {key_hot}"}
    )
    good_slow = slow.post(
        "/credentials/verify", json=body, headers={"Authorization": f"Bearer {key_slow}"}
    )
    assert good_hot.status_code == good_slow.status_code == 200
    assert good_hot.content == good_slow.content


def test_other_methods_and_paths_still_go_through_the_router(
    pair: tuple[AppClient, AppClient, FastAPI, FastAPI],
) -> None:
    hot, slow, _hot_app, _slow_app = pair
    for method, path in (("GET", "/credentials/verify"), ("PUT", "/credentials/verify"),
                         ("POST", "/credentials/verify/"), ("GET", "/healthz")):  # fmt: skip
        a, b = hot.request(method, path), slow.request(method, path)
        assert (a.status_code, a.content) == (b.status_code, b.content)
    assert hot.get("/credentials/verify").status_code == 405
    assert hot.get("/openapi.json").json() == slow.get("/openapi.json").json()
