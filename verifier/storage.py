"""Verifier storage: API clients, issued presentation challenges, the trust list's
replay floor, the verifier's own sealed signing key and its OpenID4VP presentation
requests (SQLAlchemy 2.0).

Small tables, created with ``create_all`` on start; the tables are prefixed
``verifier_`` so they can share a PostgreSQL database with the issuer's. A column added
after a release is added to an existing table on start (:func:`_upgrade`, idempotent,
with the default that keeps old rows' behaviour). Functions take a ``Session`` and never
commit: callers frame the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    delete,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

__all__ = [
    "Base",
    "ChallengeRow",
    "ClientRow",
    "PresentationRequestRow",
    "TrustListMarkRow",
    "VerifierKeyRow",
    "add_challenge",
    "add_client",
    "add_presentation_request",
    "add_verifier_key",
    "any_clients",
    "as_utc",
    "challenge_by_hash",
    "client_by_key_hash",
    "consume_challenge",
    "finish_presentation_request",
    "list_clients",
    "make_engine",
    "presentation_request",
    "raise_trust_list_mark",
    "remove_client",
    "trust_list_mark",
    "verifier_key",
]


class Base(DeclarativeBase):
    """Declarative base of the verifier's tables."""


class ClientRow(Base):
    """An agency allowed to call the verification endpoints."""

    __tablename__ = "verifier_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rate_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # ``server`` (challenges from POST /challenges, single use) or ``caller`` (the
    # client's own challenges, VC-API): verifier.challenges.ChallengePolicy.
    challenge_policy: Mapped[str] = mapped_column(
        String(16), default="server", server_default="server"
    )


class ChallengeRow(Base):
    """A challenge issued by ``POST /challenges``; ``used`` once a presentation consumed it.

    Kept (used) until it expires, so a replay is told ``nonce_reused``; purged after.
    """

    __tablename__ = "verifier_challenges"

    challenge_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class TrustListMarkRow(Base):
    """The newest signed trust list a verifier accepted, per trust anchor (issue 9 §1).

    ``sequence`` and ``iat`` only ever rise. Kept in the database so that neither a
    restart nor another replica can be rolled back to an older signed list.
    """

    __tablename__ = "verifier_trust_list_marks"

    anchor: Mapped[str] = mapped_column(String(100), primary_key=True)
    sequence: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class VerifierKeyRow(Base):
    """The verifier's own signing key (its did:web identity), sealed under the KEK."""

    __tablename__ = "verifier_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PresentationRequestRow(Base):
    """An OpenID4VP presentation request (``POST /presentation-requests``).

    ``state`` is ``pending`` until one response finishes it (``verified`` or ``failed``,
    one conditional ``UPDATE``); ``expired`` is computed from ``expires_at``. The
    ephemeral response-encryption key is sealed under the KEK.
    """

    __tablename__ = "verifier_presentation_requests"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    caller: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    client_id: Mapped[str] = mapped_column(String(400))
    response_mode: Mapped[str] = mapped_column(String(20))
    nonce: Mapped[str] = mapped_column(String(64))
    state_value: Mapped[str] = mapped_column(String(64))
    dcql_query: Mapped[str] = mapped_column(Text)
    enc_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)


