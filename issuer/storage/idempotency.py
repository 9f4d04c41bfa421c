"""Idempotency keys (repository; never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from issuer.storage.tables import Base, IdempotencyKey

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

    def get_many(self, agency_id: str, keys: Sequence[str]) -> dict[str, IdempotencyKey]:
        """The stored rows among ``keys`` (one query per 500 keys)."""
        found: dict[str, IdempotencyKey] = {}
        for start in range(0, len(keys), 500):
            rows = self._session.scalars(
                select(IdempotencyKey)
                .where(
                    IdempotencyKey.agency_id == agency_id,
                    IdempotencyKey.key.in_(keys[start : start + 500]),
                )
                .execution_options(populate_existing=True)
            )
            found.update((row.key, row) for row in rows)
        return found

    def add_many(self, rows: Sequence[IdempotencyKey]) -> None:
        """One multi-row INSERT; IntegrityError if any key exists (none is inserted)."""
        if rows:
            self._session.execute(
                insert(IdempotencyKey),
                [
                    {
                        "agency_id": r.agency_id,
                        "key": r.key,
                        "request_sha256": r.request_sha256,
                        "credential_id": r.credential_id,
                        "created_at": r.created_at,
                    }
                    for r in rows
                ],
            )

    def store_responses(self, agency_id: str, sealed: Sequence[tuple[str, bytes]]) -> None:
        """:meth:`store_response` for many (key, sealed): one executemany UPDATE."""
        if not sealed:
            return
        table = Base.metadata.tables[IdempotencyKey.__tablename__]
        self._session.execute(
            update(table)
            .where(
                table.c.agency_id == bindparam("b_agency"),
                table.c.key == bindparam("b_key"),
                table.c.response_sealed.is_(None),
            )
            .values(response_sealed=bindparam("b_sealed")),
            [{"b_agency": agency_id, "b_key": k, "b_sealed": s} for k, s in sealed],
        )

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
