"""``trustid-issuer``: run the issuer and administer agencies, types and keys.

Every command reads the same ``TRUSTID_*`` settings as the service and works on the
same database. A command that opens it first prints where it is (``trustid-issuer: data
directory /srv/trustid/var`` on stderr); only ``serve`` creates a new one unasked
(:mod:`issuer.data_dir` says when else). Errors are one line on stderr and a non-zero
exit code (:func:`main` is the one place that maps them):

==  ==================================================================
1   refused: agency exists, invalid name, no such agency or API key, ...
2   usage error (unknown option, missing argument, unknown credential type)
3   configuration: bad TRUSTID_* value, master key, type schema files, no
    database in the data directory
4   database unavailable
==  ==================================================================
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import sys
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from issuer.credential_types import load_types
from issuer.data_dir import describe_database, require_database
from issuer.errors import ConfigurationError, UnavailableError, UnknownTypeError
from issuer.service import IssuerServices, open_services
from issuer.service.agencies import AgencyEventInfo, AgencyInfo, ApiKeyInfo
from issuer.settings import get_settings
from vcore.clock import format_datetime
from vcore.errors import TrustIDError

__all__ = ["app", "main"]

app = typer.Typer(
    name="trustid-issuer",
    help="TrustID issuer: accredited agencies issue, revoke and suspend W3C credentials.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
agency_app = typer.Typer(
    help="Agencies: accreditation, API keys, disabling (every change is audited).",
    no_args_is_help=True,
)
agency_key_app = typer.Typer(
    help="An agency's API keys: create an additional one, revoke one, list them.",
    no_args_is_help=True,
)
types_app = typer.Typer(help="Credential types (JSON Schemas).", no_args_is_help=True)
keys_app = typer.Typer(help="Issuer signing keys.", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
agency_app.add_typer(agency_key_app, name="key")
app.add_typer(types_app, name="types")
app.add_typer(keys_app, name="keys")


@app.callback()
def _root(ctx: typer.Context) -> None:
    # Bare `trustid-issuer` prints help and succeeds (it reads no stdin).
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


_LOG_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": logging.DEBUG,
}

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AgencyIdArg = Annotated[
    str, typer.Argument(metavar="AGENCY_ID", help="The agency's id (ag_...; see `agency list`).")
]
ReasonOption = Annotated[
    str | None,
    typer.Option("--reason", help="Why (kept in the agency's audit trail, `agency events`)."),
]


def _print_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _table(*columns: str) -> Table:
    table = Table(*columns, show_header=True, header_style="bold")
    return table


def _actor() -> str:
    """Who runs this command, for the audit trail: the operating-system account.

    Informational, not a proof: anyone who can run this CLI can write the database.
    """
    try:
        return "cli:" + pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid without a passwd entry (containers)
        return f"cli:uid={os.getuid()}"


@contextmanager
def _services(*, creates: bool = False) -> Iterator[IssuerServices]:
    """Open the services of an admin command, after saying which database it acts on.

    Refuses (exit 3, with the fix) when there is no database, unless the command
    ``creates`` something in an explicitly named data directory (:mod:`issuer.data_dir`).
    """
    settings = get_settings()
    new = require_database(settings, may_create=creates)
    where = describe_database(settings)
    typer.echo(f"trustid-issuer: {where}{' (new database)' if new else ''}", err=True)
    services = open_services(settings)
    try:
        yield services
    finally:
        services.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8100,
    log_level: Annotated[
        str, typer.Option(help="critical, error, warning, info, debug or trace.")
    ] = "info",
) -> None:
    """Run the issuer API (creates and migrates the database, and a signing key, on first start)."""
    import uvicorn

    if log_level.lower() not in _LOG_LEVELS:
        raise typer.BadParameter(f"unknown log level {log_level!r}", param_hint="--log-level")

    from issuer.app import create_app

    logging.basicConfig(
        level=_LOG_LEVELS[log_level.lower()], format="%(levelname)s:     %(name)s: %(message)s"
    )
    settings = get_settings()
    services = open_services(settings)  # serve creates the data directory and database
    with closing(services):
        where = describe_database(settings)
        typer.echo(
            f"TrustID issuer {services.ctx.issuer_did} on http://{host}:{port} "
            f"(public URL {settings.issuer_url}; {where})",
            err=True,
        )
        uvicorn.run(
            create_app(settings, services=services),
            host=host,
            port=port,
            log_level=log_level.lower(),
            server_header=False,
        )


@agency_app.command("create")
def agency_create(
    name: Annotated[str, typer.Argument(help="Agency name, e.g. 'Beijing Resident Registry'.")],
    types: Annotated[
        str, typer.Option("--types", help="Comma-separated credential types it may issue.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Create an accredited agency and its API key (shown once, stored hashed).

    In a data directory without a database yet, this starts one only when
    TRUSTID_DATA_DIR names it (otherwise run it where `trustid-issuer serve` runs).
    """
    with _services(creates=True) as services:
        created = services.agencies.create(name, types.split(","), actor=_actor())
    if as_json:
        _print_json(
            {
                "agency_id": created.agency_id,
                "api_key": created.api_key,
                "name": created.name,
                "types": list(created.types),
            }
        )
        return
    typer.echo(
        f"Agency {created.name!r} ({created.agency_id}) may issue: {', '.join(created.types)}"
    )
    typer.echo(f"API key (shown once, store it now): {created.api_key}")


