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
    from vcore.i18n import Locale
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
        chinese, _ = summarise(client, offer, Locale.ZH_HANS)
        english, endpoints = summarise(client, offer, Locale.EN)
    assert chinese.issuer_name == "登记处"
    assert chinese.credentials == ("居民身份证明 (dc+sd-jwt)",)
    assert english.credentials == ("Resident Identity (dc+sd-jwt)",)
    assert endpoints.nonce_endpoint is None


def test_redeem_sends_dpop_bound_requests_and_answers_a_dpop_nonce_challenge() -> None:
    from vcore.dids import did_key_for
    from vcore.jose import decode_unverified
    from vcore.keys import generate_key
    from vcore.oid4vci import access_token_hash, parse_credential_offer, parse_issuer_endpoints
    from wallet_cli.client import WalletClient
    from wallet_cli.issuance import redeem_offer

    holder = generate_key("ES256")
    asked_nonce = {"token": False}
    seen: list[tuple[str, dict[str, Any]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        proof = request.headers.get("DPoP")
        claims = decode_unverified(proof, allow_headers=frozenset({"jwk"})).payload if proof else {}
        seen.append((path, claims))
        if path == "/.well-known/oauth-authorization-server":
            return httpx.Response(200, json={"issuer": ISSUER, "token_endpoint": f"{ISSUER}/token"})
        if path == "/token":
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            assert form["tx_code"] == "123456"
            if "nonce" not in claims:
                asked_nonce["token"] = True
                return httpx.Response(
                    400, json={"error": "use_dpop_nonce"}, headers={"DPoP-Nonce": "srv-nonce"}
                )
            assert claims["nonce"] == "srv-nonce"
            return httpx.Response(200, json={"access_token": "at", "token_type": "DPoP"})
        if path == "/nonce":
            return httpx.Response(200, json={"c_nonce": "cn"})
        if path == "/credential":
            assert request.headers["Authorization"] == "DPoP at"
            assert claims["ath"] == access_token_hash("at")
            body = json.loads(request.content)
            key_proof = decode_unverified(
                body["proofs"]["jwt"][0], allow_headers=frozenset({"jwk"})
            )
            assert key_proof.payload["nonce"] == "cn"
            assert key_proof.header["kid"].startswith(did_key_for(holder.public_key()))
            return httpx.Response(200, json={"credentials": [{"credential": "a.b.c"}]})
        return httpx.Response(404)

    metadata = {
        "credential_issuer": ISSUER,
        "credential_endpoint": f"{ISSUER}/credential",
        "nonce_endpoint": f"{ISSUER}/nonce",
        "credential_configurations_supported": {
            "A_jwt": {
                "format": "jwt_vc_json",
                "cryptographic_binding_methods_supported": ["did:key"],
            }
        },
    }
    offer = parse_credential_offer(build_credential_offer(ISSUER, ["A_jwt"], "code", TxCodeSpec(6)))
    endpoints = parse_issuer_endpoints(metadata, expected_issuer=ISSUER)
    from datetime import UTC, datetime

    with WalletClient(
        frozenset(), http=httpx.Client(transport=httpx.MockTransport(handler))
    ) as client:
        tokens = redeem_offer(
            client,
            offer,
            endpoints,
            holder_key=holder,
            holder_did=did_key_for(holder.public_key()),
            tx_code=lambda spec: "123456",
            now=lambda: datetime.now(UTC),
        )
    assert tokens.credentials == ("a.b.c",)
    assert tokens.failure is None
    assert asked_nonce["token"]
    assert [p for p, _ in seen] == [
        "/.well-known/oauth-authorization-server",
        "/token",
        "/token",
        "/nonce",
        "/credential",
    ]


def test_a_later_refusal_keeps_the_credentials_already_issued() -> None:
    from datetime import UTC, datetime

    from vcore.dids import did_key_for
    from vcore.keys import generate_key
    from vcore.oid4vci import parse_credential_offer, parse_issuer_endpoints
    from wallet_cli.client import WalletClient
    from wallet_cli.issuance import redeem_offer

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/oauth-authorization-server":
            return httpx.Response(200, json={"token_endpoint": f"{ISSUER}/token"})
        if path == "/token":
            return httpx.Response(200, json={"access_token": "at", "token_type": "DPoP"})
        if path == "/nonce":
            return httpx.Response(200, json={"c_nonce": "cn"})
        if json.loads(request.content)["credential_configuration_id"] == "A":
            return httpx.Response(200, json={"credentials": [{"credential": "a.b.c"}]})
        return httpx.Response(400, json={"error": "invalid_proof", "error_description": "no"})

    configs = {"A": {"format": "dc+sd-jwt"}, "B": {"format": "dc+sd-jwt"}}
    endpoints = parse_issuer_endpoints(
        {
            "credential_issuer": ISSUER,
            "credential_endpoint": f"{ISSUER}/credential",
            "nonce_endpoint": f"{ISSUER}/nonce",
            "credential_configurations_supported": configs,
        },
        expected_issuer=ISSUER,
    )
    offer = parse_credential_offer(build_credential_offer(ISSUER, ["A", "B"], "code", None))
    holder = generate_key("ES256")
    with WalletClient(
        frozenset(), http=httpx.Client(transport=httpx.MockTransport(handler))
    ) as client:
        redemption = redeem_offer(
            client,
            offer,
            endpoints,
            holder_key=holder,
            holder_did=did_key_for(holder.public_key()),
            tx_code=lambda spec: "",
            now=lambda: datetime.now(UTC),
        )
    assert redemption.credentials == ("a.b.c",)
    assert redemption.failure is not None
    assert "invalid_proof" in redemption.failure


def test_an_offer_link_and_a_qr_image_together_are_refused(
    wallet: WalletRunner, tmp_path: Any
) -> None:
    image = tmp_path / "x.png"
    image.write_bytes(b"\x89PNG")
    result = wallet(
        "receive", "openid-credential-offer://?credential_offer_uri=x", "--qr", str(image)
    )
    assert_one_line_error(result, InputError.exit_code, "not both")
