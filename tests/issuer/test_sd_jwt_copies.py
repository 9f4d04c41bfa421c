"""``options.copies``: N unlinkable copies of one SD-JWT VC; the database holds no claim value."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import inspect, text

from tests.issuer.support import RESIDENT, Harness, issue_body
from tests.issuer.test_api_errors import assert_problem
from tests.issuer.test_sd_jwt_issue import BASE, _value_at, _values
from vcore.clock import system_clock
from vcore.dids import did_key_for
from vcore.formats import parse_credential_unverified, unwrap_credential
from vcore.keys import generate_key
from vcore.sdjwt import CompactSdJwt, present_sd_jwt
from vcore.signing import SoftwareSigner


def _copies(harness: Harness, n: int, holder: str, **headers: str) -> Any:
    body = issue_body(holder=holder, options={"format": "dc+sd-jwt", "copies": n})
    response = harness.issue(harness.agencies["Resident Registry"], body, headers=headers or None)
    assert response.status_code == 201, response.text
    return response


def _fingerprint(token: str) -> tuple[set[str], set[str], int]:
    """Salts, digests (disclosed and decoy) and the status index of an SD-JWT."""
    compact = CompactSdJwt.parse(token)
    credential = parse_credential_unverified(token)
    digests: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            digests.update(node.get("_sd", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, dict) and set(item) == {"..."}:
                    digests.add(item["..."])
                walk(item)

    walk(credential.claims)
    salts = {d.salt for d in compact.disclosures}
    return salts, digests, credential.status_entries[0]["idx"]


def test_copies_have_their_own_ids_slots_salts_and_digests(issuer: Harness) -> None:
    response = _copies(issuer, 3, did_key_for(generate_key("ES256").public_key()))
    body = response.json()
    copies = body["copies"]
    assert len(copies) == 3
    assert copies[0]["credentialId"] == body["credentialId"]
    assert copies[0]["verifiableCredential"] == body["verifiableCredential"]
    assert len({c["credentialId"] for c in copies}) == 3
    tokens = [unwrap_credential(c["verifiableCredential"]) for c in copies]
    prints = [_fingerprint(t) for t in tokens]
    for (salts_a, digests_a, idx_a), (salts_b, digests_b, idx_b) in itertools.combinations(
        prints, 2
    ):
        assert not salts_a & salts_b
        assert not digests_a & digests_b
        assert idx_a != idx_b
    for copy, token in zip(copies, tokens, strict=True):
        assert copy["credentialStatus"] == [
            {
                "type": "status_list",
                **parse_credential_unverified(token).claims["status"]["status_list"],
            }
        ]
    # Same claims in every copy.
    names = [sorted(d.name for d in CompactSdJwt.parse(t).disclosures if d.name) for t in tokens]
    assert names[0] == names[1] == names[2]


def test_two_presentations_from_two_copies_share_no_salt_digest_or_index(issuer: Harness) -> None:
    key = generate_key("ES256")
    holder = did_key_for(key.public_key())
    signer = SoftwareSigner(key, kid=holder)
    copies = _copies(issuer, 2, holder).json()["copies"]
    presented = [
        present_sd_jwt(
            unwrap_credential(c["verifiableCredential"]),
            ["givenName", "age_over_18"],
            signer=signer,
            nonce=f"nonce-{i}",
            audience=f"https://verifier-{i}.example",
            now=system_clock(),
        )
        for i, c in enumerate(copies)
    ]
    (salts_a, digests_a, idx_a), (salts_b, digests_b, idx_b) = map(_fingerprint, presented)
    assert len(salts_a) == len(salts_b) == 2
    assert not salts_a & salts_b
    assert not digests_a & digests_b
    assert idx_a != idx_b
    # The disclosed values are the same; only what links them differs.
    values = [
        sorted((d.name or "", str(d.value)) for d in CompactSdJwt.parse(p).disclosures)
        for p in presented
    ]
    assert values[0] == values[1]


def test_each_copy_is_revoked_on_its_own(issuer: Harness) -> None:
    agency = issuer.agencies["Resident Registry"]
    copies = _copies(issuer, 2, did_key_for(generate_key("ES256").public_key())).json()["copies"]
    entries = [c["credentialStatus"][0] for c in copies]
    assert issuer.change(agency, copies[0]["credentialId"], "revocation", True).status_code == 200
    raw, bits = _values(issuer, entries[0]["uri"])
    assert _value_at(raw, bits, entries[0]["idx"]) == 1
    raw, bits = _values(issuer, entries[1]["uri"])
    assert _value_at(raw, bits, entries[1]["idx"]) == 0


def test_copies_replay_with_the_same_idempotency_key(issuer: Harness) -> None:
    holder = did_key_for(generate_key("ES256").public_key())
    first = _copies(issuer, 3, holder, **{"Idempotency-Key": "copies-1"})
    again = _copies(issuer, 3, holder, **{"Idempotency-Key": "copies-1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert [c["credentialId"] for c in again.json()["copies"]] == [
        c["credentialId"] for c in first.json()["copies"]
    ]
    # The same key with another number of copies is another request.
    conflict = issuer.issue(
        issuer.agencies["Resident Registry"],
        issue_body(holder=holder, options={"format": "dc+sd-jwt", "copies": 2}),
        headers={"Idempotency-Key": "copies-1"},
    )
    assert_problem(conflict, 409, "idempotency_conflict")


def test_one_copy_answers_without_a_copies_list(issuer: Harness) -> None:
    response = issuer.issue(
        issuer.agencies["Resident Registry"],
        issue_body(options={"format": "dc+sd-jwt", "copies": 1}),
    )
    assert response.status_code == 201
    assert "copies" not in response.json()


@pytest.mark.parametrize(
    "options",
    [
        {"format": "dc+sd-jwt", "copies": 0},
        {"format": "dc+sd-jwt", "copies": 11},
        {"format": "dc+sd-jwt", "copies": "2"},
        {"format": "vc+jwt", "copies": 2},
        {"format": "jwt_vc_json", "copies": 3},
    ],
)
def test_invalid_copies_are_refused_and_leave_nothing(issuer: Harness, options: Any) -> None:
    before = issuer.counts()
    response = issuer.issue(issuer.agencies["Resident Registry"], issue_body(options=options))
    assert_problem(response, 422, "invalid_request")
    assert issuer.counts() == before


def test_copies_in_a_batch_item_are_refused(issuer: Harness) -> None:
    item = issue_body(options={"format": "dc+sd-jwt", "copies": 2})
    response = issuer.client.post(
        "/credentials/issue/batch",
        json={"items": [item, issue_body(options={"format": "dc+sd-jwt"})]},
        headers=issuer.agencies["Resident Registry"].headers,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["status"] == 422
    assert results[0]["problem"]["code"] == "invalid_request"
    assert results[1]["status"] == 201


DISTINCTIVE = {
    "givenName": "Xanthippe",
    "familyName": "Qorvalynde",
    "birthDate": "1957-11-23",
    "residentNumber": "73914628305517294X",
    "address": {"streetAddress": "77 Zyzzogeton Lane", "locality": "Vrbnik", "country": "HR"},
}


def _every_stored_value(harness: Harness) -> list[str]:
    """Every column of every row of every table, as text (bytes decoded leniently)."""
    out: list[str] = []
    engine = harness.services.ctx.engine
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        out.append(bytes(value).decode("latin-1"))
                    elif value is not None:
                        out.append(str(value))
    return out


def test_the_issuer_database_stores_no_claim_value(any_issuer: Harness) -> None:
    """Issue resident credentials (every format, copies, an Idempotency-Key) with
    distinctive values; no table row holds any of them (nor the derived birth year)."""
    agency = any_issuer.agencies["Resident Registry"]
    for options in ({"format": "dc+sd-jwt", "copies": 2}, {"format": "vc+sd-jwt"}, None):
        response = any_issuer.issue(
            agency,
            issue_body(options=options, **DISTINCTIVE),
            headers={"Idempotency-Key": f"privacy-{options}"},
        )
        assert response.status_code == 201, response.text
    stored = _every_stored_value(any_issuer)
    assert any(RESIDENT in v for v in stored)  # the scan does see the tables
    needles = [
        "Xanthippe",
        "Qorvalynde",
        "1957-11-23",
        "73914628305517294X",
        "Zyzzogeton",
        "Vrbnik",
    ]
    for needle in needles:
        assert not [v for v in stored if needle in v], needle


def test_npm_verifies_every_copy_and_sees_one_revoked(issuer: Harness) -> None:
    """npm @sd-jwt/sd-jwt-vc verifies each copy with jwks.json only; after revoking one
    copy, npm @sd-jwt/jwt-status-list reads 1 at its index and 0 at the other's."""
    from tests.sd_jwt_node import require_sd_jwt_node, sd_jwt_node

    require_sd_jwt_node()
    jwks = issuer.client.get("/.well-known/jwks.json").json()
    copies = _copies(issuer, 2, did_key_for(generate_key("ES256").public_key())).json()["copies"]
    tokens = [unwrap_credential(c["verifiableCredential"]) for c in copies]
    entries = [c["credentialStatus"][0] for c in copies]
    assert entries[0]["uri"] == entries[1]["uri"]

    def listed() -> str:
        return str(issuer.client.get(entries[0]["uri"].removeprefix(BASE)).text)

    for token in tokens:
        answer = sd_jwt_node({"op": "verify", "sdjwt": token, "jwks": jwks, "statusList": listed()})
        assert "error" not in answer, answer
        assert answer["payload"]["age_over_18"] is True
    agency = issuer.agencies["Resident Registry"]
    assert issuer.change(agency, copies[1]["credentialId"], "revocation", True).status_code == 200
    indexes = [e["idx"] for e in entries]
    assert sd_jwt_node({"op": "status", "token": listed(), "indexes": indexes})["values"] == [0, 1]
