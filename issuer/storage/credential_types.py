"""Credential types registered in the database (repository; never commits)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer.storage.tables import CredentialTypeRow

__all__ = ["CredentialTypeRepository"]


class CredentialTypeRepository:
    """Keeps the ``credential_types`` table in step with the loaded type files."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, name: str) -> CredentialTypeRow | None:
        return self._session.get(CredentialTypeRow, name)

    def add(self, row: CredentialTypeRow) -> None:
        self._session.add(row)
