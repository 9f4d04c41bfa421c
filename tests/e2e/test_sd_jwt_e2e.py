"""SD-JWT VC end to end: real issuer and verifier, the wallet CLI, the counter page in Chromium.

An agency issues a resident ``dc+sd-jwt`` to the wallet's DID -> ``receive`` -> ``show
--claims`` -> at the counter, ``present --disclose age_over_18`` with the page's challenge ->
the page shows "Over 18: yes" and no other claim value ("not shared" for the rest) ->
the agency revokes -> the same kind of presentation is refused as revoked.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RESIDENT, StartStack
from tests.e2e.test_wallet_e2e import PASSPHRASE, Wallet
from wallet_cli.store import Vault

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
playwright_sync = pytest.importorskip("playwright.sync_api")


def _challenge(page: object) -> tuple[str, str]:
    page.click("#challenge-new")  # type: ignore[attr-defined]
    page.locator("#challenge").wait_for()  # type: ignore[attr-defined]
    for _ in range(100):
        value = page.input_value("#challenge")  # type: ignore[attr-defined]
        if value:
            return value, page.input_value("#domain")  # type: ignore[attr-defined]
        page.wait_for_timeout(100)  # type: ignore[attr-defined]
    raise AssertionError("the counter page got no challenge")


def test_over_18_at_the_counter_then_revoked(tmp_path: Path, start_stack: StartStack) -> None:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); never downloaded")
    stack = start_stack()
    wallet = Wallet(
        tmp_path / "wallet", f"127.0.0.1:{stack.issuer_port},127.0.0.1:{stack.verifier_port}"
    )
    holder = json.loads(wallet.ok("init", "--json"))["did"]
    with httpx.Client(timeout=30) as http:
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
        credential_id = response.json()["credentialId"]
        issued = tmp_path / "resident.json"
        issued.write_text(response.text)
        stored = json.loads(wallet.ok("receive", str(issued), "--json"))
        local_id = stored["id"]
        claims = json.loads(wallet.ok("show", local_id, "--claims", "--json"))
        assert claims["age_over_18"] == "you choose"
        assert claims["givenName"] == "you choose"
        # The Type Metadata came over real HTTP and matched vct#integrity: it was kept.
        shown = json.loads(wallet.ok("show", local_id, "--json"))
        assert not [n for n in shown["notes"] if "metadata" in n], shown["notes"]
        kept = Vault(wallet.home, PASSPHRASE, allow_test_kdf=True).load().find(local_id)
        assert kept.type_metadata is not None
        assert kept.type_metadata["vct"] == f"{stack.issuer_url}/types/{RESIDENT}"
        # The example has every claim but the optional photo, which the type metadata lists.
        absent = [name for name, word in claims.items() if word == "not in this credential"]
        assert absent == ["portrait"], claims

        with playwright_sync.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            page = browser.new_context().new_page()
            page.goto(stack.verifier_url + "/")
            page.locator("#idle").wait_for()
            page.click("#options summary")

            def present_at_counter() -> None:
                challenge, domain = _challenge(page)
                out = tmp_path / "presentation.txt"
                wallet.ok(
                    "present",
                    local_id,
                    "--disclose",
                    "age_over_18",
                    "--audience",
                    domain,
                    "--nonce",
                    challenge,
                    "--out",
                    str(out),
                )
                page.fill("#scan-text", out.read_text().strip())
                page.press("#scan-text", "Enter")

            present_at_counter()
            page.locator(".verdict.verdict-valid").wait_for(timeout=20_000)
            answer = page.locator(".age-answer").inner_text()
            assert answer == "Over 18: yes"
            verdict = page.locator(".verdict").inner_text()
            for value in (
                stack.claims["givenName"],
                stack.claims["familyName"],
                stack.claims["birthDate"],
                stack.claims["residentNumber"],
            ):
                assert str(value) not in verdict
            facts = page.locator(".facts dd").all_inner_texts()
            assert "not shared" in facts
            assert page.locator('.facts dd[data-fact="holder"]').count() == 0

            stack.set_status(http, credential_id, "revocation", True)
            page.click("#next")
            present_at_counter()
            page.locator(".verdict.verdict-invalid").wait_for(timeout=20_000)
            assert "revoked" in page.locator(".reasons-list").inner_text().lower()
            browser.close()
