"""The service-counter page, driven in Debian's Chromium against a real verifier process.

One verifier and one browser for the module (launched with a fake camera that plays a
QR code), a fresh browser context per test. Credentials are signed locally by a did:jwk
issuer on the verifier's trust list, so no issuer server is needed.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import qrcode
import qrcode.constants
from PIL import Image

from tests.conftest import Server, free_port, start_server
from tests.verifier.support import Holder, holder_proof
from vcore.credentials import build_credential
from vcore.dids import did_jwk_for, did_key_for
from vcore.formats import build_presentation, sign_credential
from vcore.keys import PrivateKey, b64url_decode, b64url_encode, generate_key
from vcore.qr import encode_qr_text
from vcore.signing import SoftwareSigner

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = Path("/usr/bin/chromium")
ISSUER_NAME = "Beijing Resident Registry"
VERDICT_TIMEOUT_MS = 15_000

playwright_sync = pytest.importorskip("playwright.sync_api")


@dataclass(frozen=True)
class Tokens:
    valid: str
    tampered: str
    untrusted: str
    holder_key: PrivateKey
    holder: str


def _sign(issuer_key: PrivateKey, holder: str, *, family_name: str = "Zhang") -> str:
    issuer = did_jwk_for(issuer_key.public_key())
    now = datetime.now(UTC)
    credential = build_credential(
        issuer=issuer,
        credential_type="ResidentIdentityCredential",
        subject={"givenName": "Mei", "familyName": family_name, "birthDate": "1990-04-12"},
        holder=holder,
        credential_id="urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=365),
    )
    return sign_credential(credential, SoftwareSigner(issuer_key, f"{issuer}#0"))


def _tamper(token: str) -> str:
    """Same signature, a different family name: what a forger would try."""
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["credentialSubject"]["familyName"] = "Wang"
    forged = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{forged}.{signature}"


def _qr_png(text: str, path: Path) -> Path:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4)
    code.add_data(text)
    code.make(fit=True)
    code.make_image().get_image().convert("L").save(path, "PNG")
    return path


def _y4m(qr: Path, path: Path, *, size: tuple[int, int] = (1280, 720)) -> Path:
    """A YUV4MPEG2 clip (4:2:0, full-range "jpeg" chroma) at 2 fps: one second of an empty
    desk, then the QR code on it. Chromium loops it as the fake camera."""
    width, height = size
    desk = Image.new("RGB", size, (226, 222, 214))
    scene = desk.copy()
    with Image.open(qr) as image:
        side = int(height * 0.92)
        code = image.convert("RGB").resize((side, side), Image.Resampling.LANCZOS)
    scene.paste(code, ((width - side) // 2, (height - side) // 2))
    half = (width // 2, height // 2)

    def planes(frame: Image.Image) -> bytes:
        y, cb, cr = frame.convert("YCbCr").split()
        return y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()

    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F2:1 Ip A1:1 C420jpeg\n".encode())
        for frame in (desk, desk, scene, scene):
            out.write(b"FRAME\n" + planes(frame))
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("counter")


@pytest.fixture(scope="module")
def tokens() -> Tokens:
    issuer_key, stranger_key, holder_key = generate_key(), generate_key(), generate_key()
    holder = did_key_for(holder_key.public_key())
    valid = _sign(issuer_key, holder)
    return Tokens(
        valid=valid,
        tampered=_tamper(valid),
        untrusted=_sign(stranger_key, holder),
        holder_key=holder_key,
        holder=holder,
    )


@pytest.fixture(scope="module")
def verifier(workdir: Path, tokens: Tokens) -> Iterator[Server]:
    issuer = json.loads(b64url_decode(tokens.valid.split(".")[1]))["issuer"]
    trust = workdir / "trust.json"
    trust.write_text(
        json.dumps(
            {
                "issuers": [
                    {"id": issuer, "name": ISSUER_NAME, "types": ["ResidentIdentityCredential"]}
                ]
            }
        )
    )
    port = free_port()
    env = {
        "TRUSTID_TRUST_LIST": str(trust),
        "TRUSTID_DATA_DIR": str(workdir / "var"),
        "TRUSTID_VERIFIER_URL": f"http://127.0.0.1:{port}",
    }
    server = start_server(
        ["verifier.cli", "serve", "--port", str(port)], port, env, workdir / "verifier.log"
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(workdir: Path, tokens: Tokens) -> Iterator[Any]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); never downloaded")
    camera_clip = _y4m(_qr_png(tokens.valid, workdir / "camera.png"), workdir / "camera.y4m")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={camera_clip}",
            ],
        )
        yield browser
        browser.close()


@dataclass
class Counter:
    page: Any
    context: Any
    url: str
    violations: list[str]

    def upload(self, path: Path) -> None:
        self.page.set_input_files("#file-input", str(path))

    def scan(self, text: str) -> None:
        self.page.fill("#scan-text", text)
        self.page.press("#scan-text", "Enter")

    def verdict(self, kind: str) -> Any:
        locator = self.page.locator(f".verdict.verdict-{kind}")
        locator.wait_for(timeout=VERDICT_TIMEOUT_MS)
        return locator

    def fact(self, name: str) -> str:
        return str(self.page.locator(f'.facts dd[data-fact="{name}"]').inner_text())

    def reasons(self) -> str:
        return str(self.page.locator(".reasons-list").inner_text())


@pytest.fixture
def counter(browser: Any, verifier: Server) -> Iterator[Counter]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["camera"], origin=verifier.url)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    counter = Counter(page=page, context=context, url=verifier.url, violations=violations)
    yield counter
    context.close()
    assert violations == [], "the page broke its own Content-Security-Policy"


def _open(counter: Counter, *, fake_clock: bool = False) -> None:
    if fake_clock:
        counter.page.clock.install()
    response = counter.page.goto(counter.url + "/")
    assert response is not None
    assert response.ok
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
    counter.page.locator("#idle").wait_for()


# -- tests -----------------------------------------------------------------------------


def test_uploaded_qr_of_a_valid_credential(counter: Counter, tokens: Tokens, workdir: Path) -> None:
    _open(counter)
    counter.upload(_qr_png(tokens.valid, workdir / "valid.png"))
    verdict = counter.verdict("valid")
    assert "VALID" in verdict.locator(".verdict-word").inner_text()
    assert counter.fact("holder") == "Mei Zhang"
    assert counter.fact("document") == "Resident Identity"
    assert counter.fact("issued-by") == ISSUER_NAME
    # Focus is back in the scanner field, ready for the next citizen's code.
    assert counter.page.evaluate("document.activeElement.id") == "scan-text"
    assert counter.fact("valid-until")
    # No status entry: still valid, with an amber note for staff.
    assert counter.page.locator(".warnings-list li").count() >= 1
    # The verdict is announced to screen readers.
    assert counter.page.locator("#verdict-live[aria-live]").count() == 1


@pytest.mark.parametrize(
    ("which", "reason"),
    [("tampered", "signature"), ("untrusted", "trust list")],
)
def test_uploaded_qr_that_must_be_refused(
    counter: Counter, tokens: Tokens, workdir: Path, which: str, reason: str
) -> None:
    _open(counter)
    counter.upload(_qr_png(getattr(tokens, which), workdir / f"{which}.png"))
    verdict = counter.verdict("invalid")
    assert "NOT VALID" in verdict.locator(".verdict-word").inner_text()
    assert reason in counter.reasons().lower()
    # Claims of a credential whose signature failed are never shown.
    assert "Wang" not in counter.page.locator("main").inner_text()
    assert counter.page.locator('.facts dd[data-fact="holder"]').count() == 0
    # Long reasons (a did:jwk is ~200 characters) wrap on a phone instead of overflowing.
    counter.page.set_viewport_size({"width": 400, "height": 800})
    assert counter.page.evaluate("document.documentElement.scrollWidth") <= 400


def test_scanner_types_the_token_and_enter(counter: Counter, tokens: Tokens) -> None:
    _open(counter)
    assert counter.page.evaluate("document.activeElement.id") == "scan-text"  # ready to scan
    counter.scan(tokens.valid + "\r\n")
    counter.verdict("valid")
    assert counter.fact("holder") == "Mei Zhang"
    assert counter.page.input_value("#scan-text") == ""  # the next scan starts clean


def test_scanner_reads_the_compact_form(counter: Counter, tokens: Tokens) -> None:
    _open(counter)
    counter.scan(encode_qr_text(tokens.valid, compact=True))
    counter.verdict("valid")


def test_unreadable_inputs_are_neutral_not_red(counter: Counter, workdir: Path) -> None:
    _open(counter)
    blank = workdir / "blank.png"
    Image.new("L", (400, 300), 255).save(blank)
    counter.upload(blank)
    unread = counter.verdict("unread")
    assert "Could not read" in unread.inner_text()
    counter.scan("hello, this is not a credential")
    counter.page.locator(".verdict-unread .reasons-list").wait_for()
    assert counter.page.locator(".verdict-invalid").count() == 0


def test_camera_reads_the_code(counter: Counter) -> None:
    # Desktop Chromium on Linux has no BarcodeDetector; hide it anyway so this always
    # exercises the path where frames are decoded by the verifier.
    counter.page.add_init_script("delete window.BarcodeDetector;")
    answers: list[int] = []
    counter.page.on(
        "response",
        lambda response: (
            answers.append(response.status) if response.url.endswith("/verify/qr") else None
        ),
    )
    _open(counter)
    counter.page.click("#camera-start")
    counter.verdict("valid")
    # Frames of the empty desk came back "no QR code found" and scanning went on.
    assert answers[-1] == 200
    assert answers.count(400) >= 1
    assert counter.fact("holder") == "Mei Zhang"
    # The camera is released once a code is read.
    assert counter.page.locator("#camera-box").is_hidden()
    assert counter.page.evaluate("document.querySelector('#camera-video').srcObject") is None


def _challenge(counter: Counter) -> str:
    """The challenge the page asked for, once it arrived. Polled from Python: a
    ``wait_for_function`` string is evaluated with eval, which the page's CSP forbids."""
    deadline = time.monotonic() + VERDICT_TIMEOUT_MS / 1000
    while not (value := str(counter.page.input_value("#challenge"))):
        assert time.monotonic() < deadline, "the counter page got no challenge"
        counter.page.wait_for_timeout(50)
    return value


