"""The identity photo check end to end: an SD-JWT VC issued with a portrait, the counter
page in Chromium asks for "Identity (photo check)", the wallet CLI presents the portrait
with the name, and the page shows it as an image with the instruction (in English and
Chinese); the over-18 answer of the same credential shows no photo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RESIDENT, Stack, StartStack
from tests.e2e.test_wallet_e2e import Wallet
from tests.portrait_images import data_url, png_bytes

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
PORTRAIT = data_url("image/png", png_bytes(24, 32))


def _issue_with_portrait(tmp_path: Path, stack: Stack, wallet: Wallet) -> None:
    holder = json.loads(wallet.ok("init", "--json"))["did"]
    subject = {"id": holder, **stack.claims, "portrait": PORTRAIT}
    with httpx.Client(timeout=30) as http:
        response = http.post(
            f"{stack.issuer_url}/credentials/issue",
            headers={"Authorization": f"Bearer {stack.api_key}"},
            json={
                "credential": {
                    "type": ["VerifiableCredential", RESIDENT],
                    "credentialSubject": subject,
                },
                "options": {"format": "dc+sd-jwt"},
            },
        )
    assert response.status_code == 201, response.text
    issued = tmp_path / "resident.json"
    issued.write_text(response.text)
    wallet.ok("receive", str(issued), "--json")


def _ask_and_answer(page: Any, wallet: Wallet, preset: str) -> dict[str, Any]:
    page.click(f'[data-preset="{preset}"]')
    page.locator("#ask-qr[src^='blob:']").wait_for(timeout=20_000)
    sent: dict[str, Any] = json.loads(
        wallet.ok("answer", page.input_value("#ask-link"), "--yes", "--json")
    )
    page.locator(".verdict.verdict-valid").wait_for(timeout=20_000)
    return sent


def test_identity_answer_shows_the_photo_and_over_18_shows_none(
    tmp_path: Path, start_stack: StartStack
) -> None:
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); never downloaded")
    stack = start_stack()
    wallet = Wallet(
        tmp_path / "wallet", f"127.0.0.1:{stack.issuer_port},127.0.0.1:{stack.verifier_port}"
    )
    _issue_with_portrait(tmp_path, stack, wallet)
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

        sent = _ask_and_answer(page, wallet, "identity")
        assert "portrait" in sent["sent"][0]["claims"]  # the wallet presents it when asked
        photo = page.locator(".verdict figure.portrait img")
        assert photo.count() == 1
        assert photo.get_attribute("src") == PORTRAIT
        assert photo.evaluate("img => img.complete && img.naturalWidth") == 24  # it decoded
        assert photo.get_attribute("alt") == "Photo of the credential holder"
        figure = page.locator(".verdict figure.portrait")
        assert figure.inner_text() == "Compare the photo with the person"
        verdict = page.locator(".verdict").inner_text()
        assert stack.claims["familyName"] in verdict
        assert "data:image" not in verdict  # never shown as text
        # Beside the name: the photo's box overlaps the facts list vertically.
        box, facts = photo.bounding_box(), page.locator(".verdict .facts").bounding_box()
        assert box
        assert facts
        assert box["y"] < facts["y"] + facts["height"]
        page.click('[data-lang="zh-Hans"]')
        assert figure.inner_text() == "核对照片与本人是否一致"
        assert photo.get_attribute("alt") == "凭证持有人的照片"
        page.click('[data-lang="en"]')

        page.click("#next")
        assert page.locator("figure.portrait").count() == 0  # cleared with the citizen
        sent = _ask_and_answer(page, wallet, "age_over_18")
        assert sent["sent"][0]["claims"] == ["age_over_18"]
        assert page.locator(".age-answer").inner_text() == "Over 18: yes"
        assert page.locator("figure.portrait, .verdict img").count() == 0
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
