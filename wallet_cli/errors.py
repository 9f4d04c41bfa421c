"""The one place that maps wallet failures to exit codes and one-line messages.

A citizen sees one line on stderr and a script sees a stable exit code per class of
failure (click's ``ClickException.exit_code`` habit). Core errors (:mod:`vcore.errors`)
are translated here too, so commands never pick exit codes themselves.

======  ===========================  ===================================================
 code    class                        when
======  ===========================  ===================================================
 0                                    success
 1       (unexpected)                 a bug: reported in one line, please report it
 2       :class:`InputError`          bad arguments or input: unreadable file, no QR code
                                      in an image, ambiguous id, wallet already exists
 3       :class:`VaultError`          wrong passphrase, vault modified/corrupted/truncated,
                                      unsafe permissions, refused KDF parameters
 4       :class:`NotFoundError`       no wallet at the home directory, unknown credential
 5       :class:`VerificationError`   signature, issuer, holder or validity check failed;
                                      the verifier said "not verified"
 6       :class:`NetworkError`        issuer/verifier unreachable, bad HTTP answer, URL
                                      refused by the outbound policy
 7       :class:`DoesNotFitError`     the payload does not fit in one QR code
 8       :class:`BusyError`           another wallet command held the lock too long
======  ===========================  ===================================================
"""

from __future__ import annotations

from typing import Any, Self

from vcore.errors import OutboundURLError, QRError, QRTooLargeError, TrustIDError
from vcore.i18n import Locale
from wallet_cli.messages import message
from wallet_cli.terminal import clean

__all__ = [
    "EXIT_CODES_HELP",
    "BusyError",
    "DoesNotFitError",
    "InputError",
    "NetworkError",
    "NotFoundError",
    "VaultError",
    "VerificationError",
    "WalletError",
    "describe",
]


class WalletError(Exception):
    """Root of the wallet's own errors; ``exit_code`` is the process exit status."""

    exit_code = 1

    def __init__(self, message: str, *, key: str | None = None, **params: Any) -> None:
        self.message = message
        self.key = key
        self.params = params
        super().__init__(message)

    @classmethod
    def keyed(cls, key: str, /, **params: Any) -> Self:
        """An error whose text is ``err.<key>`` of :mod:`wallet_cli.messages` (English in
        ``message``, the citizen's locale when it is printed)."""
        return cls(message(Locale.EN, f"err.{key}", **params), key=key, **params)

    def localised(self, locale: Locale) -> str:
        """The message in ``locale`` (keyed errors), else the class's lead-in + the text."""
        if self.key is not None:
            return message(locale, f"err.{self.key}", **self.params)
        return message(locale, f"kind.{_kind(type(self))}") + self.message


class InputError(WalletError):
    """Bad arguments or input the user can fix."""

    exit_code = 2


class VaultError(WalletError):
    """The vault cannot be opened: passphrase, integrity, permissions or KDF parameters."""

    exit_code = 3


class NotFoundError(WalletError):
    """No wallet, or no credential with that id."""

    exit_code = 4


class VerificationError(WalletError):
    """A credential or presentation did not pass a check."""

    exit_code = 5


class NetworkError(WalletError):
    """An issuer or verifier could not be reached or answered badly."""

    exit_code = 6


class DoesNotFitError(WalletError):
    """A payload needs more than one QR code."""

    exit_code = 7


class BusyError(WalletError):
    """The wallet lock could not be taken in time."""

    exit_code = 8


EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 unexpected error; 2 bad input; 3 wrong passphrase or damaged/unsafe "
    "vault; 4 no wallet or unknown credential; 5 verification failed; 6 network; "
    "7 does not fit in a QR code; 8 wallet busy."
)


def _one_line(text: str) -> str:
    # Messages quote remote data (a verifier's detail, an issuer's URL, a claim): one
    # line with no control or bidi character (wallet_cli.terminal).
    return clean(" ".join(text.split()))


def _kind(cls: type[WalletError]) -> str:
    for base in cls.__mro__:
        if base.__module__ == __name__ and base is not WalletError:
            return base.__name__
    return "unexpected"


def describe(exc: BaseException, locale: Locale = Locale.EN) -> tuple[int, str]:
    """Return ``(exit code, one-line message)`` for any exception a command may raise.

    In Chinese a keyed error is translated whole; any other starts with what kind of
    failure it is, then the (English) detail, which may quote remote data.
    """
    if isinstance(exc, WalletError):
        return exc.exit_code, _one_line(exc.localised(locale))
    if isinstance(exc, QRTooLargeError):
        cls: type[WalletError] = DoesNotFitError
        text = exc.detail
    elif isinstance(exc, QRError):
        cls, text = InputError, exc.detail
    elif isinstance(exc, OutboundURLError):
        cls, text = NetworkError, f"refused to connect: {exc.detail}"
    elif isinstance(exc, TrustIDError):
        detail = exc.detail if exc.detail != exc.title else ""
        cls, text = (
            VerificationError,
            f"{exc.title} ({exc.code})" + (f": {detail}" if detail else ""),
        )
    else:
        name = type(exc).__name__
        lead = message(locale, "kind.unexpected")
        return 1, _one_line(f"{lead}unexpected error ({name}): {exc}. Please report this.")
    return cls.exit_code, _one_line(message(locale, f"kind.{cls.__name__}") + text)
