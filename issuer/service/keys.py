"""Issuer signing keys: generated on first start, sealed under the KEK, rotated on demand.

The active key signs new credentials and status lists; retired keys stay in the DID
document and JWKS so credentials they signed keep verifying. Decrypted keys are cached
in memory by thumbprint (they never change); which key is active is read from the
database each time, so a rotation by another process is picked up at once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import MasterKeyError, UnavailableError
from issuer.service.context import IssuerContext
from issuer.storage.signing_keys import SigningKeyRepository
from issuer.storage.tables import SigningKey
from vcore.jsontext import dumps_compact, loads_strict
from vcore.keys import (
    PrivateKey,
    PublicKey,
    generate_key,
    private_key_from_der,
    public_key_from_jwk,
)

__all__ = ["ActiveKey", "KeyInfo", "SigningKeyService"]


@dataclass(frozen=True)
class ActiveKey:
    """A usable signing key and its JWS ``kid``."""

    kid: str
    thumbprint: str
    private_key: PrivateKey


@dataclass(frozen=True)
class KeyInfo:
    """A published key (active or retired)."""

    kid: str
    thumbprint: str
    alg: str
    public_key: PublicKey
    active: bool
    created_at: datetime
    retired_at: datetime | None


class SigningKeyService:
    """Creates, loads, lists and rotates signing keys."""

    def __init__(self, ctx: IssuerContext) -> None:
        self._ctx = ctx
        self._cache: dict[str, PrivateKey] = {}
        self._lock = threading.Lock()

    def _new_row(self, now: datetime) -> SigningKey:
        key = generate_key(self._ctx.settings.signing_alg)
        thumbprint = key.public_key().thumbprint()
        return SigningKey(
            thumbprint=thumbprint,
            alg=key.alg,
            public_jwk=dumps_compact(key.public_key().to_jwk()),
            private_key_sealed=self._ctx.kek.seal(key.to_der(), aad=thumbprint),
            kek_id=self._ctx.kek.key_id,
            active=True,
            created_at=now,
        )

    def ensure_active(self, session: Session, now: datetime) -> None:
        """Generate the first key if there is none (bootstrap, under the schema lock)."""
        repo = SigningKeyRepository(session)
        if repo.active() is None:
            repo.add(self._new_row(now))

    def _unseal(self, row: SigningKey) -> PrivateKey:
        with self._lock:
            cached = self._cache.get(row.thumbprint)
        if cached is not None:
            return cached
        if row.kek_id != self._ctx.kek.key_id:
            raise MasterKeyError(
                f"signing key {row.thumbprint} is sealed under master key {row.kek_id}, "
                f"but the configured master key is {self._ctx.kek.key_id}"
            )
        key = private_key_from_der(self._ctx.kek.open(row.private_key_sealed, aad=row.thumbprint))
        if key.public_key().thumbprint() != row.thumbprint:
            raise MasterKeyError(f"signing key {row.thumbprint} does not match its thumbprint")
        with self._lock:
            self._cache[row.thumbprint] = key
        return key

    def active(self, session: Session) -> ActiveKey:
        row = SigningKeyRepository(session).active()
        if row is None:
            raise UnavailableError("no active signing key (the database was not bootstrapped)")
        return ActiveKey(self._ctx.kid_for(row.thumbprint), row.thumbprint, self._unseal(row))

    def by_thumbprint(self, session: Session, thumbprint: str) -> ActiveKey:
        row = SigningKeyRepository(session).get(thumbprint)
        if row is None:
            raise UnavailableError(f"signing key {thumbprint} has disappeared")
        return ActiveKey(self._ctx.kid_for(row.thumbprint), row.thumbprint, self._unseal(row))

    def published(self, session: Session) -> list[KeyInfo]:
        return [self._info(row) for row in SigningKeyRepository(session).published()]

    def _info(self, row: SigningKey) -> KeyInfo:
        return KeyInfo(
            kid=self._ctx.kid_for(row.thumbprint),
            thumbprint=row.thumbprint,
            alg=row.alg,
            public_key=public_key_from_jwk(loads_strict(row.public_jwk)),
            active=row.active,
            created_at=row.created_at,
            retired_at=row.retired_at,
        )

    def list_keys(self) -> Sequence[KeyInfo]:
        with self._ctx.session() as session, session.begin():
            return self.published(session)

    def rotate(self) -> KeyInfo:
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
                row = self._new_row(now)
                repo.add(row)
                return self._info(row)
        except IntegrityError as exc:
            raise UnavailableError("another rotation ran at the same time; retry") from exc
