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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import UnavailableError
from issuer.storage.status_lists import StatusListRepository
from issuer.storage.tables import StatusList, StatusListToken

__all__ = [
    "MAX_OPEN_LISTS",
    "MIN_TOKEN_LIST_ENTRIES",
    "PURPOSES",
    "ROLLOVER_NUMERATOR",
    "STATUS_LIST_PURPOSE",
    "Slot",
    "allocate_slot",
    "allocate_slots",
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
_MAX_ROUNDS = 8


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


@dataclass(frozen=True)
class Slot:
    """A slot just allocated (what the credential's status entry needs)."""

    list_id: int
    idx: int
    purpose: str


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
) -> Slot:
    """Give ``credential_id`` a random free slot in an open ``purpose`` list.

    Raises:
        UnavailableError: no slot after repeated collisions (practically unreachable).
    """
    return allocate_slots(
        session,
        purpose=purpose,
        credential_ids=[credential_id],
        new_list_size=new_list_size,
        now=now,
        rng=rng,
    )[0]


def allocate_slots(
    session: Session,
    *,
    purpose: str,
    credential_ids: Sequence[str],
    new_list_size: int,
    now: datetime,
    rng: Callable[[int], int],
) -> list[Slot]:
    """Give each of ``credential_ids`` a random free slot in an open ``purpose`` list.

    Per list: one row lock, one query for which of the drawn candidates are taken,
    one multi-row insert of the slots and one counter update, whatever the number of
    credentials; the list rolls over exactly where single allocation would. Returns the
    slots in the order of ``credential_ids``.

    Raises:
        UnavailableError: no slot after repeated collisions (practically unreachable).
    """
    repo = StatusListRepository(session)
    entries: list[Slot] = []
    attempts = 0
    while len(entries) < len(credential_ids):
        attempts += 1
        if attempts > _MAX_ATTEMPTS + len(credential_ids):
            raise UnavailableError(f"could not allocate a {purpose} status slot; retry")
        status_list = _lock_a_list(session, purpose, new_list_size, now)
        if status_list is None:
            continue  # the list we waited for was closed meanwhile: look again
        # Slots this list takes before it passes 75% (the last one closes it).
        room = status_list.size * ROLLOVER_NUMERATOR // _ROLLOVER_DENOMINATOR + 1
        wanted = credential_ids[len(entries) : len(entries) + room - status_list.allocated]
        if not wanted:  # pragma: no cover - a full list is closed in the same transaction
            status_list.active = False
            status_list.closed_at = now
            session.flush()
            continue
        indexes = _free_indexes(repo, status_list, len(wanted), rng)
        rows = [
            {
                "list_id": status_list.id,
                "idx": idx,
                "credential_id": credential_id,
                "purpose": purpose,
                "status": 0,
                "updated_at": now,
            }
            for idx, credential_id in zip(indexes, wanted, strict=True)
        ]
        try:
            with session.begin_nested():
                repo.add_entries(rows)
        except IntegrityError:
            continue  # a slot was taken behind our back (the constraint held): draw again
        entries += [Slot(status_list.id, idx, purpose) for idx in indexes]
        status_list.allocated += len(rows)
        if status_list.allocated * _ROLLOVER_DENOMINATOR > status_list.size * ROLLOVER_NUMERATOR:
            status_list.active = False
            status_list.closed_at = now
            session.flush()
            open_list(session, purpose, new_list_size, now, status_list.shard)
    return entries


def _free_indexes(
    repo: StatusListRepository, status_list: StatusList, count: int, rng: Callable[[int], int]
) -> list[int]:
    """``count`` distinct free indexes of the (locked) list, uniform at random.

    Rejection sampling in rounds: distinct uniform draws, minus the ones the database
    says are taken (one query per round), in draw order, which is a uniform sample of
    the free slots. The list is at most 75% full, so a round rarely falls short; with a
    degenerate ``rng`` the free slots are enumerated and drawn from, as
    :func:`~vcore.status.pick_free_index` does.
    """
    size = status_list.size
    chosen: list[int] = []
    seen: set[int] = set()
    free_share = max(size - status_list.allocated, 1) / size
    for _ in range(_MAX_ROUNDS):
        need = count - len(chosen)
        if need == 0:
            return chosen
        goal = min(size - len(seen), int(need / free_share * 1.25) + 4)
        candidates: list[int] = []
        for _draw in range(goal * 4):
            if len(candidates) >= goal:
                break
            idx = rng(size)
            if not 0 <= idx < size:
                raise ValueError(f"rng({size}) returned {idx!r}, outside 0..{size - 1}")
            if idx not in seen:
                seen.add(idx)
                candidates.append(idx)
        taken = repo.taken_among(status_list.id, candidates)
        chosen += [idx for idx in candidates if idx not in taken][:need]
    if len(chosen) < count:
        taken_all = repo.taken_indexes(status_list.id) | set(chosen)
        free = [idx for idx in range(size) if idx not in taken_all]
        while len(chosen) < count and free:
            chosen.append(free.pop(rng(len(free))))
        if len(chosen) < count:  # pragma: no cover - a list is closed at 75%
            raise UnavailableError("status list is full")
    return chosen
