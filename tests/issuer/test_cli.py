"""trustid-issuer commands: JSON output, and one-line errors with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from issuer.cli import main
from tests.issuer.support import EXAMPLES


class CLI:
    """Runs ``main()`` in-process (same code path as the console script)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self._monkeypatch = monkeypatch
        self._capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self._monkeypatch.setattr(sys, "argv", ["trustid-issuer", *args])
        self._capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = self._capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> Any:
        code, out, err = self(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> CLI:
    for name in (
        "TRUSTID_DATABASE_URL",
        "TRUSTID_MASTER_KEY",
        "TRUSTID_TYPES_DIR",
        "TRUSTID_ISSUER_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRUSTID_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRUSTID_ISSUER_URL", "https://registry.example.gov")
    return CLI(monkeypatch, capsys)


def test_agency_create_prints_id_and_key_once(cli: CLI) -> None:
    created = cli.json(
        "agency", "create", "Beijing Resident Registry", "--types", "ResidentIdentityCredential"
    )
    assert created["agency_id"].startswith("ag_")
    assert created["api_key"].startswith("tid_")
    assert len(created["api_key"]) == 47  # tid_ + 256 bits in base64url
    assert created["types"] == ["ResidentIdentityCredential"]

    listed = cli.json("agency", "list")
    assert [a["name"] for a in listed] == ["Beijing Resident Registry"]
    assert listed[0]["types"] == ["ResidentIdentityCredential"]
    assert created["api_key"] not in json.dumps(listed)  # stored hashed: only a prefix shows
    assert listed[0]["api_keys"][0].startswith(created["api_key"][:8])

    code, out, _err = cli(
        "agency",
        "create",
        "Driving Office",
        "--types",
        "DrivingLicenceCredential,UniversityDegreeCredential",
    )
    assert code == 0
    assert "API key (shown once" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["agency", "create", "X", "--types", "PassportCredential"],
            "unknown credential type",
            id="unknown type",
        ),
        pytest.param(
            ["agency", "create", "   ", "--types", "ResidentIdentityCredential"],
            "agency name",
            id="blank name",
        ),
        pytest.param(["agency", "create", "X", "--types", ","], "at least one type", id="no types"),
    ],
)
def test_refusals_are_one_line_with_exit_code_1(cli: CLI, args: list[str], message: str) -> None:
    code, out, err = cli(*args)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("trustid-issuer: error: ")
    assert message in err


def test_duplicate_agency_is_refused(cli: CLI) -> None:
    cli.json("agency", "create", "Registry", "--types", "ResidentIdentityCredential")
    code, _, err = cli("agency", "create", "Registry", "--types", "ResidentIdentityCredential")
    assert code == 1
    assert "already exists" in err


def test_configuration_errors_exit_3(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTID_ISSUER_URL", "ftp://registry.example.gov")
    code, _, err = cli("trust-entry")
    assert code == 3
    assert "TRUSTID_ISSUER_URL" in err
    assert "Traceback" not in err
    monkeypatch.setenv("TRUSTID_ISSUER_URL", "https://registry.example.gov")
    monkeypatch.setenv("TRUSTID_MASTER_KEY", "too-short")
    code, _, err = cli("keys", "list")
    assert code == 3
    assert "TRUSTID_MASTER_KEY" in err


def test_unreachable_database_exits_4(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTID_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    code, _, err = cli("agency", "list")
    assert code == 4
    assert err.count("\n") == 1


def test_types_list_json_carries_schemas_with_valid_examples(cli: CLI) -> None:
    types = cli.json("types", "list")
    assert [t["type"] for t in types] == sorted(EXAMPLES)
    assert len(types) >= 3
    for entry in types:
        schema = entry["schema"]
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        assert schema["examples"]
        for example in schema["examples"]:
            assert "id" not in example
            assert list(validator.iter_errors(example)) == []
        assert schema["additionalProperties"] is False


def test_types_dir_adds_types(cli: CLI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    extra = tmp_path / "types"
    extra.mkdir()
    schema = {
        "title": "LibraryCardCredential",
        "type": "object",
        "properties": {"id": {"type": "string"}, "cardNumber": {"type": "string"}},
        "required": ["cardNumber"],
        "additionalProperties": False,
        "examples": [{"cardNumber": "L-1"}],
    }
    (extra / "LibraryCardCredential.json").write_text(json.dumps(schema))
    monkeypatch.setenv("TRUSTID_TYPES_DIR", str(extra))
    assert "LibraryCardCredential" in [t["type"] for t in cli.json("types", "list")]

    schema["examples"] = [{"cardNumber": 5}]
    (extra / "LibraryCardCredential.json").write_text(json.dumps(schema))
    code, _, err = cli("types", "list")
    assert code == 3
    assert "example 0 is invalid" in err


def test_trust_entry_and_keys(cli: CLI) -> None:
    entry = cli.json("trust-entry")
    assert entry["id"] == "did:web:registry.example.gov"
    assert entry["name"] == "TrustID Demo Registry"
    assert entry["types"] == sorted(EXAMPLES)
    assert entry["validFrom"].endswith("Z")

    keys = cli.json("keys", "list")
    assert len(keys) == 1
    assert keys[0]["kid"].startswith("did:web:registry.example.gov#")
    rotated = cli.json("keys", "rotate")
    assert rotated["active"] is True
    assert [k["kid"] for k in cli.json("keys", "list")] == [rotated["kid"], keys[0]["kid"]]


def test_module_without_arguments_prints_help_and_reads_no_stdin(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "issuer.cli"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout
    assert "agency" in result.stdout
