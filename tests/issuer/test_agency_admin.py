"""Agency administration: disable/enable, API-key rotation, re-accreditation, audit trail.

Each change is made through ``trustid-issuer`` (``main()`` in-process, the console
script's code path) against the database of a running issuer app, and its effect is
checked through the HTTP API of that app: the CLI and the API are separate processes
in production, sharing only the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from issuer.storage.tables import AgencyEvent
from tests.issuer.support import (
    DEGREE,
    LICENCE,
    RESIDENT,
    AgencyKey,
    Harness,
    MutableClock,
    issue_body,
    make_settings,
    running_issuer,
    token_of,
)
from tests.issuer.test_api_errors import assert_problem
from tests.issuer.test_api_status import current_bit, issue_one
from tests.issuer.test_cli import CLI


@dataclass
class Site:
    """A running issuer (HTTP) and its administration CLI on the same database."""

    issuer: Harness
    cli: CLI

    def create_agency(self, name: str, *types: str) -> AgencyKey:
        created = self.cli.json("agency", "create", name, "--types", ",".join(types))
        key = AgencyKey(created["agency_id"], created["api_key"])
        self.issuer.agencies[name] = key
        return key

    def ok(self, *args: str) -> str:
        code, out, err = self.cli(*args)
        assert code == 0, err
        return out

    def refused(self, *args: str, code: int = 1) -> str:
        """A refused command: its exit code, no stdout, no traceback, and on stderr the
        database it acted on, then one error line."""
        got, out, err = self.cli(*args)
        assert got == code, (got, out, err)
        assert out == ""
        where, *rest = err.splitlines()
        assert where.startswith(("trustid-issuer: data directory ", "trustid-issuer: database "))
        assert len(rest) == 1, err
        assert rest[0].startswith("trustid-issuer: error: ")
        return rest[0] + "\n"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: MutableClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Site]:
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgres" else None
    settings = make_settings(tmp_path, url)
    assert settings.master_key is not None
    env = {
        "TRUSTID_DATA_DIR": str(settings.data_dir),
        "TRUSTID_DATABASE_URL": url or "",
        "TRUSTID_MASTER_KEY": settings.master_key.get_secret_value(),
        "TRUSTID_ISSUER_URL": settings.issuer_url,
        "TRUSTID_TYPES_DIR": "",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with running_issuer(settings, clock) as harness:
        yield Site(harness, CLI(monkeypatch, capsys))


def _events(site: Site, agency_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = site.cli.json("agency", "events", agency_id)
    return events


# -- API keys ----------------------------------------------------------------------------


def test_key_rotation_new_key_works_and_revoked_key_gets_401(site: Site) -> None:
    old = site.create_agency("Resident Registry", RESIDENT)
    assert site.issuer.issue(old).status_code == 201

    created = site.cli.json("agency", "key", "create", old.agency_id, "--reason", "rotation")
    new = AgencyKey(old.agency_id, created["api_key"])
    assert created["key_id"].startswith("key_")
    assert created["agency_id"] == old.agency_id
    assert created["api_key"].startswith(created["prefix"])
    assert created["revoked"] is None
    # Both keys work during the rotation window.
    assert site.issuer.issue(old).status_code == 201
    assert site.issuer.issue(new).status_code == 201

    # Keys list oldest first; two made within the same second list in id order.
    keys = {k["key_id"]: k for k in site.cli.json("agency", "key", "list", old.agency_id)}
    assert created["key_id"] in keys
    assert [k["revoked"] for k in keys.values()] == [None, None]
    (old_key_id,) = set(keys) - {created["key_id"]}
    assert old.api_key.startswith(keys[old_key_id]["prefix"])

    revoked = site.cli.json("agency", "key", "revoke", old_key_id)
    assert revoked["key_id"] == old_key_id
    assert revoked["revoked"] is not None
    assert revoked["changed"] is True
    assert revoked["live_keys"] == 1

    problem = assert_problem(site.issuer.issue(old), 401, "unauthorized")
    assert "revoked" in problem["detail"]
    assert site.issuer.issue(old).headers["WWW-Authenticate"].startswith("Bearer")
    token_of(site.issuer.issue(new))

    # The alias `agency keys` and `agency list --json` show the same state.
    assert site.cli.json("agency", "keys", old.agency_id) == site.cli.json(
        "agency", "key", "list", old.agency_id
    )
    (listed,) = site.cli.json("agency", "list")
    listed_keys = {k["key_id"]: k for k in listed["keys"]}
    assert set(listed_keys) == {old_key_id, created["key_id"]}
    assert listed_keys[old_key_id]["revoked"] == revoked["revoked"]
    assert listed_keys[created["key_id"]]["revoked"] is None
    assert listed["api_keys"] == [created["prefix"] + "..."]  # live keys only
    everything = json.dumps([listed, keys, revoked])
    assert old.api_key not in everything
    assert new.api_key not in everything

    # Revocation is final and idempotent.
    again = site.cli.json("agency", "key", "revoke", old_key_id)
    assert (again["changed"], again["revoked"]) == (False, revoked["revoked"])
    assert_problem(site.issuer.issue(old), 401, "unauthorized")


def test_revoked_key_cannot_change_status_either(site: Site) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    credential_id, _ = issue_one(site.issuer)
    key_id = site.cli.json("agency", "key", "list", agency.agency_id)[0]["key_id"]
    site.cli.json("agency", "key", "create", agency.agency_id)
    site.cli.json("agency", "key", "revoke", key_id)
    assert_problem(
        site.issuer.change(agency, credential_id, "revocation", True), 401, "unauthorized"
    )


def test_revoking_the_last_key_warns(site: Site) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    key_id = site.cli.json("agency", "key", "list", agency.agency_id)[0]["key_id"]
    code, out, err = site.cli("agency", "key", "revoke", key_id, "--reason", "leaked")
    assert code == 0
    assert f"Revoked API key {key_id}" in out
    assert "no live API key left" in err
    assert f"agency key create {agency.agency_id}" in err


def test_key_create_text_output_shows_the_key_once(site: Site) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    out = site.ok("agency", "key", "create", agency.agency_id)
    api_key = out.split("store it now): ", 1)[1].strip()
    assert site.issuer.issue(AgencyKey(agency.agency_id, api_key)).status_code == 201
    assert api_key not in site.ok("agency", "key", "list", agency.agency_id)
    assert api_key not in site.ok("agency", "list")


# -- disable / enable --------------------------------------------------------------------


def test_disabled_agency_is_refused_but_what_it_issued_stays(site: Site) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    other = site.create_agency("Traffic Bureau", LICENCE)
    revoked_id, revoked_entries = issue_one(site.issuer)
    kept_id, kept_entries = issue_one(site.issuer)
    assert site.issuer.change(agency, revoked_id, "revocation", True).status_code == 200
    assert site.issuer.change(agency, kept_id, "suspension", True).status_code == 200

    disabled = site.cli.json("agency", "disable", agency.agency_id, "--reason", "audit")
    assert disabled["enabled"] is False
    assert disabled["disabled"] is not None
    assert disabled["changed"] is True

    # Issuing and status changes: 403 with a code that says why.
    problem = assert_problem(site.issuer.issue(agency), 403, "agency_disabled")
    assert "Resident Registry" in problem["detail"]
    assert_problem(site.issuer.change(agency, kept_id, "suspension", False), 403, "agency_disabled")
    # A second key made while disabled is refused too.
    extra = site.cli.json("agency", "key", "create", agency.agency_id)
    assert_problem(
        site.issuer.issue(AgencyKey(agency.agency_id, extra["api_key"])), 403, "agency_disabled"
    )
    # Other agencies are untouched.
    assert site.issuer.issue(other, issue_body(LICENCE)).status_code == 201

    # What it published stays published: the revocation and the suspension bits are set.
    revocation = revoked_entries["revocation"]
    suspension = kept_entries["suspension"]
    assert current_bit(site.issuer, revocation.list_url, revocation.index) == 1
    assert current_bit(site.issuer, suspension.list_url, suspension.index) == 1
    kept_revocation = kept_entries["revocation"]
    assert current_bit(site.issuer, kept_revocation.list_url, kept_revocation.index) == 0

    # Disabling twice changes nothing (and records nothing).
    again = site.cli.json("agency", "disable", agency.agency_id)
    assert (again["changed"], again["disabled"]) == (False, disabled["disabled"])
    assert [e["action"] for e in _events(site, agency.agency_id)].count("disabled") == 1

    (listed,) = [a for a in site.cli.json("agency", "list") if a["agency_id"] == agency.agency_id]
    assert listed["enabled"] is False


def test_enable_restores_live_keys_only(site: Site) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    second = site.cli.json("agency", "key", "create", agency.agency_id)
    site.ok("agency", "disable", agency.agency_id)
    site.ok("agency", "key", "revoke", second["key_id"])

    enabled = site.cli.json("agency", "enable", agency.agency_id, "--reason", "audit passed")
    assert (enabled["enabled"], enabled["disabled"], enabled["changed"]) == (True, None, True)
    assert site.issuer.issue(agency).status_code == 201
    assert_problem(
        site.issuer.issue(AgencyKey(agency.agency_id, second["api_key"])), 401, "unauthorized"
    )
    assert site.cli.json("agency", "enable", agency.agency_id)["changed"] is False


def test_disable_text_output(site: Site) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    out = site.ok("agency", "disable", agency.agency_id)
    assert "is disabled" in out
    assert "stay valid" in out
    assert "already disabled" in site.ok("agency", "disable", agency.agency_id)
    assert "is enabled" in site.ok("agency", "enable", agency.agency_id)


# -- accreditation -----------------------------------------------------------------------


def test_accredit_changes_what_the_agency_may_issue(site: Site) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    assert_problem(site.issuer.issue(agency, issue_body(LICENCE)), 403, "type_not_accredited")
    resident_id, _ = issue_one(site.issuer)

    change = site.cli.json(
        "agency", "accredit", agency.agency_id, "--types", f"{RESIDENT}, {LICENCE}"
    )
    assert change == {
        "agency_id": agency.agency_id,
        "types": sorted([RESIDENT, LICENCE]),
        "added": [LICENCE],
        "removed": [],
        "changed": True,
    }
    token_of(site.issuer.issue(agency, issue_body(LICENCE)))

    change = site.cli.json("agency", "accredit", agency.agency_id, "--types", LICENCE)
    assert (change["added"], change["removed"]) == ([], [RESIDENT])
    assert_problem(site.issuer.issue(agency, issue_body(RESIDENT)), 403, "type_not_accredited")
    # A credential of a removed type stays manageable by the agency that issued it.
    assert site.issuer.change(agency, resident_id, "revocation", True).status_code == 200
    (listed,) = site.cli.json("agency", "list")
    assert listed["types"] == [LICENCE]

    same = site.cli.json("agency", "accredit", agency.agency_id, "--types", LICENCE)
    assert same["changed"] is False


@pytest.mark.parametrize(
    ("types", "message", "code"),
    [
        # An unknown type is a usage error (exit 2), like any bad option value.
        pytest.param(f"{RESIDENT},PassportCredential", "unknown credential type", 2, id="unknown"),
        pytest.param(" , ", "at least one type", 1, id="empty"),
    ],
)
def test_accredit_refusals_change_nothing(site: Site, types: str, message: str, code: int) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    before = _events(site, agency.agency_id)
    err = site.refused("agency", "accredit", agency.agency_id, "--types", types, code=code)
    assert message in err
    (listed,) = site.cli.json("agency", "list")
    assert listed["types"] == [RESIDENT]
    assert _events(site, agency.agency_id) == before
    assert site.issuer.issue(agency).status_code == 201


# -- errors, help ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["agency", "disable", "ag_0000000000000000"], "no agency", id="disable"),
        pytest.param(["agency", "enable", "ag_0000000000000000"], "no agency", id="enable"),
        pytest.param(
            ["agency", "accredit", "ag_0000000000000000", "--types", RESIDENT],
            "no agency",
            id="accredit",
        ),
        pytest.param(["agency", "key", "create", "ag_0000000000000000"], "no agency", id="key"),
        pytest.param(["agency", "key", "list", "ag_0000000000000000"], "no agency", id="keys"),
        pytest.param(["agency", "events", "ag_0000000000000000"], "no agency", id="events"),
        pytest.param(["agency", "key", "revoke", "key_0000000000000000"], "no API key", id="rev"),
    ],
)
def test_unknown_agency_or_key_is_one_line_exit_1(
    site: Site, args: list[str], message: str
) -> None:
    assert message in site.refused(*args)
    assert message in site.refused(*args, "--json")


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        pytest.param("x" * 501, "at most 500", id="too long"),
        pytest.param("rotated \x1b[2J", "control characters", id="escape sequence"),
    ],
)
def test_bad_reason_is_refused_and_changes_nothing(site: Site, reason: str, message: str) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    before = _events(site, agency.agency_id)
    assert message in site.refused("agency", "disable", agency.agency_id, "--reason", reason)
    assert site.issuer.issue(agency).status_code == 201
    assert _events(site, agency.agency_id) == before


def test_reason_whitespace_is_folded(site: Site) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    site.ok("agency", "disable", agency.agency_id, "--reason", " audit\n\tfinding  42 ")
    assert _events(site, agency.agency_id)[-1]["reason"] == "audit finding 42"


def test_agency_name_with_control_characters_is_refused(site: Site) -> None:
    assert "control characters" in site.refused(
        "agency", "create", "Registry\x1b[31m", "--types", RESIDENT
    )


@pytest.mark.parametrize(
    "args",
    [
        ["agency", "disable"],
        ["agency", "enable"],
        ["agency", "accredit", "ag_0000000000000000"],
        ["agency", "key", "create"],
        ["agency", "key", "revoke"],
    ],
)
def test_missing_arguments_are_usage_errors(site: Site, args: list[str]) -> None:
    code, out, _ = site.cli(*args)
    assert code == 2
    assert out == ""


@pytest.mark.parametrize(
    "args",
    [
        ["agency", "disable"],
        ["agency", "enable"],
        ["agency", "accredit"],
        ["agency", "events"],
        ["agency", "key", "create"],
        ["agency", "key", "revoke"],
        ["agency", "key", "list"],
    ],
)
def test_every_command_has_help_with_an_example(cli: CLI, args: list[str]) -> None:
    code, out, _ = cli(*args, "--help")
    assert code == 0
    assert "Example" in out
    assert "trustid-issuer agency" in out
    assert "--json" in out


def test_agency_help_lists_the_commands(cli: CLI) -> None:
    code, out, _ = cli("agency", "--help")
    assert code == 0
    for command in ("disable", "enable", "accredit", "events", "key"):
        assert command in out
    code, out, _ = cli("agency", "key", "--help")
    for command in ("create", "revoke", "list"):
        assert command in out


# -- audit trail -------------------------------------------------------------------------


def test_every_change_is_in_the_append_only_agency_audit_trail(site: Site) -> None:
    agency = site.create_agency("Resident Registry", RESIDENT)
    first_key = site.cli.json("agency", "key", "list", agency.agency_id)[0]["key_id"]
    second = site.cli.json("agency", "key", "create", agency.agency_id, "--reason", "rotation")
    site.ok("agency", "key", "revoke", first_key, "--reason", "rotated  out")
    site.ok("agency", "key", "revoke", first_key)  # no change: no record
    site.ok("agency", "disable", agency.agency_id, "--reason", "accreditation lapsed")
    site.ok("agency", "enable", agency.agency_id)
    site.ok("agency", "accredit", agency.agency_id, "--types", f"{LICENCE},{DEGREE}")

    events = _events(site, agency.agency_id)
    assert [(e["action"], e["key_id"], e["reason"]) for e in events] == [
        ("created", first_key, None),
        ("key_created", second["key_id"], "rotation"),
        ("key_revoked", first_key, "rotated out"),
        ("disabled", None, "accreditation lapsed"),
        ("enabled", None, None),
        ("accredited", None, None),
    ]
    assert events[0]["detail"]["types"] == [RESIDENT]
    assert events[1]["detail"] == {"prefix": second["prefix"]}
    assert events[-1]["detail"] == {
        "types": sorted([LICENCE, DEGREE]),
        "added": sorted([LICENCE, DEGREE]),
        "removed": [RESIDENT],
    }
    assert all(e["actor"].startswith("cli:") for e in events)
    assert all(e["agency_id"] == agency.agency_id for e in events)
    assert all(e["at"].endswith("Z") for e in events)
    assert agency.api_key not in json.dumps(events)
    assert second["api_key"] not in json.dumps(events)
    assert "accredited" in site.ok("agency", "events", agency.agency_id)

    with site.issuer.services.ctx.sessions() as session:
        rows = session.scalars(select(AgencyEvent).order_by(AgencyEvent.id)).all()
        assert len(rows) == len(events)  # only this agency was administered
    # The database itself refuses to rewrite history.
    for statement in ("UPDATE agency_events SET reason = 'x'", "DELETE FROM agency_events"):
        with (
            site.issuer.services.ctx.engine.connect() as connection,
            pytest.raises(DBAPIError, match="append-only"),
        ):
            connection.execute(text(statement))


def test_upgrade_from_0002_keeps_agencies_and_downgrade_works(site: Site) -> None:
    """0002 -> head on a database that already holds an agency, and back."""
    from alembic import command
    from alembic.config import Config

    from issuer.storage.db import MIGRATIONS_DIR, create_db_engine, exclusive_transaction

    agency = site.create_agency("Resident Registry", RESIDENT)
    engine = create_db_engine(site.issuer.settings.sqlalchemy_url)

    def migrate(target: str, *, down: bool = False) -> None:
        with exclusive_transaction(engine) as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, target)

    try:
        migrate("0002", down=True)
        with engine.connect() as connection:
            tables = set(
                connection.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                        if engine.dialect.name == "sqlite"
                        else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    )
                ).scalars()
            )
        assert "agency_events" not in tables
        assert "agencies" in tables
        migrate("head")
    finally:
        engine.dispose()
    # The agency survived both ways and can be administered again.
    assert site.cli.json("agency", "disable", agency.agency_id)["changed"] is True
    assert [e["action"] for e in _events(site, agency.agency_id)] == ["disabled"]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> CLI:
    """The CLI alone, on an empty data directory (for --help)."""
    for name in ("TRUSTID_DATABASE_URL", "TRUSTID_MASTER_KEY", "TRUSTID_TYPES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRUSTID_DATA_DIR", str(tmp_path / "var"))
    return CLI(monkeypatch, capsys)
