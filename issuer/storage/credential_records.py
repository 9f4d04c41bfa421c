"""Issuance records (repository; never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
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
