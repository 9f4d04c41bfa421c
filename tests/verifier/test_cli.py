"""``trustid-verifier`` CLI: clients, trust-list tools, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.verifier.support import RESIDENT, Issuer, trust_document, write_json
from verifier.cli import app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("TRUSTID_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRUSTID_DATA_DIR", str(tmp_path / "var"))
    return tmp_path


def test_client_create_list_remove(env: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["client", "create", "City Housing Office", "--json"])
    assert created.exit_code == 0, created.output
    data_dir = (env / "var").resolve()
    assert created.stderr.splitlines() == [
        f"trustid-verifier: data directory {data_dir} (new database)"
    ]
    body = json.loads(created.stdout)
    assert body["api_key"].startswith("tvk_")
    assert body["name"] == "City Housing Office"
    listed = runner.invoke(app, ["client", "list", "--json"])
    assert listed.stderr.splitlines() == [f"trustid-verifier: data directory {data_dir}"]
    assert [c["name"] for c in json.loads(listed.stdout)] == ["City Housing Office"]
    assert body["api_key"] not in listed.stdout
    # the key is stored hashed: not in the database file
    database = (env / "var" / "verifier.db").read_bytes()
    assert body["api_key"].encode() not in database
    duplicate = runner.invoke(app, ["client", "create", "City Housing Office"])
    assert duplicate.exit_code == 4
    assert duplicate.stderr.splitlines()[0] == f"trustid-verifier: data directory {data_dir}"
    assert duplicate.stderr.splitlines()[1].startswith("error: ")
    assert len(duplicate.stderr.strip().splitlines()) == 2
    assert runner.invoke(app, ["client", "remove", "City Housing Office"]).exit_code == 0
    assert runner.invoke(app, ["client", "remove", "City Housing Office"]).exit_code == 4


def test_client_create_with_the_caller_challenge_policy(env: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app, ["client", "create", "W3C suite", "--challenge-policy", "caller", "--json"]
    )
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["challenge_policy"] == "caller"
    plain = runner.invoke(app, ["client", "create", "Counter 2"])
    assert "Challenge policy" not in plain.stdout
    listed = {
        c["name"]: c for c in json.loads(runner.invoke(app, ["client", "list", "--json"]).stdout)
    }
    assert listed["W3C suite"]["challenge_policy"] == "caller"
    assert listed["Counter 2"]["challenge_policy"] == "server"
    assert "caller challenges" in runner.invoke(app, ["client", "list"]).stdout
    bad = runner.invoke(app, ["client", "create", "X", "--challenge-policy", "anyone"])
    assert bad.exit_code == 2
    assert bad.stderr.strip().splitlines() == [
        "error: --challenge-policy must be 'server' or 'caller'"
    ]
    names = [c["name"] for c in json.loads(runner.invoke(app, ["client", "list", "--json"]).stdout)]
    assert "X" not in names


@pytest.mark.parametrize(
    "args",
    [["client", "list"], ["client", "remove", "X"], ["client", "create", "X"]],
    ids=["list", "remove", "create"],
)
def test_outside_a_data_dir_client_commands_refuse_and_create_nothing(
    env: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.delenv("TRUSTID_DATA_DIR")
    cwd = env / "somewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: no verifier database in {cwd.resolve() / 'var'}: ")
    assert "TRUSTID_DATA_DIR" in line
    assert "`trustid-verifier serve`" in line
    assert list(cwd.iterdir()) == []


def test_a_named_but_empty_data_dir_is_not_filled_by_client_list(env: Path) -> None:
    result = CliRunner().invoke(app, ["client", "list"])
    assert result.exit_code == 3
    assert "no verifier database in" in result.stderr
    assert not (env / "var").exists()


def test_sign_and_check_a_trust_list(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    private, public = env / "anchor.jwk", env / "anchor.pub.jwk"
    keygen = runner.invoke(
        app, ["trust-list", "keygen", "--private-out", str(private), "--public-out", str(public)]
    )
    assert keygen.exit_code == 0, keygen.output
    assert private.stat().st_mode & 0o777 == 0o600
    source = write_json(env / "trust.json", trust_document((Issuer(), [RESIDENT])))
    signed = env / "trust.jwt"
    result = runner.invoke(
        app,
        [
            "trust-list",
            "sign",
            str(source),
            "--key",
            str(private),
            "--valid-days",
            "30",
            "--sequence",
            "7",
            "--out",
            str(signed),
        ],
    )
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("TRUSTID_TRUST_LIST", str(signed))
    monkeypatch.setenv("TRUSTID_TRUST_ANCHOR", str(public))
    checked = runner.invoke(app, ["trust-list", "check", "--json"])
    assert checked.exit_code == 0, checked.output
    shown = json.loads(checked.stdout)
    assert shown["signed"] is True
    assert shown["sequence"] == 7
    assert "validUntil" in shown
    assert "sequence 7, valid until" in runner.invoke(app, ["trust-list", "check"]).stdout
    negative = runner.invoke(
        app, ["trust-list", "sign", str(source), "--key", str(private), "--sequence", "-1"]
    )
    assert negative.exit_code != 0
    # The unsigned file is refused once an anchor is configured.
    monkeypatch.setenv("TRUSTID_TRUST_LIST", str(source))
    refused = runner.invoke(app, ["trust-list", "check"])
    assert refused.exit_code == 3
    assert "must be a signed trustlist+jwt" in refused.stderr
    # The private key is refused as an anchor.
    monkeypatch.setenv("TRUSTID_TRUST_ANCHOR", str(private))
    assert runner.invoke(app, ["trust-list", "check"]).exit_code == 3


def test_serve_refuses_an_invalid_trust_list_in_one_line(env: Path) -> None:
    bad = env / "trust.json"
    bad.write_text('{"issuers": [{"id": "not-a-did"}]}')
    result = subprocess.run(
        [sys.executable, "-m", "verifier.cli", "serve", "--port", "1"],
        env={**os.environ, "TRUSTID_TRUST_LIST": str(bad)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: issuers[0]: id must be a did:web, did:jwk or did:key DID"
    ]


def test_bad_setting_is_one_line(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTID_VERIFIER_RATE_LIMIT", "lots")
    result = CliRunner().invoke(app, ["client", "list"])
    assert result.exit_code == 3
    assert result.stderr.startswith("error: invalid TRUSTID_* setting")


def test_help_texts() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "verifier.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for command in ("serve", "client", "trust-list"):
        assert command in result.stdout
