"""``import`` trusts nothing in a backup but the holder key and the tokens.

The backups here are crafted with :func:`wallet_cli.store.write_backup` as an attacker
who knows (or chose) the backup passphrase would: forged tokens, a cached issuer key of
the attacker's, a trusted-looking issuer name, a "valid" status.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vcore.dids import build_did_document, did_jwk_for, did_web_from_url
from vcore.keys import b64url_decode, b64url_encode, generate_key
from wallet_cli.records import (
    NAME_FROM_VERIFIER,
    CredentialRecord,
    HolderRecord,
    IssuerKeyRecord,
    StatusRecord,
    WalletContents,
)
from wallet_cli.store import TEST_KDF, write_backup

from .conftest import BACKUP_PASSPHRASE, OfflineIssuer, WalletRunner, assert_one_line_error

WEB_DID = did_web_from_url("https://registry.city.example")


def _record(token: str, **kw: Any) -> CredentialRecord:
    from vcore.formats import parse_credential_unverified
    from wallet_cli.records import local_id_for

    return CredentialRecord(
        id=local_id_for(parse_credential_unverified(token)),
        token=token,
        received_at="2026-01-02T03:04:05Z",
        **kw,
    )


def _tamper_claims(token: str) -> str:
    """Change a claim and keep the issuer's signature (which no longer matches)."""
    head, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["credentialSubject"]["givenName"] = "Mallory"
    return ".".join([head, b64url_encode(json.dumps(claims).encode()), signature])


def _backup(tmp_path: Path, contents: WalletContents) -> Path:
    path = tmp_path / "crafted.tid"
    write_backup(path, contents, BACKUP_PASSPHRASE, params=TEST_KDF)
    return path


def _items(runner: WalletRunner) -> list[dict[str, Any]]:
    return list(json.loads(runner.ok("list", "--json").stdout))


@pytest.fixture
def holder() -> HolderRecord:
    return HolderRecord.generate(generate_key("ES256"))


def test_forged_and_tampered_credentials_are_named_and_not_imported_the_rest_is(
    tmp_path: Path, holder: HolderRecord, issuer: OfflineIssuer
) -> None:
    good = issuer.issue(holder.did)
    forged = OfflineIssuer(generate_key("ES256")).issue(holder.did)
    tampered = _tamper_claims(issuer.issue(holder.did))
    other_holder = issuer.issue(did_jwk_for(generate_key("ES256").public_key()))
    contents = WalletContents(
        holder=holder,
        credentials=[_record(good), _record(tampered), _record(other_holder)],
    )
    # The forged one is signed by a key of its own did:jwk: it verifies (self-issued by a
    # stranger) and is imported, but never under an authority's name.
    contents.credentials.append(
        _record(forged, issuer_name="Beijing Resident Registry", issuer_name_source="verifier")
    )
    restored = WalletRunner(tmp_path / "restored")
    result = restored("import", str(_backup(tmp_path, contents)))
    assert result.exit_code == 5, (result.stdout, result.stderr)
    assert "Restored a wallet with 2 credential(s)" in result.stdout
    assert "not imported: ResidentIdentityCredential" in result.stderr
    assert "signature" in result.stderr  # the tampered one
    assert "not to this wallet" in result.stderr  # the one of another holder
    assert result.stderr.strip().splitlines()[-1].startswith("error: 2 credential(s)")
    items = {item["id"]: item for item in _items(restored)}
    assert set(items) == {contents.credentials[0].id, contents.credentials[3].id}
    stranger = items[contents.credentials[3].id]
    assert stranger["issuerTrusted"] is False
    assert stranger["issuerNameSource"] == "self-declared"
    # The holder key was restored with the backup: the wallet works.
    assert restored.did() == holder.did


def test_another_holders_credential_is_imported_on_request_like_receive(
    tmp_path: Path, holder: HolderRecord, issuer: OfflineIssuer
) -> None:
    token = issuer.issue(did_jwk_for(generate_key("ES256").public_key()))
    path = _backup(tmp_path, WalletContents(holder=holder, credentials=[_record(token)]))
    restored = WalletRunner(tmp_path / "restored")
    restored.ok("import", str(path), "--accept-unbound")
    (item,) = _items(restored)
    assert item["holder"] != holder.did


