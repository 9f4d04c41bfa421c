"""Key attacks (issue 9 §2): one test per attack, named after it.

Each builds the attack with the real issuer (in process, on SQLite) or the pure verifier
decision (:mod:`vcore.verify`), and asserts the refusal a user would notice: the code a
verifier reports, the key missing from what the issuer publishes, the state that does
not change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from issuer.errors import KeyStateError, NotFoundError
from tests.issuer.support import (
    RESIDENT,
    Harness,
    MutableClock,
    issue_body,
    make_settings,
    running_issuer,
    token_of,
)
from tests.verifier.support import Holder, Issuer, trust_document
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import key_from_did_document
from vcore.errors import TrustListError, UnknownKeyError
from vcore.formats import sign_credential
from vcore.keys import PublicKey, b64url_decode, b64url_encode
from vcore.signing import Signer
from vcore.trust_list import parse_trust_list
from vcore.verify import VerificationReport, verify_credential_token

# -- helpers -------------------------------------------------------------------------------


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Harness]:
    with running_issuer(make_settings(tmp_path), MutableClock()) as harness:
        harness.agency("Resident Registry", [RESIDENT])
        yield harness


def _kid_of(token: str) -> str:
    return str(json.loads(b64url_decode(token.split(".")[0]))["kid"])


def _issue(harness: Harness) -> str:
    return token_of(harness.issue(harness.agencies["Resident Registry"], issue_body(RESIDENT)))


def _leaked_signer(harness: Harness, kid: str) -> Signer:
    """What an attacker holding a copy of the private key can do: sign anything."""
    with harness.services.ctx.session() as session, session.begin():
        return harness.services.keys._active_key(harness.services.keys.resolve(session, kid)).signer


def _forge_without_status(harness: Harness, signer: Signer, now: datetime) -> str:
    credential = build_credential(
        issuer=harness.services.ctx.issuer_did,
        credential_type=RESIDENT,
        subject={"givenName": "Forged", "familyName": "Person"},
        holder=Holder().did,
        credential_id=new_credential_id(),
        valid_from=now - timedelta(hours=1),
        valid_until=now + timedelta(days=3650),
    )
    return sign_credential(credential, signer)


def _verify_against_issuer(harness: Harness, token: str) -> VerificationReport:
    """The pure verifier decision, with keys from the issuer's live did.json."""
    entry = harness.services.publication.trust_entry()
    trust = parse_trust_list({"issuers": [entry]})

    def key_for(kid: str) -> PublicKey:
        document = harness.client.get("/.well-known/did.json").json()
        return key_from_did_document(document, kid)

    def status_for(url: str) -> Any:
        raise AssertionError(f"status must not be fetched for a refused credential: {url}")

    return verify_credential_token(
        token, trust=trust, key_for=key_for, status_for=status_for, now=harness.services.ctx.clock()
    )


def _codes(report: VerificationReport) -> list[str]:
    return [p.code for p in report.problems]


# -- withdrawn keys ------------------------------------------------------------------------


def test_credential_signed_by_a_withdrawn_key_is_unknown_key(issuer: Harness) -> None:
    token = _issue(issuer)
    issuer.services.keys.withdraw(_kid_of(token), "leaked")
    report = _verify_against_issuer(issuer, token)
    assert not report.verified
    assert _codes(report) == ["unknown_key"]


def test_forgery_with_leaked_key_without_status_entry_is_refused_while_key_is_published(
    issuer: Harness,
) -> None:
    kid = _kid_of(_issue(issuer))
    forged = _forge_without_status(issuer, _leaked_signer(issuer, kid), issuer.services.ctx.clock())
    report = _verify_against_issuer(issuer, forged)
    assert not report.verified
    assert _codes(report) == ["status_required"]


def test_forgery_with_leaked_key_after_withdrawal_is_unknown_key(issuer: Harness) -> None:
    kid = _kid_of(_issue(issuer))
    signer = _leaked_signer(issuer, kid)
    issuer.services.keys.withdraw(kid, "leaked")
    forged = _forge_without_status(issuer, signer, issuer.services.ctx.clock())
    report = _verify_against_issuer(issuer, forged)
    assert _codes(report) == ["unknown_key"]


