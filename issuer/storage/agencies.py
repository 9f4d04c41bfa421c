"""Agencies, their accreditations and API keys (repository; never commits)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.storage.tables import Accreditation, Agency, ApiKey

__all__ = ["AgencyRepository", "KeyOwner"]


@dataclass(frozen=True)
class KeyOwner:
    """The agency behind an API key, with what it is accredited for."""

    agency: Agency
    api_key: ApiKey
    types: frozenset[str]


class AgencyRepository:
    """Reads and writes agencies; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def by_name(self, name: str) -> Agency | None:
        return self._session.scalar(select(Agency).where(Agency.name == name))

    def add(self, agency: Agency, types: Iterable[str], now: datetime) -> None:
        self._session.add(agency)
        self._session.flush()
        for type_name in sorted(set(types)):
            self._session.add(
                Accreditation(agency_id=agency.id, type_name=type_name, created_at=now)
            )

    def add_key(self, key: ApiKey) -> None:
        self._session.add(key)

    def all(self) -> Sequence[Agency]:
        return self._session.scalars(select(Agency).order_by(Agency.created_at, Agency.name)).all()

    def types_of(self, agency_id: str) -> frozenset[str]:
        rows = self._session.scalars(
            select(Accreditation.type_name).where(Accreditation.agency_id == agency_id)
        )
        return frozenset(rows)

    def keys_of(self, agency_id: str) -> Sequence[ApiKey]:
        return self._session.scalars(
            select(ApiKey).where(ApiKey.agency_id == agency_id).order_by(ApiKey.created_at)
        ).all()

    def owner_of_key(self, key_hash: str) -> KeyOwner | None:
        """The live key with this hash and its (enabled) agency, or None."""
        row = self._session.execute(
            select(ApiKey, Agency)
            .join(Agency, Agency.id == ApiKey.agency_id)
            .where(
                ApiKey.key_hash == key_hash,
                ApiKey.revoked_at.is_(None),
                Agency.disabled_at.is_(None),
            )
        ).first()
        if row is None:
            return None
        api_key, agency = row
        return KeyOwner(agency=agency, api_key=api_key, types=self.types_of(agency.id))
