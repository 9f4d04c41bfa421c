"""Issuance records (repository; never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from issuer.storage.tables import CredentialRecord

__all__ = ["CredentialRecordRepository"]


class CredentialRecordRepository:
    """Issuance records: inserted before signing, completed with the token digest after."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: CredentialRecord) -> None:
        self._session.add(record)
        self._session.flush()

    def add_many(self, records: Sequence[CredentialRecord]) -> None:
        """One multi-row INSERT (the objects stay transient: nothing is flushed twice)."""
        if records:
            columns = [c.key for c in CredentialRecord.__table__.columns]
            self._session.execute(
                insert(CredentialRecord),
                [{name: getattr(r, name) for name in columns} for r in records],
            )

    def get(self, credential_id: str) -> CredentialRecord | None:
        return self._session.get(CredentialRecord, credential_id)

    def record_signed(self, credential_id: str, token_sha256: str, signed_at: datetime) -> None:
        self._session.execute(
            update(CredentialRecord)
            .where(CredentialRecord.id == credential_id)
            .values(token_sha256=token_sha256, signed_at=signed_at)
        )

    def record_signed_many(self, rows: Sequence[tuple[str, str, datetime]]) -> None:
        """:meth:`record_signed` for many (id, digest, time): one executemany UPDATE."""
        if rows:
            self._session.execute(
                update(CredentialRecord),
                [{"id": i, "token_sha256": d, "signed_at": t} for i, d, t in rows],
            )
