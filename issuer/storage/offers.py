"""Credential offers, c_nonces and seen DPoP proofs (repositories; never commit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.storage.tables import CredentialOfferRow, DpopJti, NonceRow

__all__ = ["NonceRepository", "OfferRepository", "ReplayRepository"]


class OfferRepository:
    """Offers by id, by pre-authorized code digest, by access token digest."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, row: CredentialOfferRow) -> None:
        self._session.add(row)
        self._session.flush()

    def get(self, offer_id: str, *, for_update: bool = False) -> CredentialOfferRow | None:
        query = select(CredentialOfferRow).where(CredentialOfferRow.id == offer_id)
        if for_update:
            query = query.with_for_update()
        return self._session.scalars(query.execution_options(populate_existing=True)).first()

    def by_code(self, code_sha256: str) -> CredentialOfferRow | None:
        query = (
            select(CredentialOfferRow)
            .where(CredentialOfferRow.code_sha256 == code_sha256)
            .with_for_update()
        )
        return self._session.scalars(query.execution_options(populate_existing=True)).first()

    def by_token(self, token_sha256: str) -> CredentialOfferRow | None:
        query = (
            select(CredentialOfferRow)
            .where(CredentialOfferRow.token_sha256 == token_sha256)
            .with_for_update()
        )
        return self._session.scalars(query.execution_options(populate_existing=True)).first()

    def forget_expired(self, now: datetime) -> int:
        """Drop the sealed claims and code of every offer past its expiry (personal data)."""
        result = self._session.execute(
            update(CredentialOfferRow)
            .where(
                CredentialOfferRow.expires_at < now,
                CredentialOfferRow.claims_sealed.is_not(None),
                (CredentialOfferRow.token_expires_at.is_(None))
                | (CredentialOfferRow.token_expires_at < now),
            )
            .values(claims_sealed=None, code_sealed=None, state="expired")
        )
        return int(getattr(result, "rowcount", 0) or 0)


class NonceRepository:
    """``c_nonce`` digests: added by the nonce endpoint, consumed once by a key proof."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, nonce_sha256: str, expires_at: datetime) -> None:
        self._session.add(NonceRow(nonce_sha256=nonce_sha256, expires_at=expires_at))
        self._session.flush()

    def consume(self, nonce_sha256: str, now: datetime) -> bool:
        """Delete the nonce; True if it existed and was still fresh."""
        result = self._session.execute(
            delete(NonceRow).where(
                NonceRow.nonce_sha256 == nonce_sha256, NonceRow.expires_at >= now
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def purge(self, now: datetime) -> None:
        self._session.execute(delete(NonceRow).where(NonceRow.expires_at < now))


class ReplayRepository:
    """DPoP proofs seen, per key: a second use of a ``jti`` is a replay."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def first_use(self, jkt: str, jti_sha256: str, expires_at: datetime) -> bool:
        """Record the proof; False if it was already recorded (by any replica)."""
        try:
            with self._session.begin_nested():
                self._session.add(DpopJti(jkt=jkt, jti_sha256=jti_sha256, expires_at=expires_at))
                self._session.flush()
        except IntegrityError:
            return False
        return True

    def purge(self, now: datetime) -> None:
        self._session.execute(delete(DpopJti).where(DpopJti.expires_at < now))
