"""API docs work offline: /docs (and the verifier's /redoc) reference only local assets.

In process: every URL in the pages is same-origin and served; no inline script. In
Debian's Chromium (when installed): with every request outside the service refused,
Swagger UI and ReDoc still render the service's operations, with no CSP violation.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.asgi_client import AppClient, open_app_client
from tests.conftest import Server, free_port, start_server
from tests.issuer.support import make_settings, running_issuer
from trustid_http.headers import DOCS_CSP
from verifier.app import create_app as create_verifier
from verifier.settings import VerifierSettings

CHROMIUM = Path("/usr/bin/chromium")
_URL_ATTRIBUTES = {"src", "href", "spec-url", "data-openapi-url"}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [v for k, v in values.items() if k in _URL_ATTRIBUTES and v]
        if tag == "script" and not values.get("src"):
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def _check_page(client: AppClient, path: str, bundle: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == DOCS_CSP
    refs = _Refs()
    refs.feed(page.text)
    assert refs.inline_scripts == 0
    assert "cdn" not in page.text.lower()
    assert any(url.endswith(bundle) for url in refs.urls), refs.urls
    for url in refs.urls:
        parts = urlsplit(url)
        assert not parts.scheme, f"{path} references {url}"
        assert not parts.netloc, f"{path} references {url}"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
        if url.endswith(".js"):
            assert "javascript" in asset.headers["content-type"]
    if bundle.endswith("swagger-ui-bundle.js"):
        assert "SwaggerUIBundle" in client.get(refs.urls[-2]).text


def test_issuer_docs_use_local_assets(tmp_path: Path) -> None:
    with running_issuer(make_settings(tmp_path)) as issuer:
        _check_page(issuer.client, "/docs", "swagger-ui-bundle.js")
        assert issuer.client.get("/redoc").status_code == 404  # as before: Swagger UI only
        assert issuer.client.get("/openapi.json").json()["info"]["title"] == "TrustID Issuer"


@pytest.fixture
def verifier_client(tmp_path: Path) -> Iterator[AppClient]:
    app = create_verifier(VerifierSettings(data_dir=tmp_path / "var"))
    with open_app_client(app, "http://verifier.test") as client:
        yield client


def test_verifier_docs_use_local_assets(verifier_client: AppClient) -> None:
    _check_page(verifier_client, "/docs", "swagger-ui-bundle.js")
    _check_page(verifier_client, "/redoc", "redoc.standalone.js")
    # The counter page keeps its own, stricter policy.
    assert "'unsafe-inline'" not in verifier_client.get("/").headers["content-security-policy"]


def test_docs_assets_do_not_list_a_directory(verifier_client: AppClient) -> None:
    assert verifier_client.get("/docs/assets/").status_code == 404
    assert verifier_client.get("/docs/assets/../app.py").status_code == 404


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); never downloaded")
    return CHROMIUM


@pytest.fixture(scope="module")
def verifier_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("docs")
    port = free_port()
    env = {"TRUSTID_DATA_DIR": str(workdir / "var"), "TRUSTID_TRUST_LIST": ""}
    server = start_server(
        ["verifier.cli", "serve", "--port", str(port)], port, env, workdir / "verifier.log"
    )
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.e2e
@pytest.mark.parametrize(
    ("path", "rendered"),
    [("/docs", ".opblock-summary-path"), ("/redoc", "[data-section-id^='tag/']")],
    ids=["swagger-ui", "redoc"],
)
def test_docs_render_in_a_browser_with_no_network(
    chromium: Path, verifier_server: Server, path: str, rendered: str
) -> None:
    playwright_sync = pytest.importorskip("playwright.sync_api")
    outside: list[str] = []
    problems: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(verifier_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=["--headless=new", "--no-sandbox"]
        )
        try:
            page = browser.new_page()
            page.route("**/*", route)
            page.on(
                "console",
                lambda message: problems.append(message.text) if message.type == "error" else None,
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(verifier_server.url + path)
            page.locator(rendered).first.wait_for(timeout=20_000)
            assert page.locator(rendered).count() >= 3
        finally:
            browser.close()
    assert outside == []
    # ReDoc's "powered by" logo points at its CDN: the policy blocks it, so nothing is
    # fetched. Any other refusal would be one of the page's own assets.
    refused = [p for p in problems if "Content Security Policy" in p or "Refused" in p]
    assert [p for p in refused if "cdn.redoc.ly/redoc/logo-mini.svg" not in p] == [], problems
