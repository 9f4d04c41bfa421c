"""TrustID's wallet receives from an independent OpenID4VCI issuer (npm
@openid4vc/openid4vci Openid4vciIssuer + @openid4vc/oauth2 + @sd-jwt/sd-jwt-vc,
tests/node/oid4vci_issuer.mjs): offer by value, tx code, DPoP, key proof, SD-JWT VC."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.independent_jose import NODE_DIR

pytestmark = pytest.mark.e2e

PASSPHRASE = "node issuer wallet passphrase"


@pytest.fixture
def node_issuer(port_factory: Callable[[], int], tmp_path: Path) -> Iterator[dict[str, Any]]:
    if (
        shutil.which("node") is None
        or not (NODE_DIR / "node_modules/@openid4vc/openid4vci").is_dir()
    ):
        pytest.skip(
            "node or tests/node/node_modules/@openid4vc is absent: run `npm ci` in tests/node"
        )
    port = port_factory()
    log = tmp_path / "node_issuer.log"
    with (
        log.open("w") as errors,
        subprocess.Popen(
            ["node", str(NODE_DIR / "oid4vci_issuer.mjs"), str(port)],
            cwd=NODE_DIR,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        ) as proc,
    ):
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line, log.read_text()
            yield {**json.loads(line), "port": port}
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def wallet(home: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TRUSTID_WALLET_HOME": str(home),
        "TRUSTID_WALLET_PASSPHRASE": PASSPHRASE,
        "TRUSTID_WALLET_TEST_KDF": "1",
        "TRUSTID_ALLOW_INSECURE_HOSTS": f"127.0.0.1:{port}",
    }
    return subprocess.run(
        [sys.executable, "-m", "wallet_cli.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_wallet_receives_from_an_independent_issuer(
    tmp_path: Path, node_issuer: dict[str, Any]
) -> None:
    home, port = tmp_path / "wallet", node_issuer["port"]
    assert wallet(home, port, "init").returncode == 0
    wrong = "000000" if node_issuer["txCode"] != "000000" else "111111"
    refused = wallet(home, port, "receive", node_issuer["offer"], "--tx-code", wrong)
    assert refused.returncode != 0, refused.stdout
    assert "invalid_grant" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_wallet_stores_the_independent_sd_jwt_vc(
    tmp_path: Path, node_issuer: dict[str, Any]
) -> None:
    home, port = tmp_path / "wallet", node_issuer["port"]
    assert wallet(home, port, "init").returncode == 0
    result = wallet(
        home, port, "receive", node_issuer["offer"], "--tx-code", node_issuer["txCode"], "--json"
    )
    assert result.returncode == 0, result.stderr
    stored = json.loads(result.stdout)
    assert len(stored) == 1
    assert stored[0]["stored"] is True
    assert stored[0]["issuer"] == node_issuer["did"]
    listed = json.loads(wallet(home, port, "list", "--json").stdout)
    assert [item["issuer"] for item in listed] == [node_issuer["did"]]
