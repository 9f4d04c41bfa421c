"""Database tables (SQLAlchemy 2.0 typed declarative). Alembic migrations mirror these.

What is stored, and what is deliberately not:

* ``credentials`` holds an issuance record (id, type, agency, holder DID, kid, dates,
  SHA-256 of the signed token), never the claims: the citizen's personal data lives in
  their wallet, not in the issuer's database.
* ``status_entries`` is one row per (credential, purpose) with its slot in a status list;
  the primary key ``(list_id, idx)`` is the constraint that makes every index unique in
  its list, whatever the number of issuer processes.
* ``status_changes``, ``agency_events`` and ``signing_key_events`` are append-only (database triggers refuse
  UPDATE and DELETE): who changed a credential's status, and who changed an agency
  (created, disabled, enabled, key created/revoked, accreditation changed), when and why.
* ``signing_keys.private_key_sealed`` is the PKCS#8 key sealed under the KEK
  (:mod:`issuer.keystore`) with the key's thumbprint as associated data.
* ``api_keys.key_hash`` is SHA-256 of a 256-bit random secret; a slow hash adds nothing
  for secrets that cannot be guessed, and lookups stay O(1).
* ``credential_offers`` holds an OpenID4VCI offer until it is redeemed or expires: the
  subject claims and the pre-authorized code sealed under the KEK (set to NULL once
  redeemed, locked or expired), SHA-256 digests of the code and of the access token, a
  KEK-keyed digest of the transaction code and the count of wrong tries.
  ``oid4vci_nonces`` (``c_nonce`` digests) and ``dpop_jtis`` (DPoP proof ids per key) are
  single-use records kept only as long as a proof using them could be fresh.
* ``idempotency_keys.response_sealed`` holds the signed credential sealed under the KEK
  (it carries personal data) and is purged after 24 hours.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Accreditation",
    "Agency",
    "AgencyEvent",
    "ApiKey",
    "Base",
    "CredentialOfferRow",
    "CredentialRecord",
    "CredentialTypeRow",
    "DpopJti",
    "IdempotencyKey",
    "NonceRow",
    "SigningKey",
    "SigningKeyEvent",
    "StatusChange",
    "StatusEntry",
    "StatusList",
    "StatusListToken",
    "UTCDateTime",
]

# Deterministic constraint names so migrations on SQLite and PostgreSQL agree.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on PostgreSQL and on SQLite (which drops zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value)!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = UTCDateTime()


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class Agency(Base):
    """An accredited agency that issues credentials through the API."""

    __tablename__ = "agencies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    disabled_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)


class CredentialTypeRow(Base):
    """A credential type known to the issuer (schema from the type files)."""

    __tablename__ = "credential_types"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    schema_json: Mapped[str] = mapped_column(Text)
    schema_sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class Accreditation(Base):
    """An agency may issue a credential type."""

    __tablename__ = "accreditations"

    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    type_name: Mapped[str] = mapped_column(ForeignKey("credential_types.name"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class ApiKey(Base):
    """An agency's API key, stored as SHA-256 of the secret."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)