def as_utc(value: datetime) -> datetime:
    """A stored date-time as aware UTC (SQLite returns naive values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30.0
) -> Engine:
    """Create the engine and the tables (SQLite: the data directory too, WAL mode).

    The pool bounds (``TRUSTID_DB_POOL_SIZE``, ``_MAX_OVERFLOW``, ``_POOL_TIMEOUT``) apply
    to a server database; SQLite keeps SQLAlchemy's own pool for files.
    """
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True)
    else:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
        )
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Replicas starting together on a fresh database would race each other's
            # CREATE TABLE; one transaction-scoped advisory lock serialises them.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        Base.metadata.create_all(connection)
        _upgrade(connection)
    return engine


# The advisory-lock key for schema creation ("TrustID verifier schema", any fixed int64).
_SCHEMA_LOCK = 0x7472_7573_7469_6476


# Columns added to existing tables since their first release: (table, column, DDL).
_ADDED_COLUMNS = (
    (
        "verifier_clients",
        "challenge_policy",
        "VARCHAR(16) NOT NULL DEFAULT 'server'",
    ),
)


def _upgrade(connection: Connection) -> None:
    """Add the columns an older database lacks (existing clients keep ``server``)."""
    for table, column, ddl in _ADDED_COLUMNS:
        present = {c["name"] for c in inspect(connection).get_columns(table)}
        if column not in present:
            connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))


def add_client(
    session: Session,
    *,
    name: str,
    key_hash: str,
    rate_limit: int | None,
    now: datetime,
    challenge_policy: str = "server",
) -> ClientRow:
    """Insert a client row (flush only)."""
    row = ClientRow(
        name=name,
        key_hash=key_hash,
        rate_limit=rate_limit,
        created_at=now,
        challenge_policy=challenge_policy,
    )
    session.add(row)
    session.flush()
    return row


def list_clients(session: Session) -> list[ClientRow]:
    """All clients by name."""
    return list(session.scalars(select(ClientRow).order_by(ClientRow.name)))


def any_clients(session: Session) -> bool:
    """True once any client exists (without one the verifier runs open)."""
    return session.scalars(select(ClientRow.id).limit(1)).first() is not None


def client_by_key_hash(session: Session, key_hash: str) -> ClientRow | None:
    """The client with this key hash, if any."""
    return session.scalars(select(ClientRow).where(ClientRow.key_hash == key_hash)).first()


def remove_client(session: Session, name: str) -> bool:
    """Delete a client by name; True when one was deleted."""
    result = session.execute(delete(ClientRow).where(ClientRow.name == name))
    return bool(getattr(result, "rowcount", 0))


def add_challenge(
    session: Session, *, challenge_hash: str, caller: str, expires_at: datetime, now: datetime
) -> None:
    """Record an issued challenge; expired ones are purged on the way (flush only)."""
    session.execute(delete(ChallengeRow).where(ChallengeRow.expires_at < now))
    session.add(
        ChallengeRow(
            challenge_hash=challenge_hash, caller=caller, expires_at=expires_at, used=False
        )
    )
    session.flush()


def challenge_by_hash(session: Session, challenge_hash: str) -> ChallengeRow | None:
    """The open challenge with this hash, if any."""
    return session.get(ChallengeRow, challenge_hash)


def consume_challenge(session: Session, *, challenge_hash: str, caller: str, now: datetime) -> bool:
    """Mark the challenge used if it is open and ``caller``'s; True when this call used it.

    One conditional ``UPDATE``: safe across replicas sharing the database (the row lock
    makes a second, concurrent update see ``used`` and match nothing).
    """
    result = session.execute(
        update(ChallengeRow)
        .where(
            ChallengeRow.challenge_hash == challenge_hash,
            ChallengeRow.caller == caller,
            ChallengeRow.expires_at >= now,
            ChallengeRow.used.is_(False),
        )
        .values(used=True)
    )
    return bool(getattr(result, "rowcount", 0))


def trust_list_mark(session: Session, anchor: str) -> TrustListMarkRow | None:
    """The replay floor recorded for ``anchor`` (its key thumbprint), if any."""
    return session.get(TrustListMarkRow, anchor)


def raise_trust_list_mark(
    session: Session, anchor: str, *, sequence: int | None, issued_at: datetime | None
) -> None:
    """Raise the floor of ``anchor`` to ``sequence`` / ``issued_at`` (never lowers it).

    The row is read ``FOR UPDATE`` (PostgreSQL), so two replicas raising it at once
    serialise; a first insert racing another is left to the caller's retry.
    """
    row = session.get(TrustListMarkRow, anchor, with_for_update=True)
    if row is None:
        session.add(TrustListMarkRow(anchor=anchor, sequence=sequence, issued_at=issued_at))
        session.flush()
        return
    if sequence is not None and (row.sequence is None or sequence > row.sequence):
        row.sequence = sequence
    if issued_at is not None and (row.issued_at is None or issued_at > as_utc(row.issued_at)):
        row.issued_at = issued_at
    session.flush()


def verifier_key(session: Session, name: str) -> VerifierKeyRow | None:
    """The verifier key stored under ``name``, if any."""
    return session.get(VerifierKeyRow, name)


def add_verifier_key(session: Session, row: VerifierKeyRow) -> None:
    """Store a new verifier key (a concurrent insert of the same name fails the flush)."""
    session.add(row)
    session.flush()


_KEEP_FINISHED = 86_400


def add_presentation_request(session: Session, row: PresentationRequestRow) -> None:
    """Store a new presentation request; requests expired a day ago are purged on the way."""
    horizon = as_utc(row.created_at).timestamp() - _KEEP_FINISHED
    session.execute(
        delete(PresentationRequestRow).where(
            PresentationRequestRow.expires_at < datetime.fromtimestamp(horizon, UTC)
        )
    )
    session.add(row)


def presentation_request(session: Session, request_id: str) -> PresentationRequestRow | None:
    """The presentation request with this id, if any."""
    return session.get(PresentationRequestRow, request_id)


def finish_presentation_request(
    session: Session, request_id: str, *, state: str, result: str, now: datetime
) -> bool:
    """Set a pending, unexpired request's final state; True when this call set it.

    One conditional ``UPDATE``: of two responses racing (or two replicas), one wins.
    """
    outcome = session.execute(
        update(PresentationRequestRow)
        .where(
            PresentationRequestRow.id == request_id,
            PresentationRequestRow.state == "pending",
            PresentationRequestRow.expires_at >= now,
        )
        .values(state=state, result=result, finished_at=now, enc_key=None)
    )
    return bool(getattr(outcome, "rowcount", 0))
