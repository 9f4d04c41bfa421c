"""``trustid-issuer publish --out DIR``: the same bytes, ETag and Cache-Control as the
service at the same path; atomic; a second run changes nothing; a change shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from issuer.cli.publish import write_site
from tests.issuer.support import RESIDENT, Harness, issue_body, token_of


def test_the_static_site_is_what_the_service_serves(issuer: Harness, tmp_path: Path) -> None:
    agency = issuer.agencies["Resident Registry"]
    token_of(issuer.issue(agency, issue_body(RESIDENT)))
    out = tmp_path / "site"
    first = write_site(issuer.services, out)
    assert first["statusLists"] >= 2
    headers = json.loads((out / "headers.json").read_text())
    assert set(headers) == set(first["written"])
    for path, expected in headers.items():
        served = issuer.client.get("/" + path)
        assert served.status_code == 200, path
        assert (out / path).read_bytes() == served.content, path
        assert served.headers["etag"] == expected["ETag"], path
        assert served.headers["cache-control"] == expected["Cache-Control"], path
        assert served.headers["content-type"].split(";")[0] == expected["Content-Type"], path
    nginx = (out / "nginx-headers.conf").read_text()
    assert "location = /.well-known/did.json {" in nginx
    assert "etag off;" in nginx
    assert not list(out.rglob("*.tmp"))


def test_a_second_run_writes_nothing_and_a_revocation_rewrites_only_its_list(
    issuer: Harness, tmp_path: Path
) -> None:
    agency = issuer.agencies["Resident Registry"]
    response = issuer.issue(agency, issue_body(RESIDENT))
    credential_id = response.json()["credentialId"]
    revocation_url = response.json()["credentialStatus"][0]["statusListCredential"]
    out = tmp_path / "site"
    write_site(issuer.services, out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = write_site(issuer.services, out)
    assert again["written"] == []
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes
    assert issuer.change(agency, credential_id, "revocation", True).status_code == 200
    changed = write_site(issuer.services, out)
    assert changed["written"] == ["status-lists/" + revocation_url.rsplit("/", 1)[1]]


def test_the_cli_command_publishes_and_says_what_changed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tests.issuer.test_cli import CLI

    for name in ("TRUSTID_DATABASE_URL", "TRUSTID_MASTER_KEY", "TRUSTID_TYPES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRUSTID_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRUSTID_ISSUER_URL", "https://registry.example.gov")
    cli = CLI(monkeypatch, capsys)
    cli.json("agency", "create", "Resident Office", "--types", RESIDENT)  # creates the database
    first = cli.json("publish", "--out", str(tmp_path / "site"))
    assert ".well-known/did.json" in first["written"]
    assert (tmp_path / "site" / ".well-known" / "jwks.json").is_file()
    code, out, _err = cli("publish", "--out", str(tmp_path / "site"))
    assert code == 0
    assert "0 changed" in out
