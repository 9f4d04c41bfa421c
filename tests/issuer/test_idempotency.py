"""Idempotency-Key on issue: retries return the same credential; reuse with another body is 409."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import update

from issuer.storage.tables import CredentialRecord, IdempotencyKey
from tests.issuer.support import RESIDENT, Harness, MutableClock, issue_body, token_of
from tests.issuer.test_api_errors import assert_problem
from vcore.formats import parse_credential_unverified


def test_retry_with_the_same_key_and_body_returns_the_same_credential(any_issuer: Harness) -> None:
    agency = any_issuer.agencies["Resident Registry"]
    body = issue_body(RESIDENT)
    first = any_issuer.issue(agency, body, {"Idempotency-Key": "order-1"})
    # Same JSON with members in another order is the same request.
    reordered = json.loads(json.dumps(body, sort_keys=True))
    second = any_issuer.issue(agency, reordered, {"Idempotency-Key": "order-1"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert any_issuer.count(CredentialRecord) == 1


def test_reusing_a_key_with_another_body_is_a_conflict(any_issuer: Harness) -> None:
    agency = any_issuer.agencies["Resident Registry"]
    token_of(any_issuer.issue(agency, issue_body(RESIDENT), {"Idempotency-Key": "k"}))
    before = any_issuer.counts()
    response = any_issuer.issue(agency, issue_body(RESIDENT), {"Idempotency-Key": "k"})
    assert_problem(response, 409, "idempotency_conflict")
    assert any_issuer.counts() == before


def test_keys_are_per_agency_and_forgotten_after_24_hours(
    issuer: Harness, clock: MutableClock
) -> None:
    registry = issuer.agencies["Resident Registry"]
    other = issuer.agency("District Office", [RESIDENT])
    body = issue_body(RESIDENT)
    a = token_of(issuer.issue(registry, body, {"Idempotency-Key": "same"}))
    b = token_of(issuer.issue(other, body, {"Idempotency-Key": "same"}))
    assert parse_credential_unverified(a).id != parse_credential_unverified(b).id

    clock.advance(hours=24, seconds=1)
    c = token_of(issuer.issue(registry, body, {"Idempotency-Key": "same"}))
    assert parse_credential_unverified(c).id != parse_credential_unverified(a).id
    assert issuer.count(IdempotencyKey) == 1  # the two expired keys were purged


def test_the_stored_response_is_sealed(issuer: Harness) -> None:
    agency = issuer.agencies["Resident Registry"]
    token = token_of(issuer.issue(agency, issue_body(RESIDENT), {"Idempotency-Key": "sealed"}))
    with issuer.services.ctx.sessions() as session:
        row = session.get(IdempotencyKey, (agency.agency_id, "sealed"))
        assert row is not None
        assert row.response_sealed is not None
        assert token.encode() not in row.response_sealed
        assert token.split(".")[1].encode() not in row.response_sealed


def test_retry_after_a_crash_before_the_response_was_stored_signs_the_same_credential(
    issuer: Harness,
) -> None:
    agency = issuer.agencies["Resident Registry"]
    body = issue_body(RESIDENT)
    original = parse_credential_unverified(
        token_of(issuer.issue(agency, body, {"Idempotency-Key": "crash"}))
    )
    # Put the database in the state a crash between commit and signing leaves behind:
    # record and slots committed, no digest, no stored response.
    with issuer.services.ctx.sessions() as session, session.begin():
        session.execute(update(CredentialRecord).values(token_sha256=None, signed_at=None))
        session.execute(update(IdempotencyKey).values(response_sealed=None))

    retried = parse_credential_unverified(
        token_of(issuer.issue(agency, body, {"Idempotency-Key": "crash"}))
    )
    assert retried.id == original.id
    assert retried.status_entries == original.status_entries
    assert retried.valid_until == original.valid_until
    assert issuer.count(CredentialRecord) == 1
    with issuer.services.ctx.sessions() as session:
        record = session.get(CredentialRecord, original.id)
        assert record is not None
        assert record.token_sha256 is not None


def test_concurrent_retries_yield_one_credential(any_issuer: Harness) -> None:
    agency = any_issuer.agencies["Resident Registry"]
    body = issue_body(RESIDENT)
    with ThreadPoolExecutor(4) as pool:
        responses = list(
            pool.map(
                lambda _: any_issuer.issue(agency, body, {"Idempotency-Key": "race"}), range(4)
            )
        )
    ids = {parse_credential_unverified(token_of(r)).id for r in responses}
    assert len(ids) == 1
    assert any_issuer.count(CredentialRecord) == 1


def test_explicit_default_options_count_as_the_same_request(issuer: Harness) -> None:
    agency = issuer.agencies["Resident Registry"]
    body = issue_body(RESIDENT)
    first = issuer.issue(agency, body, {"Idempotency-Key": "defaults"})
    explicit = {**body, "options": {"format": "vc+jwt"}}
    second = issuer.issue(agency, explicit, {"Idempotency-Key": "defaults"})
    assert second.json() == first.json()
    other = {**body, "options": {"format": "jwt_vc_json"}}
    assert_problem(
        issuer.issue(agency, other, {"Idempotency-Key": "defaults"}), 409, "idempotency_conflict"
    )
