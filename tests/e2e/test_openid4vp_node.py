"""Independent counterparties for OpenID4VP, over real HTTP on loopback.

A wallet built on npm ``@openid4vc/openid4vp`` (Openid4vpClient: request object fetched
and its did:web signature checked), ``dcql`` (query matched) and ``@sd-jwt/sd-jwt-vc``
(presentation with KB-JWT) answers TrustID's real verifier, in both response modes; the
same wallet with a wrong nonce or audience is refused and the request stays pending.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RESIDENT, Stack, StartStack
from tests.independent_jose import NODE_DIR
from vcore.dids import did_key_for
from vcore.formats import unwrap_credential
from vcore.keys import generate_key

pytestmark = pytest.mark.e2e


def _require_node() -> None:
    modules = NODE_DIR / "node_modules" / "@openid4vc" / "openid4vp"
    if shutil.which("node") is None or not modules.is_dir():
        pytest.skip(
            "node or tests/node/node_modules/@openid4vc is absent: run `npm ci` in tests/node"
        )


def node_wallet(request: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        ["node", str(NODE_DIR / "oid4vp_wallet.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=NODE_DIR,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def _issue(stack: Stack, http: httpx.Client, holder: str) -> str:
    response = http.post(
        f"{stack.issuer_url}/credentials/issue",
        headers={"Authorization": f"Bearer {stack.api_key}"},
        json={
            "credential": {
                "type": ["VerifiableCredential", RESIDENT],
                "credentialSubject": {"id": holder, **stack.claims},
            },
            "options": {"format": "dc+sd-jwt"},
        },
    )
    assert response.status_code == 201, response.text
    return unwrap_credential(response.json()["verifiableCredential"])


def test_npm_openid4vp_wallet_answers_trustid_verifier(start_stack: StartStack) -> None:
    _require_node()
    stack = start_stack()
    holder = generate_key("ES256")
    with httpx.Client(timeout=30) as http:
        sdjwt = _issue(stack, http, did_key_for(holder.public_key()))
        for mode in ("direct_post.jwt", "direct_post"):
            created = http.post(
                f"{stack.verifier_url}/presentation-requests",
                json={"preset": "age_over_18", "responseMode": mode},
            ).json()
            base = {"link": created["request"], "sdjwt": sdjwt, "holderPrivateJwk": holder.to_jwk()}
            for tamper in ("nonce", "aud"):
                refused = node_wallet({**base, "tamper": tamper})
                assert refused["status"] == 400, refused
                assert refused["body"]["error"] == "invalid_request"
            state = http.get(f"{stack.verifier_url}/presentation-requests/{created['id']}").json()
            assert state["state"] == "pending"
            answer = node_wallet({**base, "tamper": None})
            assert answer["status"] == 200, answer
            assert answer["clientId"].startswith("decentralized_identifier:did:web:127.0.0.1")
            assert answer["disclosed"] == ["age_over_18"]
            state = http.get(f"{stack.verifier_url}/presentation-requests/{created['id']}").json()
            assert state["state"] == "verified", state
            assert state["result"]["claims"] == {"age": [{"age_over_18": True}]}
            replay = node_wallet({**base, "tamper": None})
            assert "status code '400'" in replay["thrown"]  # the request is finished