def _when(value: datetime | None) -> str | None:
    return format_datetime(value) if value is not None else None


def _api_key_json(key: ApiKeyInfo) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "agency_id": key.agency_id,
        "prefix": key.prefix,
        "created": format_datetime(key.created_at),
        "revoked": _when(key.revoked_at),
    }


def _agency_json(agency: AgencyInfo) -> dict[str, Any]:
    return {
        "agency_id": agency.agency_id,
        "name": agency.name,
        "types": list(agency.types),
        "created": format_datetime(agency.created_at),
        "enabled": agency.enabled,
        "disabled": _when(agency.disabled_at),
        "api_keys": list(agency.key_prefixes),
        "keys": [_api_key_json(k) for k in agency.keys],
    }


@agency_app.command("list")
def agency_list(as_json: JsonFlag = False) -> None:
    """List agencies, their accreditations, state and API keys.

    `--json` prints, per agency, `keys` with each key's id, prefix, created and revoked
    time (null while live), and `api_keys` with the prefixes of the live keys.
    """
    with _services() as services:
        agencies = services.agencies.list()
    if as_json:
        _print_json([_agency_json(a) for a in agencies])
        return
    table = _table("agency_id", "name", "types", "created", "state", "live api keys")
    for a in agencies:
        table.add_row(
            a.agency_id,
            a.name,
            ", ".join(a.types),
            format_datetime(a.created_at),
            "enabled" if a.enabled else f"disabled {_when(a.disabled_at)}",
            ", ".join(a.key_prefixes),
        )
    Console().print(table)


def _print_agency_state(agency: AgencyInfo, changed: bool, as_json: bool) -> None:
    if as_json:
        _print_json({**_agency_json(agency), "changed": changed})
        return
    label = f"Agency {agency.name!r} ({agency.agency_id})"
    if not changed:
        typer.echo(f"{label} was already {'enabled' if agency.enabled else 'disabled'}")
    elif agency.enabled:
        typer.echo(f"{label} is enabled: its live API keys are accepted again")
    else:
        typer.echo(
            f"{label} is disabled: its API keys are refused (403 agency_disabled); "
            "credentials it issued stay valid and its status changes stay published"
        )


@agency_app.command("disable")
def agency_disable(
    agency_id: AgencyIdArg, reason: ReasonOption = None, as_json: JsonFlag = False
) -> None:
    """Stop an agency: every request with its API keys gets 403 `agency_disabled`.

    Nothing it issued changes: its credentials stay valid and its revocations and
    suspensions stay in the published status lists. `agency enable` undoes this.

    Example:

      trustid-issuer agency disable ag_3f2a9c0d1e2b4c5d --reason "accreditation lapsed"
    """
    with _services() as services:
        change = services.agencies.disable(agency_id, actor=_actor(), reason=reason)
    _print_agency_state(change.agency, change.changed, as_json)


