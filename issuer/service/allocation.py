"""Status-list slot allocation: random free index, unique by constraint, 75% rollover.

Herd privacy (Bitstring Status List §6.5): an index must not reveal when a credential
was issued or how many were, so it is drawn uniformly from the free slots
(:func:`vcore.status.pick_free_index`), never sequential. The database primary key
``(list_id, idx)`` is what guarantees uniqueness; the insert runs in a SAVEPOINT and a
collision just draws again. When a list passes 75% allocation it is closed and a new
one opened in the same transaction, which keeps random draws cheap (>= 1 in 4 hits a
free slot) and the anonymity set large.

Concurrency: an allocating transaction row-locks the open list it uses until it commits,
so each list's ``allocated`` counter and rollover are exact with any number of
processes. On PostgreSQL a busy list is skipped (``SKIP LOCKED``) and, under
contention, up to :data:`MAX_OPEN_LISTS` lists per purpose are open side by side (one
per shard, a partial unique index allowing one open list per purpose and shard), so
parallel issuers do not all queue on one row. SQLite serialises writers anyway and
keeps a single open list per purpose.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import UnavailableError
from issuer.storage.status_lists import StatusListRepository
from issuer.storage.tables import StatusEntry, StatusList, StatusListToken
from vcore.status import pick_free_index

__all__ = [
    "MAX_OPEN_LISTS",
    "MIN_TOKEN_LIST_ENTRIES",
    "PURPOSES",
    "ROLLOVER_NUMERATOR",
    "STATUS_LIST_PURPOSE",
    "allocate_slot",
    "open_list",
]

PURPOSES = ("revocation", "suspension")
STATUS_LIST_PURPOSE = "status_list"
"""The ``purpose`` of IETF Token Status List lists and slots: one 2-bit slot per
credential (0 valid, 1 revoked, 2 suspended), allocated like the Bitstring ones."""
MIN_TOKEN_LIST_ENTRIES = 131_072
"""A Token Status List has at least this many entries, whatever the Bitstring size."""
MAX_OPEN_LISTS = 4
ROLLOVER_NUMERATOR = 3  # close a list once allocated > size * 3/4
_ROLLOVER_DENOMINATOR = 4
_MAX_ATTEMPTS = 16


def open_list(
    session: Session, purpose: str, size: int, now: datetime, shard: int = 0
) -> StatusList | None:
    """Open a new list for ``purpose`` in ``shard``; None if another transaction did first."""
    repo = StatusListRepository(session)
    status_list = StatusList(
        purpose=purpose,
        shard=shard,
        size=size,
        allocated=0,
        active=True,
        version=0,
        created_at=now,
    )
    try:
        with session.begin_nested():
            repo.add(status_list)
            # An empty cache row (version -1 never matches) so publishing only UPDATEs.
            # ``token`` is the signed status list (a JWS), not a password.
            repo.add_token_row(
                StatusListToken(  # nosec B106
                    list_id=status_list.id, version=-1, kid="", token="", etag="", signed_at=now
                )
            )
    except IntegrityError:
        return None
    return status_list


def _lock_a_list(session: Session, purpose: str, size: int, now: datetime) -> StatusList | None:
    repo = StatusListRepository(session)
    status_list = repo.open_for_update(purpose, skip_locked=True)
    if status_list is not None:
        return status_list
    # Every open list is busy (or there is none): open another shard if allowed...
    free_shards = sorted(set(range(MAX_OPEN_LISTS)) - repo.open_shards(purpose))
    if free_shards:
        status_list = open_list(session, purpose, size, now, free_shards[0])
        if status_list is not None:
            return status_list
    # ...or queue for one.
    return repo.open_for_update(purpose, skip_locked=False)


def allocate_slot(
    session: Session,
    *,
    purpose: str,
    credential_id: str,
    new_list_size: int,
    now: datetime,
    rng: Callable[[int], int],
) -> StatusEntry:
    """Give ``credential_id`` a random free slot in an open ``purpose`` list.

    Raises:
        UnavailableError: no slot after repeated collisions (practically unreachable).
    """
    repo = StatusListRepository(session)
    for _ in range(_MAX_ATTEMPTS):
        status_list = _lock_a_list(session, purpose, new_list_size, now)
        if status_list is None:
            continue  # the list we waited for was closed meanwhile: look again
        list_id = status_list.id
        idx = pick_free_index(
            status_list.size, functools.partial(repo.slot_taken, list_id), rng=rng
        )
        entry = StatusEntry(
            list_id=list_id,
            idx=idx,
            credential_id=credential_id,
            purpose=purpose,
            status=0,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                repo.add_entry(entry)
        except IntegrityError:
            continue
        status_list.allocated += 1
        if status_list.allocated * _ROLLOVER_DENOMINATOR > status_list.size * ROLLOVER_NUMERATOR:
            status_list.active = False
            status_list.closed_at = now
            session.flush()
            open_list(session, purpose, new_list_size, now, status_list.shard)
        return entry
    raise UnavailableError(f"could not allocate a {purpose} status slot; retry")
