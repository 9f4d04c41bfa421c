"""The citizen's wallet end to end, with the real issuer and verifier on loopback.

init -> an agency issues to the wallet's DID -> receive -> list -> show --png accepted by
the verifier's /verify/qr -> present --png (accepted, or refused because it does not fit)
-> present --out verified with its nonce and refused with another -> verify through the
verifier -> revocation at the issuer -> status shows it revoked. Every wallet step is a
real `python -m wallet_cli.cli` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RESIDENT, StartStack

pytestmark = pytest.mark.e2e

PASSPHRASE = "e2e wallet passphrase"


class Wallet:
    """The wallet CLI as a separate process, as a citizen's shell runs it."""

    def __init__(self, home: Path, allow: str) -> None:
        self.env = {
            **os.environ,
            "TRUSTID_WALLET_HOME": str(home),
            "TRUSTID_WALLET_PASSPHRASE": PASSPHRASE,
            "TRUSTID_WALLET_TEST_KDF": "1",
            "TRUSTID_ALLOW_INSECURE_HOSTS": allow,
            # English messages whatever the machine's locale (tests/e2e/test_language_e2e.py
            # sets another).
            "LANG": "C.UTF-8",
            "LC_ALL": "",
            "LC_MESSAGES": "",
            "LANGUAGE": "",
        }
        self.home = home

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wallet_cli.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        return result.stdout


def test_wallet_with_real_issuer_and_verifier(tmp_path: Path, start_stack: StartStack) -> None:
    stack = start_stack()
    entry, claims = stack.trust_entry, stack.claims
    wallet = Wallet(
        tmp_path / "wallet", f"127.0.0.1:{stack.issuer_port},127.0.0.1:{stack.verifier_port}"
    )

    # init: the citizen's DID is what the agency issues to.
    did = wallet.ok("init", "--json")
    holder = json.loads(did)["did"]
    assert holder.startswith("did:key:zDn")

    with httpx.Client(timeout=30) as http:
        auth = {"Authorization": f"Bearer {stack.api_key}"}
        response = http.post(
            f"{stack.issuer_url}/credentials/issue",
            headers=auth,
            json={
                "credential": {
                    "type": ["VerifiableCredential", RESIDENT],
                    "credentialSubject": {"id": holder, **claims},
                }
            },
        )
        assert response.status_code == 201, response.text
        issued = tmp_path / "issued.json"
        issued.write_text(response.text)

        # receive (the issuer's response as saved), checked online against did:web
        wallet.ok("receive", str(issued))
        (item,) = json.loads(wallet.ok("list", "--json"))
        assert item["type"] == RESIDENT
        assert item["issuer"] == entry["id"]
        assert item["status"] == "valid"
        assert item["revoked"] is False
        assert item["statusCheckedAt"]
        short = item["shortId"]
        assert short in wallet.ok("list")

        # the credential's own QR code at a counter
        card = tmp_path / "card.png"
        shown = wallet("show", short, "--png", str(card))
        assert shown.returncode == 0, shown.stderr
        assert "needs QR version" in shown.stderr
        response = http.post(
            f"{stack.verifier_url}/verify/qr",
            files={"file": ("card.png", card.read_bytes(), "image/png")},
        )
        assert response.status_code == 200, response.text
        assert response.json()["verified"] is True

        # a presentation as a QR code: accepted, or a clear refusal that it does not fit
        challenge = http.post(f"{stack.verifier_url}/challenges").json()
        vp_png = tmp_path / "vp.png"
        presented = wallet(
            "present",
            short,
            "--audience",
            challenge["domain"],
            "--nonce",
            challenge["challenge"],
            "--png",
            str(vp_png),
        )
        if presented.returncode == 0:
            assert "needs QR version" in presented.stderr
            response = http.post(
                f"{stack.verifier_url}/verify/qr",
                files={"file": ("vp.png", vp_png.read_bytes(), "image/png")},
                data={"challenge": challenge["challenge"], "domain": challenge["domain"]},
            )
            assert response.status_code == 200, response.text
            assert response.json()["verified"] is True
        else:
            assert presented.returncode == 7, presented.stderr
            assert "does not fit" in presented.stderr
            assert "show ID --qr" in presented.stderr
            assert not vp_png.exists()

        # a presentation sent over the network: valid for its nonce, not for another
        challenge = http.post(f"{stack.verifier_url}/challenges").json()
        vp_file = tmp_path / "vp.jwt"
        wallet.ok(
            "present",
            short,
            "--audience",
            challenge["domain"],
            "--nonce",
            challenge["challenge"],
            "--out",
            str(vp_file),
        )
        token = vp_file.read_text().strip()
        other = http.post(f"{stack.verifier_url}/challenges").json()
        response = http.post(
            f"{stack.verifier_url}/presentations/verify",
            json={
                "verifiablePresentation": token,
                "options": {"challenge": other["challenge"], "domain": other["domain"]},
            },
        )
        assert response.json()["verified"] is False
        assert "nonce_mismatch" in [p["code"] for p in response.json()["problemDetails"]]
        response = http.post(
            f"{stack.verifier_url}/presentations/verify",
            json={
                "verifiablePresentation": token,
                "options": {"challenge": challenge["challenge"], "domain": challenge["domain"]},
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["verified"] is True

        # ask the verifier from the wallet
        asked = wallet("verify", short, "--verifier", stack.verifier_url)
        assert asked.returncode == 0, asked.stderr
        assert "VERIFIED" in asked.stdout
        # the verifier's trust list named the issuer; the wallet now shows that name
        (item,) = json.loads(wallet.ok("list", "--json"))
        assert item["issuerName"] == entry["name"]

        # the agency revokes; the wallet's status refresh shows it
        credential_id = item["id"]
        stack.set_status(http, credential_id, "revocation", True)

    refreshed = wallet.ok("status")
    assert "revoked" in refreshed
    (item,) = json.loads(wallet.ok("list", "--json"))
    assert item["status"] == "revoked"
    assert item["revoked"] is True
    refused = wallet("verify", short, "--verifier", stack.verifier_url)
    assert refused.returncode == 5
    assert "revoked" in refused.stdout + refused.stderr

    # nothing readable on disk
    for path in (tmp_path / "wallet").iterdir():
        data = path.read_bytes()
        for value in [str(v) for v in claims.values() if isinstance(v, str) and len(v) > 3]:
            assert value.encode() not in data, (path, value)
