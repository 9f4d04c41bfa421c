"""Per-invocation state shared by the commands: settings, home, passphrase, vault, client.

Everything is made on first use, so ``--help`` reads no settings and ``list`` builds no
HTTP client.
"""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from vcore.clock import system_clock
from vcore.i18n import Locale, locale_from_environment
from wallet_cli.errors import InputError
from wallet_cli.messages import Texts
from wallet_cli.store import DEFAULT_KDF, TEST_KDF, KdfParams, Vault, check_new_passphrase
from wallet_cli.terminal import SafeConsole, clean, dumps_json, echo

if TYPE_CHECKING:
    from wallet_cli.client import WalletClient
    from wallet_cli.settings import WalletSettings

__all__ = ["Session", "session_of"]


def _terminal_available() -> bool:
    # getpass reads from /dev/tty (not stdin), so `receive -` can still prompt.
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


class Session:
    """What one wallet command needs, built lazily.

    Args:
        home: ``--home`` if given (else ``TRUSTID_WALLET_HOME`` or ``~/.trustid-wallet``).
        locale: ``--lang`` if given (else ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``).
    """

    def __init__(self, home: Path | None = None, locale: Locale | None = None) -> None:
        self._home = home
        self._now: datetime | None = None
        self.locale = locale or locale_from_environment(os.environ)
        self.t = Texts(self.locale)
        """The citizen's texts (:mod:`wallet_cli.messages`) in :attr:`locale`."""

    @cached_property
    def settings(self) -> WalletSettings:
        # Imported here: pydantic-settings costs a quarter second that `--help` never needs.
        from wallet_cli.settings import load_settings

        return load_settings()

    @property
    def home(self) -> Path:
        return (self._home or self.settings.wallet_home).expanduser()

    @property
    def now(self) -> datetime:
        """One instant per command, so every check in it agrees."""
        if self._now is None:
            self._now = system_clock()
        return self._now

    # Claims and issuer names come from outside: the consoles strip control and bidi
    # characters from everything they render and use no markup, emoji or highlighting
    # ("did:key:" is not an emoji, "[red]" is not a style). See wallet_cli.terminal.
    @cached_property
    def out(self) -> SafeConsole:
        return SafeConsole()

    @cached_property
    def err(self) -> SafeConsole:
        return SafeConsole(stderr=True)

    def echo(self, text: str) -> None:
        """A plain line on stdout (a token, a DID), made safe."""
        echo(text)

    def json(self, value: object, *, indent: int | None = 2) -> None:
        """``--json`` output on stdout: terminal-safe JSON of exactly ``value``."""
        echo(dumps_json(value, indent=indent))

    def say(self, message: str) -> None:
        """One line of plain text on stdout (not wrapped: scripts may grep it), made safe."""
        self.out.print(clean(message), soft_wrap=True)

    def warn(self, message: str) -> None:
        """One ``warning:`` line on stderr, made safe."""
        lead = self.t("warning")
        self.err.print(Text.assemble((lead, "yellow"), clean(message)), soft_wrap=True)

    def output_path(self, path: Path) -> Path:
        """A file the user asked us to write, refused inside the wallet directory (where it
        could replace the vault or its lock).

        Raises:
            InputError: the path is in the wallet's home.
        """
        home = self.home.resolve()
        target = path.expanduser().resolve()
        if target == home or home in target.parents:
            raise InputError(f"write {path.name} somewhere else than the wallet directory {home}")
        return path

    @property
    def kdf(self) -> KdfParams:
        """KDF cost for new vaults and backups (the cheap profile only under tests)."""
        return TEST_KDF if self.settings.wallet_test_kdf else DEFAULT_KDF

    def _ask(self, prompt: str, *, env_value: str | None, env_name: str, confirm: bool) -> str:
        if env_value:
            if confirm:
                check_new_passphrase(env_value)
            return env_value
        if not _terminal_available():
            raise InputError.keyed("no_passphrase", env=env_name)
        value = getpass.getpass(f"{prompt}: ")
        if confirm:
            check_new_passphrase(value)
            if getpass.getpass("Repeat it: ") != value:
                raise InputError.keyed("passphrases_differ")
        if not value:
            raise InputError.keyed("empty_passphrase")
        return value

    def passphrase(self, *, new: bool = False) -> str:
        """The vault passphrase (``TRUSTID_WALLET_PASSPHRASE`` or a prompt)."""
        secret = self.settings.wallet_passphrase
        return self._ask(
            "New wallet passphrase" if new else "Wallet passphrase",
            env_value=secret.get_secret_value() if secret else None,
            env_name="TRUSTID_WALLET_PASSPHRASE",
            confirm=new,
        )

    def new_passphrase(self) -> str:
        """A new vault passphrase (``TRUSTID_WALLET_NEW_PASSPHRASE`` or asked twice)."""
        secret = self.settings.wallet_new_passphrase
        return self._ask(
            "New wallet passphrase",
            env_value=secret.get_secret_value() if secret else None,
            env_name="TRUSTID_WALLET_NEW_PASSPHRASE",
            confirm=True,
        )

    def backup_passphrase(self, *, new: bool) -> str:
        """The backup passphrase (``TRUSTID_WALLET_BACKUP_PASSPHRASE`` or a prompt)."""
        secret = self.settings.wallet_backup_passphrase
        return self._ask(
            "Passphrase for the backup" if new else "Backup passphrase",
            env_value=secret.get_secret_value() if secret else None,
            env_name="TRUSTID_WALLET_BACKUP_PASSPHRASE",
            confirm=new,
        )

    def vault(self, *, new: bool = False) -> Vault:
        """The vault at the home directory, opened with the user's passphrase."""
        return Vault(
            self.home,
            self.passphrase(new=new),
            allow_test_kdf=self.settings.wallet_test_kdf,
        )

    def client(self) -> WalletClient:
        """An HTTP client under the outbound policy (close it, or use ``with``)."""
        # Imported here: httpx costs a quarter second that list/show/remove do not need.
        from vcore.outbound import parse_allow_list
        from wallet_cli.client import WalletClient

        return WalletClient(parse_allow_list(self.settings.allow_insecure_hosts))


def session_of(ctx: object) -> Session:
    """The :class:`Session` the root callback stored on the click context."""
    obj = getattr(ctx, "obj", None)
    if not isinstance(obj, Session):  # pragma: no cover - the callback always sets it
        raise TypeError("no wallet session on this context")
    return obj
