"""``list``, ``show`` and ``remove``: what is in the wallet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from vcore.i18n import Locale
from wallet_cli.errors import InputError
from wallet_cli.messages import message
from wallet_cli.records import CredentialRecord
from wallet_cli.render import Encoding, credential_json, print_credential, print_credentials
from wallet_cli.session import Session, session_of
from wallet_cli.store import write_output_file
from wallet_cli.terminal import confirm

__all__ = ["EncodingOption", "IdArgument", "register"]

IdArgument = Annotated[
    str,
    typer.Argument(
        metavar="ID", help="The credential id from `list` (its first characters are enough)."
    ),
]
EncodingOption = Annotated[
    Encoding,
    typer.Option(
        "--encoding",
        help="QR text: auto (the smaller code), plain (the token, any scanner reads it) "
        "or compact (TrustID verifiers).",
    ),
]


def list_credentials(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List your credentials: type, issuer, holder, validity and last known status.

    Examples:

      trustid-wallet list

      trustid-wallet list --json
    """
    session = session_of(ctx)
    contents = session.vault().load()
    if as_json:
        items = [credential_json(r, session.now) for r in contents.credentials]
        session.json(items)
        return
    print_credentials(session.out, contents.credentials, session.now, session.locale)


def show(
    ctx: typer.Context,
    credential_id: IdArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the credential as JSON.")] = False,
    qr: Annotated[
        bool, typer.Option("--qr", help="Draw the credential's QR code in the terminal.")
    ] = False,
    png: Annotated[
        Path | None,
        typer.Option("--png", metavar="FILE", help="Write the credential's QR code as a PNG."),
    ] = None,
    encoding: EncodingOption = Encoding.auto,
    claims: Annotated[
        bool,
        typer.Option(
            "--claims",
            help="List every claim and whether it is always shown or yours to choose "
            "(SD-JWT credentials) when you present it; the type's claims this credential "
            "lacks are listed as 'not in this credential'.",
        ),
    ] = False,
) -> None:
    """Show one credential: its claims, issuer, validity and status; or its QR code.

    The QR code is the credential itself (bearer use): show it at a counter that checks
    your photo ID. To prove you are the holder, use `present`.

    Examples:

      trustid-wallet show 3f2a9c1b

      trustid-wallet show 3f2a --qr

      trustid-wallet show 3f2a --png card.png
    """
    session = session_of(ctx)
    if sum((as_json, qr, png is not None)) > 1:
        raise InputError("choose one of --json, --qr and --png")
    contents = session.vault().load()
    record = contents.find(credential_id)
    if claims:
        _print_claims(session, record, as_json=as_json)
        return
    if as_json:
        payload = {
            **credential_json(record, session.now),
            "credential": record.view.credential,
            "token": record.token,
            "notes": record.notes,
        }
        session.json(payload)
        return
    if qr or png is not None:
        from wallet_cli.render import plan_qr_text, print_qr, qr_png

        chosen = plan_qr_text(record.token, encoding)
        session.err.print(session.t("qr.plan", plan=chosen.describe()), soft_wrap=True)
        if png is not None:
            write_output_file(session.output_path(png), qr_png(chosen))
            session.say(session.t("wrote", path=png))
        else:
            print_qr(session.out, chosen)
        return
    print_credential(session.out, record, session.now, contents.holder.did, session.locale)


_MODE_KEYS = {"always": "mode.always", "selective": "mode.selective"}  # DisclosureMode values
NOT_HELD = "not_held"


def _print_claims(session: Session, record: CredentialRecord, *, as_json: bool) -> None:
    from rich.cells import cell_len

    from vcore.formats import DisclosureMode, SdJwtCredential
    from wallet_cli.render import claim_name

    view = record.view
    keys: dict[str, str]
    if isinstance(view, SdJwtCredential):
        keys = {name: _MODE_KEYS[mode] for name, mode in view.claim_modes().items()}
        # The type's other claims, from the Type Metadata kept at receipt.
        for name in view.claims_not_held(record.type_metadata):
            keys.setdefault(name, f"mode.{NOT_HELD}")
    else:
        keys = {name: _MODE_KEYS[DisclosureMode.ALWAYS] for name in view.subject if name != "id"}
    if as_json:
        # Language-neutral: the English words, whatever --lang says.
        session.json({n: message(Locale.EN, k) for n, k in keys.items()}, indent=None)
        return
    # The claim's name (what --disclose takes), its mode, then its label in the locale.
    rows = [(n, session.t(k), claim_name(record, n, session.locale)) for n, k in keys.items()]
    width = max((len(name) for name, _, _ in rows), default=0)
    mode_width = max((cell_len(word) for _, word, _ in rows), default=0)
    for name, word, label in rows:
        line = f"{name.ljust(width)}  {word}"
        if label != name:
            line += " " * (mode_width - cell_len(word)) + f"  {label}"
        session.echo(line)


def remove(
    ctx: typer.Context,
    credential_id: IdArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a credential from the wallet (export a backup first if unsure).

    Example:

      trustid-wallet remove 3f2a9c1b
    """
    session = session_of(ctx)
    vault = session.vault()
    record = vault.load().find(credential_id)
    label = f"{record.view.credential_type} {record.short_id}"
    if not yes:
        if not sys.stdin.isatty():
            raise InputError.keyed("remove_with_yes")
        if not confirm(session.t("remove.confirm", label=label)):
            raise InputError.keyed("nothing_removed")
    with vault.edit() as contents:
        contents.remove(record.id)
    session.say(session.t("remove.done", label=label))


def register(app: typer.Typer) -> None:
    app.command("list")(list_credentials)
    app.command("show")(show)
    app.command("remove")(remove)