def test_cached_names_statuses_and_notes_of_a_backup_are_not_believed(
    tmp_path: Path, holder: HolderRecord, issuer: OfflineIssuer
) -> None:
    token = issuer.issue(holder.did)
    record = _record(
        token,
        issuer_name="Ministry of Interior",
        issuer_name_source=NAME_FROM_VERIFIER,
        notes=["checked by the ministry"],
        status=StatusRecord(checked_at="2099-01-01T00:00:00Z", revocation=False),
    )
    path = _backup(tmp_path, WalletContents(holder=holder, credentials=[record]))
    restored = WalletRunner(tmp_path / "restored")
    restored.ok("import", str(path))
    (item,) = _items(restored)
    assert item["issuerTrusted"] is False
    assert item["issuerName"] != "Ministry of Interior"
    assert item["statusCheckedAt"] != "2099-01-01T00:00:00Z"
    assert item["receivedAt"] == "2026-01-02T03:04:05Z"  # history only: kept
    shown = restored.ok("show", item["shortId"]).stdout
    assert "checked by the ministry" not in shown
    assert "Ministry of Interior" not in shown


def test_a_cached_issuer_key_in_a_backup_is_never_used(
    tmp_path: Path, holder: HolderRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A did:web credential forged with the attacker's key, and the backup's key cache
    saying that key is the issuer's: import resolves the issuer's DID document afresh."""
    from wallet_cli.client import WalletClient

    real, attacker = generate_key("ES256"), generate_key("ES256")
    kid = f"{WEB_DID}#{real.public_key().thumbprint()}"
    forged = OfflineIssuer(attacker)
    token = _sign_as(forged, holder.did, kid)
    contents = WalletContents(
        holder=holder,
        credentials=[_record(token)],
        issuer_keys={
            kid: IssuerKeyRecord(jwk=attacker.public_key().to_jwk(), fetched_at="2026-01-01")
        },
    )
    fetched: list[str] = []

    def document(self: WalletClient, did: str) -> dict[str, Any]:
        fetched.append(did)
        return build_did_document(WEB_DID, [real.public_key()])

    monkeypatch.setattr(WalletClient, "fetch_did_document", document)
    monkeypatch.setattr(WalletClient, "fetch_issuer_metadata", lambda self, did: {})
    restored = WalletRunner(tmp_path / "restored")
    result = restored("import", str(_backup(tmp_path, contents)))
    assert result.exit_code == 5, (result.stdout, result.stderr)
    assert fetched == [WEB_DID]
    assert "not imported" in result.stderr
    assert _items(restored) == []
    # And the attacker's key did not land in the new wallet's cache: --offline refuses.
    # (Receiving the forged token offline must not verify against a cached key.)
    offline = restored("receive", token, "--offline")
    assert offline.exit_code == 5, offline.stderr


def test_a_backup_whose_holder_did_is_not_its_key_is_refused_whole(
    tmp_path: Path, holder: HolderRecord, issuer: OfflineIssuer
) -> None:
    other = HolderRecord.generate(generate_key("ES256"))
    crafted = HolderRecord(jwk=holder.jwk, did=other.did)
    path = _backup(
        tmp_path, WalletContents(holder=crafted, credentials=[_record(issuer.issue(other.did))])
    )
    restored = WalletRunner(tmp_path / "restored")
    assert_one_line_error(restored("import", str(path)), 2, "not the DID of its holder key")
    assert not (tmp_path / "restored" / "vault").exists()


def test_merging_keeps_what_the_wallet_had(
    wallet: WalletRunner, issuer: OfflineIssuer, tmp_path: Path
) -> None:
    did = wallet.did()
    wallet.ok("receive", issuer.issue(did))
    backup = tmp_path / "mine.tid"
    wallet.ok("export", str(backup))
    wallet.ok("receive", issuer.issue(did))
    assert (
        "Imported 0 credential(s); 1 were already here" in wallet.ok("import", str(backup)).stdout
    )
    assert len(_items(wallet)) == 2


def _sign_as(issuer: OfflineIssuer, holder: str, kid: str) -> str:
    from datetime import UTC, datetime, timedelta

    from vcore.credentials import build_credential, new_credential_id
    from vcore.formats import sign_credential
    from vcore.signing import SoftwareSigner

    now = datetime.now(UTC).replace(microsecond=0)
    credential = build_credential(
        issuer=WEB_DID,
        credential_type="ResidentIdentityCredential",
        subject={"givenName": "Wei"},
        holder=holder,
        credential_id=new_credential_id(),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=1),
    )
    return sign_credential(credential, SoftwareSigner(issuer.key, kid))
