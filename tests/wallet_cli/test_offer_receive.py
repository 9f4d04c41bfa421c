"""``receive`` of OpenID4VCI offers: bad links, lying metadata, refused URLs, no tx code.

Each is one stderr line and a non-zero exit, and nothing is sent past the failing step.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.wallet_cli.conftest import WalletRunner, assert_one_line_error
from vcore.oid4vci import TxCodeSpec, build_credential_offer
from wallet_cli.errors import InputError, NetworkError

ISSUER = "https://issuer.example"


def _link(offer: dict[str, Any]) -> str:
    return f"openid-credential-offer://?credential_offer={quote(json.dumps(offer))}"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Route the wallet's HTTP to a handler; returns the URLs it asked for."""
    from wallet_cli.client import WalletClient
    from wallet_cli.session import Session

    seen: list[str] = []
    metadata = {
        "credential_issuer": "https://other.example",
        "credential_endpoint": "https://other.example/credential",
        "credential_configurations_supported": {"A_sd_jwt": {"format": "dc+sd-jwt"}},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/.well-known/openid-credential-issuer":
            return httpx.Response(200, json=metadata)
        return httpx.Response(404, json={"error": "not_found"})

    def client(self: Session) -> WalletClient:
        return WalletClient(frozenset(), http=httpx.Client(transport=httpx.MockTransport(handler)))

    monkeypatch.setattr(Session, "client", client)
    return seen


def test_a_link_without_an_offer_is_refused(wallet: WalletRunner) -> None:
    result = wallet("receive", "openid-credential-offer://?nothing=1")
    assert_one_line_error(result, InputError.exit_code, "not a usable credential offer")


def test_metadata_naming_another_issuer_is_refused_before_any_token_request(
    wallet: WalletRunner, served: list[str]
) -> None:
    offer = build_credential_offer(ISSUER, ["A_sd_jwt"], "code", None)
    result = wallet("receive", _link(offer), "--tx-code", "123456")
    assert_one_line_error(result, NetworkError.exit_code, "another credential_issuer")
    assert served == [f"{ISSUER}/.well-known/openid-credential-issuer"]


def test_an_offer_uri_on_a_private_address_is_not_fetched(wallet: WalletRunner) -> None:
    link = "openid-credential-offer://?credential_offer_uri=" + quote(
        "http://10.0.0.1/credential-offer/x", safe=""
    )
    result = wallet("receive", link)
    assert_one_line_error(result, NetworkError.exit_code, "refused to connect")


def test_no_tx_code_without_a_terminal_is_refused(
    wallet: WalletRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wallet_cli import offer_receiving
    from wallet_cli.issuance import OfferSummary

    offer = build_credential_offer(ISSUER, ["A_sd_jwt"], "code", TxCodeSpec(6))
    endpoints = object()
    monkeypatch.setattr(
        offer_receiving,
        "summarise",
        lambda client, offer, lang: (OfferSummary(ISSUER, "Issuer", ("A",)), endpoints),
    )

    def no_token_request(*args: Any, **kwargs: Any) -> list[str]:
        kwargs["tx_code"](offer_receiving.TxCodeSpec(6))
        raise AssertionError("the tx code prompt should have refused")

    monkeypatch.setattr(offer_receiving, "redeem_offer", no_token_request)
    result = wallet("receive", _link(offer))
    assert_one_line_error(result, InputError.exit_code, "--tx-code")


def test_summary_speaks_the_users_language() -> None:
    from vcore.oid4vci import parse_credential_offer
    from wallet_cli.client import WalletClient
    from wallet_cli.issuance import summarise

    metadata = {
        "credential_issuer": ISSUER,
        "credential_endpoint": f"{ISSUER}/credential",
        "display": [{"name": "Registry", "locale": "en"}, {"name": "登记处", "locale": "zh-Hans"}],
        "credential_configurations_supported": {
            "A_sd_jwt": {
                "format": "dc+sd-jwt",
                "credential_metadata": {
                    "display": [
                        {"name": "Resident Identity", "locale": "en"},
                        {"name": "居民身份证明", "locale": "zh-Hans"},
                    ]
                },
            }
        },
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=metadata))
    offer = parse_credential_offer(build_credential_offer(ISSUER, ["A_sd_jwt"], "c", None))
    with WalletClient(frozenset(), http=httpx.Client(transport=transport)) as client:
        chinese, _ = summarise(client, offer, "zh")
        english, endpoints = summarise(client, offer, "en")
    assert chinese.issuer_name == "登记处"
    assert chinese.credentials == ("居民身份证明 (dc+sd-jwt)",)
    assert english.credentials == ("Resident Identity (dc+sd-jwt)",)
    assert endpoints.nonce_endpoint is None
