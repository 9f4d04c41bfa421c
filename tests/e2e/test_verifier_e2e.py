"""Verifier end to end: the real issuer and verifier as uvicorn servers on loopback.

issue -> verify -> revoke -> revoked; suspend -> suspended -> reinstate -> verified;
a batch of mixed items; a presentation; the credential's own QR code; and a credential
signed by an independent JOSE library (joserfc) for a trust-listed did:jwk issuer.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import qrcode
from joserfc import jws
from joserfc.jwk import ECKey

from tests.e2e.conftest import RESIDENT, StartStack
from vcore.dids import did_key_for
from vcore.formats import build_presentation
from vcore.keys import generate_key

pytestmark = pytest.mark.e2e


def _joserfc_credential(key: ECKey, did: str, holder: str) -> str:
    """A vc+jwt made without any TrustID code: joserfc signs, json builds the payload."""
    now = datetime.now(UTC).replace(microsecond=0)
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:3f1e2d4c-1b2a-4c3d-8e9f-0a1b2c3d4e5f",
        "type": ["VerifiableCredential", RESIDENT],
        "issuer": did,
        "validFrom": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "validUntil": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {"id": holder, "givenName": "Lan", "familyName": "Zhou"},
    }
    header = {"alg": "ES256", "typ": "vc+jwt", "cty": "vc", "kid": f"{did}#0"}
    return jws.serialize_compact(header, json.dumps(payload), key)


def test_issue_verify_revoke_suspend_batch(start_stack: StartStack) -> None:
    # An independent issuer: a did:jwk whose key lives only in joserfc.
    jose_key = ECKey.generate_key("P-256")
    public = {
        k: v for k, v in jose_key.as_dict(private=False).items() if k in ("kty", "crv", "x", "y")
    }
    jwk_did = "did:jwk:" + base64.urlsafe_b64encode(
        json.dumps(public, separators=(",", ":")).encode()
    ).decode().rstrip("=")

    stack = start_stack(
        extra_trust=[{"id": jwk_did, "name": "Independent Test Registry", "types": [RESIDENT]}]
    )
    entry, example = stack.trust_entry, stack.claims
    holder_key = generate_key()
    holder = did_key_for(holder_key.public_key())
    auth = {"Authorization": f"Bearer {stack.api_key}"}

    with httpx.Client(timeout=30) as http:

        def issue(fmt: str = "vc+jwt") -> tuple[str, str]:
            response = http.post(
                f"{stack.issuer_url}/credentials/issue",
                headers=auth,
                json={
                    "credential": {
                        "type": ["VerifiableCredential", RESIDENT],
                        "credentialSubject": {"id": holder, **example},
                    },
                    "options": {"format": fmt},
                },
            )
            assert response.status_code == 201, response.text
            enveloped = response.json()["verifiableCredential"]
            token = enveloped["id"].split(",", 1)[1]
            body = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
            credential_id = body.get("id") or body["jti"]
            return token, credential_id

        def verify(token: str) -> tuple[int, dict[str, Any]]:
            response = http.post(
                f"{stack.verifier_url}/credentials/verify", json={"verifiableCredential": token}
            )
            return response.status_code, response.json()

        # issue -> verify
        token, credential_id = issue()
        status, body = verify(token)
        assert status == 200, body
        assert body["verified"] is True
        assert body["issuer"]["id"] == entry["id"]
        checks = {c["id"]: c["status"] for c in body["checks"]}
        assert checks["status.revocation"] == checks["status.suspension"] == "passed"
        assert checks["schema"] == "passed"  # fetched from the issuer's /schemas/

        # revoke -> revoked (TRUSTID_VERIFIER_STATUS_MAX_AGE=0: at once)
        stack.set_status(http, credential_id, "revocation", True)
        status, body = verify(token)
        assert status == 400
        assert [p["code"] for p in body["problemDetails"]] == ["revoked"]

        # suspend -> suspended -> reinstate -> verified (VC-JWT 1.1 this time)
        token2, credential_id2 = issue("jwt_vc_json")
        assert verify(token2)[0] == 200
        stack.set_status(http, credential_id2, "suspension", True)
        status, body = verify(token2)
        assert [p["code"] for p in body["problemDetails"]] == ["suspended"]
        stack.set_status(http, credential_id2, "suspension", False)
        status, body = verify(token2)
        assert status == 200, body

        # independent JOSE library, did:jwk issuer on the trust list
        independent = _joserfc_credential(jose_key, jwk_did, holder)
        status, body = verify(independent)
        assert status == 200, body
        assert body["issuer"]["name"] == "Independent Test Registry"

        # batch of mixed items, in order
        untrusted = _joserfc_credential(ECKey.generate_key("P-256"), jwk_did, holder)
        response = http.post(
            f"{stack.verifier_url}/credentials/verify/batch",
            json={
                "items": [
                    {"verifiableCredential": token2},
                    {"verifiableCredential": token},
                    {"verifiableCredential": "not-a-token"},
                    {"verifiableCredential": independent},
                    {"verifiableCredential": untrusted},
                ]
            },
        )
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["verified"] for r in results] == [True, False, False, True, False]
        assert results[1]["problemDetails"][0]["code"] == "revoked"
        assert results[2]["problemDetails"][0]["code"] == "malformed"
        assert results[4]["problemDetails"][0]["code"] == "bad_signature"

        # a presentation for a fresh challenge; replay refused
        challenge = http.post(f"{stack.verifier_url}/challenges").json()
        vp = build_presentation(
            [token2],
            holder_key,
            holder,
            audience=challenge["domain"],
            nonce=challenge["challenge"],
            now=datetime.now(UTC),
        )
        request = {
            "verifiablePresentation": vp,
            "options": {"challenge": challenge["challenge"], "domain": challenge["domain"]},
        }
        response = http.post(f"{stack.verifier_url}/presentations/verify", json=request)
        assert response.status_code == 200, response.text
        replay = http.post(f"{stack.verifier_url}/presentations/verify", json=request)
        assert replay.json()["problemDetails"][0]["code"] == "nonce_reused"

        # the credential's own QR code, as a counter would upload it
        image = qrcode.make(token2, error_correction=qrcode.constants.ERROR_CORRECT_L)
        png = io.BytesIO()
        image.save(png)
        response = http.post(
            f"{stack.verifier_url}/verify/qr",
            files={"file": ("qr.png", png.getvalue(), "image/png")},
        )
        assert response.status_code == 200, response.text

        metrics = http.get(f"{stack.verifier_url}/metrics").text
        assert 'result="verified"' in metrics
        assert 'code="revoked"' in metrics
