"""Authenticated API keys kept in memory, dropped at once when any client is removed.

Looking a key up in the database on every request cost about a third of a verification
(a connection checkout, a query, in a worker thread). A key that authenticated is kept
here for :data:`KEY_CACHE_TTL` seconds, keyed by its SHA-256 (the key itself is never
kept). Only successes are kept: an unknown key always asks the database, so a client
created in another process works at once, and a flood of made-up keys fills nothing.

Removal must take effect at once, also in other processes sharing the database. The
whole cache is dropped whenever the clients change (removals are rare; the next request
of each key pays one lookup again). How other processes learn of a change:

* PostgreSQL: the change sends ``NOTIFY trustid_verifier_clients`` in its own
  transaction; each verifier process ``LISTEN``\\ s on a connection of its own in a
  daemon thread and drops its cache on every notification. While that listener is not
  connected (start-up, a database outage), the cache is not used at all.
* SQLite (one machine): the change rewrites a stamp file beside the database
  (``verifier.db.clients``); each authentication compares the file's ``stat`` (about a
  microsecond) with the one the cache was filled under.

Any other database: entries expire after the TTL (and are dropped at once in the
process that made the change).

With ``TRUSTID_REDIS_URL`` set, every change is also published on the Redis channel
``<TRUSTID_REDIS_KEY_PREFIX>:clients`` and each process subscribes to it
(:class:`RedisSignal`), beside the database's own signal (:class:`CompositeSignal`): a
process drops its cache on either. While the subscription is down (Redis unreachable)
the cache is not used, so a missed message costs database lookups, never a removed key
that still works.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import redis
from cachetools import TTLCache
from redis.exceptions import RedisError
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

__all__ = [
    "CHANNEL",
    "KEY_CACHE_SIZE",
    "KEY_CACHE_TTL",
    "ChangeSignal",
    "CompositeSignal",
    "KeyCache",
    "PostgresSignal",
    "RedisSignal",
    "StampFileSignal",
    "TTLOnlySignal",
    "signal_for",
]

log = logging.getLogger("trustid.verifier")

V = TypeVar("V")

KEY_CACHE_TTL = 5.0
"""Seconds an authenticated key is trusted from memory (bounds any missed invalidation)."""
KEY_CACHE_SIZE = 10_000
CHANNEL = "trustid_verifier_clients"
_RECONNECT_AFTER = 1.0


class ChangeSignal(Protocol):
    """How a change to the clients reaches every process's cache."""

    def announce(self, session: Session) -> None:
        """Called inside the transaction that changes the clients."""

    def after_commit(self) -> None:
        """Called once that transaction committed."""

    def generation(self) -> object | None:
        """A token that changes whenever the clients changed; None: do not use the cache."""

    def close(self) -> None:
        """Stop listening."""


class TTLOnlySignal:
    """No cross-process signal: entries live for the TTL."""

    def announce(self, session: Session) -> None:
        return None

    def after_commit(self) -> None:
        return None

    def generation(self) -> object | None:
        return 0

    def close(self) -> None:
        return None


class StampFileSignal:
    """SQLite: a stamp file beside the database, rewritten on every change."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".clients")

    def announce(self, session: Session) -> None:
        return None

    def after_commit(self) -> None:
        # A new random content and a new mtime: (mtime_ns, size, inode) always moves.
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(os.urandom(8) + str(time.time_ns()).encode("ascii"))
        os.replace(tmp, self.path)

    def generation(self) -> object | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return 0
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino, st.st_size)

    def close(self) -> None:
        return None


class _ListenerSignal:
    """A signal whose other processes' changes arrive on a listener thread.

    The thread starts with the first authentication (not with a CLI command). While it
    is not listening, :meth:`generation` is None, so the cache is bypassed: a lost
    message never leaves a removed key working.
    """

    _thread_name = "trustid-key-cache-listen"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._listening = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_commit(self) -> None:
        self._bump()

    def generation(self) -> object | None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._listen, name=self._thread_name, daemon=True
                )
                self._thread.start()
            return self._generation if self._listening else None

    def close(self) -> None:
        self._stop.set()

    def _bump(self, *, listening: bool | None = None) -> None:
        with self._lock:
            self._generation += 1
            if listening is not None:
                self._listening = listening

    def _listen(self) -> None:  # pragma: no cover - every subclass has its own
        raise NotImplementedError


class PostgresSignal(_ListenerSignal):
    """PostgreSQL: ``NOTIFY`` with the change, a ``LISTEN`` thread per process."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    def announce(self, session: Session) -> None:
        session.execute(text(f"NOTIFY {CHANNEL}"))

    def _listen(self) -> None:
        import psycopg

        url = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        warned = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    # Anything cached before LISTEN took effect may be stale: start afresh.
                    self._bump(listening=True)
                    if warned:
                        log.info("API key cache: listening for client changes again")
                    warned = False
                    while not self._stop.is_set():
                        for _note in conn.notifies(timeout=0.5):
                            self._bump()
            except Exception as exc:  # noqa: BLE001 - any failure: stop trusting the cache
                self._bump(listening=False)
                if not warned:
                    log.warning("API key cache: not listening for client changes (%s)", exc)
                    warned = True
                self._stop.wait(_RECONNECT_AFTER)
        self._bump(listening=False)


