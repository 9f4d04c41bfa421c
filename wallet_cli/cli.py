"""``trustid-wallet``: the citizen's wallet (DESIGN §3 "Wallet").

Every failure ends here as one line on stderr and the exit code of its class
(:mod:`wallet_cli.errors`), never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from vcore.i18n import Locale, locale_from_environment, locale_from_tag
from wallet_cli.commands import (
    answer,
    backup,
    browse,
    check,
    holder,
    passphrase,
    present,
    receive,
)
from wallet_cli.errors import EXIT_CODES_HELP, describe
from wallet_cli.messages import message
from wallet_cli.session import Session
from wallet_cli.terminal import echo

__all__ = ["app", "main"]


class _WalletGroup(TyperGroup):
    """Turns any exception from a command into one stderr line and its exit code."""

    # Any: typer >= 0.20 vendors click, and the Context type it declares here is private.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # usage errors and --help: typer prints them and exits 2/0 itself
        except Exception as exc:  # noqa: BLE001 - the single place errors become exit codes
            obj = getattr(ctx, "obj", None)
            locale = obj.locale if isinstance(obj, Session) else locale_from_environment(os.environ)
            code, text = describe(exc, locale)
            echo(message(locale, "error", message=text), err=True)
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=_WalletGroup,
    name="trustid-wallet",
    help=(
        "Your wallet for digital identity credentials: keep your resident card, driving "
        "licence or degree encrypted on this computer, show them as a QR code, and send "
        "them to agencies.\n\n"
        "The passphrase is asked for each time (scripts: TRUSTID_WALLET_PASSPHRASE); "
        "change it with `trustid-wallet passphrase`."
    ),
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="Wallet directory \\[env: TRUSTID_WALLET_HOME; default: ~/.trustid-wallet].",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="en|zh-Hans",
            help="Language of the messages \\[default: from LANGUAGE, LC_ALL, LC_MESSAGES, LANG; "
            "else en]. --json output is the same in every language.",
            show_default=False,
        ),
    ] = None,
) -> None:
    locale: Locale | None = None
    if lang is not None:
        locale = locale_from_tag(lang)
        if locale is None:
            raise typer.BadParameter(f"{lang!r}: choose en or zh-Hans", param_hint="--lang")
    ctx.obj = Session(home, locale)


# Registration order is the order of `--help`: the life of a credential, then upkeep.
for module in (holder, receive, browse, present, answer, check, backup, passphrase):
    module.register(app)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="trustid-wallet")


if __name__ == "__main__":
    main()
