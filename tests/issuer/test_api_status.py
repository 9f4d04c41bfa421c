"""Revocation and suspension through POST /credentials/status, read back from the published list."""

from __future__ import annotations

import json
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from issuer.storage.tables import StatusChange
from tests.issuer.support import (
    RESIDENT,
    Harness,
    MutableClock,
    bit_at,
    decode_bitstring,
    issue_body,
    token_of,
)
from tests.issuer.test_api_errors import assert_problem
from vcore.clock import parse_datetime
from vcore.formats import parse_credential_unverified
from vcore.status import parse_status_entry, read_status_list_credential

BASE = "http://issuer.test:8100"


def issue_one(
    harness: Harness, agency_name: str = "Resident Registry"
) -> tuple[str, dict[str, Any]]:
    """Issue a credential; return its id and its status entries by purpose."""
    credential = parse_credential_unverified(
        token_of(harness.issue(harness.agencies[agency_name], issue_body(RESIDENT)))
    )
    entries = {e["statusPurpose"]: parse_status_entry(e) for e in credential.status_entries}
    assert credential.id is not None
    return credential.id, entries


def fetch_list(harness: Harness, list_url: str, **headers: str) -> Any:
    response = harness.client.get(list_url.removeprefix(BASE), headers=headers)
    return response


