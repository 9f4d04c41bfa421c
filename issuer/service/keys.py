"""Issuer signing keys: generated on first start, kept by a key backend, rotated on demand.

The active key signs new credentials and status lists; retired keys stay in the DID
document and JWKS so credentials they signed keep verifying. The private keys live behind
an :class:`issuer.keystore.KeyBackend` (today the KEK-sealed software backend, which caches
opened keys by thumbprint); this service hands out :class:`vcore.signing.Signer` objects and
never touches key bytes. Which key is active is read from the database each time, so a
rotation by another process is picked up at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import UnavailableError
from issuer.keystore import KeyBackend, SoftwareKeyBackend, StoredSigningKey
from issuer.service.context import IssuerContext
from issuer.storage.signing_keys import SigningKeyRepository
from issuer.storage.tables import SigningKey
from vcore.jsontext import dumps_compact, loads_strict
from vcore.keys import PublicKey, public_key_from_jwk
from vcore.signing import Signer

__all__ = ["ActiveKey", "KeyInfo", "SigningKeyService"]


@dataclass(frozen=True)
class ActiveKey:
    """A usable signing key: its JWS ``kid`` and a signer for it."""

    kid: str
    thumbprint: str
    signer: Signer


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
            repo.add(self._new_row(now))

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
        row = SigningKeyRepository(session).get(thumbprint)
        if row is None:
            raise UnavailableError(f"signing key {thumbprint} has disappeared")
        return self._active_key(row)

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
