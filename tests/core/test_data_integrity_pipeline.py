"""ldp_vc / ldp_vp through the format registry and the verification pipeline (vcore.verify)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.core.di_node import node_sign
from vcore.dids import resolve_offline
from vcore.errors import StatusUnavailableError, TrustIDError
from vcore.formats import (
    CREDENTIAL_FORMATS,
    PRESENTATION_FORMATS,
    detect,
    parse_credential_unverified,
    sign_credential,
    verify_presentation,
)
from vcore.trust_list import TrustList, parse_trust_list
from vcore.verify import verify_credential_token

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def _now() -> datetime:
    """Read at each check: Node stamps `created` when the fixture runs, maybe minutes after import."""
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def signed() -> dict[str, Any]:
    credential = {
        "@context": [V2, EXAMPLES],
        "id": "urn:uuid:1a4e1a6e-8b7f-4c1f-9a1e-0d7d7d7d7d7d",
        "type": ["VerifiableCredential", "ExampleIdentityCredential"],
        "issuer": {"id": "$CONTROLLER", "name": "Example Registry"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "$DID:holder", "name": "Li Wei"},
    }
    presentation = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "holder": "$CONTROLLER",
        "verifiableCredential": ["$RESULT:0"],
    }
    out = node_sign(
        [
            {"name": "issuer", "curve": "P-384", "controller": "did:key"},
            {"name": "holder", "curve": "Ed25519", "controller": "did:key"},
        ],
        [
            {
                "key": "issuer",
                "suite": "ecdsa-rdfc-2019",
                "kind": "credential",
                "document": credential,
            },
            {
                "key": "holder",
                "suite": "eddsa-jcs-2022",
                "kind": "presentation",
                "challenge": "n-1",
                "domain": "https://verifier.example",
                "document": presentation,
            },
        ],
    )
    return {
        "keys": out["keys"],
        "vc": out["results"][0]["signed"],
        "vp": out["results"][1]["signed"],
    }


def test_registered_and_detected(signed: dict[str, Any]) -> None:
    assert CREDENTIAL_FORMATS.lookup("ldp_vc").media_types == ()
    assert PRESENTATION_FORMATS.lookup("ldp_vp").media_types == ()
    assert detect(signed["vc"]).format.key == "ldp_vc"
    parsed = parse_credential_unverified(signed["vc"])
    assert parsed.format == "ldp_vc"
    assert parsed.issuer == signed["keys"]["issuer"]["controller"]
    assert parsed.key_id == signed["keys"]["issuer"]["id"]
    assert parsed.alg == "ecdsa-rdfc-2019"
    with pytest.raises(TrustIDError) as caught:
        sign_credential(parsed.credential, object(), fmt="ldp_vc")  # type: ignore[arg-type]
    assert caught.value.code == "format_unsupported"


def _no_status(url: str) -> Any:
    raise StatusUnavailableError(url)


def _trust(issuer: str) -> TrustList:
    return parse_trust_list(
        {
            "issuers": [
                {"id": issuer, "name": "Example Registry", "types": ["ExampleIdentityCredential"]}
            ]
        }
    )


def test_pipeline_verifies_a_trusted_data_integrity_credential(signed: dict[str, Any]) -> None:
    issuer = signed["keys"]["issuer"]["controller"]
    report = verify_credential_token(
        signed["vc"],
        trust=_trust(issuer),
        key_for=resolve_offline,
        status_for=_no_status,
        now=_now(),
    )
    assert report.verified, report.to_json()
    checks = {str(c.id): c.status for c in report.checks}
    assert checks["signature"] == "passed"
    assert checks["issuer_match"] == "passed"


def test_pipeline_refuses_tampering_and_strangers(signed: dict[str, Any]) -> None:
    issuer = signed["keys"]["issuer"]["controller"]
    tampered = copy.deepcopy(signed["vc"])
    tampered["credentialSubject"]["name"] = "Li Wen"
    report = verify_credential_token(
        tampered, trust=_trust(issuer), key_for=resolve_offline, status_for=_no_status, now=_now()
    )
    assert report.codes == ["bad_signature"]
    stranger = verify_credential_token(
        signed["vc"],
        trust=_trust("did:web:other.example"),
        key_for=resolve_offline,
        status_for=_no_status,
        now=_now(),
    )
    assert stranger.codes == ["untrusted_issuer"]
    outside = copy.deepcopy(signed["vc"])
    outside["@context"].append("https://evil.example/v1")
    report = verify_credential_token(
        outside, trust=_trust(issuer), key_for=resolve_offline, status_for=_no_status, now=_now()
    )
    assert report.codes == ["context_not_allowed"]


def test_presentation_format_checks_holder_challenge_and_domain(signed: dict[str, Any]) -> None:
    verified = verify_presentation(
        signed["vp"], nonce="n-1", audience="https://verifier.example", now=_now()
    )
    assert verified.format == "ldp_vp"
    assert verified.holder == signed["keys"]["holder"]["controller"]
    assert verified.credentials[0] == signed["vc"]
    for nonce, audience, code in [
        ("n-2", "https://verifier.example", "nonce_mismatch"),
        ("n-1", "https://other.example", "audience_mismatch"),
    ]:
        with pytest.raises(TrustIDError) as caught:
            verify_presentation(signed["vp"], nonce=nonce, audience=audience, now=_now())
        assert caught.value.code == code
    other_holder = copy.deepcopy(signed["vp"])
    other_holder["holder"] = signed["keys"]["issuer"]["controller"]
    with pytest.raises(TrustIDError) as caught:
        verify_presentation(
            other_holder, nonce="n-1", audience="https://verifier.example", now=_now()
        )
    assert caught.value.code == "holder_binding"
