"""The status-mechanism seam: what the verification pipeline asks of any status list.

A *status mechanism* is one way for an issuer to publish the current status of the
credentials it issued (W3C Bitstring Status List, IETF Token Status List, ...). The
pipeline (:mod:`vcore.verify.status`) never looks inside one: it parses a credential's
status entries, has the app fetch and verify the list tokens they name, and asks for
the value at each entry, all through :class:`StatusMechanism`, looked up in
:mod:`vcore.status.registry` by the entry's ``type`` (the spec's own name).

To add a mechanism: implement :class:`StatusMechanism` in ``vcore/status/<name>.py``
and call :func:`vcore.status.registry.register` at the bottom of that module; import it
from ``vcore/status/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from vcore.keys import PublicKey
from vcore.status.packed import PackedStatuses

__all__ = [
    "DecodedLists",
    "StatusEntry",
    "StatusListSnapshot",
    "StatusMechanism",
    "StatusPurpose",
    "UnverifiedStatusList",
]


class StatusPurpose(StrEnum):
    """``statusPurpose`` values (Bitstring Status List v1.0 §2.1).

    The pipeline decides ``revocation`` and ``suspension``; ``refresh`` and ``message``
    are parsed but carry no verdict.
    """

    REVOCATION = "revocation"
    SUSPENSION = "suspension"
    REFRESH = "refresh"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One parsed status entry of a credential (e.g. a ``BitstringStatusListEntry``).

    Attributes:
        list_url: Where the status list lives (``statusListCredential`` / ``uri``).
        index: The credential's position in the list.
        purpose: What a set value means (``statusPurpose``).
        status_size: Bits per entry (``statusSize`` / ``bits``; 1 when absent).
        entry_type: The registry key of the mechanism that reads this entry.
        single_purpose: The entry decides only its own purpose, though the value it reads
            may mean others too (a Token Status List slot read once for revocation and
            once for suspension).
    """

    list_url: str
    index: int
    purpose: StatusPurpose
    status_size: int = 1
    entry_type: str = "BitstringStatusListEntry"
    single_purpose: bool = False


@dataclass(frozen=True)
class UnverifiedStatusList:
    """A fetched status-list token whose signature has NOT been checked.

    Attributes:
        token: The compact token as fetched.
        issuer: The issuer it claims (its ``kid`` DID was checked to be this one).
        kid: The key to resolve for its signature.
        entry_type: The registry key of the mechanism that read it.
    """

    token: str
    issuer: str
    kid: str
    entry_type: str = "BitstringStatusListEntry"


@dataclass(frozen=True)
class StatusListSnapshot:
    """A status list whose signature the app has verified.

    Attributes:
        list_url: Where it was fetched from (its ``id``/``sub`` equals it).
        issuer: Its issuer DID (checked against the credential's issuer at decision).
        payload: The verified payload.
        fetched_at: When this copy was obtained from the issuer.
        stale: True when served from cache because the issuer could not be reached.
        entry_type: The registry key of the mechanism that verified it.
        decoded: The mechanism's decoded lists of this snapshot, filled on first use, so
            a cached snapshot is inflated once and not on every verification.
    """

    list_url: str
    issuer: str
    payload: dict[str, Any]
    fetched_at: datetime
    stale: bool = False
    entry_type: str = "BitstringStatusListEntry"
    decoded: dict[tuple[str, str, int], PackedStatuses] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def ttl(self) -> timedelta | None:
        """The list's ``credentialSubject.ttl`` (milliseconds) or ``ttl`` claim (seconds)."""
        subject = self.payload.get("credentialSubject")
        if isinstance(subject, Mapping):
            ttl = subject.get("ttl")
            scale = 1
        else:
            ttl = self.payload.get("ttl")
            scale = 1000
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
            return None
        return timedelta(milliseconds=min(ttl * scale, 10**12))

    def with_stale(self, stale: bool) -> StatusListSnapshot:
        """The same snapshot marked (not) stale."""
        return StatusListSnapshot(
            self.list_url,
            self.issuer,
            self.payload,
            self.fetched_at,
            stale,
            self.entry_type,
            self.decoded,
        )


DecodedLists = MutableMapping[tuple[str, str, int], PackedStatuses]
"""Decoded lists by ``(list URL, purpose, width)``, shared across a batch's decisions."""


class StatusMechanism(Protocol):
    """One status-list mechanism (registered under :attr:`entry_type`).

    Every method is pure; fetching the list is the app's job. Methods raise
    :class:`~vcore.errors.StatusListError` for a list or entry that breaks the spec and
    :class:`~vcore.errors.StatusUnavailableError` for one that cannot be relied on now.
    """

    @property
    def entry_type(self) -> str:
        """The spec's name for an entry of this mechanism (the registry key)."""
        ...

    def parse_entry(self, raw: Mapping[str, Any]) -> StatusEntry:
        """Validate one status entry of a credential."""
        ...

    def recognises_list(self, typ: str) -> bool:
        """Whether a fetched list token of JOSE ``typ`` ``typ`` is a list of this mechanism.

        ``typ`` is lower case, without ``application/``, and "" when absent.
        """
        ...

    def parse_list_unverified(self, token: object) -> UnverifiedStatusList:
        """Read a fetched list token's issuer and ``kid``, before its signature is checked."""
        ...

    def verify_list(
        self,
        unverified: UnverifiedStatusList,
        *,
        key: PublicKey,
        list_url: str,
        fetched_at: datetime,
    ) -> StatusListSnapshot:
        """Check a list token's signature with the issuer's key and its identity (URL)."""
        ...

    def check_list_times(self, snapshot: StatusListSnapshot, now: datetime) -> None:
        """Refuse a list that is expired or not yet valid at ``now``."""
        ...

    def value_at(self, snapshot: StatusListSnapshot, entry: StatusEntry, memo: DecodedLists) -> int:
        """The status value at ``entry`` (decoding the list once per ``memo``)."""
        ...

    def asserted(self, entry: StatusEntry, value: int) -> StatusPurpose | None:
        """What ``value`` at ``entry`` asserts (revoked, suspended) or None (valid)."""
        ...
