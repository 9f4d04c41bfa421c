"""No claim value in an error message or a log line (issue 9 §6), as a tested property.

A claim value is personal data. Each test below pushes a credential whose claims hold a
*canary* (a unique string no code could produce by itself) through one failure path of
the issuer or the verifier, captures every log record of every logger (DEBUG and up)
and every response body, and asserts the canary appears nowhere: not in a problem's
``detail``, not in a check's ``detail``, not in a warning, not in a log line. The
successful paths return the credential itself, which is the point of them, and are
not checked.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.asgi_client import AppClient
from tests.issuer.support import RESIDENT, Harness, MutableClock, issue_body, make_settings
from tests.issuer.support import running_issuer as _running_issuer
from tests.issuer.test_server import run_cli
from tests.security.support import World, tamper, world_client
from tests.verifier.support import RESIDENT_SCHEMA, Holder, Issuer, trust_document, write_json
from vcore.formats import build_presentation
from vcore.keys import b64url_encode


def _canary() -> str:
    return f"Canary{secrets.token_hex(8)}"


def _assert_absent(canary: str, texts: list[str], caplog: pytest.LogCaptureFixture) -> None:
    lines = [record.getMessage() for record in caplog.records]
    lines += [str(record.args) for record in caplog.records if record.args]
    lines += [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    for text in [*texts, *lines]:
        assert canary not in text, text[:500]
        # Case-folded, reversed or escaped copies are leaks too.
        assert canary.lower() not in text.lower(), text[:500]


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> World:
    return World(tmp_path, fixed_now)


@pytest.fixture
def client(world: World, caplog: pytest.LogCaptureFixture) -> Iterator[AppClient]:
    caplog.set_level(logging.DEBUG)
    with world_client(world) as c:
        yield c


@pytest.fixture
def issuer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Harness]:
    caplog.set_level(logging.DEBUG)
    with _running_issuer(make_settings(tmp_path / "issuer"), MutableClock()) as harness:
        harness.agency("Registry", [RESIDENT])
        yield harness


# -- the verifier ------------------------------------------------------------------------------


def _messages(response: Any) -> str:
    """Everything in an answer but the credential document the caller sent (a result's
    ``credential`` member is that document, not a message about it)."""
    assert response.status_code < 500, response.text
    body = response.json()
    results = body.get("results", [body])
    return json.dumps([_without_documents(r) for r in results])


def _without_documents(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_documents(v) for k, v in value.items() if k != "credential"}
    if isinstance(value, list):
        return [_without_documents(v) for v in value]
    return value


def _verify_texts(client: AppClient, value: object) -> list[str]:
    response = client.post("/credentials/verify", json={"verifiableCredential": value})
    batch = client.post("/credentials/verify/batch", json={"items": [value, value]})
    return [_messages(response), _messages(batch)]


def _subject(world: World, canary: str, **extra: Any) -> dict[str, Any]:
    return {"id": world.citizen.did, "givenName": canary, "familyName": canary, **extra}


VERIFIER_FAILURES = [
    "bad_signature",
    "expired",
    "not_yet_valid",
    "revoked",
    "suspended",
    "untrusted_issuer",
    "type_not_accredited",
    "schema_invalid",
    "vcdm_subject",
    "vcdm_language_value",
    "status_unavailable",
    "malformed_date",
]


def _failing_value(world: World, failure: str, canary: str) -> object:
    subject = _subject(world, canary)
    now = world.now
    if failure == "bad_signature":
        return tamper(world.signed(world.document(credentialSubject=subject)), familyName=canary)
    if failure == "expired":
        return world.signed(
            world.document(credentialSubject=subject, validUntil="2026-01-01T00:00:00Z")
        )
    if failure == "not_yet_valid":
        return world.signed(
            world.document(credentialSubject=subject, validFrom="2027-06-01T00:00:00Z")
        )
    if failure in ("revoked", "suspended"):
        token, index = world.issuer.issue(world.citizen.did, now=now, subject=subject)
        world.issuer.set_status("revocation" if failure == "revoked" else "suspension", index, True)
        return token
    if failure == "untrusted_issuer":
        return world.signed(
            world.document(credentialSubject=subject, issuer=world.rogue.did), issuer=world.rogue
        )
    if failure == "type_not_accredited":
        return world.signed(
            world.document(
                credentialSubject=subject, type=["VerifiableCredential", "UnlistedCredential"]
            )
        )
    if failure == "schema_invalid":
        world.web.schemas[RESIDENT] = RESIDENT_SCHEMA
        bad = _subject(world, canary, birthDate=canary, extraClaim=canary)
        bad["givenName"] = 7  # wrong type next to the canary
        token, _ = world.issuer.issue(
            world.citizen.did, now=now, subject=bad, schema=True, with_status=False
        )
        return token
    if failure == "vcdm_subject":
        return world.signed(world.document(credentialSubject=canary))
    if failure == "vcdm_language_value":
        return world.signed(
            world.document(credentialSubject=subject, name={"@value": canary, "@language": canary})
        )
    if failure == "status_unavailable":
        world.web.down.add("status.example")
        token, _ = world.issuer.issue(world.citizen.did, now=now, subject=subject)
        world.web.extra[world.issuer.status_list("revocation").url] = _refuse
        return token
    if failure == "malformed_date":
        return world.signed(world.document(credentialSubject=subject, validFrom=canary))
    raise AssertionError(failure)


def _refuse(request: Any) -> Any:
    return httpx.Response(503, text="down")


@pytest.mark.parametrize("failure", VERIFIER_FAILURES)
def test_verifier_failure_paths_carry_no_claim_value(
    world: World, client: AppClient, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    canary = _canary()
    value = _failing_value(world, failure, canary)
    texts = _verify_texts(client, value)
    assert json.loads(texts[0])[0]["verified"] is False, (failure, texts[0])
    _assert_absent(canary, texts, caplog)


def test_verifier_presentation_failures_carry_no_claim_value(
    world: World, client: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    canary = _canary()
    challenge = client.post("/challenges").json()["challenge"]
    stolen, _ = world.issuer.issue(
        world.citizen.did, now=world.now, subject=_subject(world, canary), with_status=False
    )
    thief = Holder()
    texts = []
    for vp in (
        build_presentation(
            [stolen],
            thief.key,
            thief.did,
            audience="https://verifier.example",
            nonce=challenge,
            now=world.now,
        ),
        build_presentation(
            [stolen],
            world.citizen.key,
            world.citizen.did,
            audience="https://other.example",
            nonce=challenge,
            now=world.now,
        ),
        build_presentation(
            [stolen],
            world.citizen.key,
            world.citizen.did,
            audience="https://verifier.example",
            nonce="another-nonce",
            now=world.now,
        ),
        build_presentation(
            [stolen],
            world.citizen.key,
            world.citizen.did,
            audience="https://verifier.example",
            nonce=challenge,
            now=world.now - timedelta(hours=1),
        ),
    ):
        response = client.post(
            "/presentations/verify",
            json={"verifiablePresentation": vp, "options": {"challenge": challenge}},
        )
        assert response.status_code == 400, response.text
        texts.append(_messages(response))
        qr = client.post("/verify/qr", data={"text": vp, "challenge": challenge})
        assert qr.status_code == 400, qr.text
        texts.append(_messages(qr))
    _assert_absent(canary, texts, caplog)


def test_verifier_qr_failures_carry_no_claim_value(
    world: World, client: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    canary = _canary()
    forged = tamper(
        world.credential(subject={"givenName": canary, "familyName": canary}), givenName="x"
    )
    texts = []
    for text in (forged, f"data:text/plain,{forged}", forged + canary, f'{{"id": "{canary}"}}'):
        response = client.post("/verify/qr", data={"text": text})
        assert response.status_code == 400, response.text
        texts.append(_messages(response))
    _assert_absent(canary, texts, caplog)


# -- the issuer --------------------------------------------------------------------------------


def _issuer_failures(canary: str) -> list[tuple[str, dict[str, Any]]]:
    def body(**claims: Any) -> dict[str, Any]:
        return issue_body(RESIDENT, **claims)

    wrong_type = body(givenName=canary, familyName=canary)
    wrong_type["credential"]["type"] = ["VerifiableCredential", "UnlistedCredential"]
    bad_context = body(givenName=canary)
    bad_context["credential"]["@context"] = [canary]
    bad_dates = body(givenName=canary)
    bad_dates["credential"]["validFrom"] = canary
    bad_holder = body(givenName=canary)
    bad_holder["credential"]["credentialSubject"]["id"] = f"did:key:z{canary}"
    language = body(givenName=canary)
    language["credential"]["name"] = {"@value": canary, "@language": canary}
    return [
        ("schema: birthDate", body(givenName=canary, birthDate=canary)),
        ("schema: residentNumber", body(givenName=canary, residentNumber=canary)),
        ("schema: nationality", body(familyName=canary, nationality=canary)),
        ("schema: extra claim", body(unexpectedClaim=canary)),
        ("schema: sex", body(givenName=canary, sex=canary)),
        ("schema: too long", body(givenName=canary * 20)),
        ("unknown type", wrong_type),
        ("vcdm context", bad_context),
        ("vcdm date", bad_dates),
        ("holder did", bad_holder),
        ("vcdm language", language),
    ]


def test_issuer_failure_paths_carry_no_claim_value(
    issuer: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    canary = _canary()
    texts = []
    for label, body in _issuer_failures(canary):
        response = issuer.issue(issuer.agencies["Registry"], body)
        assert 400 <= response.status_code < 500, (label, response.text)
        texts.append(response.text)
    assert issuer.counts()["credentials"] == 0
    _assert_absent(canary, texts, caplog)


def test_issuer_idempotency_conflict_carries_no_claim_value(
    issuer: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    canary = _canary()
    agency = issuer.agencies["Registry"]
    headers = {"Idempotency-Key": "k-1"}
    first = issuer.issue(agency, issue_body(RESIDENT, givenName="Mei"), headers)
    assert first.status_code == 201
    caplog.clear()
    second = issuer.issue(agency, issue_body(RESIDENT, givenName=canary), headers)
    assert second.status_code == 409
    _assert_absent(canary, [second.text], caplog)


def test_issuer_success_logs_carry_no_claim_value(
    issuer: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Even a successful issuance logs no claim: the log is not a register of citizens."""
    canary = _canary()
    response = issuer.issue(
        issuer.agencies["Registry"], issue_body(RESIDENT, givenName=canary, familyName=canary)
    )
    assert response.status_code == 201
    credential_id = response.json()["credentialId"]
    assert (
        issuer.change(issuer.agencies["Registry"], credential_id, "revocation", True).status_code
        == 200
    )
    _assert_absent(canary, [], caplog)


