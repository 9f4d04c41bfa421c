"""Errors of credential status: revoked, suspended, unavailable, invalid, required."""

from __future__ import annotations

from vcore.errors.base import TrustIDError

__all__ = [
    "RevokedError",
    "StatusListError",
    "StatusRequiredError",
    "StatusUnavailableError",
    "SuspendedError",
]


class RevokedError(TrustIDError):
    """The revocation bit is set."""

    code = "revoked"
    title = "Revoked"


class SuspendedError(TrustIDError):
    """The suspension bit is set."""

    code = "suspended"
    title = "Suspended"


class StatusUnavailableError(TrustIDError):
    """The status list could not be obtained and no fresh-enough copy is cached."""

    code = "status_unavailable"
    title = "Status unavailable"


class StatusListError(TrustIDError):
    """A status list or status entry is malformed."""

    code = "status_list_invalid"
    title = "Invalid status list"


class StatusRequiredError(TrustIDError):
    """The credential's type requires a status entry and the credential has none.

    Types are marked in the trust list (``statusRequired``); a credential forged with a
    leaked key and without a status entry, which could never be revoked, looks like this.
    """

    code = "status_required"
    title = "Status entry required"
