"""``trustid-issuer agency ...``: accredited agencies, their API keys and audit trail."""

from __future__ import annotations

import os
import pwd
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console

from issuer.cli.output import JsonFlag, admin_services, new_table, print_json, when
from issuer.service.agencies import AgencyEventInfo, AgencyInfo, ApiKeyInfo
from vcore.clock import format_datetime

__all__ = ["agency_app"]

agency_app = typer.Typer(
    help="Agencies: accreditation, API keys, disabling (every change is audited).",
    no_args_is_help=True,
)
agency_key_app = typer.Typer(
    help="An agency's API keys: create an additional one, revoke one, list them.",
    no_args_is_help=True,
)
agency_app.add_typer(agency_key_app, name="key")

AgencyIdArg = Annotated[
    str, typer.Argument(metavar="AGENCY_ID", help="The agency's id (ag_...; see `agency list`).")
]
ReasonOption = Annotated[
    str | None,
    typer.Option("--reason", help="Why (kept in the agency's audit trail, `agency events`)."),
]


def _actor() -> str:
    """Who runs this command, for the audit trail: the operating-system account.

    Informational, not a proof: anyone who can run this CLI can write the database.
    """
    try:
        return "cli:" + pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid without a passwd entry (containers)
        return f"cli:uid={os.getuid()}"


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
    with admin_services(creates=True) as services:
        created = services.agencies.create(name, types.split(","), actor=_actor())
    if as_json:
        print_json(
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


def _api_key_json(key: ApiKeyInfo) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "agency_id": key.agency_id,
        "prefix": key.prefix,
        "created": format_datetime(key.created_at),
        "revoked": when(key.revoked_at),
    }


def _agency_json(agency: AgencyInfo) -> dict[str, Any]:
    return {
        "agency_id": agency.agency_id,
        "name": agency.name,
        "types": list(agency.types),
        "created": format_datetime(agency.created_at),
        "enabled": agency.enabled,
        "disabled": when(agency.disabled_at),
        "api_keys": list(agency.key_prefixes),
        "keys": [_api_key_json(k) for k in agency.keys],
    }


@agency_app.command("list")
def agency_list(as_json: JsonFlag = False) -> None:
    """List agencies, their accreditations, state and API keys.

    `--json` prints, per agency, `keys` with each key's id, prefix, created and revoked
    time (null while live), and `api_keys` with the prefixes of the live keys.
    """
    with admin_services() as services:
        agencies = services.agencies.list()
    if as_json:
        print_json([_agency_json(a) for a in agencies])
        return
    table = new_table("agency_id", "name", "types", "created", "state", "live api keys")
    for a in agencies:
        table.add_row(
            a.agency_id,
            a.name,
            ", ".join(a.types),
            format_datetime(a.created_at),
            "enabled" if a.enabled else f"disabled {when(a.disabled_at)}",
            ", ".join(a.key_prefixes),
        )
    Console().print(table)


def _print_agency_state(agency: AgencyInfo, changed: bool, as_json: bool) -> None:
    if as_json:
        print_json({**_agency_json(agency), "changed": changed})
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
    with admin_services() as services:
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
    with admin_services() as services:
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
    with admin_services() as services:
        change = services.agencies.accredit(
            agency_id, types.split(","), actor=_actor(), reason=reason
        )
    if as_json:
        print_json(
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
    with admin_services() as services:
        events = services.agencies.events(agency_id)
    if as_json:
        print_json([_event_json(e) for e in events])
        return
    table = new_table("at", "action", "key", "detail", "reason", "actor")
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
        print_json([_api_key_json(k) for k in keys])
        return
    table = new_table("key_id", "prefix", "created", "revoked")
    for k in keys:
        table.add_row(
            k.key_id, k.prefix + "...", format_datetime(k.created_at), when(k.revoked_at) or ""
        )
    Console().print(table)


@agency_key_app.command("list")
def agency_key_list(agency_id: AgencyIdArg, as_json: JsonFlag = False) -> None:
    """List an agency's API keys: id, prefix, created, revoked (never the secret).

    Example:

      trustid-issuer agency key list ag_3f2a9c0d1e2b4c5d --json
    """
    with admin_services() as services:
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
    with admin_services() as services:
        created = services.agencies.create_key(agency_id, actor=_actor(), reason=reason)
    if as_json:
        print_json({**_api_key_json(created.key), "api_key": created.api_key})
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
    with admin_services() as services:
        revoked = services.agencies.revoke_key(key_id, actor=_actor(), reason=reason)
    key = revoked.key
    if as_json:
        print_json(
            {**_api_key_json(key), "changed": revoked.changed, "live_keys": revoked.live_keys_left}
        )
    elif revoked.changed:
        typer.echo(f"Revoked API key {key.key_id} ({key.prefix}...) of agency {key.agency_id}")
    else:
        typer.echo(f"API key {key.key_id} was already revoked at {when(key.revoked_at)}")
    if revoked.live_keys_left == 0:
        typer.echo(
            f"warning: agency {key.agency_id} has no live API key left; "
            f"`trustid-issuer agency key create {key.agency_id}` makes one",
            err=True,
        )
