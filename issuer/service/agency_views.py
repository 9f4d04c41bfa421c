"""What agency administration returns: agencies, API keys, changes and audit events.

Plain frozen records built from the storage rows, never holding an API key's secret
(except :class:`NewAgency` and :class:`NewApiKey`, the one time it is shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.storage.agencies import AgencyRepository
from issuer.storage.tables import Agency, ApiKey

__all__ = [
    "AccreditationChange",
    "AgencyChange",
    "AgencyEventInfo",
    "AgencyInfo",
    "ApiKeyInfo",
    "KeyRevocation",
    "NewAgency",
    "NewApiKey",
    "agency_info",
    "key_info",
]


@dataclass(frozen=True)
class ApiKeyInfo:
    """An API key as listed: never the secret, only its first characters."""

    key_id: str
    agency_id: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewAgency:
    """A freshly created agency and its API key (the only time the key is visible)."""

    agency_id: str
    name: str
    types: tuple[str, ...]
    api_key: str


@dataclass(frozen=True)
class NewApiKey:
    """An additional API key (the only time the secret is visible)."""

    key: ApiKeyInfo
    api_key: str


@dataclass(frozen=True)
class AgencyInfo:
    """An agency as listed by ``agency list``."""

    agency_id: str
    name: str
    types: tuple[str, ...]
    created_at: datetime
    disabled_at: datetime | None
    keys: tuple[ApiKeyInfo, ...]

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    @property
    def key_prefixes(self) -> tuple[str, ...]:
        """Prefixes of the live (unrevoked) keys, e.g. ``tid_AbCdEfGh...``."""
        return tuple(k.prefix + "..." for k in self.keys if k.live)


@dataclass(frozen=True)
class AgencyChange:
    """The agency after ``disable``/``enable``; ``changed`` is False if it already was."""

    agency: AgencyInfo
    changed: bool


@dataclass(frozen=True)
class KeyRevocation:
    """The key after ``revoke_key``, and how many live keys its agency has left."""

    key: ApiKeyInfo
    changed: bool
    live_keys_left: int


@dataclass(frozen=True)
class AccreditationChange:
    """The agency's accredited types after ``accredit``, and the difference."""

    agency_id: str
    types: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


@dataclass(frozen=True)
class AgencyEventInfo:
    """One audit record of an administrative change."""

    agency_id: str
    action: str
    api_key_id: str | None
    detail: dict[str, Any] | None
    reason: str | None
    actor: str
    occurred_at: datetime


def key_info(key: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(key.id, key.agency_id, key.prefix, key.created_at, key.revoked_at)


def agency_info(repo: AgencyRepository, agency: Agency) -> AgencyInfo:
    return AgencyInfo(
        agency_id=agency.id,
        name=agency.name,
        types=tuple(sorted(repo.types_of(agency.id))),
        created_at=agency.created_at,
        disabled_at=agency.disabled_at,
        keys=tuple(key_info(k) for k in repo.keys_of(agency.id)),
    )