def test_presentation_with_the_counter_challenge(counter: Counter, tokens: Tokens) -> None:
    _open(counter)
    counter.page.click("#options summary")
    counter.page.click("#challenge-new")
    # Asked from the verifier (POST /challenges), bound to this page's session cookie,
    # with the domain pre-filled.
    challenge = _challenge(counter)
    assert len(challenge) >= 32  # 192 bits
    domain = counter.page.input_value("#domain")
    assert domain
    presentation = build_presentation(
        [tokens.valid],
        tokens.holder_key,
        tokens.holder,
        audience=domain,
        nonce=challenge,
        now=datetime.now(UTC),
    )
    counter.scan(presentation)
    counter.verdict("valid")
    assert counter.fact("holder") == "Mei Zhang"
    assert "Presentation" in counter.page.locator(".verdict-sub").inner_text()


def test_a_holder_proof_is_never_shown_as_valid(counter: Counter, tokens: Tokens) -> None:
    _open(counter)
    counter.page.click("#options summary")
    counter.page.click("#challenge-new")
    challenge = _challenge(counter)
    # A presentation of no credential: it proves who answered the challenge, nothing more.
    proof = holder_proof(
        Holder(tokens.holder_key),
        audience=counter.page.input_value("#domain"),
        nonce=challenge,
        now=datetime.now(UTC),
    )
    counter.scan(proof)
    verdict = counter.verdict("holder-proof")
    assert counter.page.locator(".verdict-valid").count() == 0
    assert "VALID" not in verdict.inner_text()
    assert counter.page.locator(".verdict-word").inner_text() == "Holder proof only"
    assert "no credential" in counter.page.locator(".verdict-sub").inner_text()
    assert counter.fact("signed-by") == tokens.holder
    assert counter.page.locator('.facts dd[data-fact="holder"]').count() == 0


