"""Bulk issuance and bulk status changes through the API.

``POST /credentials/issue/batch`` answers per item (a refused item leaves nothing
behind, the others are issued), replays idempotency keys, refuses more than 1,000
items; ``POST /credentials/status/batch`` changes every selected credential of the
calling agency in one transaction and re-signs each affected list once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from issuer.storage.tables import (
    CredentialRecord,
    IdempotencyKey,
    StatusChange,
    StatusEntry,
    StatusList,
)
from tests.issuer.support import (
    LICENCE,
    RESIDENT,
    Harness,
    MutableClock,
    issue_body,
    make_settings,
    new_holder,
    running_issuer,
)
from tests.issuer.test_api_status import current_bit
from vcore.formats import parse_credential_unverified, unwrap_credential
from vcore.status import parse_status_entry


def batch(harness: Harness, items: list[Any], agency: str = "Resident Registry") -> Any:
    return harness.client.post(
        "/credentials/issue/batch", json={"items": items}, headers=harness.agencies[agency].headers
    )


def status_batch(harness: Harness, body: dict[str, Any], agency: str = "Resident Registry") -> Any:
    return harness.client.post(
        "/credentials/status/batch", json=body, headers=harness.agencies[agency].headers
    )


def test_a_batch_issues_every_valid_item_and_refuses_the_others_alone(any_issuer: Harness) -> None:
    good = [{**issue_body(RESIDENT), "idempotencyKey": f"row-{i}"} for i in range(5)]
    bad_shape = {"credential": {"type": "nope"}}  # no credentialSubject
    bad_type = issue_body(LICENCE)  # this agency is not accredited for it
    answer = batch(any_issuer, [good[0], bad_shape, good[1], bad_type, *good[2:], 7])
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [
        201,
        422,
        201,
        results[3]["status"],
        201,
        201,
        201,
        422,
    ]
    assert results[3]["status"] in (403, 422)
    assert results[1]["problem"]["code"] == "invalid_request"
    assert results[1]["problem"]["errors"]
    issued = [r for r in results if r["status"] == 201]
    assert len({r["credentialId"] for r in issued}) == 5
    for result in issued:
        token = unwrap_credential(result["verifiableCredential"])
        credential = parse_credential_unverified(token)
        assert credential.id == result["credentialId"]
        assert len(result["credentialStatus"]) == 2
    assert any_issuer.count(CredentialRecord) == 5
    assert any_issuer.count(IdempotencyKey) == 5


def test_a_retried_batch_replays_and_issues_nothing_twice(any_issuer: Harness) -> None:
    items = [{**issue_body(RESIDENT), "idempotencyKey": f"k{i}"} for i in range(3)]
    first = batch(any_issuer, items).json()["results"]
    again = batch(any_issuer, [*items, {**issue_body(RESIDENT), "idempotencyKey": "k3"}]).json()[
        "results"
    ]
    assert [r["status"] for r in again] == [200, 200, 200, 201]
    assert all(r.get("replayed") for r in again[:3])
    assert [r["credentialId"] for r in again[:3]] == [r["credentialId"] for r in first]
    assert any_issuer.count(CredentialRecord) == 4
    # The same key with another body is a conflict for that item only.
    changed = {**issue_body(RESIDENT), "idempotencyKey": "k0"}
    conflict = batch(any_issuer, [changed]).json()["results"][0]
    assert conflict["status"] == 409
    assert conflict["problem"]["code"] == "idempotency_conflict"


def test_a_key_twice_in_one_batch_is_refused_for_the_second(issuer: Harness) -> None:
    item = {**issue_body(RESIDENT), "idempotencyKey": "same"}
    results = batch(issuer, [item, item]).json()["results"]
    assert [r["status"] for r in results] == [201, 409]
    assert issuer.count(CredentialRecord) == 1


def test_over_1000_items_is_413_and_nothing_is_issued(issuer: Harness) -> None:
    body = issue_body(RESIDENT)
    answer = batch(issuer, [body] * 1001)
    assert answer.status_code == 413
    assert answer.json()["code"] == "batch_too_large"
    assert issuer.count(CredentialRecord) == 0
    assert batch(issuer, []).json() == {"results": []}


def test_a_batch_needs_an_api_key_and_json(issuer: Harness) -> None:
    assert issuer.client.post("/credentials/issue/batch", json={"items": []}).status_code == 401
    wrong = issuer.client.post(
        "/credentials/issue/batch",
        content=b"items",
        headers={**issuer.agencies["Resident Registry"].headers, "Content-Type": "text/plain"},
    )
    assert wrong.status_code == 415


def _issue(harness: Harness, n: int, holder: str | None = None) -> list[dict[str, Any]]:
    items = [issue_body(RESIDENT, holder) for _ in range(n)]
    return [r for r in batch(harness, items).json()["results"] if r["status"] == 201]


def test_bulk_revoke_by_ids_changes_each_once_and_republishes_each_list_once(
    any_issuer: Harness,
) -> None:
    issued = _issue(any_issuer, 6)
    ids = [r["credentialId"] for r in issued]
    dry = status_batch(
        any_issuer,
        {
            "credentialIds": ids[:4],
            "statusPurpose": "revocation",
            "reason": "fraud",
            "dryRun": True,
        },
    )
    assert dry.status_code == 200, dry.text
    assert dry.json() | {} == {
        "statusPurpose": "revocation",
        "status": True,
        "matched": 4,
        "changed": 4,
        "unchanged": 0,
        "dryRun": True,
        "listsRepublished": 0,
    }
    assert any_issuer.count(StatusChange) == 0
    done = status_batch(
        any_issuer, {"credentialIds": ids[:4], "statusPurpose": "revocation", "reason": "fraud"}
    ).json()
    assert (done["changed"], done["listsRepublished"]) == (4, 1)
    assert any_issuer.count(StatusChange) == 4
    for result in issued:
        entry = parse_status_entry(result["credentialStatus"][0])
        expected = 1 if result["credentialId"] in ids[:4] else 0
        assert current_bit(any_issuer, entry.list_url, entry.index) == expected
    again = status_batch(
        any_issuer, {"credentialIds": ids[:4], "statusPurpose": "suspension", "reason": "x"}
    ).json()
    assert (again["changed"], again["unchanged"]) == (0, 4)  # revoked: final


def test_bulk_suspend_by_holder_and_lift(issuer: Harness) -> None:
    holder = new_holder()
    mine = _issue(issuer, 3, holder)
    _issue(issuer, 2)
    body = {"holder": holder, "statusPurpose": "suspension", "reason": "court-order"}
    assert status_batch(issuer, body).json()["changed"] == 3
    lifted = status_batch(issuer, {**body, "status": False}).json()
    assert (lifted["matched"], lifted["changed"]) == (3, 3)
    entry = parse_status_entry(mine[0]["credentialStatus"][1])
    assert current_bit(issuer, entry.list_url, entry.index) == 0


def test_bulk_by_type_and_date_range(issuer: Harness, clock: Any) -> None:
    early = _issue(issuer, 2)
    clock.advance(days=2)
    late = _issue(issuer, 3)
    body = {
        "type": RESIDENT,
        "issuedFrom": "2000-01-01T00:00:00Z",
        "issuedUntil": (clock() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "statusPurpose": "revocation",
        "reason": "recall",
        "dryRun": True,
    }
    assert status_batch(issuer, body).json()["matched"] == len(early)
    assert len(late) == 3


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"statusPurpose": "revocation", "reason": "r"}, 422, "invalid_request"),
        (
            {
                "holder": "did:key:z6Mk",
                "type": RESIDENT,
                "statusPurpose": "revocation",
                "reason": "r",
            },
            422,
            "invalid_request",
        ),
        (
            {"holder": "did:key:zNobody", "statusPurpose": "revocation", "reason": "r"},
            404,
            "not_found",
        ),
        (
            {"holder": "did:key:z", "statusPurpose": "revocation", "status": False, "reason": "r"},
            422,
            "invalid_request",
        ),
        (
            {"holder": "did:key:z", "statusPurpose": "refresh", "reason": "r"},
            422,
            "invalid_request",
        ),
        ({"holder": "did:key:z", "statusPurpose": "revocation"}, 422, "invalid_request"),
        (
            {
                "type": RESIDENT,
                "issuedFrom": "yesterday",
                "statusPurpose": "revocation",
                "reason": "r",
            },
            422,
            "invalid_request",
        ),
    ],
)
def test_bad_bulk_status_requests_are_clear_4xx(
    issuer: Harness, body: dict[str, Any], status: int, code: str
) -> None:
    _issue(issuer, 1)
    answer = status_batch(issuer, body)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code
    assert issuer.count(StatusChange) == 0


def test_an_agency_reaches_only_its_own_credentials(issuer: Harness) -> None:
    issued = _issue(issuer, 2)
    issuer.agency("Other Office", [RESIDENT])
    ids = [r["credentialId"] for r in issued]
    answer = status_batch(
        issuer, {"credentialIds": ids, "statusPurpose": "revocation", "reason": "r"}, "Other Office"
    )
    assert answer.status_code == 404
    assert issuer.count(StatusChange) == 0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def small_list_issuer(
    request: pytest.FixtureRequest, tmp_path: Path, clock: MutableClock
) -> Iterator[Harness]:
    """64-entry lists (production: >= 131,072) so one batch spans several lists."""
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else None
    with running_issuer(make_settings(tmp_path, url, status_list_size=64), clock) as harness:
        harness.agency("Resident Registry", [RESIDENT])
        yield harness


def test_a_batch_allocates_across_rollovers_without_duplicates(
    small_list_issuer: Harness,
) -> None:
    items = [{**issue_body(RESIDENT), "idempotencyKey": f"k{i}"} for i in range(120)]
    answer = batch(small_list_issuer, items)
    assert {r["status"] for r in answer.json()["results"]} == {201}
    with small_list_issuer.services.ctx.sessions() as session:
        lists = session.execute(
            select(StatusList.purpose, StatusList.allocated, StatusList.active)
        ).all()
        entries = session.execute(select(StatusEntry.list_id, StatusEntry.idx)).all()
    # 49 slots close a 64-entry list (past 75%), exactly as one-by-one allocation does.
    assert sorted(lists) == sorted(
        [(p, 49, False) for p in ("revocation", "suspension") for _ in range(2)]
        + [("revocation", 22, True), ("suspension", 22, True)]
    )
    assert len(set(entries)) == len(entries) == 240
    retried = batch(small_list_issuer, items).json()["results"]
    assert all(r["status"] == 200 and r["replayed"] for r in retried)
    assert small_list_issuer.count(StatusEntry) == 240


def test_bulk_revoke_across_several_lists_republishes_each_once(
    small_list_issuer: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = _issue(small_list_issuer, 100)
    status = small_list_issuer.services.status
    published: list[int] = []
    original = status.published

    def spy(list_id: int, *, token_list: bool = False) -> Any:
        published.append(list_id)
        return original(list_id, token_list=token_list)

    monkeypatch.setattr(status, "published", spy)
    done = status_batch(
        small_list_issuer, {"type": RESIDENT, "statusPurpose": "revocation", "reason": "recall"}
    ).json()
    assert (done["changed"], done["listsRepublished"]) == (100, 3)
    assert len(published) == len(set(published)) == 3
    monkeypatch.undo()
    for result in issued:
        entry = parse_status_entry(result["credentialStatus"][0])
        assert current_bit(small_list_issuer, entry.list_url, entry.index) == 1
        other = parse_status_entry(result["credentialStatus"][1])
        assert current_bit(small_list_issuer, other.list_url, other.index) == 0
    with small_list_issuer.services.ctx.sessions() as session:
        reasons = session.scalars(select(StatusChange.reason)).all()
    assert reasons == ["recall"] * 100
