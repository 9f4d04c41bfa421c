"""Agencies, their accreditations, API keys and audit events (repository; never commits)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.storage.tables import Accreditation, Agency, AgencyEvent, ApiKey

__all__ = ["AgencyRepository", "KeyOwner"]


@dataclass(frozen=True)
class KeyOwner:
    """The agency behind an API key, with what it is accredited for.

    The key may be revoked and the agency disabled: the caller decides what to answer.
    """

    agency: Agency
    api_key: ApiKey
    types: frozenset[str]


class AgencyRepository:
    """Reads and writes agencies; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, agency_id: str, *, for_update: bool = False) -> Agency | None:
        """The agency with this id; ``for_update`` locks its row (PostgreSQL) so that
        concurrent administration of one agency serialises."""
        return self._session.get(Agency, agency_id, with_for_update=for_update)

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
        # Flushed now: events that name the key are inserted after it (there are no
        # relationship()s to tell the unit of work the order).
        self._session.flush()

    def get_key(self, key_id: str) -> ApiKey | None:
        return self._session.get(ApiKey, key_id)

    def set_types(self, agency_id: str, types: Iterable[str], now: datetime) -> None:
        """Make the accreditations exactly ``types`` (rows for kept types are left alone)."""
        wanted = set(types)
        current = self._session.scalars(
            select(Accreditation).where(Accreditation.agency_id == agency_id)
        ).all()
        for row in current:
            if row.type_name not in wanted:
                self._session.delete(row)
        for type_name in sorted(wanted - {row.type_name for row in current}):
            self._session.add(
                Accreditation(agency_id=agency_id, type_name=type_name, created_at=now)
            )

    def add_event(self, event: AgencyEvent) -> None:
        self._session.add(event)

    def events_of(self, agency_id: str) -> Sequence[AgencyEvent]:
        return self._session.scalars(
            select(AgencyEvent).where(AgencyEvent.agency_id == agency_id).order_by(AgencyEvent.id)
        ).all()

    def all(self) -> Sequence[Agency]:
        return self._session.scalars(select(Agency).order_by(Agency.created_at, Agency.name)).all()

    def types_of(self, agency_id: str) -> frozenset[str]:
        rows = self._session.scalars(
            select(Accreditation.type_name).where(Accreditation.agency_id == agency_id)
        )
        return frozenset(rows)

    def keys_of(self, agency_id: str) -> Sequence[ApiKey]:
        return self._session.scalars(
            select(ApiKey)
            .where(ApiKey.agency_id == agency_id)
            .order_by(ApiKey.created_at, ApiKey.id)
        ).all()

    def owner_of_key(self, key_hash: str) -> KeyOwner | None:
        """The key with this hash and its agency (revoked or disabled too), or None."""
        row = self._session.execute(
            select(ApiKey, Agency)
            .join(Agency, Agency.id == ApiKey.agency_id)
            .where(ApiKey.key_hash == key_hash)
        ).first()
        if row is None:
            return None
        api_key, agency = row
        return KeyOwner(agency=agency, api_key=api_key, types=self.types_of(agency.id))
