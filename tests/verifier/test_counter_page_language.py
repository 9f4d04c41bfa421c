"""The counter page in Chromium in English and Simplified Chinese: the browser's language
(navigator.languages / Accept-Language of the context) picks the page's, a visible switch
changes it and is remembered, <html lang> follows, a verdict on screen is redrawn in the
new language, and names are in the order the language expects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Server
from tests.verifier import test_counter_page as counter_page
from tests.verifier.test_counter_page import Counter, Tokens, _open

# The module-scoped fixtures of the counter page tests: one verifier, one Chromium.
workdir = counter_page.workdir
tokens = counter_page.tokens
verifier = counter_page.verifier
browser = counter_page.browser


def _counter(browser: Any, verifier: Server, locale: str) -> Iterator[Counter]:
    context = browser.new_context(
        locale=locale,
        extra_http_headers={"Accept-Language": locale},
        viewport={"width": 1280, "height": 900},
    )
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield Counter(page=page, context=context, url=verifier.url, violations=violations)
    context.close()
    assert violations == [], "the page broke its own Content-Security-Policy"


@pytest.fixture
def zh_counter(browser: Any, verifier: Server) -> Iterator[Counter]:
    yield from _counter(browser, verifier, "zh-CN")


@pytest.fixture
def en_counter(browser: Any, verifier: Server) -> Iterator[Counter]:
    yield from _counter(browser, verifier, "en-US")


@pytest.fixture
def tw_counter(browser: Any, verifier: Server) -> Iterator[Counter]:
    yield from _counter(browser, verifier, "zh-TW")


def _text(counter: Counter, selector: str) -> str:
    return str(counter.page.locator(selector).first.inner_text()).strip()


def _pressed(counter: Counter) -> str:
    return str(counter.page.get_attribute('[data-lang][aria-pressed="true"]', "data-lang"))


def test_a_chinese_browser_gets_the_chinese_page(zh_counter: Counter, tokens: Tokens) -> None:
    _open(zh_counter)
    page = zh_counter.page
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.title() == "TrustID 柜台核验"
    assert _text(zh_counter, ".idle-big") == "就绪"
    assert _text(zh_counter, '[data-preset="age_over_18"]') == "年满18周岁"
    assert _text(zh_counter, '[data-preset="identity"]') == "身份（核对照片）"
    assert page.get_attribute("#scan-text", "placeholder") == "扫描或粘贴二维码文本"
    assert _pressed(zh_counter) == "zh-Hans"
    zh_counter.scan(tokens.valid)
    verdict = zh_counter.verdict("valid")
    assert verdict.locator(".verdict-word").inner_text() == "✓ 有效"
    assert verdict.locator(".verdict-sub").inner_text() == "请将姓名与持有人的带照片证件核对"
    labels = [t.strip() for t in verdict.locator(".facts dt").all_inner_texts()]
    assert labels[:3] == ["持有人", "证件", "签发机构"]
    # data-fact is language-neutral; the Latin name is family name first in Chinese.
    assert zh_counter.fact("holder") == "Zhang Mei"
    assert _text(zh_counter, ".warnings h2") == "请注意"
    assert "秒后自动清除" in _text(zh_counter, "#clear-note")


def test_an_english_browser_gets_the_english_page(en_counter: Counter, tokens: Tokens) -> None:
    _open(en_counter)
    assert en_counter.page.get_attribute("html", "lang") == "en"
    assert _text(en_counter, ".idle-big") == "Ready"
    assert _pressed(en_counter) == "en"
    en_counter.scan(tokens.valid)
    en_counter.verdict("valid")
    assert en_counter.fact("holder") == "Mei Zhang"
    assert _text(en_counter, ".verdict-word") == "✓ VALID"


def test_traditional_chinese_is_not_simplified(tw_counter: Counter) -> None:
    # zh-TW is another script: the page does not pretend, it falls back to English.
    _open(tw_counter)
    assert tw_counter.page.get_attribute("html", "lang") == "en"
    assert _text(tw_counter, ".idle-big") == "Ready"


def test_the_switch_redraws_and_is_remembered(en_counter: Counter, tokens: Tokens) -> None:
    _open(en_counter)
    page = en_counter.page
    en_counter.scan(tokens.tampered)
    en_counter.verdict("invalid")
    assert _text(en_counter, ".verdict-word") == "✗ NOT VALID"
    assert _text(en_counter, ".reasons h2") == "Why"
    page.click('[data-lang="zh-Hans"]')
    # The same verdict, now in Chinese; nothing was sent again.
    assert _text(en_counter, ".verdict-word") == "✗ 无效"
    assert _text(en_counter, ".verdict-sub") == "请勿接受此凭证"
    assert _text(en_counter, ".reasons h2") == "原因"
    assert page.locator(".verdict").count() == 1
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert _text(en_counter, "#next") == "下一位"
    assert _pressed(en_counter) == "zh-Hans"
    # Remembered on this screen (the browser still asks for English).
    page.reload()
    page.locator("#idle").wait_for()
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert _text(en_counter, ".idle-big") == "就绪"
    # A verdict is never remembered: the reload shows none.
    assert page.locator(".verdict").count() == 0
    page.click('[data-lang="en"]')
    assert _text(en_counter, ".idle-big") == "Ready"
    assert page.get_attribute("html", "lang") == "en"
    assert page.evaluate("localStorage.length") == 1  # the language, nothing else


def test_a_redraw_keeps_the_verdict_and_its_countdown(zh_counter: Counter, tokens: Tokens) -> None:
    _open(zh_counter, fake_clock=True)
    page = zh_counter.page
    zh_counter.scan(tokens.valid)
    zh_counter.verdict("valid")
    page.clock.run_for(30_000)
    page.click('[data-lang="en"]')
    assert zh_counter.fact("holder") == "Mei Zhang"
    assert _text(zh_counter, "#clear-note") in {
        "Clears automatically in 30 s",
        "Clears automatically in 29 s",
    }
    page.clock.run_for(31_000)
    assert page.locator(".verdict").count() == 0  # the switch did not extend the 60 s
    assert _text(zh_counter, ".idle-big") == "Ready"
