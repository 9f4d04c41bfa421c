"""Issue 11's "Done when", end to end with real services on loopback and no shortcut.

An agency makes an OpenID4VCI offer over HTTP (with a transaction code); the wallet CLI
redeems it from the offer's QR PNG; the counter page in Chromium asks for "over 18"; the
wallet answers from a screenshot of the page's QR code; the page shows "Over 18: yes" and
nothing else. Then the agency revokes that credential, and a second request, answered by
the same wallet, is refused as revoked (on the page and to the wallet).
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RESIDENT, Stack, StartStack
from tests.e2e.test_openid4vp_e2e import CHROMIUM
from tests.e2e.test_wallet_e2e import Wallet

pytestmark = pytest.mark.e2e


def offer_png(stack: Stack, http: httpx.Client, tmp_path: Path) -> tuple[Path, str]:
    """The agency's offer (one SD-JWT VC, a tx code) as its QR image; and the code."""
    agency = {"Authorization": f"Bearer {stack.api_key}"}
    made = http.post(
        f"{stack.issuer_url}/credential-offers",
        headers=agency,
        json={
            "type": RESIDENT,
            "credentialSubject": stack.claims,
            "formats": ["dc+sd-jwt"],
            "txCode": True,
        },
    )
    assert made.status_code == 201, made.text
    offer = made.json()
    png = http.get(
        f"{stack.issuer_url}/credential-offers/{offer['offerId']}/qr.png", headers=agency
    )
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    image = tmp_path / "offer.png"
    image.write_bytes(png.content)
    return image, str(offer["txCode"])


def revoke_issued_since(stack: Stack, http: httpx.Client, since: datetime) -> dict[str, Any]:
    """The agency revokes what it issued of the type since ``since`` (the offer's)."""
    response = http.post(
        f"{stack.issuer_url}/credentials/status/batch",
        headers={"Authorization": f"Bearer {stack.api_key}"},
        json={
            "type": RESIDENT,
            "issuedFrom": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "statusPurpose": "revocation",
            "reason": "keyCompromise",
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_offer_qr_to_counter_over_18_then_revoked(tmp_path: Path, start_stack: StartStack) -> None:
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); never downloaded")
    started = time.monotonic()
    stack = start_stack()
    wallet = Wallet(
        tmp_path / "wallet", f"127.0.0.1:{stack.issuer_port},127.0.0.1:{stack.verifier_port}"
    )
    wallet.ok("init")
    before_offer = datetime.now(UTC) - timedelta(seconds=2)
    with httpx.Client(timeout=10) as http:
        image, tx_code = offer_png(stack, http, tmp_path)
        # 1. The wallet redeems the offer from its QR image.
        stored = json.loads(
            wallet.ok("receive", "--qr", str(image), "--tx-code", tx_code, "--json")
        )
        assert [s["stored"] for s in stored] == [True]
        listed = json.loads(wallet.ok("list", "--json"))
        assert len(listed) == 1

        with playwright_sync.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            page = browser.new_context(locale="en-GB").new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(stack.verifier_url + "/")
            page.locator("#idle").wait_for()

            def ask_over_18(name: str) -> Path:
                page.click('[data-preset="age_over_18"]')
                qr = page.locator("#ask-qr[src^='blob:']")  # the CSP forbids wait_for_function
                qr.wait_for(timeout=20_000)
                page.wait_for_timeout(300)  # let the image decode before the screenshot
                shot = tmp_path / name
                qr.screenshot(path=str(shot))
                return shot

            # 2. The counter asks for "over 18"; the wallet answers from the screen.
            shot = ask_over_18("first.png")
            sent = json.loads(wallet.ok("answer", "--qr", str(shot), "--yes", "--json"))
            assert sent["signed"] is True
            assert [s["claims"] for s in sent["sent"]] == [["age_over_18"]]
            verdict = page.locator(".verdict.verdict-valid")
            verdict.wait_for(timeout=20_000)
            assert page.locator(".age-answer").all_inner_texts() == ["Over 18: yes"]
            assert page.locator(".facts dd").count() == 0  # nothing else at all
            text = verdict.inner_text()
            for value in stack.claims.values():
                if isinstance(value, str):
                    assert value not in text

            # 3. The agency revokes that credential (the only one it issued since).
            revoked = revoke_issued_since(stack, http, before_offer)
            assert (revoked["matched"], revoked["changed"]) == (1, 1)

            # 4. A second request: the wallet answers, the verifier refuses it as revoked.
            page.click("#next")
            shot = ask_over_18("second.png")
            refused = wallet("answer", "--qr", str(shot), "--yes")
            assert refused.returncode != 0
            assert "Traceback" not in refused.stderr
            assert "refused the answer" in refused.stderr
            assert "revoked" in refused.stderr.lower()
            page.locator(".verdict.verdict-invalid").wait_for(timeout=20_000)
            assert page.locator(".age-answer").count() == 0
            reasons = page.locator(".verdict .reasons").inner_text()
            assert "revoked" in reasons.lower(), reasons
            browser.close()
    assert not [e for e in errors if "Content Security Policy" in e]
    assert time.monotonic() - started < 60
