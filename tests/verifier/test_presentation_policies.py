"""Presentation policies through the real app: holder proofs, bearer types, challenge owners.

* A presentation of no credential is a holder proof: verified on its own checks, and
  said so (``holderProofOnly``, ``presentation.credentials`` skipped), never a VALID
  credential.
* Holder binding stays required unless the trust list makes the issuer's type a bearer
  type (``holderBinding: optional``).
* Challenges are the verifier's (single use) unless the API client was created with the
  ``caller`` policy (VC-API: the client tracks its own); a challenge is always required.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.asgi_client import AppClient
from tests.verifier.support import (
    RESIDENT,
    Clock,
    FakeWeb,
    Holder,
    Issuer,
    app_client,
    holder_proof,
    public_resolver,
    resolver_map,
    undated_presentation,
    write_json,
)
from vcore.dids import build_did_document
from vcore.formats import build_presentation, envelope_credential, envelope_presentation
from vcore.jose import sign
from vcore.signing import SoftwareSigner
from verifier.app import create_app
from verifier.challenges import ChallengePolicy
from verifier.settings import VerifierSettings
from verifier.storage import make_engine

AUDIENCE = "https://verifier.example"
BEARER = "bearer credential: not bound to the presenter"


class Env:
    def __init__(
        self,
        tmp_path: Path,
        now: datetime,
        *,
        holder_binding: object = None,
        host_resolver: Any = public_resolver,
    ) -> None:
        self.clock = Clock(now)
        self.web = FakeWeb(self.clock)
        self.issuer = self.web.add(Issuer(None))
        self.holder = Holder()
        entry: dict[str, Any] = {
            "id": self.issuer.did,
            "name": "Resident Registry",
            "types": [RESIDENT, "LibraryCard"],
        }
        if holder_binding is not None:
            entry["holderBinding"] = holder_binding
        self.trust_path = write_json(tmp_path / "trust.json", {"issuers": [entry]})
        self.app = create_app(
            VerifierSettings(
                trust_list=str(self.trust_path),
                data_dir=tmp_path / "var",
                verifier_url=AUDIENCE,
                verifier_status_max_age=0,
            ),
            transport=self.web.transport(),
            host_resolver=host_resolver,
            clock=self.clock,
        )

    def credential(self, holder: str, credential_type: str = RESIDENT) -> str:
        token, _ = self.issuer.issue(
            holder, now=self.clock.value, with_status=False, credential_type=credential_type
        )
        return token

    def client_key(self, policy: ChallengePolicy) -> dict[str, str]:
        _info, key = self.app.state.clients.create(f"client {policy}", challenge_policy=policy)
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def env(tmp_path: Path, fixed_now: datetime) -> Env:
    return Env(tmp_path, fixed_now)


@pytest.fixture
def client(env: Env) -> Iterator[AppClient]:
    with app_client(env.app) as c:
        yield c


def _codes(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    return [p["code"] for p in response.json()["problemDetails"]]


def _checks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in body["checks"]}


def _verify(
    client: AppClient, vp: str, options: dict[str, str], headers: dict[str, str] | None = None
) -> Any:
    return client.post(
        "/presentations/verify",
        json={"verifiablePresentation": envelope_presentation(vp), "options": options},
        headers=headers or {},
    )


# ------------------------------------------------------------------ holder proofs


def test_a_holder_proof_verifies_and_says_it_holds_no_credential(
    env: Env, client: AppClient
) -> None:
    challenge = client.post("/challenges").json()["challenge"]
    vp = holder_proof(env.holder, audience=AUDIENCE, nonce=challenge, now=env.clock.value)
    response = _verify(client, vp, {"challenge": challenge})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert body["holderProofOnly"] is True
    assert body["credentials"] == []
    assert body["holder"] == env.holder.did
    checks = _checks(body)
    assert checks["presentation.credentials"]["status"] == "skipped"
    assert "no credential presented" in checks["presentation.credentials"]["detail"]
    assert checks["signature"]["status"] == checks["nonce"]["status"] == "passed"
    assert any("no credential presented" in w for w in body["warnings"])
    # Its challenge is used up like any other presentation's.
    assert _codes(_verify(client, vp, {"challenge": challenge})) == ["nonce_reused"]


def test_a_holder_proof_still_needs_its_challenge_audience_and_signature(
    env: Env, client: AppClient
) -> None:
    challenge = client.post("/challenges").json()["challenge"]
    wrong_nonce = holder_proof(env.holder, audience=AUDIENCE, nonce="guess", now=env.clock.value)
    assert _codes(_verify(client, wrong_nonce, {"challenge": challenge})) == ["nonce_mismatch"]
    elsewhere = holder_proof(
        env.holder, audience="https://other.example", nonce=challenge, now=env.clock.value
    )
    assert _codes(_verify(client, elsewhere, {"challenge": challenge})) == ["audience_mismatch"]
    stale = holder_proof(
        env.holder, audience=AUDIENCE, nonce=challenge, now=env.clock.value - timedelta(hours=1)
    )
    assert _codes(_verify(client, stale, {"challenge": challenge})) == ["expired"]
    header, payload, signature = holder_proof(
        env.holder, audience=AUDIENCE, nonce=challenge, now=env.clock.value
    ).split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert _codes(_verify(client, forged, {"challenge": challenge}))[:1] in (
        ["bad_signature"],
        ["malformed"],
    )
    # None of these burnt the challenge.
    good = holder_proof(env.holder, audience=AUDIENCE, nonce=challenge, now=env.clock.value)
    assert _verify(client, good, {"challenge": challenge}).status_code == 200


def test_an_empty_credential_list_is_not_read_as_a_holder_proof(
    env: Env, client: AppClient
) -> None:
    challenge = client.post("/challenges").json()["challenge"]
    vp = holder_proof(
        env.holder, audience=AUDIENCE, nonce=challenge, now=env.clock.value, credentials=[]
    )
    response = _verify(client, vp, {"challenge": challenge})
    assert _codes(response) == ["malformed"]
    assert response.json()["holderProofOnly"] is False


def test_a_presentation_with_credentials_is_not_a_holder_proof(env: Env, client: AppClient) -> None:
    challenge = client.post("/challenges").json()["challenge"]
    vp = build_presentation(
        [env.credential(env.holder.did)],
        env.holder.key,
        env.holder.did,
        audience=AUDIENCE,
        nonce=challenge,
        now=env.clock.value,
    )
    body = _verify(client, vp, {"challenge": challenge}).json()
    assert body["verified"] is True
    assert body["holderProofOnly"] is False
    assert _checks(body)["presentation.credentials"]["status"] == "passed"


def test_a_holder_proof_qr_says_holder_proof_only(env: Env, client: AppClient) -> None:
    challenge = client.post("/challenges").json()["challenge"]
    vp = holder_proof(env.holder, audience=AUDIENCE, nonce=challenge, now=env.clock.value)
    response = client.post("/verify/qr", data={"text": vp, "challenge": challenge})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["holderProofOnly"] is True
    assert body["credentials"] == []


# ------------------------------------------------------------------ bearer types


def test_someone_elses_credential_is_refused_by_default(env: Env, client: AppClient) -> None:
    thief = Holder()
    challenge = client.post("/challenges").json()["challenge"]
    vp = build_presentation(
        [env.credential(env.holder.did)],
        thief.key,
        thief.did,
        audience=AUDIENCE,
        nonce=challenge,
        now=env.clock.value,
    )
    assert _codes(_verify(client, vp, {"challenge": challenge})) == ["holder_binding"]


@pytest.mark.parametrize(
    ("binding", "bearer"),
    [
        ("optional", {RESIDENT: True, "LibraryCard": True}),
        ({"LibraryCard": "optional"}, {RESIDENT: False, "LibraryCard": True}),
        ({"LibraryCard": "optional", RESIDENT: "required"}, {RESIDENT: False, "LibraryCard": True}),
        ("required", {RESIDENT: False, "LibraryCard": False}),
    ],
)
def test_a_bearer_type_on_the_trust_list_may_be_presented_by_another_holder(
    tmp_path: Path, fixed_now: datetime, binding: object, bearer: dict[str, bool]
) -> None:
    env = Env(tmp_path, fixed_now, holder_binding=binding)
    presenter = Holder()
    with app_client(env.app) as client:
        for credential_type, is_bearer in bearer.items():
            challenge = client.post("/challenges").json()["challenge"]
            vp = build_presentation(
                [env.credential(env.holder.did, credential_type)],
                presenter.key,
                presenter.did,
                audience=AUDIENCE,
                nonce=challenge,
                now=env.clock.value,
            )
            response = _verify(client, vp, {"challenge": challenge})
            if not is_bearer:
                assert _codes(response) == ["holder_binding"], credential_type
                continue
            assert response.status_code == 200, response.text
            inner = response.json()["credentials"][0]
            binding_check = _checks(inner)["holder_binding"]
            assert binding_check["status"] == "skipped"
            assert BEARER in binding_check["detail"]
            assert BEARER in inner["warnings"]


def test_a_bearer_credential_presented_by_its_own_holder_is_simply_bound(
    tmp_path: Path, fixed_now: datetime
) -> None:
    env = Env(tmp_path, fixed_now, holder_binding="optional")
    with app_client(env.app) as client:
        challenge = client.post("/challenges").json()["challenge"]
        vp = build_presentation(
            [env.credential(env.holder.did)],
            env.holder.key,
            env.holder.did,
            audience=AUDIENCE,
            nonce=challenge,
            now=env.clock.value,
        )
        inner = _verify(client, vp, {"challenge": challenge}).json()["credentials"][0]
        assert _checks(inner)["holder_binding"]["status"] == "passed"
        assert BEARER not in inner["warnings"]


# ------------------------------------------------------------------ challenge policies


def test_a_caller_policy_client_owns_its_challenges(env: Env, client: AppClient) -> None:
    caller = env.client_key(ChallengePolicy.CALLER)
    vp = build_presentation(
        [env.credential(env.holder.did)],
        env.holder.key,
        env.holder.did,
        audience="https://rp.example",
        nonce="rp-challenge-1",
        now=env.clock.value,
    )
    options = {"challenge": "rp-challenge-1", "domain": "https://rp.example"}
    for _ in range(2):  # single use is the caller's to enforce, not this verifier's
        response = _verify(client, vp, options, caller)
        assert response.status_code == 200, response.text
    # ... but the presentation must answer exactly the caller's challenge and domain,
    assert _codes(_verify(client, vp, {**options, "challenge": "rp-challenge-2"}, caller)) == [
        "nonce_mismatch"
    ]
    assert _codes(_verify(client, vp, {"challenge": "rp-challenge-1"}, caller)) == [
        "audience_mismatch"  # no domain given: this verifier's own audience
    ]
    # ... and a challenge is never optional.
    response = client.post(
        "/presentations/verify",
        json={"verifiablePresentation": envelope_presentation(vp), "options": {}},
        headers=caller,
    )
    assert response.status_code == 422


def test_a_server_policy_client_cannot_bring_its_own_challenge(env: Env, client: AppClient) -> None:
    server = env.client_key(ChallengePolicy.SERVER)
    vp = build_presentation(
        [env.credential(env.holder.did)],
        env.holder.key,
        env.holder.did,
        audience=AUDIENCE,
        nonce="rp-challenge-1",
        now=env.clock.value,
    )
    assert _codes(_verify(client, vp, {"challenge": "rp-challenge-1"}, server)) == [
        "challenge_unknown"
    ]


def test_a_challenge_this_verifier_issued_stays_single_use_for_a_caller_client(
    env: Env, client: AppClient
) -> None:
    caller = env.client_key(ChallengePolicy.CALLER)
    challenge = client.post("/challenges", headers=caller).json()["challenge"]
    vp = build_presentation(
        [env.credential(env.holder.did)],
        env.holder.key,
        env.holder.did,
        audience=AUDIENCE,
        nonce=challenge,
        now=env.clock.value,
    )
    assert _verify(client, vp, {"challenge": challenge}, caller).status_code == 200
    assert _codes(_verify(client, vp, {"challenge": challenge}, caller)) == ["nonce_reused"]


def test_an_undated_presentation_needs_a_caller_owned_challenge(
    env: Env, client: AppClient
) -> None:
    token = env.credential(env.holder.did)
    server = env.client_key(ChallengePolicy.SERVER)
    challenge = client.post("/challenges", headers=server).json()["challenge"]
    undated = undated_presentation([token], env.holder, audience=AUDIENCE, nonce=challenge)
    # the verifier's own single-use challenge: the presentation must date itself (iat)
    assert _codes(_verify(client, undated, {"challenge": challenge}, server)) == ["malformed"]
    caller = env.client_key(ChallengePolicy.CALLER)
    own = undated_presentation([token], env.holder, audience=AUDIENCE, nonce="rp-7")
    response = _verify(client, own, {"challenge": "rp-7"}, caller)
    assert response.status_code == 200, response.text
    freshness = _checks(response.json())["freshness"]
    assert "caller's own challenge" in freshness["detail"]
    # A dated one is still held to the replay window, whoever owns the challenge.
    old = build_presentation(
        [token],
        env.holder.key,
        env.holder.did,
        audience=AUDIENCE,
        nonce="rp-7",
        now=env.clock.value - timedelta(hours=1),
    )
    assert _codes(_verify(client, old, {"challenge": "rp-7"}, caller)) == ["expired"]


def test_open_mode_keeps_server_challenges(env: Env, client: AppClient) -> None:
    # Without clients (the counter page in development) nothing is caller-owned.
    vp = holder_proof(env.holder, audience=AUDIENCE, nonce="made-up", now=env.clock.value)
    assert _codes(_verify(client, vp, {"challenge": "made-up"})) == ["challenge_unknown"]


def test_an_older_database_gains_the_policy_column_with_server_for_old_clients(
    tmp_path: Path,
) -> None:
    path = tmp_path / "verifier.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE verifier_clients (id INTEGER PRIMARY KEY, name VARCHAR(200) UNIQUE, "
            "key_hash VARCHAR(64) UNIQUE, rate_limit INTEGER, created_at DATETIME)"
        )
        db.execute(
            "INSERT INTO verifier_clients (name, key_hash, rate_limit, created_at) "
            "VALUES ('old', 'aa', NULL, '2026-01-01 00:00:00')"
        )
    from verifier.clients import ClientRegistry

    engine = make_engine(f"sqlite:///{path}")
    make_engine(f"sqlite:///{path}")  # idempotent
    registry = ClientRegistry(engine)
    assert [c.challenge_policy for c in registry.list()] == [ChallengePolicy.SERVER]
    info, _key = registry.create("new", challenge_policy=ChallengePolicy.CALLER)
    assert info.challenge_policy is ChallengePolicy.CALLER
    assert {c.name: c.challenge_policy for c in registry.list()} == {
        "new": ChallengePolicy.CALLER,
        "old": ChallengePolicy.SERVER,
    }


# ------------------------------------------------------------------ did:web holders

WEB_HOLDER = "did:web:wallet.example:users:mei"
WEB_HOLDER_DOC = "https://wallet.example/users/mei/did.json"


def _web_holder(env: Env, *, relationship: str = "authentication") -> tuple[Holder, str]:
    """A holder whose DID is did:web: its document served by the fake web."""
    holder = Holder()
    public = holder.key.public_key()
    kid = f"{WEB_HOLDER}#{public.thumbprint()}"
    document = build_did_document(WEB_HOLDER, [public])
    for name in ("assertionMethod", "authentication"):
        if name != relationship:
            document[name] = []
    env.web.extra[WEB_HOLDER_DOC] = lambda _request: httpx.Response(200, json=document)
    return holder, kid


def _web_vp(env: Env, holder: Holder, kid: str, nonce: str) -> str:
    token, _ = env.issuer.issue(WEB_HOLDER, now=env.clock.value, with_status=False)
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": WEB_HOLDER,
        "verifiableCredential": [envelope_credential(token)],
        "nonce": nonce,
        "aud": AUDIENCE,
        "iat": int(env.clock.value.timestamp()),
    }
    return sign(payload, SoftwareSigner(holder.key, kid), typ="vp+jwt")


def test_a_did_web_holder_is_resolved_and_bound(env: Env, client: AppClient) -> None:
    holder, kid = _web_holder(env)
    challenge = client.post("/challenges").json()["challenge"]
    response = _verify(client, _web_vp(env, holder, kid, challenge), {"challenge": challenge})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["holder"] == WEB_HOLDER
    assert _checks(body["credentials"][0])["holder_binding"]["status"] == "passed"
    assert env.web.count(WEB_HOLDER_DOC) == 1
    # another key than the document's: refused, and the cached document is not refetched
    # before 30 s (a random kid must not make the verifier hammer the holder's host)
    other = Holder()
    challenge = client.post("/challenges").json()["challenge"]
    forged = _web_vp(env, other, f"{WEB_HOLDER}#{other.key.public_key().thumbprint()}", challenge)
    assert _codes(_verify(client, forged, {"challenge": challenge})) == ["unknown_key"]
    assert env.web.count(WEB_HOLDER_DOC) == 1


def test_a_did_web_holder_key_must_be_an_authentication_method(env: Env, client: AppClient) -> None:
    holder, kid = _web_holder(env, relationship="assertionMethod")
    challenge = client.post("/challenges").json()["challenge"]
    response = _verify(client, _web_vp(env, holder, kid, challenge), {"challenge": challenge})
    assert _codes(response) == ["unknown_key"]
    assert "authentication" in response.json()["problemDetails"][0]["detail"]


def test_a_did_web_holder_is_not_fetched_without_an_open_challenge(
    env: Env, client: AppClient
) -> None:
    holder, kid = _web_holder(env)
    response = _verify(client, _web_vp(env, holder, kid, "made-up"), {"challenge": "made-up"})
    assert _codes(response) == ["challenge_unknown"]
    assert env.web.count("wallet.example") == 0


def test_a_did_web_holder_on_a_private_address_is_not_fetched(
    tmp_path: Path, fixed_now: datetime
) -> None:
    env = Env(tmp_path, fixed_now, host_resolver=resolver_map({"wallet.example": "10.0.0.7"}))
    holder, kid = _web_holder(env)
    with app_client(env.app) as client:
        challenge = client.post("/challenges").json()["challenge"]
        response = _verify(client, _web_vp(env, holder, kid, challenge), {"challenge": challenge})
        assert _codes(response) == ["unknown_key"]
    assert env.web.count("wallet.example") == 0
