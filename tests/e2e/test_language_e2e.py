"""Chinese end to end with real services on loopback: the wallet (LANG=zh_CN.UTF-8)
redeems an agency's offer and names the issuer and the credential in Chinese (OpenID4VCI
display, Type Metadata); the counter page in a zh-CN Chromium asks for "身份" and
"年满18周岁", the wallet says in Chinese
who asks and which claims (labels from the type's metadata) would leave, answers from a
screenshot of the QR, and the page shows the claims under their Chinese labels, the name
family name first, and the over-18 answer as a Chinese yes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RESIDENT, Stack, StartStack
from tests.e2e.test_openid4vp_e2e import CHROMIUM
from tests.e2e.test_wallet_e2e import Wallet

pytestmark = pytest.mark.e2e


def _ask(page: Any, preset: str, tmp_path: Path) -> Path:
    page.click(f'[data-preset="{preset}"]')
    qr = page.locator("#ask-qr[src^='blob:']")  # the CSP forbids wait_for_function
    qr.wait_for(timeout=20_000)
    page.wait_for_timeout(300)  # let the image decode before the screenshot
    shot = tmp_path / f"{preset}.png"
    qr.screenshot(path=str(shot))
    return shot


def _receive_offer_in_chinese(stack: Stack, wallet: Wallet) -> None:
    agency = {"Authorization": f"Bearer {stack.api_key}"}
    with httpx.Client(timeout=30) as http:
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
    received = wallet("receive", offer["offer"], "--tx-code", offer["txCode"])
    assert received.returncode == 0, received.stderr
    lines = received.stdout.splitlines()
    # The issuer's Chinese name and the type's, from the issuer's OpenID4VCI metadata...
    assert lines[0].startswith("TrustID 演示证照签发机构（"), lines
    assert lines[0].endswith("提供：居民身份证明 (dc+sd-jwt)"), lines
    # ...and the stored credential named by its Type Metadata.
    assert lines[1].startswith("已保存来自 "), lines
    assert "的居民身份证明，编号 " in lines[1], lines
    listed = wallet.ok("list")
    assert "共 1 个凭证" in listed


def test_counter_and_wallet_in_chinese(tmp_path: Path, start_stack: StartStack) -> None:
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); never downloaded")
    stack = start_stack()
    wallet = Wallet(
        tmp_path / "wallet", f"127.0.0.1:{stack.issuer_port},127.0.0.1:{stack.verifier_port}"
    )
    wallet.ok("init")
    wallet.env["LANG"] = "zh_CN.UTF-8"
    _receive_offer_in_chinese(stack, wallet)
    given, family = stack.claims["givenName"], stack.claims["familyName"]
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(stack.verifier_url + "/")
        page.locator("#idle").wait_for()
        assert page.get_attribute("html", "lang") == "zh-Hans"
        assert page.locator('[data-preset="identity"]').inner_text() == "身份（核对照片）"

        # Identity: the wallet's consent in Chinese, with the type's own labels.
        shot = _ask(page, "identity", tmp_path)
        sent = wallet("answer", "--qr", str(shot), "--yes")
        assert sent.returncode == 0, sent.stderr
        assert "请求方：" in sent.stderr
        assert "签名已验证" in sent.stderr
        assert "居民身份证明" in sent.stderr
        for label in ("名", "姓", "出生日期", "公民身份号码"):
            assert label in sent.stderr, (label, sent.stderr)
        assert "已发送，验证方已接受。" in sent.stdout
        page.locator(".verdict.verdict-valid").wait_for(timeout=20_000)
        assert page.locator(".verdict-word").inner_text() == "✓ 有效"
        assert page.locator(".verdict-sub").inner_text() == "请将姓名和出生日期与面前的人核对"
        labels = [t.strip() for t in page.locator(".facts dt").all_inner_texts()]
        assert labels[0] == "姓名"
        assert {"出生日期", "公民身份号码"} <= set(labels), labels
        assert page.locator('.facts dd[data-fact="name"]').inner_text() == f"{family} {given}"
        # The same verdict in English, from the same report (labels from the metadata too).
        page.click('[data-lang="en"]')
        labels = [t.strip() for t in page.locator(".facts dt").all_inner_texts()]
        assert {"Name", "Date of birth", "Resident identity number"} <= set(labels), labels
        assert page.locator('.facts dd[data-fact="name"]').inner_text() == f"{given} {family}"
        page.click('[data-lang="zh-Hans"]')
        page.click("#next")

        # Over 18: one big yes, in Chinese, and nothing else.
        shot = _ask(page, "age_over_18", tmp_path)
        sent = wallet("answer", "--qr", str(shot), "--yes")
        assert sent.returncode == 0, sent.stderr
        assert "年满18周岁" in sent.stderr
        page.locator(".verdict.verdict-valid").wait_for(timeout=20_000)
        assert page.locator(".age-answer").inner_text() == "年满18周岁：是"
        assert page.locator(".facts dd").count() == 0
        page.click('[data-lang="en"]')
        assert page.locator(".age-answer").inner_text() == "Over 18: yes"
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e]
