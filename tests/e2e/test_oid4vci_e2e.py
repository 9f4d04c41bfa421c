"""OpenID4VCI end to end: an agency makes an offer over HTTP, the wallet redeems it from
the offer's QR PNG (decoded by the wallet's real QR reader), stores and verifies it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RESIDENT, StartStack
from tests.e2e.test_wallet_e2e import Wallet

pytestmark = pytest.mark.e2e


def test_agency_offer_redeemed_from_qr_by_the_wallet(
    tmp_path: Path, start_stack: StartStack
) -> None:
    stack = start_stack()
    wallet = Wallet(
        tmp_path / "wallet", f"127.0.0.1:{stack.issuer_port},127.0.0.1:{stack.verifier_port}"
    )
    wallet.ok("init")
    agency = {"Authorization": f"Bearer {stack.api_key}"}
    with httpx.Client(timeout=10) as http:
        made = http.post(
            f"{stack.issuer_url}/credential-offers",
            headers=agency,
            json={
                "type": RESIDENT,
                "credentialSubject": stack.claims,
                "formats": ["dc+sd-jwt", "jwt_vc_json"],
                "txCode": True,
            },
        )
        assert made.status_code == 201, made.text
        offer = made.json()
        png = http.get(
            f"{stack.issuer_url}/credential-offers/{offer['offerId']}/qr.png", headers=agency
        )
        assert png.status_code == 200
    image = tmp_path / "offer.png"
    image.write_bytes(png.content)

    wrong = "000000" if offer["txCode"] != "000000" else "111111"
    refused = wallet("receive", "--qr", str(image), "--tx-code", wrong)
    assert refused.returncode != 0
    assert "invalid_grant" in refused.stderr
    assert "4 tries left" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    stored = json.loads(
        wallet.ok("receive", "--qr", str(image), "--tx-code", offer["txCode"], "--json")
    )
    assert [s["stored"] for s in stored] == [True, True]
    listed = json.loads(wallet.ok("list", "--json"))
    assert len(listed) == 2
    for item in listed:
        report = wallet.ok("verify", item["id"], "--verifier", stack.verifier_url, "--json")
        assert json.loads(report)["verified"] is True, report

    replay = wallet("receive", "--qr", str(image), "--tx-code", offer["txCode"])
    assert replay.returncode != 0
    assert "Traceback" not in replay.stderr
