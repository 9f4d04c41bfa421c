"""Issuer signing keys: generated on first start, kept by a key backend, retired, withdrawn.

A key is in one of three states (DESIGN §6):

* ``active``: exactly one; it signs new credentials and status lists.
* ``retired`` (``keys rotate``, ``keys retire``): signs nothing new; stays in the DID
  document and JWKS while a credential it signed is unexpired (a credential without
  ``validUntil`` keeps it published for good), and for at least :data:`RETIRED_GRACE`
  after retirement (verifiers may hold status lists it signed), then is dropped.
* ``withdrawn`` (``keys withdraw``, a compromised key): removed from publication at once
  and never used again, so everything it signed fails ``unknown_key`` at every verifier
  that refetches keys. Withdrawing the active key makes a new one active in the same
  transaction. Withdrawal is final.

Every state change appends a ``signing_key_events`` row (who, what, when, why). The
private keys live behind an :class:`issuer.keystore.KeyBackend`; this service hands out
:class:`vcore.signing.Signer` objects and never touches key bytes. Which key is active is
read from the database each time, so a change by another process is picked up at once
(status lists signed by another key are re-signed at their next fetch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import KeyStateError, NotFoundError, UnavailableError
from issuer.keystore import KeyBackend, SoftwareKeyBackend, StoredSigningKey
from issuer.service.context import IssuerContext
from issuer.storage.signing_keys import SigningKeyRepository
from issuer.storage.tables import SigningKey, SigningKeyEvent
from vcore.jsontext import dumps_compact, loads_strict
from vcore.keys import PublicKey, public_key_from_jwk
from vcore.signing import Signer

__all__ = [
    "RETIRED_GRACE",
    "ActiveKey",
    "KeyChange",
    "KeyInfo",
    "KeyState",
    "SigningKeyService",
]

RETIRED_GRACE = timedelta(hours=24)
"""A retired key stays published at least this long (the validity of a status list)."""

_ACTOR_MAX = 200
_REASON_MAX = 500


class KeyState(StrEnum):
    """The state of a signing key."""

    ACTIVE = "active"
    RETIRED = "retired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ActiveKey:
    """A usable signing key: its JWS ``kid`` and a signer for it."""

    kid: str
    thumbprint: str
    signer: Signer


@dataclass(frozen=True)
class KeyInfo:
    """A signing key and its state."""

    kid: str
    thumbprint: str
    alg: str
    public_key: PublicKey
    active: bool
    created_at: datetime
    retired_at: datetime | None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None
    live_credentials: int | None = None
    """Unexpired, unrevoked credentials it signed (None when not counted)."""
    published: bool = True

    @property
    def state(self) -> KeyState:
        if self.withdrawn_at is not None:
            return KeyState.WITHDRAWN
        return KeyState.ACTIVE if self.active else KeyState.RETIRED


@dataclass(frozen=True)
class KeyChange:
    """The outcome of ``retire`` / ``withdraw``: the key, and the new active key if any."""

    key: KeyInfo
    changed: bool
    new_active: KeyInfo | None


def _is_published(row: SigningKey, has_unexpired: bool, now: datetime) -> bool:
    if row.withdrawn_at is not None:
        return False
    if row.active or has_unexpired:
        return True
    retired_at = row.retired_at or row.created_at
    return now - retired_at < RETIRED_GRACE


class SigningKeyService:
    """Creates, loads, lists, rotates, retires and withdraws signing keys."""

    def __init__(self, ctx: IssuerContext, backend: KeyBackend | None = None) -> None:
        self._ctx = ctx
        self._backend = backend if backend is not None else SoftwareKeyBackend(ctx.kek)

    def _new_row(self, now: datetime) -> SigningKey:
        key = self._backend.create(self._ctx.settings.signing_alg)
        return SigningKey(
            thumbprint=key.thumbprint,
            alg=str(key.public_key.alg),
            public_jwk=dumps_compact(key.public_key.to_jwk()),
            private_key_sealed=key.material,
            kek_id=key.backend_id,
            active=True,
            created_at=now,
        )

    def ensure_active(self, session: Session, now: datetime) -> None:
        """Generate the first key if there is none (bootstrap, under the schema lock)."""
        repo = SigningKeyRepository(session)
        if repo.active() is None:
            row = self._new_row(now)
            repo.add(row)
            self._event(session, row.thumbprint, "created", now, actor="bootstrap")

    def _active_key(self, row: SigningKey) -> ActiveKey:
        kid = self._ctx.kid_for(row.thumbprint)
        stored = StoredSigningKey(row.thumbprint, row.alg, row.private_key_sealed, row.kek_id)
        return ActiveKey(kid, row.thumbprint, self._backend.signer(stored, kid))

    def active(self, session: Session) -> ActiveKey:
        row = SigningKeyRepository(session).active()
        if row is None:
            raise UnavailableError("no active signing key (the database was not bootstrapped)")
        return self._active_key(row)

    def by_thumbprint(self, session: Session, thumbprint: str) -> ActiveKey:
        """A signer for a stored key (an idempotent retry re-signs with the record's key).

        A *retired* key still signs here: the record (its ``kid``, its status slots) was
        committed before the retirement, so this finishes an issuance already begun
        rather than starting a new one. A *withdrawn* key never signs.

        Raises:
            KeyStateError: the key was withdrawn (it never signs again).
        """
        row = SigningKeyRepository(session).get(thumbprint)
        if row is None:
            raise UnavailableError(f"signing key {thumbprint} has disappeared")
        if row.withdrawn_at is not None:
            raise KeyStateError(
                "the signing key of this request was withdrawn; retry with a new Idempotency-Key"
            )
        return self._active_key(row)

    def published(self, session: Session) -> list[KeyInfo]:
        """The keys in the DID document and JWKS: active first, never a withdrawn one."""
        now = self._ctx.clock()
        repo = SigningKeyRepository(session)
        rows = repo.published()
        unexpired = repo.kids_with_unexpired_credentials(
            [self._ctx.kid_for(r.thumbprint) for r in rows if not r.active], now
        )
        return [
            self._info(row)
            for row in rows
            if _is_published(row, self._ctx.kid_for(row.thumbprint) in unexpired, now)
        ]

    def _info(self, row: SigningKey, *, live: int | None = None, published: bool = True) -> KeyInfo:
        return KeyInfo(
            kid=self._ctx.kid_for(row.thumbprint),
            thumbprint=row.thumbprint,
            alg=row.alg,
            public_key=public_key_from_jwk(loads_strict(row.public_jwk)),
            active=row.active,
            created_at=row.created_at,
            retired_at=row.retired_at,
            withdrawn_at=row.withdrawn_at,
            withdrawn_reason=row.withdrawn_reason,
            live_credentials=live,
            published=published,
        )

    def list_keys(self) -> Sequence[KeyInfo]:
        """The published keys (what did.json and jwks.json serve)."""
        with self._ctx.session() as session, session.begin():
            return self.published(session)

    def all_keys(self) -> Sequence[KeyInfo]:
        """Every key with its state, live-credential count and publication (``keys list``)."""
        now = self._ctx.clock()
        with self._ctx.session() as session, session.begin():
            repo = SigningKeyRepository(session)
            rows = repo.all()
            kids = [self._ctx.kid_for(r.thumbprint) for r in rows]
            live = repo.live_credential_counts(kids, now)
            unexpired = repo.kids_with_unexpired_credentials(kids, now)
            return [
                self._info(
                    row,
                    live=live.get(kid, 0),
                    published=_is_published(row, kid in unexpired, now),
                )
                for row, kid in zip(rows, kids, strict=True)
            ]

    def resolve(self, session: Session, kid_or_thumbprint: str) -> SigningKey:
        """The key named by its ``kid`` (``<did>#<thumbprint>``) or its thumbprint.

        Raises:
            NotFoundError: no such key of this issuer.
        """
        did, sep, thumbprint = kid_or_thumbprint.strip().rpartition("#")
        if sep and did != self._ctx.issuer_did:
            raise NotFoundError(f"{kid_or_thumbprint[:120]!r} is not a key of this issuer")
        row = SigningKeyRepository(session).get(thumbprint) if thumbprint else None
        if row is None:
            raise NotFoundError(f"no signing key {kid_or_thumbprint[:120]!r}")
        return row

    def _event(
        self,
        session: Session,
        thumbprint: str,
        action: str,
        now: datetime,
        *,
        actor: str,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        session.add(
            SigningKeyEvent(
                thumbprint=thumbprint,
                action=action,
                detail=dumps_compact(detail) if detail is not None else None,
                reason=reason[:_REASON_MAX] if reason else None,
                actor=actor[:_ACTOR_MAX] or "unspecified",
                occurred_at=now,
            )
        )

    def record_event(
        self,
        session: Session,
        thumbprint: str,
        action: str,
        *,
        actor: str,
        reason: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append an audit event for a key (in the caller's transaction)."""
        self._event(
            session,
            thumbprint,
            action,
            self._ctx.clock(),
            actor=actor,
            reason=reason,
            detail=detail,
        )

    def _replace_active(self, session: Session, now: datetime, actor: str) -> SigningKey:
        row = self._new_row(now)
        SigningKeyRepository(session).add(row)
        self._event(session, row.thumbprint, "created", now, actor=actor)
        return row

    def rotate(self, *, actor: str = "unspecified") -> KeyInfo:
        """Retire the active key and make a fresh one active, in one transaction."""
        now = self._ctx.clock()
        try:
            with self._ctx.session() as session, session.begin():
                repo = SigningKeyRepository(session)
                current = repo.active()
                if current is not None:
                    current.active = False
                    current.retired_at = now
                    session.flush()
                    self._event(session, current.thumbprint, "retired", now, actor=actor)
                return self._info(self._replace_active(session, now, actor))
        except IntegrityError as exc:
            raise UnavailableError("another rotation ran at the same time; retry") from exc

    def retire(self, kid: str, *, actor: str = "unspecified") -> KeyChange:
        """Stop signing with ``kid`` (a new key is made if it was the active one).

        Raises:
            NotFoundError: no such key.
            KeyStateError: the key is withdrawn.
        """
        now = self._ctx.clock()
        try:
            with self._ctx.session() as session, session.begin():
                row = self.resolve(session, kid)
                if row.withdrawn_at is not None:
                    raise KeyStateError("this key is withdrawn; withdrawal is final")
                if not row.active:
                    return KeyChange(self._info(row), changed=False, new_active=None)
                row.active = False
                row.retired_at = now
                session.flush()
                self._event(session, row.thumbprint, "retired", now, actor=actor)
                new = self._replace_active(session, now, actor)
                return KeyChange(self._info(row), changed=True, new_active=self._info(new))
        except IntegrityError as exc:
            raise UnavailableError("another key change ran at the same time; retry") from exc

    def withdraw(self, kid: str, reason: str, *, actor: str = "unspecified") -> KeyChange:
        """Withdraw ``kid`` at once: unpublished, never used again.

        Raises:
            NotFoundError: no such key.
        """
        now = self._ctx.clock()
        try:
            with self._ctx.session() as session, session.begin():
                row = self.resolve(session, kid)
                if row.withdrawn_at is not None:
                    return KeyChange(self._info(row), changed=False, new_active=None)
                was_active = row.active
                row.active = False
                row.retired_at = row.retired_at or now
                row.withdrawn_at = now
                row.withdrawn_reason = reason[:_REASON_MAX]
                session.flush()
                self._event(session, row.thumbprint, "withdrawn", now, actor=actor, reason=reason)
                new = self._replace_active(session, now, actor) if was_active else None
                return KeyChange(
                    self._info(row),
                    changed=True,
                    new_active=self._info(new) if new is not None else None,
                )
        except IntegrityError as exc:
            raise UnavailableError("another key change ran at the same time; retry") from exc

    def events(self) -> list[dict[str, Any]]:
        """The key audit trail, oldest first (for ``keys events``)."""
        with self._ctx.session() as session, session.begin():
            return [
                {
                    "kid": self._ctx.kid_for(e.thumbprint),
                    "action": e.action,
                    "reason": e.reason,
                    "actor": e.actor,
                    "detail": loads_strict(e.detail) if e.detail else None,
                    "at": e.occurred_at,
                }
                for e in SigningKeyRepository(session).events()
            ]