def test_withdrawn_key_is_absent_from_did_document_and_jwks(issuer: Harness) -> None:
    kid = _kid_of(_issue(issuer))
    issuer.services.keys.withdraw(kid, "leaked")
    for path in ("/.well-known/did.json", "/did.json", "/.well-known/jwks.json"):
        assert kid.rpartition("#")[2] not in issuer.client.get(path).text, path
    with pytest.raises(UnknownKeyError):
        key_from_did_document(issuer.client.get("/.well-known/did.json").json(), kid)


def test_withdrawn_active_key_signs_no_new_credential(issuer: Harness) -> None:
    kid = _kid_of(_issue(issuer))
    change = issuer.services.keys.withdraw(kid, "leaked")
    assert change.new_active is not None
    assert _kid_of(_issue(issuer)) == change.new_active.kid


def test_withdrawn_key_signs_no_status_list(issuer: Harness) -> None:
    issued = issuer.issue(issuer.agencies["Resident Registry"], issue_body(RESIDENT)).json()
    list_url = issued["credentialStatus"][0]["statusListCredential"]
    before = issuer.client.get(list_url.removeprefix(issuer.services.ctx.issuer_url)).text
    kid = _kid_of(before)
    issuer.services.keys.withdraw(kid, "leaked")
    after = issuer.client.get(list_url.removeprefix(issuer.services.ctx.issuer_url)).text
    assert _kid_of(after) != kid


def test_withdrawn_key_cannot_be_brought_back_by_retire(issuer: Harness) -> None:
    kid = _kid_of(_issue(issuer))
    issuer.services.keys.withdraw(kid, "leaked")
    with pytest.raises(KeyStateError):
        issuer.services.keys.retire(kid)
    assert not issuer.services.keys.withdraw(kid, "again").changed
    assert kid not in [k.kid for k in issuer.services.keys.list_keys()]


def test_withdrawn_key_is_not_used_for_an_idempotent_retry(issuer: Harness) -> None:
    kid = _kid_of(_issue(issuer))
    issuer.services.keys.withdraw(kid, "leaked")
    with (
        issuer.services.ctx.session() as session,
        session.begin(),
        pytest.raises(KeyStateError),
    ):
        issuer.services.keys.by_thumbprint(session, kid.rpartition("#")[2])


