"""Trust lists (vcore.trust_list): parsing, signed lists, lookups and their codes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from vcore.errors import TrustListError, TypeNotAccreditedError, UntrustedIssuerError
from vcore.keys import generate_key
from vcore.trust_list import load_trust_list, parse_trust_list, sign_trust_list

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
