"""``export`` and ``import``: an encrypted backup under a passphrase of your choosing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wallet_cli.errors import InputError, VerificationError
from wallet_cli.session import session_of
from wallet_cli.store import read_backup, vault_exists, write_backup

__all__ = ["register"]

FileArgument = Annotated[Path, typer.Argument(metavar="FILE", help="The backup file.")]


def export(ctx: typer.Context, path: FileArgument) -> None:
    """Write an encrypted backup of the whole wallet (holder key and credentials).

    It is encrypted under a backup passphrase you choose (scripts:
    TRUSTID_WALLET_BACKUP_PASSPHRASE); keep both somewhere safe, apart.

    Example:

      trustid-wallet export /media/usb/wallet-backup.tid
    """
    session = session_of(ctx)
    contents = session.vault().load()
    passphrase = session.backup_passphrase(new=True)
    write_backup(session.output_path(path), contents, passphrase, params=session.kdf)
    session.say(f"Wrote an encrypted backup of {len(contents.credentials)} credential(s) to {path}")


def import_backup(
    ctx: typer.Context,
    path: FileArgument,
    accept_unbound: Annotated[
        bool,
        typer.Option(
            "--accept-unbound",
            help="Also import credentials issued to another holder (or to none), as "
            "`receive --accept-unbound` would.",
        ),
    ] = False,
) -> None:
    """Restore a backup: into a new wallet, or merged into this one without duplicates.

    Every credential is verified again, as `receive` does: signature against the
    issuers' current keys (never keys cached in the backup), bound to the backup's
    holder, status fetched now. One that fails is not imported and is named on stderr
    with the reason (exit code 5 after the others are imported); the backup file is not
    changed, so run `import` again later for one refused because an issuer was
    unreachable. Issuer names and statuses are never taken from the backup.

    A backup of another holder key is refused for an existing wallet (use a new --home).

    Examples:

      trustid-wallet import /media/usb/wallet-backup.tid

      trustid-wallet --home ~/new-wallet import /media/usb/wallet-backup.tid
    """
    from wallet_cli.resolution import Resolver
    from wallet_cli.restoring import reverify_backup

    session = session_of(ctx)
    incoming = read_backup(
        path,
        session.backup_passphrase(new=False),
        allow_test_kdf=session.settings.wallet_test_kdf,
    )
    creating = not vault_exists(session.home)
    vault = session.vault(new=creating)
    if not creating:
        # Refuse another holder's backup before asking any issuer (merge checks it again).
        mine = vault.load().holder.did
        if mine != incoming.holder.did:
            raise InputError(
                f"this backup belongs to another holder ({incoming.holder.did[:24]}...) "
                f"than this wallet ({mine[:24]}...); import it into a new --home"
            )
    # An empty cache: the backup's cached issuer keys are never used.
    with Resolver(session.client, {}, session.now) as resolver:
        restoration = reverify_backup(
            incoming, resolver=resolver, now=session.now, accept_unbound=accept_unbound
        )
    added, present = vault.create_or_merge(restoration.contents, params=session.kdf)
    for warning in restoration.warnings:
        session.warn(warning)
    for refusal in restoration.refused:
        session.warn(refusal.describe())
    if creating:
        session.say(f"Restored a wallet with {added} credential(s) at {vault.home}")
    else:
        session.say(f"Imported {added} credential(s); {present} were already here")
    if restoration.refused:
        raise VerificationError(
            f"{len(restoration.refused)} credential(s) of the backup did not verify and "
            "were not imported (named above); the backup file is unchanged"
        )


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import")(import_backup)
