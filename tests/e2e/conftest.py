"""End-to-end fixtures: a real issuer and a real verifier as uvicorn servers on loopback.

The issuer runs ``python -m issuer.cli serve`` with one agency for resident credentials;
the verifier runs ``python -m verifier.cli serve`` with a trust list naming that issuer
(plus any extra entries a test asks for). Every issuer set-up step is a real CLI process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from tests.conftest import Server

RESIDENT = "ResidentIdentityCredential"


def run_cli_json(module: str, args: list[str], env: Mapping[str, str]) -> Any:
    """Run ``python -m <module> <args>`` with ``env`` over ours; its stdout as JSON."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@dataclass(frozen=True)
class Stack:
    """A running issuer and verifier; the verifier trusts the issuer for residents."""

    issuer_url: str
    verifier_url: str
    issuer_port: int
    verifier_port: int
    issuer_env: dict[str, str]
    api_key: str  # the resident agency's
    trust_entry: dict[str, Any]  # the issuer's own trust-list entry (`trust-entry --json`)
    claims: dict[str, Any]  # the resident type's first schema example

    def set_status(self, http: httpx.Client, credential_id: str, purpose: str, value: bool) -> None:
        """Set a credential's revocation or suspension bit at the issuer, as the agency."""
        response = http.post(
            f"{self.issuer_url}/credentials/status",
            headers={"Authorization": f"Bearer {self.api_key}"},
            json={
                "credentialId": credential_id,
                "credentialStatus": {
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": purpose,
                },
                "status": value,
            },
        )
        assert response.status_code == 200, response.text


class StartStack(Protocol):
    def __call__(self, extra_trust: Sequence[Mapping[str, Any]] = ()) -> Stack: ...


@pytest.fixture
def start_stack(
    tmp_path: Path,
    port_factory: Callable[[], int],
    server_factory: Callable[..., Server],
) -> StartStack:
    """Start the issuer, then the verifier with ``extra_trust`` after the issuer's entry.

    Call it once per test; the servers stop at teardown (``server_factory``).
    """
    started: list[Stack] = []

    def start(extra_trust: Sequence[Mapping[str, Any]] = ()) -> Stack:
        assert not started, "start_stack runs once per test"
        issuer_port, verifier_port = port_factory(), port_factory()
        while verifier_port == issuer_port:
            verifier_port = port_factory()
        issuer_url = f"http://127.0.0.1:{issuer_port}"
        verifier_url = f"http://127.0.0.1:{verifier_port}"
        issuer_env = {
            "TRUSTID_DATA_DIR": str(tmp_path / "issuer"),
            "TRUSTID_ISSUER_URL": issuer_url,
            "TRUSTID_DATABASE_URL": "",
            "TRUSTID_MASTER_KEY": "",
        }
        issuer = server_factory(
            ["issuer.cli", "serve", "--port", str(issuer_port)], issuer_port, issuer_env, "issuer"
        )
        agency = run_cli_json(
            "issuer.cli",
            ["agency", "create", "Resident Office", "--types", RESIDENT, "--json"],
            issuer_env,
        )
        entry = run_cli_json("issuer.cli", ["trust-entry", "--json"], issuer_env)
        types = run_cli_json("issuer.cli", ["types", "list", "--json"], issuer_env)
        claims = next(t for t in types if t["type"] == RESIDENT)["schema"]["examples"][0]
        trust_path = tmp_path / "trust.json"
        trust_path.write_text(json.dumps({"issuers": [entry, *map(dict, extra_trust)]}))
        verifier = server_factory(
            ["verifier.cli", "serve", "--port", str(verifier_port)],
            verifier_port,
            {
                "TRUSTID_DATA_DIR": str(tmp_path / "verifier"),
                "TRUSTID_DATABASE_URL": "",
                "TRUSTID_TRUST_LIST": str(trust_path),
                "TRUSTID_ALLOW_INSECURE_HOSTS": f"127.0.0.1:{issuer_port}",
                "TRUSTID_VERIFIER_STATUS_MAX_AGE": "0",
                "TRUSTID_VERIFIER_URL": verifier_url,
            },
            "verifier",
        )
        assert (issuer.url, verifier.url) == (issuer_url, verifier_url)
        stack = Stack(
            issuer_url=issuer_url,
            verifier_url=verifier_url,
            issuer_port=issuer_port,
            verifier_port=verifier_port,
            issuer_env=issuer_env,
            api_key=agency["api_key"],
            trust_entry=entry,
            claims=claims,
        )
        started.append(stack)
        return stack

    return start
