"""``/verify/qr`` under hostile images: over budget is 422 ``image_too_complex``, a full
decoder is 503 ``busy`` with Retry-After, and other endpoints keep answering meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.asgi_client import AppClient
from tests.verifier.support import app_client, public_resolver
from verifier.app import create_app
from verifier.qr_pool import QRDecoderPool
from verifier.settings import VerifierSettings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[AppClient]:
    app = create_app(VerifierSettings(data_dir=tmp_path / "var"), host_resolver=public_resolver)
    pool = QRDecoderPool(workers=1, queue=0, budget=0.5, target="tests.verifier.qr_slow:by_content")
    app.state.service.qr_decoder = pool
    try:
        with app_client(app) as c:
            yield c
    finally:
        pool.close()


def _upload(client: AppClient, data: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    answer = client.post("/verify/qr", files={"file": ("qr.png", data, "image/png")})
    return answer.status_code, dict(answer.headers), answer.json()


def test_an_image_over_its_budget_is_422_with_a_code(client: AppClient) -> None:
    _upload(client, b"warm")  # starts the worker (not counted against the budget)
    started = time.monotonic()
    status, _headers, body = _upload(client, b"spin")
    assert status == 422
    assert body["code"] == "image_too_complex"
    assert time.monotonic() - started < 5


def test_a_full_decoder_is_503_busy_and_health_still_answers(client: AppClient) -> None:
    _upload(client, b"warm")
    results: list[int] = []
    spinner = threading.Thread(target=lambda: results.append(_upload(client, b"spin")[0]))
    spinner.start()
    time.sleep(0.15)
    status, headers, body = _upload(client, b"other")
    assert status == 503
    assert body["code"] == "busy"
    assert headers["retry-after"] == "1"
    started = time.monotonic()
    assert client.get("/healthz").status_code == 200
    assert time.monotonic() - started < 0.4
    spinner.join(10)
    assert results == [422]
