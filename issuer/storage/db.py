"""Engines, sessions and schema migrations (Alembic, run in code at start).

SQLite (embedded default): SQLAlchemy emits ``BEGIN IMMEDIATE`` itself (the recipe in
SQLAlchemy's SQLite dialect docs), so every transaction takes the database's write
lock up front: two issuer processes on one file serialise instead of failing with
"database is locked" half-way through an allocation. WAL lets readers proceed meanwhile,
and foreign keys are switched on (SQLite leaves them off by default).

PostgreSQL: migrations and bootstrap run under a transaction-level advisory lock, so
replicas starting together do not race to create tables or the first signing key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "MIGRATIONS_DIR",
    "create_db_engine",
    "create_sessionmaker",
    "exclusive_transaction",
    "upgrade_schema",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_BOOTSTRAP_LOCK_KEY = 0x7472757374696431  # "trustid1": one app-wide advisory lock id
_SQLITE_BUSY_SECONDS = 30


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_SECONDS * 1000}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 20, pool_timeout: float = 30.0
) -> Engine:
    """An engine for ``url`` (SQLite file or PostgreSQL via psycopg 3).

    The pool bounds (``TRUSTID_DB_POOL_SIZE``, ``_MAX_OVERFLOW``, ``_POOL_TIMEOUT``) apply
    to PostgreSQL; each process holds at most ``pool_size + max_overflow`` connections.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": _SQLITE_BUSY_SECONDS})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
    )


def create_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (use cases return them)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def exclusive_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that no other issuer process runs at the same time.

    PostgreSQL: ``pg_advisory_xact_lock`` (released at commit or rollback). SQLite: the
    ``BEGIN IMMEDIATE`` write lock already excludes other writers.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BOOTSTRAP_LOCK_KEY}
            )
        yield connection


def upgrade_schema(connection: Connection) -> None:
    """Run Alembic migrations up to head on ``connection`` (inside its transaction)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
