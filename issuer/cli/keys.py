"""``trustid-issuer keys list|rotate|retire|withdraw|events`` and ``revoke --signed-by``.

The key-compromise playbook (``docs/security.md``) is three of these commands::

    trustid-issuer keys withdraw KID --reason "key leaked"
    trustid-issuer revoke --signed-by KID --reason "key leaked"
    # then re-issue through the agencies' usual POST /credentials/issue
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from issuer.cli.agencies import _actor
from issuer.cli.output import JsonFlag, admin_services, new_table, print_json, when
from issuer.service.keys import KeyChange, KeyInfo
from vcore.clock import format_datetime

__all__ = ["keys_app", "revoke"]

keys_app = typer.Typer(
    help="Issuer signing keys: list, rotate, retire, withdraw.", no_args_is_help=True
)

KidArg = Annotated[
    str,
    typer.Argument(metavar="KID", help="The key's kid (`did:web:...#thumbprint`) or thumbprint."),
]


def _key_json(info: KeyInfo) -> dict[str, Any]:
    return {
        "kid": info.kid,
        "alg": info.alg,
        "state": str(info.state),
        "active": info.active,
        "published": info.published,
        "liveCredentials": info.live_credentials,
        "created": format_datetime(info.created_at),
        "retired": when(info.retired_at),
        "withdrawn": when(info.withdrawn_at),
        "withdrawnReason": info.withdrawn_reason,
    }


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """List signing keys: state (active | retired | withdrawn), live credentials signed.

    `live` counts the credentials the key signed that are unexpired and not revoked;
    `published` says whether did.json / jwks.json serve the key.
    """
    with admin_services() as services:
        keys = services.keys.all_keys()
    if as_json:
        print_json([_key_json(k) for k in keys])
        return
    table = new_table("kid", "alg", "state", "live", "published", "created", "retired/withdrawn")
    for k in keys:
        row = _key_json(k)
        table.add_row(
            row["kid"],
            row["alg"],
            row["state"],
            str(k.live_credentials or 0),
            "yes" if k.published else "no",
            row["created"],
            row["withdrawn"] or row["retired"] or "",
        )
    Console().print(table)


@keys_app.command("rotate")
def keys_rotate(as_json: JsonFlag = False) -> None:
    """Make a new signing key active; the old one is retired (still published)."""
    with admin_services() as services:
        info = services.keys.rotate(actor=_actor())
    if as_json:
        print_json(_key_json(info))
        return
    typer.echo(f"new active key: {info.kid}")


def _print_change(change: KeyChange, verb: str, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "key": _key_json(change.key),
                "changed": change.changed,
                "newActiveKey": _key_json(change.new_active) if change.new_active else None,
            }
        )
        return
    typer.echo(
        f"{change.key.kid}: {verb}" if change.changed else f"{change.key.kid}: already {verb}"
    )
    if change.new_active is not None:
        typer.echo(f"new active key: {change.new_active.kid}")


@keys_app.command("retire")
def keys_retire(kid: KidArg, as_json: JsonFlag = False) -> None:
    """Stop signing with a key; it stays published until what it signed has expired.

    Retiring the active key makes a new one active.
    """
    with admin_services() as services:
        change = services.keys.retire(kid, actor=_actor())
        if change.changed:
            services.status.republish_all()
    _print_change(change, "retired", as_json)


@keys_app.command("withdraw")
def keys_withdraw(
    kid: KidArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the key audit trail).")],
    as_json: JsonFlag = False,
) -> None:
    """Withdraw a (compromised) key at once: no longer published, never used again.

    Everything it signed fails `unknown_key` at verifiers once they refetch the
    issuer's keys. Withdrawing the active key makes a new one active; status lists are
    re-signed with it. Follow with `revoke --signed-by KID` (docs/security.md).
    """
    with admin_services() as services:
        change = services.keys.withdraw(kid, reason, actor=_actor())
        if change.changed:
            services.status.republish_all()
    _print_change(change, "withdrawn", as_json)


@keys_app.command("events")
def keys_events(as_json: JsonFlag = False) -> None:
    """The signing-key audit trail: created, retired, withdrawn, bulk_revoked."""
    with admin_services() as services:
        events = services.keys.events()
    rows = [{**e, "at": format_datetime(e["at"])} for e in events]
    if as_json:
        print_json(rows)
        return
    table = new_table("at", "kid", "action", "actor", "reason", "detail")
    for e in rows:
        table.add_row(
            e["at"], e["kid"], e["action"], e["actor"], e["reason"] or "", str(e["detail"] or "")
        )
    Console().print(table)


def revoke(
    signed_by: Annotated[
        str,
        typer.Option("--signed-by", metavar="KID", help="Revoke everything this key signed."),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in status_changes).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only print how many would be revoked.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Revoke every credential signed by a key (the key-compromise playbook).

    Each affected status list is re-published once. Already revoked credentials are
    left alone (revocation is final).
    """
    with admin_services() as services:
        result = services.key_revocation.revoke_signed_by(
            signed_by, reason, actor=_actor(), dry_run=dry_run
        )
    if as_json:
        print_json(
            {
                "kid": result.kid,
                "revoked": result.revoked,
                "statusLists": list(result.lists),
                "dryRun": result.dry_run,
            }
        )
        return
    verb = "would revoke" if result.dry_run else "revoked"
    typer.echo(
        f"{verb} {result.revoked} credential(s) signed by {result.kid} "
        f"in {len(result.lists)} status list(s)"
    )