def test_presentation_without_challenge_asks_for_it(counter: Counter, tokens: Tokens) -> None:
    _open(counter)
    presentation = build_presentation(
        [tokens.valid],
        tokens.holder_key,
        tokens.holder,
        audience=counter.url,
        nonce="made-up",
        now=datetime.now(UTC),
    )
    counter.scan(presentation)
    counter.verdict("unread")
    assert counter.page.locator("#options[open]").count() == 1


def _personal_data_gone(counter: Counter) -> None:
    counter.page.locator("#idle").wait_for()
    text = counter.page.locator("body").inner_text()
    assert "Mei" not in text
    assert "Zhang" not in text
    assert counter.page.locator(".verdict").count() == 0
    assert counter.page.input_value("#scan-text") == ""
    stored = counter.page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    # Only the counter's session cookie (random, HttpOnly, it binds challenges) may stay:
    # nothing about the citizen.
    cookies = counter.context.cookies()
    assert [c["name"] for c in cookies] in ([], ["trustid_counter"])
    for cookie in cookies:
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert "Mei" not in cookie["value"]


def test_next_citizen_and_escape_clear_everything(counter: Counter, tokens: Tokens) -> None:
    _open(counter)
    counter.scan(tokens.valid)
    counter.verdict("valid")
    counter.page.click("#next")
    _personal_data_gone(counter)
    counter.scan(tokens.valid)
    counter.verdict("valid")
    counter.page.keyboard.press("Escape")
    _personal_data_gone(counter)


