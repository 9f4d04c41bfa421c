"""Independent issuers over HTTP: every algorithm, through POST /credentials/verify.

Like the "joserfc-signed did:jwk issuer" step of ``test_verifier_e2e``, for each JWS
algorithm the verifier supports: a did:jwk (and some did:key) issuer whose key lives only
in joserfc or node ``jose`` is put on the trust list of a real verifier server; its
credentials verify, and tampered ones, a relabelled (wrong-curve) alg, ``none``, HS256
and an RSA-1024 issuer are refused with their codes. Holders too: TrustID issues to a
joserfc-held did:jwk (ES384, ES256K, PS256, EdDSA) and joserfc signs the vp+jwt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.e2e.conftest import RESIDENT, StartStack
from tests.independent_jose import (
    INDEPENDENT_ALGS,
    VC2,
    b64url,
    credential_payload,
    did_jwk,
    joserfc_issuer,
    node_sign,
    relabelled,
    require_node,
    tampered,
)
from vcore.dids import did_key_for
from vcore.keys import generate_key

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated:joserfc.errors.SecurityWarning"),
]


def _entry(did: str, name: str) -> dict[str, Any]:
    return {"id": did, "name": name, "types": [RESIDENT]}


def _verify(http: httpx.Client, url: str, token: str) -> tuple[int, dict[str, Any]]:
    response = http.post(f"{url}/credentials/verify", json={"verifiableCredential": token})
    return response.status_code, response.json()


def _codes(body: dict[str, Any]) -> list[str]:
    return [p["code"] for p in body.get("problemDetails", [])]


def _rsa_1024_credential(holder: str) -> tuple[str, str]:
    """An RS256 credential from a 1024-bit key, signed with cryptography by hand."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": b64url(numbers.n.to_bytes(128, "big")), "e": "AQAB"}
    did = did_jwk(jwk, "RS256")
    head = b64url(json.dumps({"alg": "RS256", "typ": "vc+jwt", "kid": f"{did}#0"}).encode())
    body = b64url(json.dumps(credential_payload(did, holder)).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return did, f"{head}.{body}.{b64url(signature)}"


def test_joserfc_issuers_of_every_algorithm_verify_over_http(start_stack: StartStack) -> None:
    holder = did_key_for(generate_key().public_key())
    issuers = [joserfc_issuer(alg) for alg in INDEPENDENT_ALGS]
    issuers += [joserfc_issuer(alg, did_method="key") for alg in ("ES384", "ES256K", "PS256")]
    weak_did, weak_token = _rsa_1024_credential(holder)
    stack = start_stack(
        extra_trust=[
            *(_entry(i.did, f"Independent {i.alg} {i.did[:7]}") for i in issuers),
            _entry(weak_did, "Weak RSA"),
        ]
    )
    es256 = issuers[INDEPENDENT_ALGS.index("ES256")]
    with httpx.Client(timeout=30) as http:
        for issuer in issuers:
            token = issuer.credential(holder)
            status, body = _verify(http, stack.verifier_url, token)
            assert status == 200, (issuer.alg, issuer.did[:7], body)
            assert body["verified"] is True
            assert body["issuer"]["id"] == issuer.did
            status, body = _verify(http, stack.verifier_url, tampered(token))
            assert (status, _codes(body)) == (400, ["bad_signature"]), issuer.alg

        # The header names another curve's algorithm than the key's: refused by code.
        wrong_curve = relabelled(es256.credential(holder), alg="ES384")
        status, body = _verify(http, stack.verifier_url, wrong_curve)
        assert (status, _codes(body)) == (400, ["alg_not_allowed"])

        # alg none, and HS256 keyed with the issuer's public JWK (CVE-2022-29217).
        payload = b64url(json.dumps(credential_payload(es256.did, holder)).encode())
        for header in ({"alg": "none"}, {"alg": "HS256"}):
            head = b64url(json.dumps({**header, "typ": "vc+jwt", "kid": es256.kid}).encode())
            secret = json.dumps(es256.public_jwk).encode()
            mac = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
            signature = "" if header["alg"] == "none" else b64url(mac)
            status, body = _verify(http, stack.verifier_url, f"{head}.{payload}.{signature}")
            assert status == 400, body
            assert _codes(body) in (["alg_not_allowed"], ["malformed"]), body

        # A trusted issuer with an RSA-1024 key: the key is refused, not the trust entry.
        status, body = _verify(http, stack.verifier_url, weak_token)
        assert (status, _codes(body)) == (400, ["weak_key"])

        # Independent holders: TrustID's issuer issues to a joserfc-held did:jwk, and the
        # holder presents it in a vp+jwt signed by joserfc, for each holder algorithm.
        for alg in ("ES384", "ES256K", "PS256", "EdDSA"):
            holder_issuer = joserfc_issuer(alg)
            response = http.post(
                f"{stack.issuer_url}/credentials/issue",
                headers={"Authorization": f"Bearer {stack.api_key}"},
                json={
                    "credential": {
                        "type": ["VerifiableCredential", RESIDENT],
                        "credentialSubject": {"id": holder_issuer.did, **stack.claims},
                    }
                },
            )
            assert response.status_code == 201, response.text
            envelope = response.json()["verifiableCredential"]
            challenge = http.post(f"{stack.verifier_url}/challenges").json()
            presentation = {
                "@context": [VC2],
                "type": ["VerifiablePresentation"],
                "holder": holder_issuer.did,
                "verifiableCredential": [envelope],
                "nonce": challenge["challenge"],
                "aud": challenge["domain"],
                "iat": int(time.time()),
            }
            vp = holder_issuer.sign(presentation, typ="vp+jwt", cty=None)
            request = {
                "verifiablePresentation": vp,
                "options": {"challenge": challenge["challenge"], "domain": challenge["domain"]},
            }
            response = http.post(f"{stack.verifier_url}/presentations/verify", json=request)
            assert response.status_code == 200, (alg, response.text)


def test_node_jose_issuers_verify_over_http(start_stack: StartStack) -> None:
    require_node()
    holder = did_key_for(generate_key().public_key())
    signed = node_sign(
        [{"alg": alg, "payload": credential_payload("", holder)} for alg in INDEPENDENT_ALGS]
    )
    stack = start_stack(extra_trust=[_entry(s["did"], f"Node {s['alg']}") for s in signed])
    with httpx.Client(timeout=30) as http:
        for item in signed:
            status, body = _verify(http, stack.verifier_url, item["token"])
            assert status == 200, (item["alg"], body)
            assert body["issuer"]["name"] == f"Node {item['alg']}"
            status, body = _verify(http, stack.verifier_url, tampered(item["token"]))
            assert (status, _codes(body)) == (400, ["bad_signature"]), item["alg"]
