"""Issuer signing keys (repository; never commits)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.storage.tables import SigningKey

__all__ = ["SigningKeyRepository"]


class SigningKeyRepository:
    """The active key and the retired keys that stay published for verification."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def active(self) -> SigningKey | None:
        return self._session.scalar(select(SigningKey).where(SigningKey.active.is_(True)))

    def get(self, thumbprint: str) -> SigningKey | None:
        return self._session.get(SigningKey, thumbprint)

    def published(self) -> Sequence[SigningKey]:
        """All keys, the active one first, then newest first."""
        return self._session.scalars(
            select(SigningKey).order_by(SigningKey.active.desc(), SigningKey.created_at.desc())
        ).all()

    def add(self, key: SigningKey) -> None:
        self._session.add(key)
        self._session.flush()
