"""``export`` and ``import``: an encrypted backup under a passphrase of your choosing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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


def import_backup(ctx: typer.Context, path: FileArgument) -> None:
    """Restore a backup: into a new wallet, or merged into this one without duplicates.

    A backup of another holder key is refused for an existing wallet (use a new --home).

    Examples:

      trustid-wallet import /media/usb/wallet-backup.tid

      trustid-wallet --home ~/new-wallet import /media/usb/wallet-backup.tid
    """
    session = session_of(ctx)
    incoming = read_backup(
        path,
        session.backup_passphrase(new=False),
        allow_test_kdf=session.settings.wallet_test_kdf,
    )
    creating = not vault_exists(session.home)
    vault = session.vault(new=creating)
    added, present = vault.create_or_merge(incoming, params=session.kdf)
    if creating:
        session.say(f"Restored a wallet with {added} credential(s) at {vault.home}")
    else:
        session.say(f"Imported {added} credential(s); {present} were already here")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import")(import_backup)
