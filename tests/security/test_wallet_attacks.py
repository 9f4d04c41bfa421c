"""Wallet attacks (issue 9 §5): one test per attack, named after it.

Each asserts what the citizen would notice: nothing a hostile credential, issuer, verifier
or backup carries can drive the terminal, pass for an authority, or slip into the vault
unverified. The wallet's own test modules (tests/wallet_cli/test_terminal.py,
test_hostile_output.py, test_issuer_marking.py, test_import_reverify.py) go wider.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.wallet_cli.conftest import BACKUP_PASSPHRASE, OfflineIssuer, WalletRunner
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import build_did_document, did_jwk_for, did_web_from_url, holder_kid
from vcore.formats import parse_credential_unverified, sign_credential
from vcore.keys import b64url_decode, b64url_encode, generate_key
from vcore.signing import SoftwareSigner
from wallet_cli.records import (
    CredentialRecord,
    HolderRecord,
    IssuerKeyRecord,
    StatusRecord,
    WalletContents,
    local_id_for,
)
from wallet_cli.store import TEST_KDF, write_backup
from wallet_cli.terminal import is_unsafe

AUTHORITY = "Beijing Resident Registry"


@pytest.fixture(scope="module")
def issuer() -> OfflineIssuer:
    return OfflineIssuer(generate_key("ES256"))


@pytest.fixture
def wallet(tmp_path: Path) -> WalletRunner:
    runner = WalletRunner(tmp_path / "wallet")
    runner.ok("init")
    return runner


def _safe(result: Result) -> None:
    text = result.stdout + result.stderr
    assert [hex(ord(c)) for c in text if is_unsafe(c) and c != "\n"] == []


def _short(wallet: WalletRunner) -> str:
    (item,) = json.loads(wallet.ok("list", "--json").stdout)
    return str(item["shortId"])


def _credential(key: Any, holder: str, *, issuer_name: str | None = None, **subject: Any) -> str:
    did = did_jwk_for(key.public_key())
    now = datetime.now(UTC).replace(microsecond=0)
    credential = build_credential(
        issuer={"id": did, "name": issuer_name} if issuer_name else did,
        credential_type="ResidentIdentityCredential",
        subject=subject or {"givenName": "Wei"},
        holder=holder,
        credential_id=new_credential_id(),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    return sign_credential(credential, SoftwareSigner(key, holder_kid(did)))


def _verifier(monkeypatch: pytest.MonkeyPatch, report: dict[str, Any]) -> None:
    from wallet_cli.client import WalletClient

    monkeypatch.setattr(WalletClient, "verify_credential", lambda self, v, c, k: report)


def _record(token: str, **kw: Any) -> CredentialRecord:
    return CredentialRecord(
        id=local_id_for(parse_credential_unverified(token)),
        token=token,
        received_at="2026-01-01T00:00:00Z",
        **kw,
    )


def _import(tmp_path: Path, contents: WalletContents, *args: str) -> tuple[Result, WalletRunner]:
    path = tmp_path / "crafted.tid"
    write_backup(path, contents, BACKUP_PASSPHRASE, params=TEST_KDF)
    restored = WalletRunner(tmp_path / "restored")
    return restored("import", str(path), *args), restored


# -- terminal injection ---------------------------------------------------------------------


def test_wallet_clear_screen_escape_in_claim_is_not_printed(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    wallet.ok("receive", issuer.issue(wallet.did(), claims={"givenName": "\x1b[2J\x1b[3J"}))
    shown = wallet.ok("show", _short(wallet))
    _safe(shown)
    assert "[2J" in shown.stdout  # harmless and visible: the tampering shows


def test_wallet_osc8_hyperlink_in_issuer_name_is_not_printed(wallet: WalletRunner) -> None:
    name = "\x1b]8;;https://evil.example/\x1b\\" + AUTHORITY + "\x1b]8;;\x1b\\"
    received = wallet.ok(
        "receive", _credential(generate_key("ES256"), wallet.did(), issuer_name=name)
    )
    _safe(received)
    for args in (("list",), ("show", _short(wallet)), ("list", "--json")):
        _safe(wallet.ok(*args))


def test_wallet_rlo_bidi_override_in_credential_type_is_not_printed(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    token = issuer.issue(wallet.did(), credential_type="Resident\u202eIdentity\u2066Credential")
    _safe(wallet.ok("receive", token))
    _safe(wallet.ok("list"))
    _safe(wallet.ok("show", _short(wallet), "--json"))


def test_wallet_carriage_return_overwrite_in_verifier_check_is_not_printed(
    wallet: WalletRunner, issuer: OfflineIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet.ok("receive", issuer.issue(wallet.did()))
    checks = [{"id": "status", "status": "failed", "detail": "REVOKED\r\x1b[32mVALID   "}]
    _verifier(monkeypatch, {"verified": False, "checks": checks})
    result = wallet("verify", _short(wallet), "--verifier", "https://v.example")
    assert result.exit_code == 5
    _safe(result)


def test_wallet_c1_csi_in_verifier_problem_detail_is_not_printed(
    wallet: WalletRunner, issuer: OfflineIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet.ok("receive", issuer.issue(wallet.did()))
    problems = [{"code": "x", "detail": "refused \x9b2J\x9d0;pwned\x9c"}]
    _verifier(monkeypatch, {"verified": False, "checks": [], "problemDetails": problems})
    for extra in ((), ("--json",)):
        result = wallet("verify", _short(wallet), "--verifier", "https://v.example", *extra)
        assert result.exit_code == 5
        _safe(result)


def test_wallet_newline_row_forgery_in_claim_stays_on_its_row(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    wallet.ok("receive", issuer.issue(wallet.did(), claims={"givenName": "Wei\nStatus  valid"}))
    shown = wallet.ok("show", _short(wallet)).stdout
    assert not any(line.lstrip("│ ").startswith("Status  valid") for line in shown.splitlines())


def test_wallet_escape_in_status_list_url_error_is_not_printed(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    url = "https://status.example/\x1b]0;pwned\x07"
    entry = {
        "id": url + "#1",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "1",
        "statusListCredential": url,
    }
    received = wallet("receive", issuer.issue(wallet.did(), status=[entry]))
    _safe(received)
    if received.exit_code == 0:  # else refused by vcore (not a URL), in one safe line
        _safe(wallet.ok("status"))


def test_wallet_escape_in_refusal_error_message_is_not_printed(
    wallet: WalletRunner, issuer: OfflineIssuer
) -> None:
    refused = wallet("receive", issuer.issue("did:example:\x1b[2J\u202eevil"))
    assert refused.exit_code == 5
    _safe(refused)


# -- issuer names ---------------------------------------------------------------------------


def test_wallet_authority_name_in_credential_is_shown_self_declared(wallet: WalletRunner) -> None:
    received = wallet.ok(
        "receive", _credential(generate_key("ES256"), wallet.did(), issuer_name=AUTHORITY)
    )
    assert f"{AUTHORITY} (self-declared)" in received.stdout
    assert f"{AUTHORITY} (self-declared)" in wallet.ok("show", _short(wallet)).stdout
    listed = wallet("list", env={"COLUMNS": "200"})
    assert f"{AUTHORITY} (self-declared)" in listed.stdout


def test_wallet_self_issued_credential_under_authority_name_is_marked(
    wallet: WalletRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key("ES256")
    did = did_jwk_for(key.public_key())
    wallet.ok("receive", _credential(key, did, issuer_name=AUTHORITY), "--accept-unbound")
    trusted = {
        "verified": True,
        "checks": [{"id": "trust", "status": "passed"}],
        "issuer": {"id": did, "name": AUTHORITY},
    }
    _verifier(monkeypatch, trusted)
    wallet.ok("verify", _short(wallet), "--verifier", "https://v.example")
    assert "(self-issued, self-declared)" in wallet.ok("show", _short(wallet)).stdout


def test_wallet_verifier_name_without_trust_check_is_not_taken(
    wallet: WalletRunner, issuer: OfflineIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet.ok("receive", issuer.issue(wallet.did()))
    _verifier(
        monkeypatch,
        {"verified": True, "checks": [], "issuer": {"id": issuer.did, "name": AUTHORITY}},
    )
    wallet.ok("verify", _short(wallet), "--verifier", "https://v.example")
    (item,) = json.loads(wallet.ok("list", "--json").stdout)
    assert item["issuerTrusted"] is False


# -- backups --------------------------------------------------------------------------------


def test_wallet_backup_with_tampered_token_is_not_imported(
    tmp_path: Path, issuer: OfflineIssuer
) -> None:
    holder = HolderRecord.generate(generate_key("ES256"))
    head, payload, signature = issuer.issue(holder.did).split(".")
    claims = json.loads(b64url_decode(payload))
    claims["credentialSubject"]["givenName"] = "Mallory"
    tampered = ".".join([head, b64url_encode(json.dumps(claims).encode()), signature])
    result, restored = _import(
        tmp_path, WalletContents(holder=holder, credentials=[_record(tampered)])
    )
    assert result.exit_code == 5
    assert "not imported" in result.stderr
    assert json.loads(restored.ok("list", "--json").stdout) == []


def test_wallet_backup_with_forged_cached_issuer_key_is_not_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wallet_cli.client import WalletClient

    holder = HolderRecord.generate(generate_key("ES256"))
    web = did_web_from_url("https://registry.city.example")
    real, attacker = generate_key("ES256"), generate_key("ES256")
    kid = f"{web}#{real.public_key().thumbprint()}"
    now = datetime.now(UTC).replace(microsecond=0)
    credential = build_credential(
        issuer=web,
        credential_type="ResidentIdentityCredential",
        subject={"givenName": "Wei"},
        holder=holder.did,
        credential_id=new_credential_id(),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=1),
    )
    forged = sign_credential(credential, SoftwareSigner(attacker, kid))
    cache = {kid: IssuerKeyRecord(jwk=attacker.public_key().to_jwk(), fetched_at="2026-01-01")}
    monkeypatch.setattr(
        WalletClient,
        "fetch_did_document",
        lambda self, did: build_did_document(web, [real.public_key()]),
    )
    monkeypatch.setattr(WalletClient, "fetch_issuer_metadata", lambda self, did: {})
    contents = WalletContents(holder=holder, credentials=[_record(forged)], issuer_keys=cache)
    result, restored = _import(tmp_path, contents)
    assert result.exit_code == 5
    assert json.loads(restored.ok("list", "--json").stdout) == []


def test_wallet_backup_with_forged_trusted_name_and_status_is_not_believed(
    tmp_path: Path, issuer: OfflineIssuer
) -> None:
    holder = HolderRecord.generate(generate_key("ES256"))
    record = _record(
        issuer.issue(holder.did),
        issuer_name=AUTHORITY,
        issuer_name_source="verifier",
        status=StatusRecord(checked_at="2099-01-01T00:00:00Z", revocation=False),
    )
    result, restored = _import(tmp_path, WalletContents(holder=holder, credentials=[record]))
    assert result.exit_code == 0, result.stderr
    (item,) = json.loads(restored.ok("list", "--json").stdout)
    assert item["issuerTrusted"] is False
    assert item["issuerName"] != AUTHORITY
    assert item["statusCheckedAt"] != "2099-01-01T00:00:00Z"


def test_wallet_backup_holder_did_not_matching_its_key_is_refused(
    tmp_path: Path, issuer: OfflineIssuer
) -> None:
    holder = HolderRecord.generate(generate_key("ES256"))
    other = HolderRecord.generate(generate_key("ES256"))
    crafted = HolderRecord(jwk=holder.jwk, did=other.did)
    contents = WalletContents(holder=crafted, credentials=[_record(issuer.issue(other.did))])
    result, _ = _import(tmp_path, contents)
    assert result.exit_code == 2
    assert not (tmp_path / "restored" / "vault").exists()


def test_wallet_backup_credential_of_another_holder_is_not_imported(
    tmp_path: Path, issuer: OfflineIssuer
) -> None:
    holder = HolderRecord.generate(generate_key("ES256"))
    token = issuer.issue(did_jwk_for(generate_key("ES256").public_key()))
    result, restored = _import(
        tmp_path, WalletContents(holder=holder, credentials=[_record(token)])
    )
    assert result.exit_code == 5
    assert "not to this wallet" in result.stderr
    assert json.loads(restored.ok("list", "--json").stdout) == []
