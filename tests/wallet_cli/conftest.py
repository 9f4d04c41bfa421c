"""Wallet test fixtures: a cheap-KDF environment, an offline (did:jwk) issuer, a CLI runner."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from vcore.credentials import build_credential, new_credential_id
from vcore.dids import did_jwk_for, holder_kid
from vcore.formats import sign_credential
from vcore.keys import PrivateKey, generate_key
from vcore.signing import SoftwareSigner
from wallet_cli.cli import app

PASSPHRASE = "correct horse battery"
BACKUP_PASSPHRASE = "staple in the drawer"
CLAIMS = {"givenName": "Wei", "familyName": "Zhang", "birthDate": "1988-04-12"}


def wallet_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for a wallet process: test KDF, passphrase, and this home."""
    return {
        "TRUSTID_WALLET_TEST_KDF": "1",
        "TRUSTID_WALLET_PASSPHRASE": PASSPHRASE,
        "TRUSTID_WALLET_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE,
        "TRUSTID_WALLET_HOME": str(home),
        # English unless a test asks for another language (LANG=zh_CN.UTF-8, --lang).
        "LANG": "C.UTF-8",
        "LC_ALL": "",
        "LC_MESSAGES": "",
        "LANGUAGE": "",
        **extra,
    }


@dataclass
class OfflineIssuer:
    """An issuer whose DID (did:jwk) resolves without network."""

    key: PrivateKey

    @property
    def did(self) -> str:
        return did_jwk_for(self.key.public_key())

    def issue(
        self,
        holder: str | None,
        *,
        credential_type: str = "ResidentIdentityCredential",
        claims: Mapping[str, Any] = CLAIMS,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        fmt: str = "vc+jwt",
        status: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        now = datetime.now(UTC).replace(microsecond=0)
        credential = build_credential(
            issuer=self.did,
            credential_type=credential_type,
            subject=claims,
            holder=holder or "",
            credential_id=new_credential_id(),
            valid_from=valid_from or now - timedelta(days=1),
            valid_until=valid_until or now + timedelta(days=365),
            status=status,
        )
        if holder is None:
            del credential["credentialSubject"]["id"]
        return sign_credential(credential, SoftwareSigner(self.key, holder_kid(self.did)), fmt=fmt)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def issuer() -> OfflineIssuer:
    return OfflineIssuer(generate_key("ES256"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "wallet"


class WalletRunner:
    """Runs the wallet in-process through Typer's runner, with the test environment."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = wallet_env(home)
        self._runner = CliRunner()

    def __call__(
        self, *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None
    ) -> Result:
        merged: dict[str, str | None] = {**self.env, **(env or {})}
        return self._runner.invoke(app, list(args), input=input, env=merged)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        return result

    def did(self) -> str:
        return self.ok("did").stdout.strip()


@pytest.fixture
def wallet(home: Path) -> WalletRunner:
    """A runner over an initialised wallet."""
    runner = WalletRunner(home)
    runner.ok("init")
    return runner


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    """A failed command: its exit code, one stderr line, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def files_under(root: Path) -> list[Path]:
    return [Path(d) / f for d, _, names in os.walk(root) for f in names]
