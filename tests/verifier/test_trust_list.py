"""Trust lists (vcore.trust_list): parsing, signed lists, lookups and their codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vcore.errors import (
    TrustListError,
    TrustListExpiredError,
    TrustListReplayError,
    TypeNotAccreditedError,
    UntrustedIssuerError,
)
from vcore.keys import generate_key
from vcore.trust_list import (
    TrustList,
    check_replacement,
    load_trust_list,
    parse_trust_list,
    sign_trust_list,
)

WEB = "did:web:registry.example"
ENTRY: dict[str, Any] = {
    "id": WEB,
    "name": "Beijing Resident Registry",
    "types": ["ResidentIdentityCredential"],
    "validFrom": "2026-01-01T00:00:00Z",
    "validUntil": "2031-01-01T00:00:00Z",
}


def test_lookup_returns_the_entry(fixed_now: datetime) -> None:
    trust = parse_trust_list({"issuers": [ENTRY]})
    entry = trust.lookup(WEB, "ResidentIdentityCredential", fixed_now)
    assert entry.name == "Beijing Resident Registry"
    assert trust.is_listed(WEB)
    assert trust.to_json()["issuers"][0] == ENTRY


def test_lookup_refusals_carry_codes(fixed_now: datetime) -> None:
    trust = parse_trust_list({"issuers": [ENTRY]})
    with pytest.raises(UntrustedIssuerError) as unlisted:
        trust.lookup("did:web:other.example", "ResidentIdentityCredential", fixed_now)
    assert unlisted.value.code == "untrusted_issuer"
    with pytest.raises(TypeNotAccreditedError) as wrong_type:
        trust.lookup(WEB, "DrivingLicenceCredential", fixed_now)
    assert wrong_type.value.code == "type_not_accredited"
    with pytest.raises(UntrustedIssuerError, match="ended on 2031-01-01"):
        trust.lookup(
            WEB, "ResidentIdentityCredential", datetime.fromisoformat("2031-02-01T00:00:00+00:00")
        )
    with pytest.raises(UntrustedIssuerError, match="only from"):
        trust.lookup(
            WEB, "ResidentIdentityCredential", datetime.fromisoformat("2025-06-01T00:00:00+00:00")
        )


@pytest.mark.parametrize(
    "document",
    [
        [],
        {},
        {"issuers": {}},
        {"issuers": [{"id": "https://registry.example", "name": "x", "types": ["A"]}]},
        {"issuers": [{"id": WEB + "#key-1", "name": "x", "types": ["A"]}]},
        {"issuers": [{"id": WEB, "name": "", "types": ["A"]}]},
        {"issuers": [{"id": WEB, "name": "x", "types": []}]},
        {"issuers": [{"id": WEB, "name": "x", "types": "A"}]},
        {"issuers": [{"id": WEB, "name": "x", "types": ["A"], "validFrom": "yesterday"}]},
        {"issuers": [{**ENTRY, "validUntil": "2025-01-01T00:00:00Z"}]},
        {"issuers": [ENTRY, ENTRY]},
        {"issuers": [], "sequence": -1},
        {"issuers": [], "sequence": True},
        {"issuers": [], "sequence": 1.5},
        {"issuers": [], "sequence": "7"},
        {"issuers": [], "sequence": 2**53},
        {"issuers": [], "validUntil": "9999-12-31T23:59:59-23:59"},
        {"issuers": [], "validUntil": 1893456000},
    ],
)
def test_invalid_lists_are_refused_whole(document: object) -> None:
    with pytest.raises(TrustListError) as info:
        parse_trust_list(document)
    assert info.value.code == "trust_list_invalid"


def test_duplicate_json_members_are_refused(fixed_now: datetime) -> None:
    text = (
        '{"issuers": [], "issuers": [{"id": "did:web:evil.example", "name": "E", "types": ["A"]}]}'
    )
    with pytest.raises(TrustListError):
        load_trust_list(text, anchor=None, now=fixed_now)


def test_signed_list_with_anchor(fixed_now: datetime) -> None:
    anchor = generate_key()
    token = sign_trust_list(
        {"issuers": [ENTRY]}, anchor, kid="anchor-1", now=fixed_now, valid_for=timedelta(days=7)
    )
    trust = load_trust_list(token, anchor=anchor.public_key(), now=fixed_now)
    assert trust.signed
    assert trust.is_listed(WEB)
    with pytest.raises(TrustListError, match="expired"):
        load_trust_list(token, anchor=anchor.public_key(), now=fixed_now + timedelta(days=8))


def test_signed_list_with_the_wrong_anchor_is_refused(fixed_now: datetime) -> None:
    token = sign_trust_list({"issuers": [ENTRY]}, generate_key(), kid="k", now=fixed_now)
    with pytest.raises(TrustListError, match="signature"):
        load_trust_list(token, anchor=generate_key().public_key(), now=fixed_now)


def test_anchor_requires_a_signed_list(fixed_now: datetime) -> None:
    with pytest.raises(TrustListError, match="must be a signed"):
        load_trust_list(
            json.dumps({"issuers": [ENTRY]}), anchor=generate_key().public_key(), now=fixed_now
        )


def test_signed_list_without_anchor_is_refused(fixed_now: datetime) -> None:
    token = sign_trust_list({"issuers": [ENTRY]}, generate_key(), kid="k", now=fixed_now)
    with pytest.raises(TrustListError, match="TRUSTID_TRUST_ANCHOR"):
        load_trust_list(token, anchor=None, now=fixed_now)


def test_an_invalid_list_is_never_signed(fixed_now: datetime) -> None:
    with pytest.raises(TrustListError):
        sign_trust_list({"issuers": [{"id": "nope"}]}, generate_key(), kid="k", now=fixed_now)


def test_the_whole_list_expires_at_every_lookup(fixed_now: datetime) -> None:
    until = fixed_now + timedelta(days=1)
    trust = parse_trust_list({"issuers": [ENTRY], "validUntil": until.isoformat(), "sequence": 3})
    assert (trust.valid_until, trust.sequence) == (until, 3)
    assert trust.lookup(WEB, "ResidentIdentityCredential", fixed_now).id == WEB
    assert trust.in_force(until + timedelta(seconds=59))  # the 60 s leeway
    later = until + timedelta(seconds=61)
    assert not trust.in_force(later)
    for call in (
        lambda: trust.lookup(WEB, "ResidentIdentityCredential", later),
        lambda: trust.entry_for(WEB, later),
    ):
        with pytest.raises(TrustListExpiredError) as info:
            call()
        assert info.value.code == "trust_list_expired"


def test_signed_list_carries_sequence_valid_until_and_iat(fixed_now: datetime) -> None:
    anchor = generate_key()
    token = sign_trust_list(
        {"issuers": [ENTRY]},
        anchor,
        kid="a",
        now=fixed_now,
        valid_for=timedelta(days=7),
        sequence=12,
    )
    trust = load_trust_list(token, anchor=anchor.public_key(), now=fixed_now)
    assert trust.sequence == 12
    assert trust.issued_at is not None
    assert abs(trust.issued_at - fixed_now) < timedelta(seconds=1)
    assert trust.valid_until is not None
    assert abs(trust.valid_until - (fixed_now + timedelta(days=7))) < timedelta(seconds=1)
    assert trust.to_json()["sequence"] == 12
    with pytest.raises(TrustListExpiredError):
        load_trust_list(token, anchor=anchor.public_key(), now=fixed_now + timedelta(days=8))


def test_expired_unsigned_list_is_refused_at_load(fixed_now: datetime) -> None:
    text = json.dumps({"issuers": [ENTRY], "validUntil": "2020-01-01T00:00:00Z"})
    with pytest.raises(TrustListExpiredError):
        load_trust_list(text, anchor=None, now=fixed_now)


def _list(sequence: int | None, iat: datetime | None) -> TrustList:
    return TrustList(sequence=sequence, issued_at=iat)


@pytest.mark.parametrize(
    ("current", "candidate", "accepted"),
    [
        pytest.param(_list(None, None), _list(None, None), True, id="neither ordered"),
        pytest.param(_list(None, None), _list(1, None), True, id="first sequence"),
        pytest.param(_list(5, None), _list(6, None), True, id="higher"),
        pytest.param(_list(5, None), _list(5, None), True, id="same list re-read"),
        pytest.param(_list(5, None), _list(4, None), False, id="lower"),
        pytest.param(_list(5, None), _list(None, None), False, id="sequence dropped"),
        pytest.param(
            _list(5, datetime(2026, 1, 2, tzinfo=UTC)),
            _list(5, datetime(2026, 1, 1, tzinfo=UTC)),
            False,
            id="earlier iat",
        ),
        pytest.param(
            _list(5, datetime(2026, 1, 2, tzinfo=UTC)),
            _list(6, None),
            False,
            id="iat dropped",
        ),
        pytest.param(
            _list(5, datetime(2026, 1, 1, tzinfo=UTC)),
            _list(6, datetime(2026, 1, 2, tzinfo=UTC)),
            True,
            id="newer",
        ),
    ],
)
def test_replacement_order(current: TrustList, candidate: TrustList, accepted: bool) -> None:
    if accepted:
        check_replacement(current, candidate)
    else:
        with pytest.raises(TrustListReplayError) as info:
            check_replacement(current, candidate)
        assert info.value.code == "trust_list_replayed"


@pytest.mark.parametrize(
    ("binding", "bearer", "as_json"),
    [
        (None, set(), None),
        ("required", set(), None),
        ("optional", {"ResidentIdentityCredential", "LibraryCard"}, "optional"),
        ({"LibraryCard": "optional"}, {"LibraryCard"}, {"LibraryCard": "optional"}),
        ({"LibraryCard": "required"}, set(), None),
    ],
)
def test_holder_binding_names_the_bearer_types(
    binding: object, bearer: set[str], as_json: object
) -> None:
    raw = dict(ENTRY, types=["ResidentIdentityCredential", "LibraryCard"])
    if binding is not None:
        raw["holderBinding"] = binding
    entry = parse_trust_list({"issuers": [raw]}).entries[WEB]
    assert entry.bearer_types == bearer
    assert entry.to_json().get("holderBinding") == as_json
    assert parse_trust_list({"issuers": [entry.to_json()]}).entries[WEB] == entry
    # a credential is bearer only when every specific type of it is
    assert entry.is_bearer(["VerifiableCredential", "LibraryCard"]) is ("LibraryCard" in bearer)
    both = ["VerifiableCredential", "LibraryCard", "ResidentIdentityCredential"]
    assert entry.is_bearer(both) is (bearer == {"ResidentIdentityCredential", "LibraryCard"})


@pytest.mark.parametrize(
    "binding",
    ["Optional", True, ["LibraryCard"], {"Unlisted": "optional"}, {"LibraryCard": "maybe"}],
)
def test_a_malformed_holder_binding_invalidates_the_list(binding: object) -> None:
    raw = dict(ENTRY, types=["ResidentIdentityCredential", "LibraryCard"], holderBinding=binding)
    with pytest.raises(TrustListError, match="holderBinding"):
        parse_trust_list({"issuers": [raw]})
