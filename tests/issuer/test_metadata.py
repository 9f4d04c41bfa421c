"""OpenID4VCI Credential Issuer Metadata at /.well-known/openid-credential-issuer."""

from __future__ import annotations

from pathlib import Path

import pytest

from issuer.service.publication import display_name_of_type
from tests.issuer.support import DEGREE, LICENCE, RESIDENT, Harness, make_settings, running_issuer

METADATA = "/.well-known/openid-credential-issuer"


def test_metadata_names_the_issuer_and_every_type(issuer: Harness) -> None:
    response = issuer.client.get(METADATA)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "max-age=300, public"
    metadata = response.json()
    assert metadata["credential_issuer"] == "http://issuer.test:8100"
    assert metadata["display"][0] == {"name": "TrustID Demo Registry", "locale": "en"}
    # Wallets obtain credentials over OpenID4VCI (tests/issuer/test_oid4vci.py).
    assert metadata["credential_endpoint"] == "http://issuer.test:8100/credential"
    configurations = metadata["credential_configurations_supported"]
    assert {f"{t}_sd_jwt" for t in (RESIDENT, LICENCE, DEGREE)} <= set(configurations)
    resident = configurations[f"{RESIDENT}_jwt_vc_json"]
    assert resident["format"] == "jwt_vc_json"
    assert resident["credential_definition"] == {"type": ["VerifiableCredential", RESIDENT]}
    assert resident["cryptographic_binding_methods_supported"] == ["did:key", "did:jwk"]
    assert resident["credential_signing_alg_values_supported"] == ["ES256", "EdDSA"]
    display = configurations[f"{LICENCE}_sd_jwt"]["credential_metadata"]["display"]
    assert display[0]["name"] == "Driving Licence"


def test_metadata_uses_the_configured_name_and_url(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, issuer_name="Beijing Resident Registry", issuer_url="https://id.example/reg/"
    )
    with running_issuer(settings) as harness:
        metadata = harness.client.get(METADATA).json()
    assert metadata["credential_issuer"] == "https://id.example/reg"
    assert metadata["display"][0]["name"] == "Beijing Resident Registry"


def test_index_points_at_the_metadata(issuer: Harness) -> None:
    assert issuer.client.get("/").json()["credentialIssuerMetadata"] == METADATA


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        ("ResidentIdentityCredential", "Resident Identity"),
        ("UniversityDegreeCredential", "University Degree"),
        ("EUHealthInsuranceCard", "EU Health Insurance Card"),
        ("Credential", "Credential"),
        ("Permit2Credential", "Permit 2"),
    ],
)
def test_display_name_of_type(type_name: str, expected: str) -> None:
    assert display_name_of_type(type_name) == expected