class SigningKey(Base):
    """An issuer signing key: ``active`` (exactly one), retired, or withdrawn.

    A retired key (``retired_at`` set) signs nothing new and stays published while a
    credential it signed is unexpired; a withdrawn key (``withdrawn_at`` set) is never
    published or used again.
    """

    __tablename__ = "signing_keys"
    __table_args__ = (
        # At most one active key, enforced by the database (two processes starting on
        # an empty database cannot both create one).
        Index(
            "uq_signing_keys_one_active",
            "active",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    thumbprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[str] = mapped_column(Text)
    private_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    retired_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class SigningKeyEvent(Base):
    """Append-only audit record of a signing-key state change.

    ``action`` is one of ``created``, ``retired``, ``withdrawn``, ``bulk_revoked``;
    ``detail`` is compact JSON; ``actor`` says who ran the command (``cli:<login>``).
    """

    __tablename__ = "signing_key_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    thumbprint: Mapped[str] = mapped_column(ForeignKey("signing_keys.thumbprint"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    actor: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(Timestamp)


class StatusList(Base):
    """A status list (one purpose). ``version`` is bumped by every status change.

    Up to a few lists per purpose are open at once, one per ``shard``, so concurrent
    issuers on PostgreSQL need not queue on a single row; the partial unique index
    allows one open list per (purpose, shard).
    """

    __tablename__ = "status_lists"
    __table_args__ = (
        Index(
            "uq_status_lists_one_active_per_shard",
            "purpose",
            "shard",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    # Small integers keep status-list URLs (and so QR codes) short.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(String(16))
    shard: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    size: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)


class StatusListToken(Base):
    """The last signed status-list credential, reused while ``version`` is unchanged."""

    __tablename__ = "status_list_tokens"

    list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    kid: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(80))
    signed_at: Mapped[datetime] = mapped_column(Timestamp)


class CredentialRecord(Base):
    """An issuance record: who issued what type to which holder, when, with which key.

    ``token_sha256`` is NULL between the commit of the record (before signing) and the
    store of the digest (after signing): such a row is a slot reserved for a credential
    that was never delivered, or one a retried idempotent request will sign again.
    """

    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type_name: Mapped[str] = mapped_column(ForeignKey("credential_types.name"))
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    holder_did: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    kid: Mapped[str] = mapped_column(Text, index=True)
    valid_from: Mapped[datetime] = mapped_column(Timestamp)
    valid_until: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    signed_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    token_sha256: Mapped[str | None] = mapped_column(String(64), default=None)


class StatusEntry(Base):
    """A credential's slot in a status list, with its current value."""

    __tablename__ = "status_entries"
    __table_args__ = (
        UniqueConstraint("credential_id", "purpose"),
        # Building a list reads only its set slots: a partial index keeps that cheap.
        Index(
            "ix_status_entries_set",
            "list_id",
            sqlite_where=text("status <> 0"),
            postgresql_where=text("status <> 0"),
        ),
    )

    list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(SmallInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)


class StatusChange(Base):
    """Append-only audit record of a status change: who, when, what, why."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    idx: Mapped[int] = mapped_column(Integer)
    old_status: Mapped[int] = mapped_column(SmallInteger)
    new_status: Mapped[int] = mapped_column(SmallInteger)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"))
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    changed_at: Mapped[datetime] = mapped_column(Timestamp)
    actor: Mapped[str | None] = mapped_column(String(200), default=None)
    """Set for an operator's change (``cli:<login>``); the agency is then the issuer's."""


class AgencyEvent(Base):
    """Append-only audit record of an administrative change to an agency.

    ``action`` is one of ``created``, ``disabled``, ``enabled``, ``key_created``,
    ``key_revoked``, ``accredited``; ``detail`` is compact JSON (e.g. the types added
    and removed); ``actor`` says who ran the command (``cli:<login>``).
    """

    __tablename__ = "agency_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), default=None)
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    actor: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(Timestamp)


class IdempotencyKey(Base):
    """An ``Idempotency-Key`` seen from an agency, for 24 hours."""

    __tablename__ = "idempotency_keys"

    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    response_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(Timestamp, index=True)


class CredentialOfferRow(Base):
    """An OpenID4VCI credential offer (pre-authorized code flow) and its redemption state."""

    __tablename__ = "credential_offers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    type_name: Mapped[str] = mapped_column(String(64))
    configuration_ids: Mapped[str] = mapped_column(Text)
    """JSON list of the offered credential configuration ids."""
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    code_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    claims_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    tx_code_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    tx_failures: Mapped[int] = mapped_column(SmallInteger, default=0)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    dpop_jkt: Mapped[str | None] = mapped_column(String(64), default=None)
    token_expires_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    redeemed_ids: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the configuration ids already issued."""


class NonceRow(Base):
    """A ``c_nonce`` from ``POST /nonce`` (its SHA-256), single use, until it expires."""

    __tablename__ = "oid4vci_nonces"

    nonce_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(Timestamp, index=True)


class DpopJti(Base):
    """A DPoP proof seen (key thumbprint, jti digest): replayed proofs are refused."""

    __tablename__ = "dpop_jtis"

    jkt: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
