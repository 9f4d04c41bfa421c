"""``passphrase``: change the vault passphrase (re-encrypted with a fresh salt and nonce)."""

from __future__ import annotations

import typer

from wallet_cli.session import session_of

__all__ = ["register"]


def passphrase(ctx: typer.Context) -> None:
    """Change the wallet passphrase.

    Asks for the current passphrase, then the new one twice (scripts:
    TRUSTID_WALLET_PASSPHRASE is the current one, TRUSTID_WALLET_NEW_PASSPHRASE the new
    one). The vault is re-encrypted under a fresh salt and nonce in one atomic write: a
    wrong current passphrase or an interruption leaves it exactly as it was. Backups
    made with `export` keep their own passphrase.

    Examples:

      trustid-wallet passphrase

      TRUSTID_WALLET_PASSPHRASE="$OLD" TRUSTID_WALLET_NEW_PASSPHRASE="$NEW" trustid-wallet passphrase
    """
    session = session_of(ctx)
    vault = session.vault()
    # Check the current passphrase before asking for a new one twice.
    vault.load()
    vault.change_passphrase(session.new_passphrase(), params=session.kdf)
    session.say(f"Changed the passphrase of the wallet at {vault.home}")


def register(app: typer.Typer) -> None:
    app.command("passphrase")(passphrase)
