"""POST /credentials/issue accepts what VC Data Model 2.0 allows and accreditation permits.

Each optional member is issued and read back from the signed payload (decoded here with
the standard library, not with vcore); invalid members are refused with the rule's code
in tests/issuer/test_api_errors.py. The open type is off by default and, once an operator
defines it, governs only credentials that name no registered type.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from issuer.errors import UnknownTypeError
from tests.issuer.support import (
    LICENCE,
    RESIDENT,
    Harness,
    MutableClock,
    issue_body,
    make_settings,
    new_holder,
    running_issuer,
    token_of,
)
from vcore.trust_list import parse_trust_list

VC2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
OPEN_TYPE_FILE = (
    Path(__file__).resolve().parents[2] / "examples" / "types" / "VerifiableCredential.json"
)


def payload_of(response: Any) -> dict[str, Any]:
    segment = token_of(response).split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


def _own_status(payload: dict[str, Any]) -> list[dict[str, Any]]:
    entries = payload["credentialStatus"]
    entries = entries if isinstance(entries, list) else [entries]
    return [e for e in entries if e.get("type") == "BitstringStatusListEntry"]


def test_response_carries_the_credential_id_and_status_entries(issuer: Harness) -> None:
    agency = issuer.agencies["Resident Registry"]
    response = issuer.issue(agency)
    body = response.json()
    assert set(body) == {"verifiableCredential", "credentialId", "credentialStatus"}
    payload = payload_of(response)
    assert body["credentialId"] == payload["id"]
    assert body["credentialId"].startswith("urn:uuid:")
    assert body["credentialStatus"] == payload["credentialStatus"]
    assert [e["statusPurpose"] for e in body["credentialStatus"]] == ["revocation", "suspension"]
    # A revoke needs nothing but the response.
    revoked = issuer.change(agency, body["credentialId"], "revocation", True)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["statusListIndex"] == body["credentialStatus"][0]["statusListIndex"]


def test_an_idempotent_replay_returns_the_same_id_and_entries(issuer: Harness) -> None:
    agency = issuer.agencies["Resident Registry"]
    body = issue_body()
    first = issuer.issue(agency, body, headers={"Idempotency-Key": "order-7"})
    again = issuer.issue(agency, body, headers={"Idempotency-Key": "order-7"})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


def test_issue_with_every_optional_member(issuer: Harness) -> None:
    did = issuer.services.ctx.issuer_did
    resource = {
        "id": "https://resources.example/terms.html",
        "digestSRI": "sha384-" + base64.b64encode(hashlib.sha384(b"terms").digest()).decode(),
    }
    optional: dict[str, Any] = {
        "@context": [
            VC2,
            EXAMPLES_V2,
            {"OdrlPolicy2017": "https://example.org/examples#OdrlPolicy2017"},
        ],
        "id": "https://registry.example/credentials/1872",
        "name": {"@value": "Resident identity", "@language": "en"},
        "description": [
            {"@value": "居民身份", "@language": "zh"},
            {"@value": "Resident", "@language": "en"},
        ],
        "issuer": {"id": did, "name": "Resident Registry", "description": "Population register"},
        "validFrom": "2030-01-01T00:00:00Z",
        "validUntil": "2031-01-01T00:00:00.500+08:00",
        "evidence": [
            {"type": "DocumentVerification", "id": "urn:uuid:8c1f2a1e-0a8b-4c3e-9d60-a1e1f3a2b4c5"}
        ],
        "termsOfUse": {"type": "OdrlPolicy2017", "id": "did:example:terms/1"},
        "refreshService": {
            "type": "ExampleRefreshService",
            "id": "https://registry.example/refresh",
        },
        "relatedResource": [resource],
        "credentialSchema": {"id": "https://schemas.example/resident.json", "type": "JsonSchema"},
        "credentialStatus": {"id": "https://status.example/lists/3#94567", "type": "ExampleStatus"},
    }
    body = issue_body()
    body["credential"].update(optional)
    response = issuer.issue(issuer.agencies["Resident Registry"], body)
    payload = payload_of(response)
    for name in (
        "@context",
        "id",
        "name",
        "description",
        "issuer",
        "evidence",
        "termsOfUse",
        "refreshService",
        "relatedResource",
    ):
        assert payload[name] == optional[name], name
    assert payload["validFrom"] == "2030-01-01T00:00:00Z"
    assert payload["validUntil"] == "2030-12-31T16:00:00Z"  # normalised to UTC, whole seconds
    assert payload["credentialSchema"] == [
        optional["credentialSchema"],
        {"id": "http://issuer.test:8100/schemas/ResidentIdentityCredential", "type": "JsonSchema"},
    ]
    assert payload["credentialStatus"][0] == optional["credentialStatus"]
    assert len(_own_status(payload)) == 2
    # The caller's id names the credential; credentialId stays the issuer's handle.
    assert response.json()["credentialId"].startswith("urn:uuid:")
    assert response.json()["credentialStatus"] == _own_status(payload)


def test_issuer_as_this_issuers_did_string(issuer: Harness) -> None:
    body = issue_body()
    body["credential"]["issuer"] = issuer.services.ctx.issuer_did
    assert (
        payload_of(issuer.issue(issuer.agencies["Resident Registry"], body))["issuer"]
        == issuer.services.ctx.issuer_did
    )


def test_several_subjects_each_checked_against_the_schema(issuer: Harness) -> None:
    agency = issuer.agencies["Resident Registry"]
    first, second = (
        issue_body()["credential"]["credentialSubject"],
        issue_body()["credential"]["credentialSubject"],
    )
    body = issue_body()
    body["credential"]["credentialSubject"] = [first, second]
    payload = payload_of(issuer.issue(agency, body))
    assert [s["id"] for s in payload["credentialSubject"]] == [first["id"], second["id"]]

    body["credential"]["credentialSubject"] = [first, {**second, "bloodType": "O"}]
    response = issuer.issue(agency, body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:3] == ["credential", "credentialSubject", 1]
    body["credential"]["credentialSubject"] = [
        first,
        {k: v for k, v in second.items() if k != "id"},
    ]
    assert issuer.issue(agency, body).json()["code"] == "invalid_request"


def test_a_start_of_now_is_accepted_for_a_built_in_type(
    issuer: Harness, clock: MutableClock
) -> None:
    body = issue_body()
    body["credential"]["validFrom"] = clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert issuer.issue(issuer.agencies["Resident Registry"], body).status_code == 201


# -- the open type ---------------------------------------------------------------------------


def _bare(**members: Any) -> dict[str, Any]:
    credential = {
        "@context": [VC2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:subject"},
    }
    return {"credential": {**credential, **members}}


def test_the_open_type_is_off_by_default(issuer: Harness) -> None:
    response = issuer.issue(issuer.agencies["Resident Registry"], _bare())
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_type"
    assert "open type is not enabled" in response.json()["detail"]
    with pytest.raises(UnknownTypeError):
        issuer.agency("Conformance", ["VerifiableCredential"])


@pytest.fixture
def open_issuer(tmp_path: Path, clock: MutableClock) -> Iterator[Harness]:
    types_dir = tmp_path / "types"
    types_dir.mkdir()
    shutil.copy(OPEN_TYPE_FILE, types_dir / OPEN_TYPE_FILE.name)
    with running_issuer(make_settings(tmp_path, types_dir=types_dir), clock) as harness:
        harness.agency("Conformance", ["VerifiableCredential"])
        harness.agency("Resident Registry", [RESIDENT])
        yield harness


@pytest.mark.parametrize(
    "members",
    [
        {},
        {"type": "VerifiableCredential"},
        {"type": ["VerifiableCredential", "https://example.org/#ExampleCredential"]},
        {
            "type": ["https://example.org/#A", "VerifiableCredential"],
            "@context": [VC2, EXAMPLES_V2],
        },
        {"credentialSubject": {"name": "a bearer claim"}},
        {"credentialSubject": [{"id": "did:example:a"}, {"id": "did:example:b"}]},
        {"validFrom": "2023-02-26T01:19:19Z", "validUntil": "2023-02-26T01:19:20Z"},
    ],
)
def test_the_open_type_issues_any_conformant_credential(
    open_issuer: Harness, members: dict[str, Any]
) -> None:
    response = open_issuer.issue(open_issuer.agencies["Conformance"], _bare(**members))
    payload = payload_of(response)
    assert "VerifiableCredential" in payload["type"]
    assert payload["credentialSchema"]["id"].endswith("/schemas/VerifiableCredential")


def test_the_trust_entry_names_the_open_type_as_a_bearer_type(open_issuer: Harness) -> None:
    entry = open_issuer.services.publication.trust_entry()
    assert entry["holderBinding"] == {"VerifiableCredential": "optional"}
    # what a verifier reads from it: bearer for the open type, every other type bound
    parsed = parse_trust_list({"issuers": [entry]}).entries[entry["id"]]
    assert parsed.is_bearer(["VerifiableCredential"])
    assert not parsed.is_bearer(["VerifiableCredential", RESIDENT])
    assert not parsed.is_bearer(["VerifiableCredential", "https://example.org/#Unlisted"])


def test_the_open_type_does_not_lift_accreditation(open_issuer: Harness) -> None:
    # A registered type still needs its own accreditation ...
    response = open_issuer.issue(open_issuer.agencies["Conformance"], issue_body(RESIDENT))
    assert (response.status_code, response.json()["code"]) == (403, "type_not_accredited")
    mixed = _bare(type=["VerifiableCredential", LICENCE, "https://example.org/#Extra"])
    assert open_issuer.issue(open_issuer.agencies["Conformance"], mixed).status_code == 422
    # ... and an agency accredited for a registered type cannot issue open credentials.
    response = open_issuer.issue(open_issuer.agencies["Resident Registry"], _bare())
    assert (response.status_code, response.json()["code"]) == (403, "type_not_accredited")


def test_the_open_type_still_checks_every_vcdm_rule(open_issuer: Harness) -> None:
    agency = open_issuer.agencies["Conformance"]
    for members, code in (
        ({"credentialSubject": {}}, "vcdm_subject"),
        ({"type": ["RelationshipCredential"]}, "vcdm_type"),
        (
            {"validFrom": "2024-01-01T00:00:01Z", "validUntil": "2024-01-01T00:00:00Z"},
            "vcdm_validity",
        ),
        ({"issuer": "did:web:other.example"}, "issuer_mismatch"),
        ({"credentialSubject": {"id": ["did:example:a", "did:example:b"]}}, "vcdm_identifier"),
    ):
        response = open_issuer.issue(agency, _bare(**members))
        assert response.json()["code"] == code, members


def test_the_open_type_record_stays_claim_free(open_issuer: Harness) -> None:
    from issuer.storage.tables import CredentialRecord

    response = open_issuer.issue(
        open_issuer.agencies["Conformance"], _bare(credentialSubject={"name": "Alice Example"})
    )
    with open_issuer.services.ctx.sessions() as session:
        record = session.get(CredentialRecord, response.json()["credentialId"])
        assert record is not None
        assert record.holder_did == ""
        stored = json.dumps(
            [getattr(record, c.key) for c in CredentialRecord.__table__.columns], default=str
        )
    assert "Alice" not in stored


def test_holder_did_recorded_for_a_bound_type(open_issuer: Harness) -> None:
    holder = new_holder()
    response = open_issuer.issue(
        open_issuer.agencies["Resident Registry"], issue_body(RESIDENT, holder)
    )
    from issuer.storage.tables import CredentialRecord

    with open_issuer.services.ctx.sessions() as session:
        record = session.get(CredentialRecord, response.json()["credentialId"])
        assert record is not None
        assert record.holder_did == holder
