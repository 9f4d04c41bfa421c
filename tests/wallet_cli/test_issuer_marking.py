"""An issuer's name is "(self-declared)" unless a verifier's trust list named it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vcore.credentials import build_credential, new_credential_id
from vcore.dids import did_jwk_for, holder_kid
from vcore.formats import sign_credential
from vcore.keys import PrivateKey, generate_key
from vcore.signing import SoftwareSigner

from .conftest import OfflineIssuer, WalletRunner

AUTHORITY = "Beijing Resident Registry"


def _named(key: PrivateKey, holder: str, name: str = AUTHORITY) -> str:
    """A credential whose issuer object claims an authority's name."""
    did = did_jwk_for(key.public_key())
    now = datetime.now(UTC).replace(microsecond=0)
    credential = build_credential(
        issuer={"id": did, "name": name},
        credential_type="ResidentIdentityCredential",
        subject={"givenName": "Wei", "familyName": "Zhang"},
        holder=holder,
        credential_id=new_credential_id(),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    return sign_credential(credential, SoftwareSigner(key, holder_kid(did)))


def _item(wallet: WalletRunner) -> dict[str, Any]:
    (item,) = json.loads(wallet.ok("list", "--json").stdout)
    return dict(item)


def _trusting_verifier(
    monkeypatch: pytest.MonkeyPatch, issuer_did: str, *, trusted: bool, name: str = AUTHORITY
) -> None:
    from wallet_cli.client import WalletClient

    def answer(self: WalletClient, verifier: str, credential: object, key: object) -> object:
        report: dict[str, Any] = {
            "verified": trusted,
            "checks": [{"id": "trust", "status": "passed" if trusted else "failed"}],
        }
        if trusted:
            report["issuer"] = {"id": issuer_did, "name": name}
        return report

    monkeypatch.setattr(WalletClient, "verify_credential", answer)


def test_a_name_in_the_credential_is_marked_in_receive_list_and_show(
    wallet: WalletRunner,
) -> None:
    received = wallet.ok("receive", _named(generate_key("ES256"), wallet.did()))
    assert f"from {AUTHORITY} (self-declared) as" in received.stdout
    item = _item(wallet)
    assert (item["issuerName"], item["issuerTrusted"]) == (AUTHORITY, False)
    assert item["issuerNameSource"] == "self-declared"
    assert f"{AUTHORITY} (self-declared)" in _wide_list(wallet)
    shown = wallet.ok("show", item["shortId"]).stdout
    assert f"{AUTHORITY} (self-declared)" in shown


def _wide_list(wallet: WalletRunner) -> str:
    result = wallet("list", env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_a_long_name_keeps_its_marker_in_the_list(wallet: WalletRunner) -> None:
    wallet.ok("receive", _named(generate_key("ES256"), wallet.did(), "X" * 200))
    assert "XXXXXXXX... (self-declared)" in _wide_list(wallet)


def test_an_issuer_known_only_by_its_did_is_marked_too(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    wallet.ok("receive", issuer.issue(wallet.did()))
    assert "(self-declared)" in _wide_list(wallet)


def test_only_a_trust_list_removes_the_marker_and_losing_it_restores_it(
    wallet: WalletRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key("ES256")
    wallet.ok("receive", _named(key, wallet.did(), "Self Named"))
    short = _item(wallet)["shortId"]
    _trusting_verifier(monkeypatch, did_jwk_for(key.public_key()), trusted=True)
    wallet.ok("verify", short, "--verifier", "https://v.example")
    item = _item(wallet)
    assert (item["issuerName"], item["issuerTrusted"]) == (AUTHORITY, True)
    assert "self-declared" not in wallet.ok("show", short).stdout
    # Later the trust list no longer names it: the marker is back.
    _trusting_verifier(monkeypatch, did_jwk_for(key.public_key()), trusted=False)
    wallet("verify", short, "--verifier", "https://v.example")
    assert _item(wallet)["issuerTrusted"] is False
    assert f"{AUTHORITY} (self-declared)" in wallet.ok("show", short).stdout


def test_a_verifier_name_without_a_passed_trust_check_is_not_taken(
    wallet: WalletRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wallet_cli.client import WalletClient

    key = generate_key("ES256")
    wallet.ok("receive", _named(key, wallet.did(), "Self Named"))

    def answer(self: WalletClient, verifier: str, credential: object, key_: object) -> object:
        did = did_jwk_for(key.public_key())
        return {"verified": True, "checks": [], "issuer": {"id": did, "name": AUTHORITY}}

    monkeypatch.setattr(WalletClient, "verify_credential", answer)
    wallet.ok("verify", _item(wallet)["shortId"], "--verifier", "https://v.example")
    assert (_item(wallet)["issuerName"], _item(wallet)["issuerTrusted"]) == ("Self Named", False)


def test_a_self_issued_credential_is_always_marked(
    wallet: WalletRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key("ES256")
    did = did_jwk_for(key.public_key())
    wallet.ok("receive", _named(key, did), "--accept-unbound")  # issuer = holder
    item = _item(wallet)
    assert item["selfIssued"] is True
    # Even a verifier vouching for the name does not make a self-issued one trusted.
    _trusting_verifier(monkeypatch, did, trusted=True)
    wallet.ok("verify", item["shortId"], "--verifier", "https://v.example")
    assert _item(wallet)["issuerTrusted"] is False
    assert f"{AUTHORITY} (self-issued, self-declared)" in wallet.ok("show", item["shortId"]).stdout
    assert "(self-issued, self-declared)" in _wide_list(wallet)
