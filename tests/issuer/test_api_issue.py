"""POST /credentials/issue through the real app, checked with an independent JOSE library."""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet
from jsonschema import Draft202012Validator

from tests.issuer.support import (
    DEGREE,
    LICENCE,
    RESIDENT,
    Harness,
    issue_body,
    new_holder,
    token_of,
)
from vcore.credentials import VC2_CONTEXT
from vcore.dids import key_from_did_document
from vcore.formats import parse_credential_unverified
from vcore.jose import verify
from vcore.status import parse_status_entry


def verify_with_joserfc(harness: Harness, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify using only the published JWKS, with joserfc (not PyJWT, not vcore)."""
    keyset = KeySet.import_key_set(harness.client.get("/.well-known/jwks.json").json())
    with warnings.catch_warnings():
        # joserfc flags "EdDSA" as superseded by RFC 9864's "Ed25519"; DESIGN §2 uses EdDSA.
        warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)
        compact = jws.deserialize_compact(token, keyset, algorithms=["ES256", "EdDSA"])
    return dict(compact.headers()), json.loads(compact.payload)


def test_issue_returns_enveloped_vc_jwt_verifiable_from_jwks(any_issuer: Harness) -> None:
    agency = any_issuer.agencies["Resident Registry"]
    holder = new_holder()
    response = any_issuer.issue(agency, issue_body(RESIDENT, holder))

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    envelope = response.json()["verifiableCredential"]
    assert envelope["@context"] == [VC2_CONTEXT]
    assert envelope["type"] == "EnvelopedVerifiableCredential"
    assert envelope["id"].startswith("data:application/vc+jwt,")

    header, payload = verify_with_joserfc(any_issuer, token_of(response))
    did = any_issuer.services.ctx.issuer_did
    assert header["typ"] == "vc+jwt"
    assert header["cty"] == "vc"
    assert header["alg"] == "ES256"
    assert header["kid"].startswith(did + "#")
    assert payload["issuer"] == did
    assert payload["type"] == ["VerifiableCredential", RESIDENT]
    assert payload["credentialSubject"]["id"] == holder
    assert payload["credentialSubject"]["residentNumber"] == "11010519900314123X"
    assert payload["id"].startswith("urn:uuid:")
    assert payload["credentialSchema"] == {
        "id": "http://issuer.test:8100/schemas/ResidentIdentityCredential",
        "type": "JsonSchema",
    }

    # The kid is listed in the DID document, which also verifies the token.
    document = any_issuer.client.get("/.well-known/did.json").json()
    assert header["kid"] in document["assertionMethod"]
    verify(token_of(response), key_from_did_document(document, header["kid"]), typ="vc+jwt")


def test_credential_has_revocation_and_suspension_entries_in_separate_lists(
    issuer: Harness,
) -> None:
    token = token_of(issuer.issue(issuer.agencies["Resident Registry"]))
    credential = parse_credential_unverified(token)
    entries = [parse_status_entry(e) for e in credential.status_entries]
    assert [e.purpose for e in entries] == ["revocation", "suspension"]
    assert entries[0].list_url != entries[1].list_url
    for entry in entries:
        assert entry.list_url.startswith("http://issuer.test:8100/status-lists/")
        assert 0 <= entry.index < 131_072


def test_issuance_record_holds_digest_not_claims(issuer: Harness) -> None:
    response = issuer.issue(issuer.agencies["Resident Registry"])
    token = token_of(response)
    credential = parse_credential_unverified(token)
    from issuer.storage.tables import CredentialRecord

    with issuer.services.ctx.sessions() as session:
        record = session.get(CredentialRecord, credential.id)
        assert record is not None
        assert record.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        assert record.holder_did == credential.holder
        assert record.type_name == RESIDENT
        assert record.kid == credential.kid
        stored = json.dumps(
            [getattr(record, c.key) for c in CredentialRecord.__table__.columns], default=str
        )
    assert "Zhang" not in stored
    assert "11010519900314123X" not in stored


@pytest.mark.parametrize("type_name", [RESIDENT, LICENCE, DEGREE])
def test_each_type_example_issues_and_matches_the_published_schema(
    issuer: Harness, type_name: str
) -> None:
    agency = issuer.agency(f"Agency for {type_name}", [type_name])
    token = token_of(issuer.issue(agency, issue_body(type_name)))
    credential = parse_credential_unverified(token)
    schema_url = credential.schemas[0]["id"]
    schema = issuer.client.get(schema_url.removeprefix("http://issuer.test:8100")).json()
    assert schema["$id"] == schema_url
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(credential.subject)) == []


def test_vc_jwt_11_format_on_request(issuer: Harness) -> None:
    body = issue_body(RESIDENT, options={"format": "jwt_vc_json", "validDays": 30})
    header, payload = verify_with_joserfc(
        issuer, token_of(issuer.issue(issuer.agencies["Resident Registry"], body))
    )
    assert header["typ"] == "JWT"
    assert payload["iss"] == issuer.services.ctx.issuer_did
    assert payload["sub"] == body["credential"]["credentialSubject"]["id"]
    assert payload["jti"].startswith("urn:uuid:")
    assert payload["exp"] - payload["nbf"] == 30 * 86400
    assert "ResidentIdentityCredential" in payload["vc"]["type"]


def test_validity_defaults_per_type_and_honours_valid_until(issuer: Harness) -> None:
    agency = issuer.agencies["Resident Registry"]
    default = parse_credential_unverified(token_of(issuer.issue(agency)))
    assert default.valid_from is not None
    assert default.valid_until is not None
    assert (default.valid_until - default.valid_from).days == 1826

    body = issue_body()
    body["credential"]["validUntil"] = "2030-01-01T00:00:00Z"
    explicit = parse_credential_unverified(token_of(issuer.issue(agency, body)))
    assert explicit.credential["validUntil"] == "2030-01-01T00:00:00Z"


def test_did_jwk_holder_and_injected_context(issuer: Harness) -> None:
    body = issue_body(RESIDENT, new_holder("jwk"))
    del body["credential"]["@context"]
    token = token_of(issuer.issue(issuer.agencies["Resident Registry"], body))
    credential = parse_credential_unverified(token)
    assert credential.holder.startswith("did:jwk:")  # type: ignore[union-attr]
    assert credential.credential["@context"] == [VC2_CONTEXT]


def test_a_type_without_verifiable_credential_is_refused(issuer: Harness) -> None:
    # VCDM 2.0 §4.5: the issuer does not add the base type a caller left out.
    body = issue_body(RESIDENT)
    body["credential"]["type"] = RESIDENT
    response = issuer.issue(issuer.agencies["Resident Registry"], body)
    assert response.status_code == 400
    assert response.json()["code"] == "vcdm_type"


def test_realistic_resident_credential_size(issuer: Harness) -> None:
    # Credentials go into QR codes (DESIGN §2): keep an eye on the size.
    token = token_of(issuer.issue(issuer.agencies["Resident Registry"]))
    assert len(token) < 2100


def test_eddsa_issuer(tmp_path: Any, clock: Any) -> None:
    from tests.issuer.support import make_settings, running_issuer

    with running_issuer(make_settings(tmp_path, signing_alg="EdDSA"), clock) as harness:
        agency = harness.agency("Registry", [RESIDENT])
        header, _ = verify_with_joserfc(harness, token_of(harness.issue(agency)))
        assert header["alg"] == "EdDSA"
        assert harness.client.get("/.well-known/jwks.json").json()["keys"][0]["crv"] == "Ed25519"


def test_discovery_endpoints(issuer: Harness) -> None:
    jwks = issuer.client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200
    assert jwks.headers["cache-control"] == "max-age=300, public"
    key = jwks.json()["keys"][0]
    assert key["use"] == "sig"
    assert key["alg"] == "ES256"
    assert "d" not in key
    assert key["kid"] == f"{issuer.services.ctx.issuer_did}#{key['kid'].split('#')[1]}"
    assert (
        issuer.client.get("/did.json").json() == issuer.client.get("/.well-known/did.json").json()
    )
    assert issuer.client.get("/healthz").json() == {
        "status": "ok",
        "failing": [],
        "components": {"database": {"status": "ok"}},
    }
    openapi = issuer.client.get("/openapi.json").json()
    assert {"/credentials/issue", "/credentials/status", "/status-lists/{list_id}"} <= set(
        openapi["paths"]
    )
    assert issuer.client.get("/docs").status_code == 200
    assert issuer.client.get("/").json()["issuer"] == issuer.services.ctx.issuer_did
