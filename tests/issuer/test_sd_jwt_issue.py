"""Issuing SD-JWT VCs (dc+sd-jwt, vc+sd-jwt), their Type Metadata and Token Status Lists."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.jwk import KeySet

from tests.issuer.support import RESIDENT, Harness, issue_body, new_holder, token_of
from tests.issuer.test_api_errors import assert_problem
from vcore.formats import SdJwtCredential, parse_credential_unverified
from vcore.sdjwt import CompactSdJwt

BASE = "http://issuer.test:8100"
SD = {"format": "dc+sd-jwt"}


def _issue(harness: Harness, fmt: str = "dc+sd-jwt", **claims: Any) -> tuple[str, str]:
    response = harness.issue(
        harness.agencies["Resident Registry"], issue_body(options={"format": fmt}, **claims)
    )
    assert response.status_code == 201, response.text
    assert response.json()["verifiableCredential"]["id"].startswith(f"data:application/{fmt},")
    return token_of(response), response.json()["credentialId"]


def _verified_payload(harness: Harness, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    keyset = KeySet.import_key_set(harness.client.get("/.well-known/jwks.json").json())
    compact = jws.deserialize_compact(text, keyset, algorithms=["ES256", "EdDSA"])
    return dict(compact.headers()), json.loads(compact.payload)


def _values(harness: Harness, uri: str) -> tuple[bytes, int]:
    """Fetch a Token Status List, verify it independently; the raw byte array and bits."""
    response = harness.client.get(uri.removeprefix(BASE))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/statuslist+jwt"
    assert response.headers["etag"]
    assert "max-age=" in response.headers["cache-control"]
    header, payload = _verified_payload(harness, response.text)
    assert header["typ"] == "statuslist+jwt"
    assert payload["sub"] == uri
    assert {"iat", "exp", "ttl", "iss"} <= set(payload)
    lst = payload["status_list"]["lst"]
    raw = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
    return raw, payload["status_list"]["bits"]


def _value_at(raw: bytes, bits: int, idx: int) -> int:
    per_byte = 8 // bits
    return (raw[idx // per_byte] >> ((idx % per_byte) * bits)) & ((1 << bits) - 1)


def test_dc_sd_jwt_issued_with_vct_cnf_status_and_derived_claims(issuer: Harness) -> None:
    holder = new_holder()
    response = issuer.issue(
        issuer.agencies["Resident Registry"], issue_body(holder=holder, options=SD)
    )
    token = token_of(response)
    compact = CompactSdJwt.parse(token)
    header, payload = _verified_payload(issuer, compact.jwt)
    assert header["typ"] == "dc+sd-jwt"
    vct = f"{BASE}/types/{RESIDENT}"
    assert payload["vct"] == vct
    assert payload["iss"] == issuer.services.ctx.issuer_did
    assert payload["iat"] % 86400 == 0
    assert payload["exp"] > payload["iat"]
    assert payload["status"]["status_list"]["uri"].startswith(f"{BASE}/statuslists/")
    assert response.json()["credentialStatus"] == [
        {"type": "status_list", **payload["status"]["status_list"]}
    ]
    assert "sub" not in payload
    assert "credentialSchema" not in payload
    names = {d.name: d.value for d in compact.disclosures}
    assert names["age_over_18"] is True
    assert "age_over_65" in names
    assert "givenName" in names
    assert "givenName" not in payload
    # Type Metadata at the vct, with the integrity the credential names.
    metadata = issuer.client.get(vct.removeprefix(BASE))
    assert metadata.status_code == 200
    digest = base64.b64encode(hashlib.sha256(metadata.content).digest()).decode()
    assert payload["vct#integrity"] == f"sha256-{digest}"
    document = metadata.json()
    assert document["vct"] == vct
    paths = {tuple(c["path"]): c["sd"] for c in document["claims"]}
    assert paths[("age_over_18",)] == "allowed"
    assert ("address", "locality") in paths
    credential = parse_credential_unverified(token)
    assert isinstance(credential, SdJwtCredential)
    assert credential.credential_type == RESIDENT


def test_token_status_list_revoke_and_suspend(issuer: Harness) -> None:
    agency = issuer.agencies["Resident Registry"]
    token, revoked_id = _issue(issuer)
    entry = parse_credential_unverified(token).status_entries[0]
    token2, suspended_id = _issue(issuer)
    entry2 = parse_credential_unverified(token2).status_entries[0]
    assert entry["uri"] == entry2["uri"]
    assert entry["idx"] != entry2["idx"]
    raw, bits = _values(issuer, entry["uri"])
    assert bits == 2
    assert len(raw) * 4 >= 131_072
    assert _value_at(raw, bits, entry["idx"]) == 0
    assert issuer.change(agency, revoked_id, "revocation", True).status_code == 200
    response = issuer.change(agency, suspended_id, "suspension", True)
    assert response.status_code == 200, response.text
    assert response.json()["statusListCredential"] == entry["uri"]
    raw, bits = _values(issuer, entry["uri"])
    assert _value_at(raw, bits, entry["idx"]) == 1
    assert _value_at(raw, bits, entry2["idx"]) == 2
    assert issuer.change(agency, suspended_id, "suspension", False).status_code == 200
    raw, bits = _values(issuer, entry["uri"])
    assert _value_at(raw, bits, entry2["idx"]) == 0
    # Revocation is final, as for every other format.
    assert_problem(issuer.change(agency, revoked_id, "suspension", True), 409, "revocation_final")
    assert_problem(issuer.change(agency, revoked_id, "revocation", False), 409, "revocation_final")


def test_list_kinds_are_not_served_under_each_others_urls(issuer: Harness) -> None:
    token, _ = _issue(issuer)
    list_id = parse_credential_unverified(token).status_entries[0]["uri"].rsplit("/", 1)[1]
    assert issuer.client.get(f"/status-lists/{list_id}").status_code == 404
    assert issuer.client.get(f"/statuslists/{list_id}").status_code == 200
    plain = token_of(issuer.issue(issuer.agencies["Resident Registry"], issue_body()))
    bitstring = parse_credential_unverified(plain).status_entries[0]["statusListCredential"]
    assert issuer.client.get("/statuslists/" + bitstring.rsplit("/", 1)[1]).status_code == 404
    assert issuer.client.get("/types/NoSuchCredential").status_code == 404


def test_sd_jwt_needs_a_holder_key(issuer: Harness) -> None:
    body = issue_body(holder="did:web:holder.example", options=SD)
    response = issuer.issue(issuer.agencies["Resident Registry"], body)
    assert_problem(response, 422, "invalid_request")


def test_vc_sd_jwt_is_a_vcdm_document_with_bitstring_status(issuer: Harness) -> None:
    token, _ = _issue(issuer, fmt="vc+sd-jwt")
    credential = parse_credential_unverified(token)
    assert credential.format == "vc+sd-jwt"
    assert {e["statusPurpose"] for e in credential.status_entries} == {"revocation", "suspension"}
    header, payload = _verified_payload(issuer, CompactSdJwt.parse(token).jwt)
    assert header["typ"] == "vc+sd-jwt"
    assert "_sd" in payload["credentialSubject"]


def test_the_issuer_stores_no_claim_value(issuer: Harness) -> None:
    marker = "Quuxzyxwvut"
    _issue(issuer, givenName=marker)
    _issue(issuer, fmt="vc+sd-jwt", givenName=marker)
    data_dir = Path(issuer.settings.data_dir)
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert marker.encode() not in path.read_bytes(), path


def test_npm_verifies_issued_sd_jwt_with_jwks_and_reads_the_status_flips(issuer: Harness) -> None:
    """npm @sd-jwt/sd-jwt-vc verifies with /.well-known/jwks.json only; npm
    @sd-jwt/jwt-status-list reads 1 after a revoke and 2 after a suspend."""
    from tests.sd_jwt_node import require_sd_jwt_node, sd_jwt_node

    require_sd_jwt_node()
    agency = issuer.agencies["Resident Registry"]
    jwks = issuer.client.get("/.well-known/jwks.json").json()
    token, credential_id = _issue(issuer)
    token2, other_id = _issue(issuer)
    entry = parse_credential_unverified(token).status_entries[0]
    idx, idx2 = entry["idx"], parse_credential_unverified(token2).status_entries[0]["idx"]

    def listed() -> str:
        return str(issuer.client.get(entry["uri"].removeprefix(BASE)).text)

    answer = sd_jwt_node({"op": "verify", "sdjwt": token, "jwks": jwks, "statusList": listed()})
    assert "error" not in answer, answer
    assert answer["payload"]["vct"] == f"{BASE}/types/{RESIDENT}"
    assert answer["payload"]["age_over_18"] is True
    assert sd_jwt_node({"op": "status", "token": listed(), "indexes": [idx, idx2]})["values"] == [
        0,
        0,
    ]
    assert issuer.change(agency, credential_id, "revocation", True).status_code == 200
    assert issuer.change(agency, other_id, "suspension", True).status_code == 200
    decoded = sd_jwt_node({"op": "status", "token": listed(), "indexes": [idx, idx2]})
    assert decoded == {"bits": 2, "values": [1, 2]}
    refused = sd_jwt_node({"op": "verify", "sdjwt": token, "jwks": jwks, "statusList": listed()})
    assert "error" in refused


def test_bulk_status_changes_reach_token_status_list_slots(issuer: Harness) -> None:
    """Regression: bulk changes matched SD-JWT VCs but left their one 2-bit slot as it was."""
    headers = issuer.agencies["Resident Registry"].headers
    tokens = [_issue(issuer) for _ in range(3)]
    entries = [parse_credential_unverified(t).status_entries[0] for t, _ in tokens]
    ids = [credential_id for _, credential_id in tokens]

    def bulk(selected: list[str], purpose: str, status: bool = True) -> dict[str, int]:
        body = {"credentialIds": selected, "statusPurpose": purpose, "status": status}
        response = issuer.client.post(
            "/credentials/status/batch", json={**body, "reason": "x"}, headers=headers
        )
        assert response.status_code == 200, response.text
        answer: dict[str, int] = response.json()
        return answer

    def values() -> list[int]:
        raw, bits = _values(issuer, entries[0]["uri"])
        return [_value_at(raw, bits, e["idx"]) for e in entries]

    assert bulk(ids[:1], "revocation")["changed"] == 1
    assert bulk(ids, "suspension")["changed"] == 2  # the revoked one stays revoked
    assert values() == [1, 2, 2]
    lifted = bulk(ids, "suspension", False)
    assert (lifted["changed"], lifted["unchanged"]) == (2, 1)
    assert values() == [1, 0, 0]
    assert bulk(ids[1:2], "suspension", False)["changed"] == 0  # nothing to lift
    assert bulk(ids, "revocation")["changed"] == 2
    assert values() == [1, 1, 1]
