"""Independent counterparties for OpenID4VP, over real HTTP on loopback.

Both ways. A wallet built on npm ``@openid4vc/openid4vp`` (Openid4vpClient: request object fetched
and its did:web signature checked), ``dcql`` (query matched) and ``@sd-jwt/sd-jwt-vc``
(presentation with KB-JWT) answers TrustID's real verifier, in both response modes; the
same wallet with a wrong nonce or audience is refused and the request stays pending.
And TrustID's wallet CLI answers a verifier built on ``Openid4vpVerifier``
(tests/node/oid4vp_verifier.mjs, checking with ``dcql`` and ``@sd-jwt/sd-jwt-vc``), and
refuses its request, sending nothing, when it is wrongly signed, expired or names a
response_uri that does not belong to its client id.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RESIDENT, Stack, StartStack
from tests.e2e.test_openid4vp_e2e import issue_to_wallet
from tests.e2e.test_wallet_e2e import Wallet
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


@contextmanager
def npm_verifier(port: int, **options: Any) -> Iterator[tuple[str, Callable[[], dict[str, Any]]]]:
    """Run tests/node/oid4vp_verifier.mjs on ``port``; yield its link and a result reader."""
    process = subprocess.Popen(
        ["node", str(NODE_DIR / "oid4vp_verifier.mjs")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=NODE_DIR,
    )
    try:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps({"port": port, **options}) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        link = json.loads(line)["link"]

        def result() -> dict[str, Any]:
            answer: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/result").json()
            return answer

        yield link, result
    finally:
        process.terminate()
        process.communicate(timeout=10)  # reaps it and closes the pipes


def _options(stack: Stack, mode: str, tamper: str | None) -> dict[str, Any]:
    return {
        "vct": f"{stack.issuer_url}/types/{RESIDENT}",
        "claims": ["age_over_18"],
        "responseMode": mode,
        "issuerJwksUrl": f"{stack.issuer_url}/.well-known/jwks.json",
        "tamper": tamper,
    }


def test_trustid_wallet_answers_an_npm_openid4vp_verifier_and_refuses_bad_requests(
    tmp_path: Path, start_stack: StartStack, port_factory: Callable[[], int]
) -> None:
    _require_node()
    stack = start_stack()
    ports = [port_factory() for _ in range(5)]
    allow = ",".join([f"127.0.0.1:{stack.issuer_port}", *(f"127.0.0.1:{p}" for p in ports)])
    wallet = Wallet(tmp_path / "wallet", allow)
    with httpx.Client(timeout=30) as http:
        issue_to_wallet(tmp_path, stack, wallet, http)
    for port, mode in zip(ports, ("direct_post.jwt", "direct_post"), strict=False):
        with npm_verifier(port, **_options(stack, mode, None)) as (link, result):
            sent = json.loads(wallet.ok("answer", link, "--yes", "--json"))
            assert sent["verifier"] == "Independent verifier"
            outcome = result()
            assert outcome["verified"] is True, outcome
            disclosed = outcome["claims"]["pid"]
            assert disclosed["age_over_18"] is True
            for withheld in ("birthDate", "givenName", "familyName", "residentNumber"):
                assert withheld not in disclosed
    refusals = [
        ("signature", "signature does not verify"),
        ("response_uri", "does not belong"),
        ("expired", "expired"),
    ]
    for port, (tamper, message) in zip(ports[2:], refusals, strict=True):
        with npm_verifier(port, **_options(stack, "direct_post.jwt", tamper)) as (link, result):
            refused = wallet("answer", link, "--yes")
            assert refused.returncode == 5, refused.stderr
            assert message in refused.stderr
            assert result()["received"] is False  # nothing was sent
