"""OpenID4VP end to end with real services on loopback: the agency issues an SD-JWT VC,
the wallet CLI receives it, the verifier asks for "over 18" (a preset), the wallet
answers from the request's QR image, and the verifier's report holds that claim only."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RESIDENT, Stack, StartStack
from tests.e2e.test_wallet_e2e import Wallet

pytestmark = pytest.mark.e2e


def issue_to_wallet(tmp_path: Path, stack: Stack, wallet: Wallet, http: httpx.Client) -> str:
    holder = json.loads(wallet.ok("init", "--json"))["did"]
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
    issued = tmp_path / "resident.json"
    issued.write_text(response.text)
    local_id: str = json.loads(wallet.ok("receive", str(issued), "--json"))["id"]
    return local_id


def test_wallet_answers_over_18_from_the_qr_image(tmp_path: Path, start_stack: StartStack) -> None:
    stack = start_stack()
    wallet = Wallet(
        tmp_path / "wallet", f"127.0.0.1:{stack.issuer_port},127.0.0.1:{stack.verifier_port}"
    )
    with httpx.Client(timeout=30) as http:
        issue_to_wallet(tmp_path, stack, wallet, http)
        created = http.post(
            f"{stack.verifier_url}/presentation-requests", json={"preset": "age_over_18"}
        ).json()
        qr = tmp_path / "request.png"
        qr.write_bytes(
            http.get(f"{stack.verifier_url}/presentation-requests/{created['id']}/qr.png").content
        )
        # Without approval nothing is sent (no terminal here).
        refused = wallet("answer", "--qr", str(qr))
        assert refused.returncode == 2
        assert "--yes" in refused.stderr
        state = http.get(f"{stack.verifier_url}/presentation-requests/{created['id']}").json()
        assert state["state"] == "pending"
        sent = json.loads(wallet.ok("answer", "--qr", str(qr), "--yes", "--json"))
        assert sent["signed"] is True
        assert sent["sent"][0]["claims"] == ["age_over_18"]
        state = http.get(f"{stack.verifier_url}/presentation-requests/{created['id']}").json()
        assert state["state"] == "verified", state
        assert state["result"]["claims"] == {"age": [{"age_over_18": True}]}
        disclosed = state["result"]["presentations"]["age"][0]["credentials"][0]["credential"]
        assert disclosed["disclosed"] == {"age_over_18": True}
        # The same link again: the request is finished.
        again = wallet("answer", created["request"], "--yes")
        assert again.returncode != 0
        assert "already answered" in again.stderr