def test_result_clears_itself_after_a_minute(counter: Counter, tokens: Tokens) -> None:
    _open(counter, fake_clock=True)
    counter.scan(tokens.valid)
    counter.verdict("valid")
    counter.page.clock.run_for(59_000)
    assert counter.page.locator(".verdict").count() == 1
    counter.page.clock.run_for(2_000)
    _personal_data_gone(counter)


def test_page_has_no_external_or_inline_code() -> None:
    web = Path(__file__).resolve().parents[2] / "verifier" / "web"
    for path in web.iterdir():
        text = path.read_text(encoding="utf-8")
        # No CDN or remote asset: the page must work on a counter without internet.
        assert re.search(r"(?<!xmlns=\")https?://", text) is None, path.name
    html = (web / "index.html").read_text(encoding="utf-8")
    # CSP script-src 'self' / style-src 'self': no inline script, handler or style.
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert re.search(r"\son[a-z]+\s*=", html) is None
    assert "style=" not in html
    assert "<style" not in html


@pytest.mark.parametrize(("fresh_for", "aged"), [(5, False), (-5, True)])
def test_status_age_turns_amber_past_the_lists_ttl(
    counter: Counter, tokens: Tokens, fresh_for: int, aged: bool
) -> None:
    # The real verifier's report, with the status times a ten-minute-old cached list
    # would give (fresh_for: minutes left of its ttl; negative means past it).
    now = datetime.now(UTC)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def aged_report(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        body["statusAsOf"] = stamp(now - timedelta(minutes=10))
        body["statusFreshUntil"] = stamp(now + timedelta(minutes=fresh_for))
        route.fulfill(response=response, json=body)

    counter.page.route("**/verify/qr", aged_report)
    _open(counter)
    counter.scan(tokens.valid)
    counter.verdict("valid")
    fact = counter.page.locator('.facts dd[data-fact="status-as-of"]')
    assert "(10 min ago)" in fact.inner_text()
    assert ("status-aged" in (fact.get_attribute("class") or "")) is aged


def _answer_with(counter: Counter, preset: str, claims: dict[str, Any]) -> None:
    """Ask for ``preset``, the verifier's side played by routes: the request is made and
    its state poll answers ``claims`` (what a trusted but careless issuer could disclose)."""
    state = {
        "state": "verified",
        "result": {"verified": True, "claims": {"q": [claims]}, "presentations": {}},
    }
    created = {
        "id": "r1",
        "request": "openid4vp://?request_uri=x",
        "expiresAt": "2999-01-01T00:00:00Z",
    }

    def fulfil(route: Any) -> None:
        url = route.request.url
        if route.request.method == "POST":
            route.fulfill(status=201, content_type="application/json", body=json.dumps(created))
        elif url.endswith("/qr.png"):
            route.fulfill(status=404, content_type="application/problem+json", body="{}")
        else:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(state))

    _open(counter)
    counter.page.route(re.compile(r".*/presentation-requests(/.*)?$"), fulfil)
    counter.page.click(f'[data-preset="{preset}"]')
    counter.page.locator(".verdict.verdict-valid").wait_for(timeout=VERDICT_TIMEOUT_MS)
    counter.page.unroute(re.compile(r".*/presentation-requests(/.*)?$"))


def test_only_an_identity_answer_shows_a_portrait_and_only_a_jpeg_or_png(
    counter: Counter,
) -> None:
    from tests.portrait_images import PNG_URL

    name = {"givenName": "Wei", "familyName": "Zhang"}
    _answer_with(counter, "identity", {**name, "portrait": PNG_URL})
    assert counter.page.locator("figure.portrait img").get_attribute("src") == PNG_URL
    hostile = [
        "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
        "https://tracker.example/me.jpg",
        "javascript:alert(1)",
        PNG_URL + '" onerror="alert(1)',
        "data:image/png;base64," + "A" * 6000,  # longer than any issued portrait
    ]
    for value in hostile:
        _answer_with(counter, "identity", {**name, "portrait": value})
        assert counter.page.locator(".verdict img, figure.portrait").count() == 0, value
        assert value[:30] not in counter.page.locator(".verdict").inner_text()
    # The over-18 and licence answers never show one, even if a portrait came along.
    for preset in ("age_over_18", "driving_licence"):
        _answer_with(counter, preset, {**name, "portrait": PNG_URL, "age_over_18": True})
        assert counter.page.locator(".verdict img, figure.portrait").count() == 0
        assert "base64" not in counter.page.locator(".verdict").inner_text()
