"""Status lists, slots, status changes and the signed-list cache (repository; never commits)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ARRAY, Integer, any_, bindparam, exists, insert, select, update
from sqlalchemy.orm import Session

from issuer.storage.tables import Base, StatusChange, StatusEntry, StatusList, StatusListToken

if TYPE_CHECKING:
    import psycopg

__all__ = ["StatusListRepository"]

_CHANGE_COLUMNS = {
    "credential_id": "text",
    "purpose": "text",
    "list_id": "integer",
    "idx": "integer",
    "old_status": "smallint",
    "new_status": "smallint",
    "agency_id": "text",
    "api_key_id": "text",
    "reason": "text",
    "changed_at": "timestamptz",
    "actor": "text",
}
"""The audit columns a bulk change writes (with their PostgreSQL types)."""
_IN_CHUNK = 500  # bound parameters per IN (...): far below SQLite's 32,766


class StatusListRepository:
    """Everything about status lists; the caller frames transactions and savepoints."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- lists -------------------------------------------------------------------------

    def get(self, list_id: int) -> StatusList | None:
        return self._session.get(StatusList, list_id, populate_existing=True)

    def all(self) -> Sequence[StatusList]:
        return self._session.scalars(select(StatusList).order_by(StatusList.id)).all()

    def open_for_update(self, purpose: str, *, skip_locked: bool) -> StatusList | None:
        """An open list for ``purpose``, row-locked until the transaction ends.

        On PostgreSQL the lock makes allocation in one list a queue across processes, so
        the 75% rollover and the ``allocated`` counter stay exact; with ``skip_locked``
        a list another transaction holds is passed over (None when all are held).
        ``FOR NO KEY UPDATE`` (not ``FOR UPDATE``) still lets status changes insert rows
        that reference the list. SQLite ignores the clause: ``BEGIN IMMEDIATE`` already
        serialises its writers.
        """
        return self._session.scalar(
            select(StatusList)
            .where(StatusList.purpose == purpose, StatusList.active.is_(True))
            .order_by(StatusList.id)
            .limit(1)
            .with_for_update(key_share=True, skip_locked=skip_locked)
            .execution_options(populate_existing=True)
        )

    def open_shards(self, purpose: str) -> set[int]:
        """Shards that have an open list for ``purpose`` (read without locking)."""
        return set(
            self._session.scalars(
                select(StatusList.shard).where(
                    StatusList.purpose == purpose, StatusList.active.is_(True)
                )
            )
        )

    def add(self, status_list: StatusList) -> None:
        """Insert; raises IntegrityError if another process opened a list first."""
        self._session.add(status_list)
        self._session.flush()

    def bump_version(self, list_id: int) -> None:
        self._session.execute(
            update(StatusList)
            .where(StatusList.id == list_id)
            .values(version=StatusList.version + 1)
        )

    # -- slots -------------------------------------------------------------------------

    def slot_taken(self, list_id: int, idx: int) -> bool:
        return bool(
            self._session.scalar(
                select(exists().where(StatusEntry.list_id == list_id, StatusEntry.idx == idx))
            )
        )

    def taken_among(self, list_id: int, indexes: Sequence[int]) -> set[int]:
        """Which of ``indexes`` are taken in the list (chunked under SQLite's variable limit)."""
        taken: set[int] = set()
        for start in range(0, len(indexes), _IN_CHUNK):
            taken.update(
                self._session.scalars(
                    select(StatusEntry.idx).where(
                        StatusEntry.list_id == list_id,
                        StatusEntry.idx.in_(indexes[start : start + _IN_CHUNK]),
                    )
                )
            )
        return taken

    def taken_indexes(self, list_id: int) -> set[int]:
        return set(
            self._session.scalars(select(StatusEntry.idx).where(StatusEntry.list_id == list_id))
        )

    def add_entries(self, rows: Sequence[Mapping[str, object]]) -> None:
        """Multi-row insert; raises IntegrityError if any slot is taken (none is inserted)."""
        if rows:
            self._session.execute(insert(StatusEntry), list(rows))

    def add_entry(self, entry: StatusEntry) -> None:
        """Insert; raises IntegrityError if the slot is taken (the uniqueness guarantee)."""
        self._session.add(entry)
        self._session.flush()

    def entries_of(self, credential_id: str, *, for_update: bool = False) -> dict[str, StatusEntry]:
        query = select(StatusEntry).where(StatusEntry.credential_id == credential_id)
        if for_update:
            query = query.with_for_update()
        rows = self._session.scalars(query.execution_options(populate_existing=True))
        return {row.purpose: row for row in rows}

    def set_indexes(self, list_id: int) -> list[int]:
        """Indexes whose status is not 0 (served by the partial index)."""
        return list(
            self._session.scalars(
                select(StatusEntry.idx).where(
                    StatusEntry.list_id == list_id, StatusEntry.status != 0
                )
            )
        )

    def statuses(self, list_id: int) -> list[tuple[int, int]]:
        """``(index, value)`` of every slot whose value is not 0 (Token Status Lists)."""
        rows = self._session.execute(
            select(StatusEntry.idx, StatusEntry.status).where(
                StatusEntry.list_id == list_id, StatusEntry.status != 0
            )
        )
        return [(int(idx), int(value)) for idx, value in rows]

    # -- audit trail -------------------------------------------------------------------

    def add_change(self, change: StatusChange) -> None:
        self._session.add(change)

    def add_changes(self, rows: Sequence[Mapping[str, object]]) -> None:
        """Audit rows in one executemany INSERT.

        Not ``insert().values([...])``: SQLAlchemy compiles such a statement afresh for
        each chunk (6 of the 7 s of revoking 10,000). The executemany form is compiled
        once; the driver runs it in C (sqlite3) or pipelined (psycopg), and SQLAlchemy
        batches it into multi-row VALUES within each driver's parameter limit where
        the dialect supports that ("insertmanyvalues"). Measured on PostgreSQL: adding
        RETURNING (to force multi-row VALUES there) was 10x slower, psycopg spending the
        time converting the placeholders of the big statements.
        """
        if not rows:
            return
        if self._on_postgresql():
            self._add_changes_copy(rows)
            return
        table = Base.metadata.tables[StatusChange.__tablename__]
        self._session.execute(insert(table), list(rows))

    def _on_postgresql(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

    def _add_changes_copy(self, rows: Sequence[Mapping[str, object]]) -> None:
        """PostgreSQL: the rows through ``COPY ... FROM STDIN`` on the session's own
        connection (same transaction). An executemany goes one pipelined statement per
        row, and an ``unnest`` of text arrays spent most of its time dumping the arrays."""
        columns = list(_CHANGE_COLUMNS)
        dbapi = cast(
            "psycopg.Connection[Any]", self._session.connection().connection.dbapi_connection
        )
        with dbapi.cursor() as cursor:
            statement = f"COPY status_changes ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([row[name] for name in columns])

    def set_statuses(self, list_id: int, indexes: Sequence[int], value: int, now: datetime) -> None:
        """Set ``value`` on the given slots of one list: one UPDATE per 500 indexes
        (PostgreSQL: one UPDATE with the indexes as one array parameter)."""
        if self._on_postgresql():
            self._session.execute(
                update(StatusEntry)
                .where(
                    StatusEntry.list_id == list_id,
                    StatusEntry.idx == any_(bindparam("idxs", list(indexes), type_=ARRAY(Integer))),
                )
                .values(status=value, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            return
        for start in range(0, len(indexes), _IN_CHUNK):
            self._session.execute(
                update(StatusEntry)
                .where(
                    StatusEntry.list_id == list_id,
                    StatusEntry.idx.in_(indexes[start : start + _IN_CHUNK]),
                )
                .values(status=value, updated_at=now)
                .execution_options(synchronize_session=False)
            )

    # -- signed list cache -------------------------------------------------------------

    def cached_token(self, list_id: int) -> StatusListToken | None:
        return self._session.get(StatusListToken, list_id, populate_existing=True)

    def save_token(
        self, list_id: int, *, version: int, kid: str, token: str, etag: str, signed_at: datetime
    ) -> None:
        """Replace the cached token unless one for a newer ``version`` is stored.

        The row exists from the list's creation on, so this is a plain UPDATE and
        concurrent publishers never race on an INSERT; the version guard keeps a slow
        publisher (which read an older version) from rolling the cache back.
        """
        self._session.execute(
            update(StatusListToken)
            .where(StatusListToken.list_id == list_id, StatusListToken.version <= version)
            .values(version=version, kid=kid, token=token, etag=etag, signed_at=signed_at)
        )

    def add_token_row(self, row: StatusListToken) -> None:
        self._session.add(row)
