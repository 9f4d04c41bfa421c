"""Status-list slots: random, unique, rollover past 75%, and fast list generation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from issuer.service import IssueCommand, Principal
from issuer.storage.tables import ApiKey, CredentialRecord, StatusEntry, StatusList
from tests.issuer.support import (
    EXAMPLES,
    RESIDENT,
    Harness,
    MutableClock,
    bit_at,
    decode_bitstring,
    make_settings,
    new_holder,
    running_issuer,
)
from vcore.jose import decode_unverified


def _command() -> IssueCommand:
    subject = {"id": new_holder(), **EXAMPLES[RESIDENT]}
    credential = {"type": ["VerifiableCredential", RESIDENT], "credentialSubject": subject}
    return IssueCommand(
        credential=credential, fmt="vc+jwt", valid_days=None, request={"credential": credential}
    )


def _principal(harness: Harness) -> Principal:
    return harness.services.agencies.authenticate(harness.agencies["Registry"].api_key)


def _lists(harness: Harness) -> list[StatusList]:
    with harness.services.ctx.sessions() as session:
        return list(session.scalars(select(StatusList).order_by(StatusList.id)))


def _entries(harness: Harness) -> list[StatusEntry]:
    with harness.services.ctx.sessions() as session:
        return list(session.scalars(select(StatusEntry)))


@pytest.fixture
def small_lists(tmp_path: Path, clock: MutableClock) -> Iterator[Harness]:
    # 64-entry lists so a test can fill them; production lists have >= 131,072 entries.
    with running_issuer(make_settings(tmp_path, status_list_size=64), clock) as harness:
        harness.agency("Registry", [RESIDENT])
        yield harness


def test_lists_roll_over_after_75_percent(small_lists: Harness) -> None:
    principal = _principal(small_lists)
    for _ in range(48):  # 48 of 64 = exactly 75%: not yet past it
        small_lists.services.issuance.issue(principal, _command())
    assert [(sl.purpose, sl.allocated, sl.active) for sl in _lists(small_lists)] == [
        ("revocation", 48, True),
        ("suspension", 48, True),
    ]
    small_lists.services.issuance.issue(principal, _command())  # 49th passes 75%
    assert [(sl.purpose, sl.allocated, sl.active) for sl in _lists(small_lists)] == [
        ("revocation", 49, False),
        ("suspension", 49, False),
        ("revocation", 0, True),
        ("suspension", 0, True),
    ]
    for _ in range(12):
        small_lists.services.issuance.issue(principal, _command())
    lists = _lists(small_lists)
    assert sum(sl.allocated for sl in lists) == 2 * 61
    assert all(sl.allocated <= 49 for sl in lists)
    assert [sl.active for sl in lists].count(True) == 2
    entries = _entries(small_lists)
    assert len({(e.list_id, e.idx) for e in entries}) == len(entries) == 2 * 61


def test_indexes_are_random_not_sequential(small_lists: Harness) -> None:
    principal = _principal(small_lists)
    tokens = [small_lists.services.issuance.issue(principal, _command()).token for _ in range(24)]
    indexes = [
        int(decode_unverified(t).payload["credentialStatus"][0]["statusListIndex"]) for t in tokens
    ]
    assert len(set(indexes)) == 24
    assert indexes != sorted(indexes)
    assert max(indexes) > 24  # drawn from the whole list, not packed at the front


def test_the_database_refuses_a_duplicate_slot(issuer: Harness) -> None:
    token = issuer.issue(issuer.agencies["Resident Registry"]).json()["verifiableCredential"]["id"]
    payload = decode_unverified(token.split(",", 1)[1]).payload
    entry = payload["credentialStatus"][0]
    duplicate = StatusEntry(
        list_id=int(entry["statusListCredential"].rsplit("/", 1)[1]),
        idx=int(entry["statusListIndex"]),
        credential_id=payload["id"],
        purpose="suspension",
        status=0,
        updated_at=issuer.services.ctx.clock(),
    )
    with issuer.services.ctx.sessions() as session:
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            session.commit()


def test_full_size_list_with_many_revocations_builds_fast(issuer: Harness) -> None:
    """Publishing a 131,072-entry list takes milliseconds, also with 5,000 bits set."""
    ctx = issuer.services.ctx
    agency = issuer.agencies["Resident Registry"]
    now = ctx.clock()
    with ctx.sessions() as session, session.begin():
        list_id = session.scalars(
            select(StatusList.id).where(StatusList.purpose == "revocation")
        ).one()
        api_key_id = session.scalars(
            select(ApiKey.id).where(ApiKey.agency_id == agency.agency_id)
        ).one()
        # Rows straight into the tables: issuing 5,000 credentials would only be slow.
        ids = [f"urn:uuid:00000000-0000-4000-8000-{n:012d}" for n in range(5000)]
        session.execute(
            insert(CredentialRecord),
            [
                {
                    "id": cid,
                    "type_name": RESIDENT,
                    "agency_id": agency.agency_id,
                    "api_key_id": api_key_id,
                    "holder_did": "did:key:zTest",
                    "format": "vc+jwt",
                    "kid": "k",
                    "valid_from": now,
                    "valid_until": now,
                    "created_at": now,
                }
                for cid in ids
            ],
        )
        session.execute(
            insert(StatusEntry),
            [
                {
                    "list_id": list_id,
                    "idx": n * 26,
                    "credential_id": cid,
                    "purpose": "revocation",
                    "status": 1,
                    "updated_at": now,
                }
                for n, cid in enumerate(ids)
            ],
        )
        session.execute(update(StatusList).where(StatusList.id == list_id).values(version=1))
    started = time.perf_counter()
    published = issuer.services.status.published(list_id)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"building and signing took {elapsed:.3f} s"
    payload = decode_unverified(published.token).payload
    bits = decode_bitstring(payload["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == 131_072
    assert bit_at(bits, 26 * 4999) == 1
    assert bit_at(bits, 26 * 4999 + 1) == 0
    assert sum(bin(b).count("1") for b in bits) == 5000
