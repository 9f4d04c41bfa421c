"""Idempotency keys (repository; never commits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from issuer.storage.tables import IdempotencyKey

__all__ = ["IdempotencyRepository"]


class IdempotencyRepository:
    """Keys an agency sent with issue requests, with the sealed first response."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, agency_id: str, key: str) -> IdempotencyKey | None:
        return self._session.get(IdempotencyKey, (agency_id, key), populate_existing=True)

    def add(self, row: IdempotencyKey) -> None:
        """Insert; raises IntegrityError if another request inserted the same key first."""
        self._session.add(row)
        self._session.flush()

    def store_response(self, agency_id: str, key: str, sealed: bytes) -> None:
        self._session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.agency_id == agency_id,
                IdempotencyKey.key == key,
                IdempotencyKey.response_sealed.is_(None),
            )
            .values(response_sealed=sealed)
        )

    def purge_before(self, cutoff: datetime) -> None:
        self._session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
