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


def _error_line(err: str, data_dir: Path | None = None) -> str:
    """The one error line, after the line that names the data directory, if any."""
    lines = err.splitlines()
    if data_dir is not None:
        assert lines[0].startswith(f"trustid-issuer: data directory {data_dir.resolve()}")
        lines = lines[1:]
    assert len(lines) == 1, err
    assert lines[0].startswith("trustid-issuer: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["agency", "create", "   ", "--types", "ResidentIdentityCredential"],
            "agency name",
            id="blank name",
        ),
        pytest.param(["agency", "create", "X", "--types", ","], "at least one type", id="no types"),
    ],
)
def test_refusals_are_one_line_with_exit_code_1(
    cli: CLI, tmp_path: Path, args: list[str], message: str
) -> None:
    code, out, err = cli(*args)
    assert code == 1
    assert out == ""
    assert message in _error_line(err, tmp_path / "var")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["agency", "create", "X", "--types", "PassportCredential"], id="create"),
        pytest.param(
            ["agency", "accredit", "AGENCY", "--types", "PassportCredential"], id="accredit"
        ),
    ],
)
def test_an_unknown_credential_type_is_a_usage_error(cli: CLI, args: list[str]) -> None:
    agency = cli.json("agency", "create", "Registry", "--types", "ResidentIdentityCredential")
    args = [agency["agency_id"] if a == "AGENCY" else a for a in args]
    code, out, err = cli(*args)
    assert code == 2
    assert out == ""
    line = _error_line(err.splitlines()[-1])
    assert "unknown credential type(s) PassportCredential" in line
    assert "ResidentIdentityCredential" in line  # the known types are listed


def test_duplicate_agency_is_refused(cli: CLI) -> None:
    cli.json("agency", "create", "Registry", "--types", "ResidentIdentityCredential")
    code, _, err = cli("agency", "create", "Registry", "--types", "ResidentIdentityCredential")
    assert code == 1
    assert "already exists" in err


def test_configuration_errors_exit_3(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.json("agency", "create", "Registry", "--types", "ResidentIdentityCredential")
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
    # Where it acts (the password would be masked), then the one error line.
    assert err.splitlines()[0] == (
        "trustid-issuer: database postgresql+psycopg://nobody@127.0.0.1:1/none"
        " (TRUSTID_DATABASE_URL)"
    )
    _error_line(err.splitlines()[-1])


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
    cli.json("agency", "create", "Registry", "--types", "ResidentIdentityCredential")
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


DB_COMMANDS = [
    ["agency", "list"],
    ["agency", "events", "ag_0000000000000000"],
    ["agency", "key", "list", "ag_0000000000000000"],
    ["trust-entry"],
    ["keys", "list"],
    ["keys", "rotate"],
]


@pytest.fixture
def elsewhere(cli: CLI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A random working directory, with TRUSTID_DATA_DIR unset."""
    monkeypatch.delenv("TRUSTID_DATA_DIR")
    cwd = tmp_path / "somewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


@pytest.mark.parametrize(
    "args", [*DB_COMMANDS, ["agency", "create", "X", "--types", "ResidentIdentityCredential"]]
)
def test_outside_a_data_dir_commands_refuse_and_create_nothing(
    cli: CLI, elsewhere: Path, args: list[str]
) -> None:
    code, out, err = cli(*args)
    assert code == 3
    assert out == ""
    line = _error_line(err)
    assert f"no issuer database in {elsewhere.resolve() / 'var'}" in line
    # The fix is in the message: where to run it, what to set, what starts a new one.
    assert "TRUSTID_DATA_DIR" in line
    assert "`trustid-issuer serve`" in line
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("args", DB_COMMANDS)
def test_a_named_but_empty_data_dir_is_not_filled_by_reading_commands(
    cli: CLI, tmp_path: Path, args: list[str]
) -> None:
    code, _, err = cli(*args)
    assert code == 3
    assert "no issuer database in" in _error_line(err)
    assert not (tmp_path / "var").exists()


def test_agency_create_starts_a_database_only_in_a_named_data_dir(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "var"
    code, out, err = cli(
        "agency", "create", "Registry", "--types", "ResidentIdentityCredential", "--json"
    )
    assert code == 0, err
    assert err.splitlines() == [f"trustid-issuer: data directory {data_dir} (new database)"]
    assert (data_dir / "issuer.db").is_file()
    agency = json.loads(out)
    # From then on the same directory is found by default from its parent, and named.
    monkeypatch.delenv("TRUSTID_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("agency", "list", "--json")
    assert code == 0, err
    assert err.splitlines() == [f"trustid-issuer: data directory {data_dir}"]
    assert [a["agency_id"] for a in json.loads(out)] == [agency["agency_id"]]


def test_serve_creates_the_data_dir_where_it_runs(
    cli: CLI, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_kw: served.append(app))
    code, _, err = cli("serve", "--port", "1")
    assert code == 0, err
    assert len(served) == 1
    assert (elsewhere / "var" / "issuer.db").is_file()
    assert f"data directory {elsewhere.resolve() / 'var'}" in err
    code, _, err = cli("agency", "list")
    assert code == 0, err


def test_keys_retire_withdraw_events_and_revoke_signed_by(cli: CLI) -> None:
    cli.json("agency", "create", "Registry", "--types", "ResidentIdentityCredential")
    [first] = cli.json("keys", "list")
    assert (first["state"], first["liveCredentials"], first["published"]) == ("active", 0, True)
    code, out, _ = cli("keys", "list")
    assert code == 0
    assert "active" in out
    retired = cli.json("keys", "retire", first["kid"])
    assert retired["changed"] is True
    assert retired["key"]["state"] == "retired"
    second = retired["newActiveKey"]["kid"]
    code, out, err = cli("revoke", "--signed-by", first["kid"], "--reason", "test", "--dry-run")
    assert code == 0, err
    assert "would revoke 0 credential(s)" in out
    withdrawn = cli.json("keys", "withdraw", second, "--reason", "leaked")
    assert withdrawn["key"]["state"] == "withdrawn"
    assert withdrawn["newActiveKey"]["kid"] not in (first["kid"], second)
    code, _, err = cli("keys", "retire", second)
    assert code == 1
    assert "withdrawn" in err
    code, _, err = cli("keys", "withdraw", "did:web:elsewhere.example#x", "--reason", "r")
    assert code == 1
    assert "not a key of this issuer" in err
    code, _, err = cli("keys", "withdraw", second)
    assert code == 2  # --reason is required
    states = {k["kid"]: k["state"] for k in cli.json("keys", "list")}
    assert states[first["kid"]] == "retired"
    assert states[second] == "withdrawn"
    actions = [(e["kid"], e["action"]) for e in cli.json("keys", "events")]
    assert (second, "withdrawn") in actions
    assert (first["kid"], "retired") in actions