def test_key_audit_trail_cannot_be_rewritten_to_hide_a_withdrawal(issuer: Harness) -> None:
    issuer.services.keys.withdraw(_kid_of(_issue(issuer)), "leaked", actor="cli:ops")
    with issuer.services.ctx.engine.connect() as connection:
        for statement in (
            "UPDATE signing_key_events SET action = 'created'",
            "DELETE FROM signing_key_events WHERE action = 'withdrawn'",
        ):
            with pytest.raises(Exception, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()
    assert [e["action"] for e in issuer.services.keys.events()].count("withdrawn") == 1


def test_key_of_another_issuer_cannot_be_named_for_withdraw_or_bulk_revoke(
    issuer: Harness,
) -> None:
    thumbprint = _kid_of(_issue(issuer)).rpartition("#")[2]
    foreign = f"did:web:attacker.example#{thumbprint}"
    with pytest.raises(NotFoundError):
        issuer.services.keys.withdraw(foreign, "x")
    with pytest.raises(NotFoundError):
        issuer.services.key_revocation.revoke_signed_by(foreign, "x")
    assert all(k.state == "active" for k in issuer.services.keys.all_keys())


def test_bulk_revoke_by_a_leaked_key_spares_credentials_of_the_new_key(issuer: Harness) -> None:
    old = _issue(issuer)
    change = issuer.services.keys.withdraw(_kid_of(old), "leaked")
    assert change.new_active is not None
    new = _issue(issuer)
    result = issuer.services.key_revocation.revoke_signed_by(_kid_of(old), "leaked")
    assert result.revoked == 1
    live = {k.kid: k.live_credentials for k in issuer.services.keys.all_keys()}
    assert live == {_kid_of(old): 0, _kid_of(new): 1}


# -- status required -----------------------------------------------------------------------


def _world(fixed_now: datetime, status_required: object) -> tuple[Issuer, Any]:
    jwk = Issuer(None)
    entry: dict[str, Any] = trust_document((jwk, [RESIDENT]))["issuers"][0]
    entry["statusRequired"] = status_required
    return jwk, parse_trust_list({"issuers": [entry]})


def _verify_pure(issuer: Issuer, trust: Any, token: str, now: datetime) -> VerificationReport:
    from vcore.dids import resolve_offline

    def no_status(url: str) -> Any:
        raise AssertionError(url)

    return verify_credential_token(
        token, trust=trust, key_for=resolve_offline, status_for=no_status, now=now
    )


@pytest.mark.parametrize("status_required", [True, [RESIDENT]])
def test_credential_of_a_status_required_type_without_status_entry_is_refused(
    fixed_now: datetime, status_required: object
) -> None:
    jwk, trust = _world(fixed_now, status_required)
    token, _ = jwk.issue(Holder().did, now=fixed_now, with_status=False)
    report = _verify_pure(jwk, trust, token, fixed_now)
    assert not report.verified
    assert _codes(report) == ["status_required"]
    checks = {c.id: c.status for c in report.checks}
    assert checks["status.revocation"] == "failed"


def test_credential_without_status_of_a_type_not_marked_still_verifies(fixed_now: datetime) -> None:
    # The control: only the trust list's statusRequired makes the missing entry fatal.
    jwk, trust = _world(fixed_now, ["DrivingLicenceCredential"])
    token, _ = jwk.issue(Holder().did, now=fixed_now, with_status=False)
    report = _verify_pure(jwk, trust, token, fixed_now)
    assert report.verified, report.problems
    assert any("cannot be revoked" in w for w in report.warnings)


@pytest.mark.parametrize("value", ["yes", 1, [""], [3], {"a": 1}])
def test_trust_list_with_malformed_status_required_is_refused_whole(value: object) -> None:
    entry = trust_document((Issuer(None), [RESIDENT]))["issuers"][0]
    with pytest.raises(TrustListError):
        parse_trust_list({"issuers": [{**entry, "statusRequired": value}]})


def test_issuer_trust_entry_marks_every_shipped_type_status_required(issuer: Harness) -> None:
    entry = issuer.services.publication.trust_entry()
    assert set(entry["statusRequired"]) == set(entry["types"]) >= {RESIDENT}
    parsed = parse_trust_list({"issuers": [entry]})
    assert parsed.entries[entry["id"]].requires_status(["VerifiableCredential", RESIDENT])


# -- opaque ETags --------------------------------------------------------------------------


def test_status_list_etag_does_not_reveal_how_many_changes_it_had(issuer: Harness) -> None:
    agency = issuer.agencies["Resident Registry"]
    issued = issuer.issue(agency, issue_body(RESIDENT)).json()
    entry = next(e for e in issued["credentialStatus"] if e["statusPurpose"] == "suspension")
    path = entry["statusListCredential"].removeprefix(issuer.services.ctx.issuer_url)
    for value in (True, False, True, False, True, False):
        body = {
            "credentialId": issued["credentialId"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"},
            "status": value,
        }
        response = issuer.client.post("/credentials/status", json=body, headers=agency.headers)
        assert response.status_code == 200
    response = issuer.client.get(path)
    etag = response.headers["etag"]
    expected = '"' + b64url_encode(hashlib.sha256(response.content).digest()[:18]) + '"'
    assert etag == expected  # nothing but a hash of the bytes served
    assert issuer.client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_cached_did_document_revalidation_sees_a_withdrawal(issuer: Harness) -> None:
    kid = _kid_of(_issue(issuer))
    cached = issuer.client.get("/.well-known/did.json")
    etag = cached.headers["etag"]
    assert (
        issuer.client.get("/.well-known/did.json", headers={"If-None-Match": etag}).status_code
        == 304
    )
    issuer.services.keys.withdraw(kid, "leaked")
    fresh = issuer.client.get("/.well-known/did.json", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert kid not in fresh.text
