"""Evidence bundles: verify online, save what the decision used, decide again offline.

The online side is the real app (create_app) over a FakeWeb; the offline side runs with
every way out to a network made to raise, so a decision that still needed a fetch fails.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from typer.testing import CliRunner

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
from vcore.clock import format_datetime
from vcore.formats import envelope_credential
from vcore.keys import generate_key
from vcore.trust_list import sign_trust_list
from verifier.app import create_app
from verifier.cli import app as cli_app
from verifier.errors import EvidenceError
from verifier.resolution import EvidenceBundle
from verifier.resolution.evidence import error_from_json
from verifier.service import verify_credential_offline
from verifier.settings import VerifierSettings


class Env:
    def __init__(self, tmp_path: Path, now: datetime, *, signed: bool = False) -> None:
        self.clock = Clock(now)
        self.web = FakeWeb(self.clock)
        self.issuer = self.web.add(Issuer("https://registry.example"))
        self.jwk_issuer = self.web.add(Issuer(None))
        self.web.schemas[RESIDENT] = RESIDENT_SCHEMA
        self.holder = Holder()
        document = trust_document((self.issuer, [RESIDENT]), (self.jwk_issuer, [RESIDENT]))
        self.anchor = generate_key("ES256")
        self.anchor_path: Path | None = None
        if signed:
            self.trust_path = tmp_path / "trust.jwt"
            self.trust_path.write_text(
                sign_trust_list(document, self.anchor, kid="anchor", now=now)
            )
            self.anchor_path = write_json(
                tmp_path / "anchor.pub.jwk", self.anchor.public_key().to_jwk()
            )
        else:
            self.trust_path = write_json(tmp_path / "trust.json", document)
        settings = VerifierSettings(
            trust_list=str(self.trust_path),
            trust_anchor=self.anchor_path,
            data_dir=tmp_path / "var",
            verifier_url="https://verifier.example",
        )
        self.app = create_app(
            settings,
            transport=self.web.transport(),
            host_resolver=public_resolver,
            clock=self.clock,
        )


@pytest.fixture
def env(tmp_path: Path, fixed_now: datetime) -> Env:
    return Env(tmp_path, fixed_now)


@pytest.fixture
def client(env: Env) -> Iterator[AppClient]:
    with app_client(env.app) as c:
        yield c


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way to the network raises: httpx clients, name resolution, sockets."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the offline decision tried to use the network")

    async def refuse_async(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the offline decision tried to use the network")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse_async)
    monkeypatch.setattr(httpx.Client, "send", refuse)
    monkeypatch.setattr(anyio, "getaddrinfo", refuse_async)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def _online(client: AppClient, credential: object) -> tuple[dict[str, Any], dict[str, Any]]:
    response = client.post(
        "/credentials/verify",
        json={"verifiableCredential": credential, "options": {"includeEvidence": True}},
    )
    assert response.status_code in (200, 400), response.text
    body = response.json()
    evidence = body.pop("evidence")
    return body, evidence


def _round_trip(evidence: dict[str, Any]) -> EvidenceBundle:
    """Through JSON text and back, as a saved file would be."""
    bundle = EvidenceBundle.from_json(json.loads(json.dumps(evidence)))
    assert bundle.to_json() == evidence
    return bundle


def _offline(value: object, bundle: EvidenceBundle, **kwargs: Any) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        report = await verify_credential_offline(value, bundle, anchor=None, **kwargs)
        return report.to_json()

    return anyio.run(run)


@pytest.mark.parametrize("scenario", ["valid", "revoked", "suspended", "did_jwk", "issuer_down"])
def test_offline_decision_is_the_online_one(
    env: Env, client: AppClient, request: pytest.FixtureRequest, scenario: str
) -> None:
    issuer = env.jwk_issuer if scenario == "did_jwk" else env.issuer
    token, index = issuer.issue(env.holder.did, now=env.clock.value, schema=True)
    if scenario == "revoked":
        issuer.set_status("revocation", index, True)
    if scenario == "suspended":
        issuer.set_status("suspension", index, True)
    if scenario == "issuer_down":
        env.web.down.add("registry.example")
    credential = envelope_credential(token)
    # A first verification fills the caches: the recorded one is served from them.
    client.post("/credentials/verify", json={"verifiableCredential": credential})
    online, evidence = _online(client, credential)
    assert online["verified"] is (scenario in ("valid", "did_jwk"))
    bundle = _round_trip(evidence)
    assert evidence["verifiedAt"] == format_datetime(env.clock.value)
    assert evidence["trustList"]["document"] == env.trust_path.read_text()
    if scenario == "valid":
        assert [d["did"] for d in evidence["didDocuments"]] == [env.issuer.did]
        assert {s["url"] for s in evidence["statusLists"]} == set(env.issuer.lists)
        assert [s["schema"] for s in evidence["schemas"]] == [RESIDENT_SCHEMA]
    if scenario == "did_jwk":
        assert evidence["didDocuments"] == []  # did:jwk needs no document
    if scenario == "issuer_down":
        assert evidence["didDocuments"][0]["error"]["code"] == "unknown_key"

    request.getfixturevalue("no_network")
    env.clock.advance(days=30)  # nothing offline depends on the wall clock
    assert _offline(credential, bundle) == online


def test_batch_evidence_covers_every_item(env: Env, client: AppClient) -> None:
    first, _ = env.issuer.issue(env.holder.did, now=env.clock.value)
    second, _ = env.jwk_issuer.issue(env.holder.did, now=env.clock.value)
    response = client.post(
        "/credentials/verify/batch",
        json={"items": [first, second], "options": {"includeEvidence": True}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    bundle = _round_trip(body["evidence"])
    assert len(bundle.status_lists) == 4
    for token, result in zip((first, second), body["results"], strict=True):
        assert result["verified"] is True
        assert _offline(token, bundle) == result


def test_evidence_is_only_included_when_asked(env: Env, client: AppClient) -> None:
    token, _ = env.issuer.issue(env.holder.did, now=env.clock.value)
    plain = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert "evidence" not in plain.json()
    bad = client.post(
        "/credentials/verify",
        json={"verifiableCredential": token, "options": {"includeEvidence": "yes"}},
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_request"


def test_a_tampered_bundle_does_not_verify(
    env: Env, client: AppClient, request: pytest.FixtureRequest
) -> None:
    token, index = env.issuer.issue(env.holder.did, now=env.clock.value)
    online, evidence = _online(client, token)
    assert online["verified"] is True
    swapped = json.loads(json.dumps(evidence))
    request.getfixturevalue("no_network")

    # A status list re-signed by someone else (here: another key) is refused offline.
    forger = Issuer("https://registry.example")
    forger.did, forger.kid = env.issuer.did, env.issuer.kid
    entry = evidence["statusLists"][0]
    forger.status_list(env.issuer.lists[entry["url"]].purpose).bits.set(index, 1)
    entry["token"] = forger.list_token(entry["url"], env.clock.value)
    report = _offline(token, _round_trip(evidence))
    assert report["verified"] is False
    assert [p["code"] for p in report["problemDetails"]] == ["status_unavailable"]

    # The issuer's key in the DID document swapped for another under the same id: the
    # credential's signature no longer verifies.
    method = swapped["didDocuments"][0]["document"]["verificationMethod"][0]
    method["publicKeyJwk"] = {**forger.key.public_key().to_jwk(), "kid": env.issuer.kid}
    report = _offline(token, _round_trip(swapped))
    assert report["verified"] is False
    assert "bad_signature" in [p["code"] for p in report["problemDetails"]]


def test_what_the_bundle_lacks_is_unavailable(env: Env, no_network: None) -> None:
    token, _ = env.issuer.issue(env.holder.did, now=env.clock.value)
    empty = EvidenceBundle(verified_at=env.clock.value)
    report = _offline(token, empty)
    assert report["verified"] is False
    assert report["problemDetails"][0]["code"] == "untrusted_issuer"  # no trust list


def test_offline_time_can_be_chosen(
    env: Env, client: AppClient, request: pytest.FixtureRequest
) -> None:
    token, _ = env.issuer.issue(
        env.holder.did, now=env.clock.value, valid_until=env.clock.value + timedelta(days=2)
    )
    online, evidence = _online(client, token)
    request.getfixturevalue("no_network")
    bundle = _round_trip(evidence)
    assert _offline(token, bundle) == online
    later = _offline(token, bundle, now=env.clock.value + timedelta(days=3))
    assert later["verified"] is False
    assert "expired" in [p["code"] for p in later["problemDetails"]]


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"type": "Other", "version": 1},
        {"type": "TrustIDVerificationEvidence", "version": 2},
        {"type": "TrustIDVerificationEvidence", "version": 1, "verifiedAt": "yesterday"},
        {"type": "TrustIDVerificationEvidence", "version": 1, "statusLists": {}},
        {"type": "TrustIDVerificationEvidence", "version": 1, "statusLists": [{"url": "x"}]},
        {
            "type": "TrustIDVerificationEvidence",
            "version": 1,
            "schemas": [
                {"url": "u", "fetchedAt": "2026-01-01T00:00:00Z", "error": {"code": "nope"}}
            ],
        },
        {
            "type": "TrustIDVerificationEvidence",
            "version": 1,
            "didDocuments": [
                {"did": "d", "kind": "x509", "fetchedAt": "2026-01-01T00:00:00Z", "document": {}}
            ],
        },
    ],
)
def test_malformed_bundles_are_refused_with_a_code(document: object) -> None:
    with pytest.raises(EvidenceError) as caught:
        EvidenceBundle.from_json(document)
    assert caught.value.code == "evidence_invalid"


def test_recorded_errors_keep_their_class() -> None:
    from vcore.errors import StatusUnavailableError, UnknownKeyError

    assert type(error_from_json("status_unavailable", "x")) is StatusUnavailableError
    restored = error_from_json("unknown_key", "could not fetch")
    assert type(restored) is UnknownKeyError
    assert restored.detail == "could not fetch"
    with pytest.raises(EvidenceError):
        error_from_json("no_such_code", "x")


# ------------------------------------------------------------------------- CLI


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("TRUSTID_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRUSTID_DATA_DIR", str(tmp_path / "var"))


def test_cli_verifies_offline_from_a_saved_result(
    tmp_path: Path, fixed_now: datetime, clean_env: None, request: pytest.FixtureRequest
) -> None:
    signed = Env(tmp_path, fixed_now, signed=True)
    good, _ = signed.issuer.issue(signed.holder.did, now=fixed_now)
    revoked, index = signed.issuer.issue(signed.holder.did, now=fixed_now)
    signed.issuer.set_status("revocation", index, True)
    with app_client(signed.app) as client:
        saved = {}
        for name, token in (("good", good), ("revoked", revoked)):
            response = client.post(
                "/credentials/verify",
                json={"verifiableCredential": token, "options": {"includeEvidence": True}},
            )
            saved[name] = response.json()
            (tmp_path / f"{name}.jwt").write_text(token + "\n")
            (tmp_path / f"{name}.result.json").write_text(response.text)
    request.getfixturevalue("no_network")
    runner = CliRunner()
    anchor = ["--trust-anchor", str(signed.anchor_path)]
    for name, code in (("good", 0), ("revoked", 5)):
        args = ["verify", str(tmp_path / f"{name}.jwt"), "--offline"]
        result = runner.invoke(cli_app, [*args, str(tmp_path / f"{name}.result.json"), *anchor])
        assert result.exit_code == code, result.output
        expected = {k: v for k, v in saved[name].items() if k != "evidence"}
        assert json.loads(result.stdout) == expected
    # The bundle alone (not the whole result) works too; a signed list needs the anchor.
    bundle_path = write_json(tmp_path / "bundle.json", saved["good"]["evidence"])
    args = ["verify", str(tmp_path / "good.jwt"), "--offline", str(bundle_path)]
    assert runner.invoke(cli_app, [*args, *anchor]).exit_code == 0
    without_anchor = runner.invoke(cli_app, args)
    assert without_anchor.exit_code == 3
    assert "TRUSTID_TRUST_ANCHOR" in without_anchor.stderr
    broken = write_json(tmp_path / "broken.json", {"type": "nothing"})
    result = runner.invoke(
        cli_app, ["verify", str(tmp_path / "good.jwt"), "--offline", str(broken)]
    )
    assert result.exit_code == 2
    assert "evidence_invalid" in result.stderr


def test_recording_keeps_the_newest_good_copy(fixed_now: datetime) -> None:
    from vcore.errors import UnknownKeyError
    from verifier.resolution.evidence import DocumentEvidence, DocumentKind

    def doc(version: int, at: datetime, error: bool = False) -> DocumentEvidence:
        return DocumentEvidence(
            "did:web:a.example",
            "https://a.example/.well-known/did.json",
            DocumentKind.DID,
            None if error else {"version": version},
            UnknownKeyError("unreachable") if error else None,
            at,
        )

    bundle = EvidenceBundle()
    bundle.add_document(doc(2, fixed_now))
    bundle.add_document(doc(1, fixed_now - timedelta(minutes=10)))  # a list's older signer doc
    bundle.add_document(doc(3, fixed_now + timedelta(minutes=1), error=True))
    assert bundle.documents["did:web:a.example"].document == {"version": 2}
    bundle.add_document(doc(4, fixed_now + timedelta(minutes=2)))
    assert bundle.documents["did:web:a.example"].document == {"version": 4}
    failed = EvidenceBundle()
    failed.add_document(doc(0, fixed_now, error=True))
    failed.add_document(doc(5, fixed_now - timedelta(minutes=1)))
    assert failed.documents["did:web:a.example"].document == {"version": 5}