# -- real servers: what their logs keep ------------------------------------------------------


@pytest.mark.e2e
def test_server_logs_carry_no_claim_value(
    tmp_path: Path, port_factory: Any, server_factory: Any
) -> None:
    """The same through real processes at log level debug: their whole output is read."""
    canary = _canary()
    issuer_env = {
        "TRUSTID_DATA_DIR": str(tmp_path / "issuer"),
        "TRUSTID_MASTER_KEY": b64url_encode(secrets.token_bytes(32)),
        "TRUSTID_ISSUER_URL": "http://issuer.test:8100",
        "TRUSTID_TYPES_DIR": "",
    }
    port = port_factory()
    issuer = server_factory(
        ["issuer.cli", "serve", "--port", str(port), "--log-level", "debug"],
        port,
        issuer_env,
        "issuer",
    )
    key = run_cli(issuer_env, "agency", "create", "Registry", "--types", RESIDENT)["api_key"]
    headers = {"Authorization": f"Bearer {key}"}
    signer = Issuer(None)
    trust = write_json(tmp_path / "trust.json", trust_document((signer, [RESIDENT])))
    port = port_factory()
    verifier = server_factory(
        ["verifier.cli", "serve", "--port", str(port), "--log-level", "debug"],
        port,
        {"TRUSTID_DATA_DIR": str(tmp_path / "verifier"), "TRUSTID_TRUST_LIST": str(trust)},
        "verifier",
    )
    with httpx.Client(timeout=30) as client:
        for _label, body in _issuer_failures(canary):
            response = client.post(f"{issuer.url}/credentials/issue", json=body, headers=headers)
            assert 400 <= response.status_code < 500, response.text
        good = client.post(
            f"{issuer.url}/credentials/issue",
            json=issue_body(RESIDENT, givenName=canary, familyName=canary),
            headers=headers,
        )
        assert good.status_code == 201, good.text
        now = datetime.now(UTC).replace(microsecond=0)
        holder = Holder()
        subject = {"givenName": canary, "familyName": canary}
        expired, _ = signer.issue(
            holder.did,
            now=now,
            subject=subject,
            with_status=False,
            valid_from=now - timedelta(days=9),
            valid_until=now - timedelta(days=1),
        )
        fresh, _ = signer.issue(holder.did, now=now, subject=subject, with_status=False)
        for value in (
            expired,
            tamper(fresh, familyName=canary),
            good.json()["verifiableCredential"],
        ):
            response = client.post(
                f"{verifier.url}/credentials/verify", json={"verifiableCredential": value}
            )
            assert response.status_code == 400, response.text
    issuer.stop()
    verifier.stop()
    for server in (issuer, verifier):
        text = server.log.read_text(errors="replace")
        assert "DEBUG" in text or "INFO" in text  # the log was written at all
        assert canary not in text, text[-2000:]
