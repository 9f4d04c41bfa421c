"""``trustid-issuer issue-batch FILE`` and ``revoke`` / ``suspend`` by selection.

issue-batch: JSON Lines and CSV, a bad row reported with its line number while the rest
is issued (exit 1), resumable after an interruption with no duplicate (rows already in
--out skipped; a row issued but not written replayed by its idempotency key).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from issuer.cli import bulk
from issuer.service import open_services
from issuer.settings import get_settings
from issuer.storage.tables import CredentialRecord, StatusChange
from tests.issuer.support import EXAMPLES, RESIDENT, new_holder
from tests.issuer.test_cli import CLI
from vcore.formats import parse_credential_unverified, unwrap_credential


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> CLI:
    """The CLI in-process on a fresh data directory (as in tests/issuer/test_cli.py)."""
    for name in ("TRUSTID_DATABASE_URL", "TRUSTID_MASTER_KEY", "TRUSTID_TYPES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRUSTID_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRUSTID_ISSUER_URL", "https://registry.example.gov")
    return CLI(monkeypatch, capsys)


def _agency_key(cli: CLI) -> str:
    created = cli.json("agency", "create", "Resident Office", "--types", RESIDENT)
    key: str = created["api_key"]
    return key


def _count(table: Any) -> int:
    services = open_services(get_settings())
    try:
        with services.ctx.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(table)) or 0)
    finally:
        services.close()


def _subject() -> dict[str, Any]:
    return {"id": new_holder(), **EXAMPLES[RESIDENT]}


def _out(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_issue_batch_from_json_lines_reports_bad_rows_by_line_and_issues_the_rest(
    cli: CLI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUSTID_API_KEY", _agency_key(cli))
    rows = [
        json.dumps({"credentialSubject": _subject(), "idempotencyKey": "a"}),
        "{not json",
        json.dumps({"credentialSubject": _subject()}),
        "",
        json.dumps({"credentialSubject": {"id": "not-a-did"}, "idempotencyKey": "c"}),
        json.dumps({"credentialSubject": _subject(), "type": "NoSuchType"}),
        json.dumps({"credentialSubject": _subject(), "idempotencyKey": "e"}),
    ]
    source = tmp_path / "people.jsonl"
    source.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out" / "issued.jsonl"
    code, _out_text, err = cli("issue-batch", str(source), "--out", str(out), "--type", RESIDENT)
    assert code == 1
    assert "line 2: not JSON" in err
    assert "line 5: " in err
    assert "line 6: " in err
    assert "issued 3, skipped 0" in err
    written = _out(out)
    assert [w["line"] for w in written] == [1, 3, 7]
    for record in written:
        credential = parse_credential_unverified(unwrap_credential(record["verifiableCredential"]))
        assert credential.id == record["credentialId"]
    assert _count(CredentialRecord) == 3

    # Run again: nothing new, nothing twice.
    code, _o, err = cli("issue-batch", str(source), "--out", str(out), "--type", RESIDENT)
    assert code == 1
    assert "issued 0, skipped 3" in err
    assert len(_out(out)) == 3
    assert _count(CredentialRecord) == 3


def test_an_interrupted_run_resumes_without_duplicates(
    cli: CLI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUSTID_API_KEY", _agency_key(cli))
    source = tmp_path / "people.jsonl"
    source.write_text(
        "".join(
            json.dumps({"credentialSubject": _subject(), "idempotencyKey": f"p{i}"}) + "\n"
            for i in range(7)
        )
    )
    out = tmp_path / "issued.jsonl"
    monkeypatch.setattr(bulk, "CHUNK", 3)
    real = bulk.json.dumps
    written = 0

    def dumps_then_crash(value: Any, **kwargs: Any) -> str:
        nonlocal written
        if isinstance(value, dict) and "verifiableCredential" in value:
            written += 1
            if written == 5:  # the second chunk was issued, its lines not yet written
                raise KeyboardInterrupt
        return real(value, **kwargs)

    monkeypatch.setattr(bulk.json, "dumps", dumps_then_crash)
    code, _o, _e = cli("issue-batch", str(source), "--out", str(out), "--type", RESIDENT)
    assert code == 130
    assert len(_out(out)) == 3
    assert _count(CredentialRecord) == 6
    monkeypatch.setattr(bulk.json, "dumps", real)
    code, _o, err = cli("issue-batch", str(source), "--out", str(out), "--type", RESIDENT)
    assert code == 0, err
    assert "issued 4, skipped 3" in err
    records = _out(out)
    assert sorted(r["idempotencyKey"] for r in records) == [f"p{i}" for i in range(7)]
    assert len({r["credentialId"] for r in records}) == 7
    assert _count(CredentialRecord) == 7


def test_issue_batch_from_csv(cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTID_API_KEY", _agency_key(cli))

    def flat(subject: dict[str, Any]) -> dict[str, Any]:
        cells = {k: v for k, v in subject.items() if not isinstance(v, dict)}
        cells.update({f"address.{k}": v for k, v in subject["address"].items()})
        return cells

    source = tmp_path / "people.csv"
    with source.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["idempotencyKey", *flat(_subject())])
        writer.writeheader()
        writer.writerow({"idempotencyKey": "c1", **flat(_subject())})
        writer.writerow({"idempotencyKey": "c2", **flat(_subject())})
    out = tmp_path / "issued.jsonl"
    code, _o, err = cli("issue-batch", str(source), "--out", str(out), "--type", RESIDENT)
    assert code == 0, err
    written = _out(out)
    assert [r["line"] for r in written] == [2, 3]
    credential = parse_credential_unverified(unwrap_credential(written[0]["verifiableCredential"]))
    assert credential.subject["sex"] == EXAMPLES[RESIDENT]["sex"]  # an integer, by the schema
    assert (
        credential.subject["address"]["postalCode"] == EXAMPLES[RESIDENT]["address"]["postalCode"]
    )


def test_issue_batch_without_a_key_is_a_one_line_usage_error(cli: CLI, tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text("{}\n")
    code, _o, err = cli("issue-batch", str(source), "--out", str(tmp_path / "o.jsonl"))
    assert code == 2
    assert "TRUSTID_API_KEY" in err


def _issue_some(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, holder: str
) -> list[str]:
    monkeypatch.setenv("TRUSTID_API_KEY", _agency_key(cli))
    source = tmp_path / "people.jsonl"
    subjects = [{"id": holder, **EXAMPLES[RESIDENT]}, _subject(), _subject()]
    source.write_text("".join(json.dumps({"credentialSubject": s}) + "\n" for s in subjects))
    out = tmp_path / "issued.jsonl"
    code, _o, err = cli("issue-batch", str(source), "--out", str(out), "--type", RESIDENT)
    assert code == 0, err
    return [r["credentialId"] for r in _out(out)]


def test_revoke_and_suspend_by_selection(
    cli: CLI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    holder = new_holder()
    ids = _issue_some(cli, tmp_path, monkeypatch, holder)
    dry = cli.json("suspend", "--holder", holder, "--reason", "court-order", "--dry-run")
    assert (dry["matched"], dry["changed"], dry["dryRun"]) == (1, 1, True)
    assert _count(StatusChange) == 0
    done = cli.json("suspend", "--holder", holder, "--reason", "court-order")
    assert done["changed"] == 1
    lifted = cli.json("suspend", "--holder", holder, "--lift", "--reason", "cleared")
    assert lifted["changed"] == 1
    listed = tmp_path / "ids.txt"
    listed.write_text("\n".join(ids[1:]) + "\n")
    code, out, err = cli("revoke", "--ids", str(listed), "--reason", "fraud")
    assert code == 0, err
    assert "revoked 2 of 2 selected credential(s)" in out
    by_type = cli.json(
        "revoke",
        "--type",
        RESIDENT,
        "--issued-from",
        "2000-01-01",
        "--reason",
        "recall",
        "--dry-run",
    )
    assert (by_type["matched"], by_type["changed"], by_type["unchanged"]) == (3, 1, 2)
    assert _count(StatusChange) == 4


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["revoke", "--holder", "did:key:zNobody", "--reason", "r"], 1, "no credential matches"),
        (["revoke", "--reason", "r"], 1, "exactly one of"),
        (
            ["revoke", "--holder", "did:key:z", "--type", RESIDENT, "--reason", "r"],
            1,
            "exactly one of",
        ),
        (
            ["suspend", "--type", RESIDENT, "--issued-from", "soon", "--reason", "r"],
            2,
            "--issued-from",
        ),
        (["revoke", "--holder", "did:key:z"], 2, "--reason"),
    ],
)
def test_bad_bulk_changes_are_one_line_errors(
    cli: CLI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
    text: str,
) -> None:
    _issue_some(cli, tmp_path, monkeypatch, new_holder())
    got, _out_text, err = cli(*args)
    assert got == code
    assert text in err
    assert _count(StatusChange) == 0
