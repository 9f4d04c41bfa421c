"""The issuer as a real process: `trustid-issuer serve` on a fresh data dir, used over HTTP."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet

from tests.conftest import Server
from tests.issuer.support import RESIDENT, bit_at, decode_bitstring, issue_body

pytestmark = pytest.mark.e2e


def run_cli(env: dict[str, str], *args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "issuer.cli", *args, "--json"],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def jose_verify(client: httpx.Client, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Independent check (joserfc) with nothing but the published JWK Set."""
    keyset = KeySet.import_key_set(client.get("/.well-known/jwks.json").json())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)
        compact = jws.deserialize_compact(token, keyset, algorithms=["ES256", "EdDSA"])
    return dict(compact.headers()), json.loads(compact.payload)


def status_bit(client: httpx.Client, entry: dict[str, Any]) -> int:
    response = client.get(entry["statusListCredential"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vc+jwt"
    _, payload = jose_verify(client, response.text)
    assert payload["credentialSubject"]["statusPurpose"] == entry["statusPurpose"]
    bits = decode_bitstring(payload["credentialSubject"]["encodedList"])
    return bit_at(bits, int(entry["statusListIndex"]))


@pytest.fixture
def served(
    tmp_path: Path, port_factory: Callable[[], int], server_factory: Callable[..., Server]
) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    port = port_factory()
    env = {
        "TRUSTID_DATA_DIR": str(tmp_path / "fresh"),
        "TRUSTID_ISSUER_URL": f"http://127.0.0.1:{port}",
        "TRUSTID_DATABASE_URL": "",
        "TRUSTID_MASTER_KEY": "",
        "TRUSTID_TYPES_DIR": "",
    }
    server = server_factory(["issuer.cli", "serve", "--port", str(port)], port, env, "issuer")
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client, env


def test_fresh_data_dir_serve_issue_verify_revoke_suspend(
    served: tuple[httpx.Client, dict[str, str]],
) -> None:
    client, env = served
    data_dir = Path(env["TRUSTID_DATA_DIR"])
    assert stat.S_IMODE((data_dir / "master.key").stat().st_mode) == 0o600
    assert (data_dir / "issuer.db").exists()

    created = run_cli(env, "agency", "create", "Beijing Resident Registry", "--types", RESIDENT)
    headers = {"Authorization": f"Bearer {created['api_key']}"}

    response = client.post("/credentials/issue", json=issue_body(RESIDENT), headers=headers)
    assert response.status_code == 201, response.text
    envelope = response.json()["verifiableCredential"]
    token = envelope["id"].removeprefix("data:application/vc+jwt,")

    header, credential = jose_verify(client, token)
    did_document = client.get("/.well-known/did.json").json()
    assert header["kid"] in did_document["assertionMethod"]
    assert header["kid"] in [m["id"] for m in did_document["verificationMethod"]]
    assert credential["issuer"] == did_document["id"] == run_cli(env, "trust-entry")["id"]

    revocation, suspension = credential["credentialStatus"]
    assert status_bit(client, revocation) == 0
    assert status_bit(client, suspension) == 0

    def change(purpose: str, value: bool) -> None:
        body = {
            "credentialId": credential["id"],
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
            "status": value,
        }
        assert client.post("/credentials/status", json=body, headers=headers).status_code == 200

    change("suspension", True)
    assert status_bit(client, suspension) == 1
    change("suspension", False)
    assert status_bit(client, suspension) == 0
    change("revocation", True)
    assert status_bit(client, revocation) == 1

    # Limits and errors as a real HTTP server applies them.
    def chunks() -> Iterator[bytes]:
        yield b'{"credential": {"credentialSubject": {"x": "'
        for _ in range(64):
            yield b"z" * 1024
        yield b'"}}}'

    json_headers = {**headers, "Content-Type": "application/json"}
    # No Content-Length (chunked): the limit is enforced on the stream.
    streamed = client.post("/credentials/issue", content=chunks(), headers=json_headers)
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == "application/problem+json"
    assert streamed.json()["code"] == "too_large"
    malformed = client.post("/credentials/issue", content=b"{", headers=json_headers)
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "malformed"
    assert client.get("/docs").status_code == 200
