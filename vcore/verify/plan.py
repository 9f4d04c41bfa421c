"""Phase 1's result for one credential: what was checked offline and what to fetch.

Its own module so the credential, status and schema steps can all read it without
importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcore.errors import TrustIDError
from vcore.formats.secured import SecuredCredential
from vcore.status.mechanism import StatusEntry, StatusPurpose
from vcore.trust_list import TrustEntry
from vcore.verify.report import Check, Steps

__all__ = ["STATUS_PURPOSES_CHECKED", "CredentialPlan"]

STATUS_PURPOSES_CHECKED = (StatusPurpose.REVOCATION, StatusPurpose.SUSPENSION)
"""The status purposes that carry a verdict (each gets a ``status.<purpose>`` check)."""


@dataclass(frozen=True)
class CredentialPlan:
    """Phase 1 of a credential's verification: checks done offline, and what to fetch.

    Attributes:
        token: The secured form as text (the compact token), or "" when it did not parse.
        steps: Internal check accumulator (read :attr:`checks`).
        credential: The unverified credential, when it parsed.
        trust_entry: Its issuer's trust-list entry, when trusted.
        key_id: The key id to resolve, or None when an offline check already failed.
        status_entries: Status entries to fetch (their list URLs).
        status_errors: Malformed status entries, with the purpose they claimed.
        schema_urls: ``credentialSchema`` ids of type ``JsonSchema``.
        warnings: Warnings found so far.
    """

    token: str
    steps: Steps
    credential: SecuredCredential | None = None
    trust_entry: TrustEntry | None = None
    key_id: str | None = None
    status_entries: tuple[StatusEntry, ...] = ()
    status_errors: tuple[tuple[StatusPurpose, TrustIDError], ...] = ()
    schema_urls: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def checks(self) -> list[Check]:
        """Checks done so far."""
        return list(self.steps.checks)

    @property
    def failed(self) -> bool:
        """True when an offline check failed (nothing needs fetching)."""
        return self.steps.failed

    @property
    def status_urls(self) -> list[str]:
        """Distinct status-list URLs this credential needs."""
        return list(dict.fromkeys(e.list_url for e in self.status_entries))
