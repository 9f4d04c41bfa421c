"""Schemathesis against both services' OpenAPI documents (issue 9), on real servers.

Each service runs as a process (uvicorn, the production entry point); schemathesis reads
its ``/openapi.json`` and sends generated requests, valid and invalid, to every
operation. Every answer must be below 500, have a status the document names, and, if
it is an error, be ``application/problem+json`` with a ``code`` (the verifier's ``400``
"not verified" result, a VC-API result in ``application/json``, is the one documented
exception). Bounded: a few examples per operation, derandomized (the same requests
every run), no shrinking: about a minute for both services on two cores.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from tests.conftest import Server, free_port, start_server
from tests.issuer.support import RESIDENT
from tests.issuer.test_server import run_cli
from tests.verifier.support import Issuer, trust_document, write_json
from vcore.keys import b64url_encode

pytestmark = [pytest.mark.property, pytest.mark.e2e, pytest.mark.slow]

EXAMPLES = int(os.environ.get("TRUSTID_SCHEMATHESIS_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def issuer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    home = tmp_path_factory.mktemp("issuer")
    env = {
        "TRUSTID_DATA_DIR": str(home / "var"),
        "TRUSTID_MASTER_KEY": b64url_encode(secrets.token_bytes(32)),
        "TRUSTID_ISSUER_URL": "http://issuer.test:8100",
        "TRUSTID_TYPES_DIR": "",
    }
    port = free_port()
    server = start_server(["issuer.cli", "serve", "--port", str(port)], port, env, home / "log")
    try:
        key = run_cli(env, "agency", "create", "Registry", "--types", RESIDENT)["api_key"]
        yield server, key
    finally:
        server.stop()
        _assert_no_traceback(server.log)


@pytest.fixture(scope="module")
def verifier_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("verifier")
    trust = write_json(home / "trust.json", trust_document((Issuer(None), [RESIDENT])))
    env = {
        "TRUSTID_DATA_DIR": str(home / "var"),
        "TRUSTID_TRUST_LIST": str(trust),
        "TRUSTID_VERIFIER_URL": "https://verifier.example",
        "TRUSTID_VERIFIER_RATE_LIMIT": "1000000",
    }
    port = free_port()
    server = start_server(["verifier.cli", "serve", "--port", str(port)], port, env, home / "log")
    try:
        yield server
    finally:
        server.stop()
        _assert_no_traceback(server.log)


def _assert_no_traceback(log: Path) -> None:
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def issuer_schema(issuer_server: tuple[Server, str]) -> Any:
    server, key = issuer_server
    del key
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


@pytest.fixture(scope="module")
def verifier_schema(verifier_server: Server) -> Any:
    return schemathesis.openapi.from_url(f"{verifier_server.url}/openapi.json")


def _problem_or_result(ctx: Any, response: Any, case: Any) -> bool | None:
    """An error is problem+json with a code; a 400 may be a VC-API result instead."""
    del ctx, case
    if response.status_code < 400:
        return None
    media = response.headers.get("content-type", [""])
    media = (media[0] if isinstance(media, list) else media).split(";")[0].strip()
    body = response.json() if media.endswith("json") else None
    if media == "application/problem+json":
        assert isinstance(body, dict), response.text
        assert body.get("code"), response.text
        assert "Traceback" not in response.text
        return None
    # The documented exceptions: a verification result, the health document, and the
    # OAuth error JSON of the OpenID4VP protocol endpoints.
    assert media == "application/json", f"{response.status_code} {media}: {response.text[:200]}"
    assert isinstance(body, dict), response.text
    assert "verified" in body or "components" in body or "error" in body, response.text[:300]
    return None


CHECKS = [not_a_server_error, status_code_conformance, _problem_or_result]


def _fuzz(schema: Any, base_url: str, headers: dict[str, str] | None = None) -> list[str]:
    """Every operation of ``schema``, ``EXAMPLES`` generated cases each; their labels."""
    fuzzed = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(base_url=base_url, headers=headers)
            case.validate_response(response, checks=CHECKS)

        run()
        fuzzed.append(operation.label)
    return fuzzed


def test_issuer_api(issuer_schema: Any, issuer_server: tuple[Server, str]) -> None:
    server, key = issuer_server
    fuzzed = _fuzz(issuer_schema, server.url, {"Authorization": f"Bearer {key}"})
    assert "POST /credentials/issue" in fuzzed
    assert "POST /credentials/status" in fuzzed


def test_verifier_api(verifier_schema: Any, verifier_server: Server) -> None:
    fuzzed = _fuzz(verifier_schema, verifier_server.url)
    assert "POST /credentials/verify" in fuzzed
    assert "POST /presentations/verify" in fuzzed
