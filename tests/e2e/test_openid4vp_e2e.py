"""OpenID4VP end to end with real services on loopback: the agency issues an SD-JWT VC,
the wallet CLI receives it, the counter page in Chromium asks for "Over 18", the wallet
reads the request from a screenshot of the page's QR code (nothing is sent without
approval), and the page shows "Over 18: yes" and nothing else; the finished request
cannot be answered again."""

from __future__ import annotations

import json
import shutil
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


CHROMIUM = Path("/usr/bin/chromium")


def test_counter_page_asks_for_over_18_and_shows_only_that(
    tmp_path: Path, start_stack: StartStack
) -> None:
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); never downloaded")
    stack = start_stack()
    wallet = Wallet(
        tmp_path / "wallet", f"127.0.0.1:{stack.issuer_port},127.0.0.1:{stack.verifier_port}"
    )
    with httpx.Client(timeout=30) as http:
        issue_to_wallet(tmp_path, stack, wallet, http)
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        page = browser.new_context().new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(stack.verifier_url + "/")
        page.locator("#idle").wait_for()
        page.click('[data-preset="age_over_18"]')
        qr = page.locator("#ask-qr[src^='blob:']")  # the CSP forbids wait_for_function
        qr.wait_for(timeout=20_000)
        page.wait_for_timeout(300)  # let the image decode before the screenshot
        link = page.input_value("#ask-link")
        assert link.startswith("openid4vp://?client_id=decentralized_identifier")
        # The wallet reads the code from a picture of the screen.
        shot = tmp_path / "screen.png"
        qr.screenshot(path=str(shot))
        # Without approval nothing is sent (no terminal here).
        refused = wallet("answer", "--qr", str(shot))
        assert refused.returncode == 2
        assert "--yes" in refused.stderr
        sent = json.loads(wallet.ok("answer", "--qr", str(shot), "--yes", "--json"))
        assert sent["signed"] is True
        assert sent["sent"][0]["claims"] == ["age_over_18"]
        page.locator(".verdict.verdict-valid").wait_for(timeout=20_000)
        assert page.locator(".age-answer").inner_text() == "Over 18: yes"
        verdict = page.locator(".verdict").inner_text()
        for value in (
            stack.claims["givenName"],
            stack.claims["familyName"],
            stack.claims["birthDate"],
            stack.claims["residentNumber"],
        ):
            assert str(value) not in verdict
        assert page.locator(".facts dd").count() == 0  # nothing else at all
        assert page.locator("#ask-box").is_hidden()
        # The same request again: it is finished.
        again = wallet("answer", link, "--yes")
        assert again.returncode != 0
        assert "already answered" in again.stderr
        # The old flows stay: the challenge button still works.
        page.click("#next")
        page.click("#options summary")
        page.click("#challenge-new")
        for _ in range(100):
            if page.input_value("#challenge"):
                break
            page.wait_for_timeout(100)
        assert page.input_value("#challenge")
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e]
