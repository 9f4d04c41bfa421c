"""Issuer signing keys and their audit trail (repository; never commits)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from issuer.storage.tables import CredentialRecord, SigningKey, SigningKeyEvent, StatusEntry

__all__ = ["SigningKeyRepository"]


def _unexpired(now: datetime) -> ColumnElement[bool]:
    return or_(CredentialRecord.valid_until.is_(None), CredentialRecord.valid_until > now)


class SigningKeyRepository:
    """The active key, retired and withdrawn keys, and what they signed."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def active(self) -> SigningKey | None:
        return self._session.scalar(select(SigningKey).where(SigningKey.active.is_(True)))

    def get(self, thumbprint: str) -> SigningKey | None:
        return self._session.get(SigningKey, thumbprint)

    def all(self) -> Sequence[SigningKey]:
        """Every key, the active one first, then newest first."""
        return self._session.scalars(
            select(SigningKey).order_by(SigningKey.active.desc(), SigningKey.created_at.desc())
        ).all()

    def published(self) -> Sequence[SigningKey]:
        """Keys not withdrawn, the active one first, then newest first."""
        return self._session.scalars(
            select(SigningKey)
            .where(SigningKey.withdrawn_at.is_(None))
            .order_by(SigningKey.active.desc(), SigningKey.created_at.desc())
        ).all()

    def add(self, key: SigningKey) -> None:
        self._session.add(key)
        self._session.flush()

    def kids_with_unexpired_credentials(self, kids: Iterable[str], now: datetime) -> set[str]:
        """Which of ``kids`` signed (or reserved) a credential that has not expired.

        Revoked ones count too: a verifier must still be able to say "revoked".
        """
        wanted = list(kids)
        if not wanted:
            return set()
        found: set[str] = set()
        for kid in wanted:  # one indexed EXISTS per key: keys are few, credentials many
            if self._session.scalar(
                select(
                    exists().where(
                        CredentialRecord.kid == kid,
                        _unexpired(now),
                    )
                )
            ):
                found.add(kid)
        return found

    def live_credential_counts(self, kids: Iterable[str], now: datetime) -> dict[str, int]:
        """Per kid, the signed credentials that are unexpired and not revoked."""
        wanted = list(kids)
        if not wanted:
            return {}
        revoked = exists().where(
            and_(
                StatusEntry.credential_id == CredentialRecord.id,
                StatusEntry.purpose == "revocation",
                StatusEntry.status != 0,
            )
        )
        rows = self._session.execute(
            select(CredentialRecord.kid, func.count())
            .where(
                CredentialRecord.kid.in_(wanted),
                CredentialRecord.token_sha256.is_not(None),
                _unexpired(now),
                ~revoked,
            )
            .group_by(CredentialRecord.kid)
        )
        return {str(row[0]): int(row[1]) for row in rows}

    def events(self) -> Sequence[SigningKeyEvent]:
        return self._session.scalars(select(SigningKeyEvent).order_by(SigningKeyEvent.id)).all()
