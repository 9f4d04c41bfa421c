"""Data Integrity credentials and presentations through the verifier's HTTP API.

Signed by Digital Bazaar's npm cryptosuites (tests/node), sent as the JSON objects they
are; trust list, issuer binding, status, schema and report shape as for the JWT formats.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.asgi_client import AppClient
from tests.core.di_node import node_sign, require_node
from tests.verifier.support import Clock, FakeWeb, app_client, public_resolver, write_json
from vcore.clock import format_datetime
from verifier.app import create_app
from verifier.settings import VerifierSettings

AUDIENCE = "https://verifier.example"
V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
TYPE = "ExampleIdentityCredential"
SUITES = [("eddsa-rdfc-2022", "ed"), ("ecdsa-rdfc-2019", "p384"), ("ecdsa-jcs-2019", "p256")]
KEYS = [
    {"name": "ed", "curve": "Ed25519", "controller": "did:key"},
    {"name": "p256", "curve": "P-256", "controller": "did:key"},
    {"name": "p384", "curve": "P-384", "controller": "did:key"},
    {"name": "holder", "curve": "Ed25519", "controller": "did:key"},
]


def _credential(holder: str = "did:example:nobody") -> dict[str, Any]:
    return {
        "@context": [V2, EXAMPLES],
        "id": "urn:uuid:0d5bc7a8-58f7-4f3e-a1d5-4f2f5e0c9a11",
        "type": ["VerifiableCredential", TYPE],
        "issuer": "$CONTROLLER",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": holder, "name": "Li Wei"},
    }


class Env:
    def __init__(self, tmp_path: Path, now: datetime) -> None:
        require_node()
        self.clock = Clock(now)
        self.created = format_datetime(now.replace(hour=now.hour - 1))
        jobs = [
            {
                "key": key,
                "suite": suite,
                "kind": "credential",
                "created": self.created,
                "document": _credential(),
            }
            for suite, key in SUITES
        ]
        out = node_sign(KEYS, jobs)
        self.keys = out["keys"]
        self.signed = {
            suite: r["signed"] for (suite, _), r in zip(SUITES, out["results"], strict=True)
        }
        issuers = [
            {"id": self.keys[key]["controller"], "name": f"DI issuer {key}", "types": [TYPE]}
            for key in ("ed", "p256", "p384")
        ]
        self.trust_path = write_json(tmp_path / "trust.json", {"issuers": issuers})
        self.app = create_app(
            VerifierSettings(
                trust_list=str(self.trust_path),
                data_dir=tmp_path / "var",
                verifier_url=AUDIENCE,
                verifier_status_max_age=0,
            ),
            transport=FakeWeb(self.clock).transport(),
            host_resolver=public_resolver,
            clock=self.clock,
        )


@pytest.fixture
def env(tmp_path: Path, fixed_now: datetime) -> Env:
    return Env(tmp_path, fixed_now)


@pytest.fixture
def client(env: Env) -> Iterator[AppClient]:
    with app_client(env.app) as c:
        yield c


def _checks(body: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in body["checks"]}


@pytest.mark.parametrize("suite", [s for s, _ in SUITES])
def test_data_integrity_credential_verifies_over_http(
    env: Env, client: AppClient, suite: str
) -> None:
    response = client.post("/credentials/verify", json={"verifiableCredential": env.signed[suite]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    checks = _checks(body)
    assert checks["format"] == checks["trust"] == checks["issuer_match"] == "passed"
    assert checks["signature"] == checks["validity"] == "passed"
    assert body["credential"]["credentialSubject"]["name"] == "Li Wei"


def _codes(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["verified"] is False
    return [p["code"] for p in body["problemDetails"]]


def test_tampered_data_integrity_credentials_are_refused_with_codes(
    env: Env, client: AppClient
) -> None:
    signed = env.signed["eddsa-rdfc-2022"]
    claim = copy.deepcopy(signed)
    claim["credentialSubject"]["name"] = "Li Wen"
    assert _codes(client.post("/credentials/verify", json={"verifiableCredential": claim})) == [
        "bad_signature"
    ]
    context = copy.deepcopy(signed)
    context["@context"].append("https://contexts.example/v1")
    assert _codes(client.post("/credentials/verify", json={"verifiableCredential": context})) == [
        "context_not_allowed"
    ]
    wrong_curve = copy.deepcopy(signed)
    wrong_curve["proof"]["verificationMethod"] = env.keys["p256"]["id"]
    # another DID than the issuer: the issuer binding refuses before any key is used
    assert _codes(
        client.post("/credentials/verify", json={"verifiableCredential": wrong_curve})
    ) == ["issuer_mismatch"]
    purpose = copy.deepcopy(signed)
    purpose["proof"]["proofPurpose"] = "authentication"
    assert _codes(client.post("/credentials/verify", json={"verifiableCredential": purpose})) == [
        "proof_purpose_mismatch"
    ]


def test_untrusted_data_integrity_issuer_is_refused(env: Env, client: AppClient) -> None:
    out = node_sign(
        [{"name": "stranger", "curve": "Ed25519", "controller": "did:key"}],
        [
            {
                "key": "stranger",
                "suite": "eddsa-jcs-2022",
                "kind": "credential",
                "created": env.created,
                "document": _credential(),
            }
        ],
    )
    document = out["results"][0]["signed"]
    assert _codes(client.post("/credentials/verify", json={"verifiableCredential": document})) == [
        "untrusted_issuer"
    ]


@pytest.mark.parametrize(
    ("vp_suite", "holder_curve"), [("eddsa-rdfc-2022", "Ed25519"), ("ecdsa-jcs-2019", "P-256")]
)
def test_data_integrity_presentation_over_http(
    env: Env, client: AppClient, vp_suite: str, holder_curve: str
) -> None:
    challenge = client.post("/challenges").json()
    presentation = {
        "@context": [V2],
        "type": ["VerifiablePresentation"],
        "holder": "$CONTROLLER",
        "verifiableCredential": ["$RESULT:0"],
    }
    out = node_sign(
        [
            {"name": "holder", "curve": holder_curve, "controller": "did:key"},
            {"name": "issuer", "curve": "Ed25519", "controller": "did:key"},
        ],
        [
            {
                "key": "issuer",
                "suite": "eddsa-rdfc-2022",
                "kind": "credential",
                "created": env.created,
                "document": _credential("$DID:holder"),
            },
            {
                "key": "holder",
                "suite": vp_suite,
                "kind": "presentation",
                "created": format_datetime(env.clock.value),
                "challenge": challenge["challenge"],
                "domain": challenge["domain"],
                "document": presentation,
            },
        ],
    )
    issuer = out["keys"]["issuer"]["controller"]
    write_json(env.trust_path, {"issuers": [{"id": issuer, "name": "DI issuer", "types": [TYPE]}]})
    env.clock.advance(seconds=2)  # the trust list is re-read at most once a second
    vp = out["results"][1]["signed"]
    request = {
        "verifiablePresentation": vp,
        "options": {"challenge": challenge["challenge"], "domain": challenge["domain"]},
    }
    forged = copy.deepcopy(request)
    forged["verifiablePresentation"]["verifiableCredential"][0]["credentialSubject"]["name"] = (
        "Li Wen"
    )
    assert _codes(client.post("/presentations/verify", json=forged))[:1] == ["bad_signature"]
    response = client.post("/presentations/verify", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    assert body["holder"] == out["keys"]["holder"]["controller"]
    assert body["credentials"][0]["verified"] is True
    replay = client.post("/presentations/verify", json=request)
    assert "nonce_reused" in _codes(replay)


def test_status_checks_apply_to_data_integrity_credentials(env: Env, client: AppClient) -> None:
    credential = _credential()
    credential["credentialStatus"] = {
        "id": "https://status.example/lists/1#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": "https://status.example/lists/1",
    }
    out = node_sign(
        [{"name": "ed", "curve": "Ed25519", "controller": "did:key"}],
        [
            {
                "key": "ed",
                "suite": "eddsa-rdfc-2022",
                "kind": "credential",
                "created": env.created,
                "document": credential,
            }
        ],
    )
    issuer = out["keys"]["ed"]["controller"]
    write_json(env.trust_path, {"issuers": [{"id": issuer, "name": "DI issuer", "types": [TYPE]}]})
    env.clock.advance(seconds=2)
    response = client.post(
        "/credentials/verify", json={"verifiableCredential": out["results"][0]["signed"]}
    )
    body = response.json()
    checks = _checks(body)
    # signed and trusted, but its revocation list cannot be had: fail closed, as for JWTs
    assert checks["signature"] == "passed"
    assert checks["status.revocation"] == "failed"
    assert "status_unavailable" in _codes(response)


def _suite_like_presentations(env: Env, *, challenge: str, domain: str) -> dict[str, Any]:
    """What the W3C VCDM 2.0 suite sends: Digital Bazaar-signed presentations of one did:key,
    with no credential, and with a credential it issued itself to ``did:example:subject``."""
    out = node_sign(
        [{"name": "holder", "curve": "Ed25519", "controller": "did:key"}],
        [
            {
                "key": "holder",
                "suite": "eddsa-rdfc-2022",
                "kind": "presentation",
                "created": format_datetime(env.clock.value),
                "challenge": challenge,
                "domain": domain,
                "document": {"@context": [V2], "type": ["VerifiablePresentation"]},
            },
            {
                "key": "holder",
                "suite": "eddsa-rdfc-2022",
                "kind": "credential",
                "created": env.created,
                "document": {
                    "@context": [V2],
                    "type": ["VerifiableCredential"],
                    "issuer": "$CONTROLLER",
                    "credentialSubject": {"id": "did:example:subject"},
                },
            },
            {
                "key": "holder",
                "suite": "eddsa-rdfc-2022",
                "kind": "presentation",
                "created": format_datetime(env.clock.value),
                "challenge": challenge,
                "domain": domain,
                "document": {
                    "@context": [V2],
                    "type": ["VerifiablePresentation"],
                    "holder": "$CONTROLLER",
                    "verifiableCredential": ["$RESULT:1"],
                },
            },
        ],
    )
    return {
        "did": out["keys"]["holder"]["controller"],
        "proof": out["results"][0]["signed"],
        "bound_elsewhere": out["results"][2]["signed"],
    }


def test_data_integrity_holder_proof_and_bearer_credential_for_a_vc_api_caller(
    env: Env, client: AppClient
) -> None:
    from verifier.challenges import ChallengePolicy

    _info, key = env.app.state.clients.create("VC-API RP", challenge_policy=ChallengePolicy.CALLER)
    auth = {"Authorization": f"Bearer {key}"}
    options = {"challenge": "u-rp-owned-challenge", "domain": "rp.example"}
    vps = _suite_like_presentations(env, **options)

    def verify(vp: dict[str, Any], opts: dict[str, str] = options) -> Any:
        return client.post(
            "/presentations/verify",
            json={"verifiablePresentation": vp, "options": opts},
            headers=auth,
        )

    for _ in range(2):  # the caller's own challenge: it tracks single use itself
        response = verify(vps["proof"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["holderProofOnly"] is True
        assert body["holder"] == vps["did"]
        assert _checks(body)["presentation.credentials"] == "skipped"
    assert _codes(verify(vps["proof"], {**options, "challenge": "other"}))[:1] == ["nonce_mismatch"]
    assert _codes(verify(vps["proof"], {**options, "domain": "other.example"}))[:1] == [
        "audience_mismatch"
    ]
    tampered = copy.deepcopy(vps["proof"])
    tampered["proof"]["proofValue"] = "z5nmMBw2u9TGKd9NxxHJtyZKgjN2Eh"
    assert _codes(verify(tampered)) == ["bad_signature"]

    # Its credential names did:example:subject, not the presenter: bound by default ...
    entry = {"id": vps["did"], "name": "Suite issuer", "types": ["VerifiableCredential"]}
    write_json(env.trust_path, {"issuers": [entry]})
    env.clock.advance(seconds=2)
    assert _codes(verify(vps["bound_elsewhere"])) == [
        "did_invalid"
    ]  # did:example: not a DID method read here
    # ... and presented by anyone once the trust list makes the type a bearer type.
    write_json(env.trust_path, {"issuers": [{**entry, "holderBinding": "optional"}]})
    env.clock.advance(seconds=2)
    response = verify(vps["bound_elsewhere"])
    assert response.status_code == 200, response.text
    inner = response.json()["credentials"][0]
    assert _checks(inner)["holder_binding"] == "skipped"
    assert "bearer credential: not bound to the presenter" in inner["warnings"]
    assert response.json()["holderProofOnly"] is False