@agency_app.command("enable")
def agency_enable(
    agency_id: AgencyIdArg, reason: ReasonOption = None, as_json: JsonFlag = False
) -> None:
    """Accept a disabled agency's live (unrevoked) API keys again.

    Example:

      trustid-issuer agency enable ag_3f2a9c0d1e2b4c5d --reason "accreditation renewed"
    """
    with _services() as services:
        change = services.agencies.enable(agency_id, actor=_actor(), reason=reason)
    _print_agency_state(change.agency, change.changed, as_json)


@agency_app.command("accredit")
def agency_accredit(
    agency_id: AgencyIdArg,
    types: Annotated[
        str,
        typer.Option("--types", help="Comma-separated credential types it may issue from now on."),
    ],
    reason: ReasonOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Set the credential types an agency may issue (replaces the current list).

    Unknown types are refused (`trustid-issuer types list`). A removed type stops new
    issuance only: credentials already issued stay valid and the agency can still
    revoke or suspend them.

    Example:

      trustid-issuer agency accredit ag_3f2a9c0d1e2b4c5d --types ResidentIdentityCredential,DrivingLicenceCredential
    """
    with _services() as services:
        change = services.agencies.accredit(
            agency_id, types.split(","), actor=_actor(), reason=reason
        )
    if as_json:
        _print_json(
            {
                "agency_id": change.agency_id,
                "types": list(change.types),
                "added": list(change.added),
                "removed": list(change.removed),
                "changed": change.changed,
            }
        )
        return
    if not change.changed:
        typer.echo(f"Agency {change.agency_id} was already accredited for exactly these types")
        return
    typer.echo(f"Agency {change.agency_id} may issue: {', '.join(change.types)}")
    if change.added:
        typer.echo(f"  added: {', '.join(change.added)}")
    if change.removed:
        typer.echo(f"  removed: {', '.join(change.removed)} (issued credentials stay valid)")


def _event_json(event: AgencyEventInfo) -> dict[str, Any]:
    return {
        "at": format_datetime(event.occurred_at),
        "action": event.action,
        "agency_id": event.agency_id,
        "key_id": event.api_key_id,
        "detail": event.detail,
        "reason": event.reason,
        "actor": event.actor,
    }


def _event_summary(detail: dict[str, Any] | None) -> str:
    parts = []
    for name, value in (detail or {}).items():
        if isinstance(value, list):
            if value:
                parts.append(f"{name}: {', '.join(str(v) for v in value)}")
        else:
            parts.append(f"{name}: {value}")
    return "; ".join(parts)


@agency_app.command("events")
def agency_events(agency_id: AgencyIdArg, as_json: JsonFlag = False) -> None:
    """Show an agency's audit trail (append-only, oldest first).

    Who created, disabled, enabled or re-accredited it, and created or revoked its keys;
    when, and why (`--reason`).

    Example:

      trustid-issuer agency events ag_3f2a9c0d1e2b4c5d --json
    """
    with _services() as services:
        events = services.agencies.events(agency_id)
    if as_json:
        _print_json([_event_json(e) for e in events])
        return
    table = _table("at", "action", "key", "detail", "reason", "actor")
    for e in events:
        table.add_row(
            format_datetime(e.occurred_at),
            e.action,
            e.api_key_id or "",
            _event_summary(e.detail),
            e.reason or "",
            e.actor,
        )
    Console().print(table)


def _print_keys(keys: Sequence[ApiKeyInfo], as_json: bool) -> None:
    if as_json:
        _print_json([_api_key_json(k) for k in keys])
        return
    table = _table("key_id", "prefix", "created", "revoked")
    for k in keys:
        table.add_row(
            k.key_id, k.prefix + "...", format_datetime(k.created_at), _when(k.revoked_at) or ""
        )
    Console().print(table)


@agency_key_app.command("list")
def agency_key_list(agency_id: AgencyIdArg, as_json: JsonFlag = False) -> None:
    """List an agency's API keys: id, prefix, created, revoked (never the secret).

    Example:

      trustid-issuer agency key list ag_3f2a9c0d1e2b4c5d --json
    """
    with _services() as services:
        keys = services.agencies.keys(agency_id)
    _print_keys(keys, as_json)


# `agency keys AGENCY_ID` reads naturally too; one implementation, kept out of --help.
agency_app.command("keys", hidden=True)(agency_key_list)


@agency_key_app.command("create")
def agency_key_create(
    agency_id: AgencyIdArg, reason: ReasonOption = None, as_json: JsonFlag = False
) -> None:
    """Create an additional API key for an agency (shown once, stored hashed).

    To rotate: create a key, deploy it, then `agency key revoke` the old one.

    Example:

      trustid-issuer agency key create ag_3f2a9c0d1e2b4c5d --json
    """
    with _services() as services:
        created = services.agencies.create_key(agency_id, actor=_actor(), reason=reason)
    if as_json:
        _print_json({**_api_key_json(created.key), "api_key": created.api_key})
        return
    typer.echo(f"New API key {created.key.key_id} for agency {created.key.agency_id}")
    typer.echo(f"API key (shown once, store it now): {created.api_key}")


@agency_key_app.command("revoke")
def agency_key_revoke(
    key_id: Annotated[
        str,
        typer.Argument(metavar="KEY_ID", help="The key's id (key_...; see `agency key list`)."),
    ],
    reason: ReasonOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API key: requests with it get 401 from now on. Revocation is final.

    Example:

      trustid-issuer agency key revoke key_9b1c2d3e4f5a6b7c --reason "rotated"
    """
    with _services() as services:
        revoked = services.agencies.revoke_key(key_id, actor=_actor(), reason=reason)
    key = revoked.key
    if as_json:
        _print_json(
            {**_api_key_json(key), "changed": revoked.changed, "live_keys": revoked.live_keys_left}
        )
    elif revoked.changed:
        typer.echo(f"Revoked API key {key.key_id} ({key.prefix}...) of agency {key.agency_id}")
    else:
        typer.echo(f"API key {key.key_id} was already revoked at {_when(key.revoked_at)}")
    if revoked.live_keys_left == 0:
        typer.echo(
            f"warning: agency {key.agency_id} has no live API key left; "
            f"`trustid-issuer agency key create {key.agency_id}` makes one",
            err=True,
        )


@types_app.command("list")
def types_list(as_json: JsonFlag = False) -> None:
    """List credential types with their JSON Schemas (and example subjects)."""
    registry = load_types(get_settings().types_dir)
    if as_json:
        _print_json([{"type": t.name, "schema": t.schema} for t in registry.values()])
        return
    table = _table("type", "valid days", "required claims", "source")
    for t in registry.values():
        table.add_row(t.name, str(t.valid_days), ", ".join(t.schema.get("required", [])), t.source)
    Console().print(table)


@app.command("trust-entry")
def trust_entry(as_json: JsonFlag = False) -> None:
    """Print this issuer's entry for a verifier trust list."""
    with _services() as services:
        entry = services.publication.trust_entry()
    if as_json:
        _print_json(entry)
        return
    for name, value in entry.items():
        typer.echo(f"{name}: {', '.join(value) if isinstance(value, list) else value}")


def _fail(message: str, code: int) -> NoReturn:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    typer.echo(f"trustid-issuer: error: {first_line}", err=True)
    raise SystemExit(code)


def main() -> None:
    """Console entry point: run the CLI and map errors to one line and an exit code."""
    try:
        app()
    except ValidationError as exc:
        problems = "; ".join(
            f"TRUSTID_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        _fail(f"invalid configuration: {problems}", 3)
    except ConfigurationError as exc:
        _fail(exc.detail, 3)
    except UnavailableError as exc:
        _fail(exc.detail, 4)
    except UnknownTypeError as exc:  # a bad --types value: a usage error
        _fail(exc.detail, 2)
    except TrustIDError as exc:
        _fail(exc.detail, 1)
    except OSError as exc:
        _fail(str(exc), 3)
    except KeyboardInterrupt:
        sys.exit(130)


# The signing-key commands (`keys ...`, `revoke --signed-by`) live in their own module.
from issuer import cli_keys  # noqa: E402,F401

if __name__ == "__main__":
    main()