class RedisSignal(_ListenerSignal):
    """Redis pub/sub: ``PUBLISH`` after each change, a subscriber thread per process."""

    _thread_name = "trustid-key-cache-redis"

    def __init__(self, client: redis.Redis, channel: str) -> None:
        super().__init__()
        self._redis = client
        self.channel = channel

    def announce(self, session: Session) -> None:
        return None

    def after_commit(self) -> None:
        self._bump()
        try:
            self._redis.publish(self.channel, b"changed")
        except RedisError as exc:
            # The database's own signal (and the TTL) still reach the other processes.
            log.warning("API key cache: could not publish the change on Redis (%s)", exc)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            idle = self._thread is None
        if idle:  # otherwise the listener closes the client when it stops
            self._redis.close()

    def _listen(self) -> None:
        try:
            self._subscribe_until_stopped()
        finally:
            self._redis.close()

    def _subscribe_until_stopped(self) -> None:
        warned = False
        while not self._stop.is_set():
            pubsub = self._redis.pubsub()  # type: ignore[no-untyped-call]  # untyped in redis-py
            try:
                pubsub.subscribe(self.channel)
                # Use the cache only once Redis confirmed: no later change can be missed.
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "subscribe":
                        break
                self._bump(listening=True)
                if warned:
                    log.info("API key cache: subscribed to client changes on Redis again")
                warned = False
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is not None and message["type"] == "message":
                        self._bump()
            except Exception as exc:  # noqa: BLE001 - any failure: stop trusting the cache
                self._bump(listening=False)
                if not warned:
                    log.warning("API key cache: not subscribed on Redis (%s)", exc)
                    warned = True
                self._stop.wait(_RECONNECT_AFTER)
            finally:
                pubsub.close()
        self._bump(listening=False)


class CompositeSignal:
    """Several signals at once: a change is announced on all; the cache is used only while
    every one of them is live, and dropped when any of them moves."""

    def __init__(self, *signals: ChangeSignal) -> None:
        self.signals = signals

    def announce(self, session: Session) -> None:
        for signal in self.signals:
            signal.announce(session)

    def after_commit(self) -> None:
        for signal in self.signals:
            signal.after_commit()

    def generation(self) -> object | None:
        generations = tuple(signal.generation() for signal in self.signals)
        return None if None in generations else generations

    def close(self) -> None:
        for signal in self.signals:
            signal.close()


def redis_channel(prefix: str) -> str:
    """The pub/sub channel of client changes under a deployment's key prefix."""
    return f"{prefix}:clients"


def signal_for(
    engine: Engine, *, redis_url: str | None = None, redis_prefix: str = "trustid:ratelimit"
) -> ChangeSignal:
    """The change signal fitting the engine's database, plus Redis when configured.

    Raises:
        ValueError: ``redis_url`` is not a valid Redis URL.
    """
    name = engine.dialect.name
    own: ChangeSignal
    if name == "postgresql":
        own = PostgresSignal(engine)
    elif name == "sqlite" and engine.url.database and engine.url.database != ":memory:":
        own = StampFileSignal(Path(engine.url.database))
    else:
        own = TTLOnlySignal()
    if not redis_url:
        return own
    client = redis.Redis.from_url(
        redis_url, socket_connect_timeout=0.5, socket_timeout=5, health_check_interval=30
    )
    return CompositeSignal(own, RedisSignal(client, redis_channel(redis_prefix)))


class KeyCache(Generic[V]):
    """Key hash -> authenticated client, for the TTL, for one generation of the clients."""

    def __init__(
        self,
        signal: ChangeSignal,
        *,
        ttl: float = KEY_CACHE_TTL,
        size: int = KEY_CACHE_SIZE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.signal = signal
        self._entries: TTLCache[str, V] = TTLCache(maxsize=size, ttl=ttl, timer=monotonic)
        self._generation: object | None = None
        self._lock = threading.Lock()
        self.enabled = ttl > 0

    def get(self, key_hash: str) -> tuple[V | None, object | None]:
        """The cached client of a key hash (None: ask the database) and the generation
        to :meth:`put` what the database answers under (read before asking it)."""
        if not self.enabled:
            return None, None
        generation = self.signal.generation()
        with self._lock:
            if generation is None or generation != self._generation:
                self._entries.clear()
                self._generation = generation
                return None, generation
            return self._entries.get(key_hash), generation

    def put(self, key_hash: str, value: V, generation: object | None) -> None:
        """Keep a client read from the database under ``generation`` (read before the query)."""
        if not self.enabled or generation is None:
            return
        with self._lock:
            if generation == self._generation:
                self._entries[key_hash] = value

    def clear(self) -> None:
        """Forget everything (this process changed the clients)."""
        with self._lock:
            self._entries.clear()
            self._generation = None
