"""Signing-key states: retire, withdraw, live counts, publication, bulk revoke by key."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import text

from issuer.errors import KeyStateError, NotFoundError
from issuer.service.keys import KeyState
from issuer.storage import tables
from tests.issuer.support import RESIDENT, Harness, issue_body, token_of
from tests.issuer.test_api_status import fetch_list, issue_one, list_payload
from vcore.formats import parse_credential_unverified
from vcore.keys import b64url_decode, b64url_encode


def _kid_of(token: str) -> str:
    header = json.loads(b64url_decode(token.split(".")[0]))
    return str(header["kid"])


def _published_kids(harness: Harness) -> tuple[list[str], list[str]]:
    did = harness.client.get("/.well-known/did.json").json()
    jwks = harness.client.get("/.well-known/jwks.json").json()
    return [m["id"] for m in did["verificationMethod"]], [k["kid"] for k in jwks["keys"]]


def _issue(harness: Harness) -> str:
    return token_of(harness.issue(harness.agencies["Resident Registry"], issue_body(RESIDENT)))


def _states(harness: Harness) -> dict[str, Any]:
    return {k.kid: k for k in harness.services.keys.all_keys()}


def test_keys_list_counts_live_credentials_per_key(any_issuer: Harness) -> None:
    first = _kid_of(_issue(any_issuer))
    _issue(any_issuer)
    credential_id, _ = issue_one(any_issuer)
    assert _states(any_issuer)[first].live_credentials == 3
    agency = any_issuer.agencies["Resident Registry"]
    assert any_issuer.change(agency, credential_id, "revocation", True).status_code == 200
    states = _states(any_issuer)
    assert states[first].live_credentials == 2  # revoked ones are not live
    assert states[first].state is KeyState.ACTIVE


def test_retire_keeps_publishing_until_what_it_signed_expired(
    any_issuer: Harness, clock: Any
) -> None:
    old = _kid_of(_issue(any_issuer))
    change = any_issuer.services.keys.retire(old, actor="test")
    assert change.changed
    assert change.new_active is not None
    new = change.new_active.kid
    assert _kid_of(_issue(any_issuer)) == new  # no new signature with the retired key
    states = _states(any_issuer)
    assert states[old].state is KeyState.RETIRED
    assert states[new].state is KeyState.ACTIVE
    assert old in _published_kids(any_issuer)[0]
    # Retiring again changes nothing; the credential expires after its 1826 days.
    assert not any_issuer.services.keys.retire(old).changed
    clock.advance(days=1827)
    did_kids, jwks_kids = _published_kids(any_issuer)
    assert old not in did_kids
    assert old not in jwks_kids
    assert new in did_kids
    assert new in jwks_kids
    assert not _states(any_issuer)[old].published


def test_withdraw_unpublishes_at_once_and_replaces_the_active_key(any_issuer: Harness) -> None:
    token = _issue(any_issuer)
    old = _kid_of(token)
    change = any_issuer.services.keys.withdraw(old, "leaked", actor="test")
    assert change.changed
    assert change.new_active is not None
    did_kids, jwks_kids = _published_kids(any_issuer)
    assert old not in did_kids
    assert old not in jwks_kids
    assert did_kids == [change.new_active.kid]
    assert _kid_of(_issue(any_issuer)) == change.new_active.kid
    state = _states(any_issuer)[old]
    assert state.state is KeyState.WITHDRAWN
    assert state.withdrawn_reason == "leaked"
    with pytest.raises(KeyStateError):
        any_issuer.services.keys.retire(old)
    assert not any_issuer.services.keys.withdraw(old, "again").changed


def test_status_lists_are_never_served_signed_by_a_withdrawn_key(any_issuer: Harness) -> None:
    _, entries = issue_one(any_issuer)
    url = entries["revocation"].list_url
    header, _ = list_payload(any_issuer, url)
    old = header["kid"]
    change = any_issuer.services.keys.withdraw(old, "leaked")
    assert any_issuer.services.status.republish_all() >= 1
    header, _ = list_payload(any_issuer, url)  # verifies against the JWKS
    assert change.new_active is not None
    assert header["kid"] == change.new_active.kid


def test_withdrawing_a_retired_key_keeps_the_active_one(any_issuer: Harness) -> None:
    old = _kid_of(_issue(any_issuer))
    active = any_issuer.services.keys.rotate().kid
    change = any_issuer.services.keys.withdraw(old.rpartition("#")[2], "found on a laptop")
    assert change.changed
    assert change.new_active is None
    assert _published_kids(any_issuer)[0] == [active]


def test_unknown_or_foreign_kid_is_not_found(any_issuer: Harness) -> None:
    with pytest.raises(NotFoundError):
        any_issuer.services.keys.withdraw("did:web:elsewhere.example#abc", "x")
    with pytest.raises(NotFoundError):
        any_issuer.services.keys.retire("nothing")


def test_key_state_changes_are_in_the_append_only_audit_trail(any_issuer: Harness) -> None:
    old = _kid_of(_issue(any_issuer))
    any_issuer.services.keys.withdraw(old, "leaked", actor="cli:alice")
    events = any_issuer.services.keys.events()
    withdrawn = [e for e in events if e["action"] == "withdrawn"]
    assert withdrawn == [{**withdrawn[0], "kid": old, "reason": "leaked", "actor": "cli:alice"}]
    assert any(e["action"] == "created" for e in events)
    with any_issuer.services.ctx.engine.connect() as connection:
        with pytest.raises(Exception, match="append-only"):
            connection.execute(text("UPDATE signing_key_events SET reason = 'nothing'"))
        connection.rollback()
        with pytest.raises(Exception, match="append-only"):
            connection.execute(text("DELETE FROM signing_key_events"))
        connection.rollback()


def test_revoke_signed_by_revokes_only_that_keys_credentials(any_issuer: Harness) -> None:
    kept_id, kept_entries = issue_one(any_issuer)
    old = any_issuer.services.keys.rotate().kid  # the first key is now retired
    first_kid = next(k.kid for k in any_issuer.services.keys.all_keys() if k.kid != old)
    del old
    # Re-issue after rotation: these are signed by the new key and must stay valid.
    new_id, new_entries = issue_one(any_issuer)
    service = any_issuer.services.key_revocation
    dry = service.revoke_signed_by(first_kid, "leaked", dry_run=True)
    assert dry.revoked == 1
    assert dry.dry_run
    assert any_issuer.count(tables.StatusChange) == 0  # a dry run changes nothing
    done = service.revoke_signed_by(first_kid, "leaked", actor="cli:bob")
    assert done.revoked == 1
    assert done.lists == (int(kept_entries["revocation"].list_url.rsplit("/", 1)[1]),)
    _, payload = list_payload(any_issuer, kept_entries["revocation"].list_url)
    from tests.issuer.support import bit_at, decode_bitstring

    bits = decode_bitstring(payload["credentialSubject"]["encodedList"])
    assert bit_at(bits, kept_entries["revocation"].index) == 1
    assert bit_at(bits, new_entries["revocation"].index) == 0
    # Audited with the operator and the reason; a second run finds nothing to do.
    with any_issuer.services.ctx.sessions() as session:
        change = session.query(tables.StatusChange).one()
        assert (change.credential_id, change.actor, change.reason) == (kept_id, "cli:bob", "leaked")
    assert service.revoke_signed_by(first_kid, "again").revoked == 0
    assert _states(any_issuer)[first_kid].live_credentials == 0
    bulk = [e for e in any_issuer.services.keys.events() if e["action"] == "bulk_revoked"]
    assert bulk[0]["detail"]["revoked"] == 1
    assert new_id != kept_id


def test_bulk_revoke_republishes_each_list_once(any_issuer: Harness, monkeypatch: Any) -> None:
    for _ in range(3):
        issue_one(any_issuer)
    kid = any_issuer.services.keys.list_keys()[0].kid
    calls: list[int] = []
    status = any_issuer.services.status
    original = status.published
    monkeypatch.setattr(
        status, "published", lambda list_id: calls.append(list_id) or original(list_id)
    )
    result = any_issuer.services.key_revocation.revoke_signed_by(kid, "leaked")
    assert result.revoked == 3
    assert sorted(calls) == sorted(set(calls)) == list(result.lists)


def test_status_list_etag_is_a_hash_of_the_served_bytes(any_issuer: Harness) -> None:
    import hashlib

    from vcore.keys import b64url_encode

    credential_id, entries = issue_one(any_issuer)
    url = entries["revocation"].list_url
    first = fetch_list(any_issuer, url)
    digest = b64url_encode(hashlib.sha256(first.content).digest()[:18])
    assert first.headers["etag"] == f'"{digest}"'
    agency = any_issuer.agencies["Resident Registry"]
    any_issuer.change(agency, credential_id, "suspension", True)
    any_issuer.change(agency, credential_id, "suspension", False)
    again = fetch_list(any_issuer, url)
    assert (
        again.headers["etag"]
        == '"' + b64url_encode(hashlib.sha256(again.content).digest()[:18]) + '"'
    )
    assert (
        fetch_list(any_issuer, url, **{"If-None-Match": again.headers["etag"]}).status_code == 304
    )


def test_key_documents_have_opaque_etags_and_304(any_issuer: Harness) -> None:
    for path in (
        "/.well-known/did.json",
        "/did.json",
        "/.well-known/jwks.json",
        "/.well-known/openid-credential-issuer",
        f"/schemas/{RESIDENT}",
    ):
        first = any_issuer.client.get(path)
        etag = first.headers["etag"]
        assert etag == '"' + b64url_encode(hashlib.sha256(first.content).digest()[:18]) + '"'
        assert any_issuer.client.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert any_issuer.client.get(path, headers={"If-None-Match": '"x"'}).status_code == 200
    old_etag = any_issuer.client.get("/.well-known/jwks.json").headers["etag"]
    kid = any_issuer.services.keys.list_keys()[0].kid
    any_issuer.services.keys.withdraw(kid, "leaked")
    fresh = any_issuer.client.get("/.well-known/jwks.json", headers={"If-None-Match": old_etag})
    assert fresh.status_code == 200
    assert kid not in json.dumps(fresh.json())


def test_trust_entry_names_the_types_that_require_status(any_issuer: Harness) -> None:
    entry = any_issuer.services.publication.trust_entry()
    assert set(entry["statusRequired"]) == set(entry["types"])
    assert "holderBinding" not in entry  # every shipped type binds its subject


def test_the_issuer_gives_every_credential_a_status_entry(any_issuer: Harness) -> None:
    credential = parse_credential_unverified(_issue(any_issuer))
    purposes = {e["statusPurpose"] for e in credential.status_entries}
    assert purposes == {"revocation", "suspension"}
