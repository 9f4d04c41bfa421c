"""An independent OpenID4VCI wallet (npm @openid4vc/openid4vci, tests/node/oid4vci_wallet.mjs)
obtains credentials from TrustID's real issuer over HTTP: pre-authorized code, tx code, DPoP."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.e2e.conftest import run_cli_json
from tests.independent_jose import NODE_DIR
from tests.issuer.support import EXAMPLES, RESIDENT
from vcore.formats import parse_credential_unverified

pytestmark = pytest.mark.e2e


def _require_node() -> None:
    if (
        shutil.which("node") is None
        or not (NODE_DIR / "node_modules/@openid4vc/openid4vci").is_dir()
    ):
        pytest.skip(
            "node or tests/node/node_modules/@openid4vc is absent: run `npm ci` in tests/node"
        )


def node_wallet(request: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(NODE_DIR / "oid4vci_wallet.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=NODE_DIR,
    )


@pytest.fixture
def live_issuer(
    tmp_path: Path, port_factory: Callable[[], int], server_factory: Callable[..., Server]
) -> tuple[str, str]:
    _require_node()
    port = port_factory()
    url = f"http://127.0.0.1:{port}"
    env = {
        "TRUSTID_DATA_DIR": str(tmp_path / "issuer"),
        "TRUSTID_ISSUER_URL": url,
        "TRUSTID_DATABASE_URL": "",
        "TRUSTID_MASTER_KEY": "",
    }
    server_factory(["issuer.cli", "serve", "--port", str(port)], port, env, "issuer")
    agency = run_cli_json(
        "issuer.cli", ["agency", "create", "Resident Office", "--types", RESIDENT, "--json"], env
    )
    return url, agency["api_key"]


def _offer(url: str, api_key: str, formats: list[str]) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/credential-offers",
        headers={"Authorization": f"Bearer {api_key}"},
        json={"type": RESIDENT, "credentialSubject": EXAMPLES[RESIDENT], "formats": formats},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    offer: dict[str, Any] = response.json()
    return offer


def test_independent_wallet_gets_a_batch_of_sd_jwt_vcs(live_issuer: tuple[str, str]) -> None:
    url, api_key = live_issuer
    offer = _offer(url, api_key, ["dc+sd-jwt"])
    result = node_wallet({"offer": offer["offer"], "txCode": offer["txCode"], "proofs": 2})
    assert result.returncode == 0, result.stderr + result.stdout
    answer = json.loads(result.stdout)
    assert answer["tokenType"] == "DPoP"
    assert answer["metadataIssuer"] == url
    assert len(answer["credentials"]) == 2
    for token, jwk in zip(answer["credentials"], answer["holderJwks"], strict=True):
        view = parse_credential_unverified(token)
        assert view.confirmation is not None
        assert view.confirmation["jwk"]["x"] == jwk["x"]  # bound to the proven key
        assert view.claims["vct"] == f"{url}/types/{RESIDENT}"


def test_independent_wallet_gets_a_jwt_vc_json(live_issuer: tuple[str, str]) -> None:
    url, api_key = live_issuer
    offer = _offer(url, api_key, ["jwt_vc_json"])
    result = node_wallet({"offer": offer["offer"], "txCode": offer["txCode"]})
    assert result.returncode == 0, result.stderr + result.stdout
    view = parse_credential_unverified(json.loads(result.stdout)["credentials"][0])
    assert view.holder is not None
    assert view.holder.startswith("did:jwk:")


def test_independent_wallet_with_a_wrong_tx_code_gets_nothing(
    live_issuer: tuple[str, str],
) -> None:
    url, api_key = live_issuer
    offer = _offer(url, api_key, ["dc+sd-jwt"])
    wrong = "000000" if offer["txCode"] != "000000" else "111111"
    result = node_wallet({"offer": offer["offer"], "txCode": wrong})
    assert result.returncode != 0
    assert "invalid_grant" in result.stderr + result.stdout