def list_payload(harness: Harness, list_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fetch a status list, verify it with joserfc from the JWKS; return header and payload."""
    response = fetch_list(harness, list_url)
    assert response.status_code == 200
    keyset = KeySet.import_key_set(harness.client.get("/.well-known/jwks.json").json())
    compact = jws.deserialize_compact(response.text, keyset, algorithms=["ES256"])
    return dict(compact.headers()), json.loads(compact.payload)


def current_bit(harness: Harness, list_url: str, index: int) -> int:
    _, payload = list_payload(harness, list_url)
    return bit_at(decode_bitstring(payload["credentialSubject"]["encodedList"]), index)


def test_revoke_sets_the_bit_in_the_published_list(any_issuer: Harness) -> None:
    agency = any_issuer.agencies["Resident Registry"]
    credential_id, entries = issue_one(any_issuer)
    revocation = entries["revocation"]
    assert current_bit(any_issuer, revocation.list_url, revocation.index) == 0

    response = any_issuer.change(
        agency, credential_id, "revocation", True, reason="card reported stolen"
    )
    assert response.status_code == 200
    assert response.json() == {
        "credentialId": credential_id,
        "statusPurpose": "revocation",
        "status": True,
        "changed": True,
        "statusListCredential": revocation.list_url,
        "statusListIndex": str(revocation.index),
    }
    # Visible at once: the very next fetch carries the bit.
    assert current_bit(any_issuer, revocation.list_url, revocation.index) == 1
    suspension = entries["suspension"]
    assert current_bit(any_issuer, suspension.list_url, suspension.index) == 0

    # Revocation is final: no un-revoke, no suspension change afterwards.
    assert_problem(
        any_issuer.change(agency, credential_id, "revocation", False), 409, "revocation_final"
    )
    assert_problem(
        any_issuer.change(agency, credential_id, "suspension", True), 409, "revocation_final"
    )
    again = any_issuer.change(agency, credential_id, "revocation", True)
    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert current_bit(any_issuer, revocation.list_url, revocation.index) == 1


def test_suspension_can_be_set_and_cleared(any_issuer: Harness) -> None:
    agency = any_issuer.agencies["Resident Registry"]
    credential_id, entries = issue_one(any_issuer)
    suspension = entries["suspension"]
    assert any_issuer.change(agency, credential_id, "suspension", True).json()["changed"] is True
    assert current_bit(any_issuer, suspension.list_url, suspension.index) == 1
    assert any_issuer.change(agency, credential_id, "suspension", False).json()["changed"] is True
    assert current_bit(any_issuer, suspension.list_url, suspension.index) == 0
    # Suspension never touches the revocation bit.
    revocation = entries["revocation"]
    assert current_bit(any_issuer, revocation.list_url, revocation.index) == 0


def test_every_change_is_in_the_append_only_audit_log(any_issuer: Harness) -> None:
    agency = any_issuer.agencies["Resident Registry"]
    credential_id, _ = issue_one(any_issuer)
    any_issuer.change(agency, credential_id, "suspension", True, reason="investigation")
    any_issuer.change(agency, credential_id, "suspension", False)
    any_issuer.change(agency, credential_id, "suspension", False)  # no change: no record
    any_issuer.change(agency, credential_id, "revocation", True, reason="holder deceased")

    with any_issuer.services.ctx.sessions() as session:
        changes = session.scalars(
            select(StatusChange)
            .where(StatusChange.credential_id == credential_id)
            .order_by(StatusChange.id)
        ).all()
        assert [(c.purpose, c.old_status, c.new_status, c.reason) for c in changes] == [
            ("suspension", 0, 1, "investigation"),
            ("suspension", 1, 0, None),
            ("revocation", 0, 1, "holder deceased"),
        ]
        assert {c.agency_id for c in changes} == {agency.agency_id}
        assert all(c.changed_at.tzinfo is not None for c in changes)
    # The database itself refuses to rewrite history.
    for statement in ("UPDATE status_changes SET reason = 'x'", "DELETE FROM status_changes"):
        with (
            any_issuer.services.ctx.engine.connect() as connection,
            pytest.raises(DBAPIError, match="append-only"),
        ):
            connection.execute(text(statement))


def test_unknown_and_foreign_credentials(issuer: Harness) -> None:
    other = issuer.agency("Traffic Bureau", [RESIDENT])
    credential_id, _ = issue_one(issuer)
    before = issuer.counts()
    assert_problem(issuer.change(other, credential_id, "revocation", True), 403, "forbidden")
    assert_problem(
        issuer.change(other, "urn:uuid:00000000-0000-4000-8000-000000000000", "revocation", True),
        404,
        "not_found",
    )
    assert issuer.counts() == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {
                "credentialId": "x",
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "refresh",
                },
                "status": True,
            },
            id="other purpose",
        ),
        pytest.param(
            {
                "credentialId": "x",
                "credentialStatus": {"type": "StatusList2021Entry", "statusPurpose": "revocation"},
                "status": True,
            },
            id="other entry type",
        ),
        pytest.param(
            {
                "credentialId": "x",
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                },
                "status": "true",
            },
            id="status as string",
        ),
        pytest.param(
            {
                "credentialId": "x",
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                },
            },
            id="status missing",
        ),
        pytest.param(
            {
                "credentialId": "x",
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                },
                "status": True,
                "reason": "r" * 501,
            },
            id="reason too long",
        ),
    ],
)
def test_bad_status_bodies(issuer: Harness, body: dict[str, Any]) -> None:
    agency = issuer.agencies["Resident Registry"]
    response = issuer.client.post("/credentials/status", json=body, headers=agency.headers)
    assert_problem(response, 422, "invalid_request")


def test_status_change_needs_an_api_key(issuer: Harness) -> None:
    credential_id, _ = issue_one(issuer)
    body = {
        "credentialId": credential_id,
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        "status": True,
    }
    assert_problem(issuer.client.post("/credentials/status", json=body), 401, "unauthorized")


def test_status_list_credential_shape_and_http_caching(
    issuer: Harness, clock: MutableClock
) -> None:
    agency = issuer.agencies["Resident Registry"]
    credential_id, entries = issue_one(issuer)
    revocation = entries["revocation"]

    first = fetch_list(issuer, revocation.list_url)
    assert first.headers["content-type"] == "application/vc+jwt"
    assert first.headers["cache-control"] == "max-age=300, public"
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')

    header, payload = list_payload(issuer, revocation.list_url)
    assert header["typ"] == "vc+jwt"
    assert header["kid"].startswith(issuer.services.ctx.issuer_did + "#")
    assert payload["id"] == revocation.list_url
    assert payload["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert payload["issuer"] == issuer.services.ctx.issuer_did
    subject = payload["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    assert subject["ttl"] == 300_000
    assert len(decode_bitstring(subject["encodedList"])) == 131_072 // 8
    lifetime = parse_datetime(payload["validUntil"]) - parse_datetime(payload["validFrom"])
    assert lifetime.total_seconds() == 24 * 3600
    # vcore's reader agrees with the independent decoder.
    decoded = read_status_list_credential(
        payload, expected_purpose="revocation", list_url=revocation.list_url
    )
    assert decoded.get(revocation.index) == 0

    # Unchanged list: the same token, and a conditional request gets 304.
    assert fetch_list(issuer, revocation.list_url).text == first.text
    not_modified = fetch_list(issuer, revocation.list_url, **{"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert (
        fetch_list(issuer, revocation.list_url, **{"If-None-Match": '"other", ' + etag}).status_code
        == 304
    )

    # A change gives a new validator at once.
    issuer.change(agency, credential_id, "revocation", True)
    changed = fetch_list(issuer, revocation.list_url, **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag

    # After 12 hours the same content is signed again (validUntil is 24 h ahead).
    clock.advance(hours=12, seconds=1)
    resigned = fetch_list(issuer, revocation.list_url)
    assert resigned.headers["etag"] != changed.headers["etag"]
    _, later = list_payload(issuer, revocation.list_url)
    assert parse_datetime(later["validFrom"]) == clock()
    assert (
        bit_at(decode_bitstring(later["credentialSubject"]["encodedList"]), revocation.index) == 1
    )
