"""Agency API clients: keys (stored hashed), authentication and per-key rate limits.

Keys are ``tvk_`` + 256 random bits. A high-entropy secret needs no slow password
hash: SHA-256 makes the stored value useless to a database thief, and the lookup by
hash compares in the database index rather than character by character in Python.

Once any client exists, every verification endpoint needs ``Authorization: Bearer``;
with none the verifier is open (development) and says so at start.

Rate limits here are a token bucket per key and per process; with ``TRUSTID_REDIS_URL``
set, :mod:`verifier.ratelimit` counts them across all replicas instead (and falls back
to this bucket while Redis is unreachable).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vcore.clock import Clock, system_clock
from verifier import storage
from verifier.challenges import ChallengePolicy
from verifier.errors import RateLimitedError, UnauthorizedError
from verifier.key_cache import KEY_CACHE_TTL, ChangeSignal, KeyCache, signal_for

__all__ = [
    "API_KEY_PREFIX",
    "ClientExistsError",
    "ClientInfo",
    "ClientRegistry",
    "RateLimiter",
    "hash_api_key",
    "new_api_key",
]

API_KEY_PREFIX = "tvk_"
# The issuer's agency keys (``trustid-issuer agency create``): told apart so that a key
# sent to the wrong service gets the right advice.
_ISSUER_KEY_PREFIX = "tid_"
_GET_KEY = "a verifier key (tvk_...) comes from `trustid-verifier client create NAME`"
_MAX_NAME = 200


class ClientExistsError(Exception):
    """A client with this name already exists."""


@dataclass(frozen=True)
class ClientInfo:
    """A client as the app sees it (never the key itself)."""

    id: int
    name: str
    rate_limit: int | None
    created_at: str
    challenge_policy: ChallengePolicy = ChallengePolicy.SERVER


def new_api_key() -> str:
    """A fresh API key (256 random bits)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """SHA-256 hex of a key, as stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _info(row: storage.ClientRow) -> ClientInfo:
    return ClientInfo(
        row.id,
        row.name,
        row.rate_limit,
        row.created_at.isoformat(),
        ChallengePolicy(row.challenge_policy),
    )


class ClientRegistry:
    """Create, list, remove and authenticate clients."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock = system_clock,
        cache_ttl: float = KEY_CACHE_TTL,
        signal: ChangeSignal | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        # Authenticated keys from memory; dropped at once on any change (verifier.key_cache).
        signal = signal or signal_for(engine)
        self._cache: KeyCache[ClientInfo] = KeyCache(signal, ttl=cache_ttl)
        self._any: KeyCache[bool] = KeyCache(self._cache.signal, ttl=cache_ttl)

    def create(
        self,
        name: str,
        *,
        rate_limit: int | None = None,
        challenge_policy: ChallengePolicy = ChallengePolicy.SERVER,
    ) -> tuple[ClientInfo, str]:
        """Create a client; returns it and its API key (shown once, never stored).

        ``challenge_policy`` :attr:`~ChallengePolicy.CALLER` is opt-in: the client owns its
        presentation challenges (:mod:`verifier.challenges`).

        Raises:
            ValueError: empty or overlong name, or a non-positive rate limit.
            ClientExistsError: the name is taken.
        """
        name = name.strip()
        if not name or len(name) > _MAX_NAME or not name.isprintable():
            raise ValueError(f"client name must be 1 to {_MAX_NAME} printable characters")
        if rate_limit is not None and rate_limit < 1:
            raise ValueError("rate limit must be at least 1 request per minute")
        key = new_api_key()
        try:
            with Session(self._engine) as session, session.begin():
                self._cache.signal.announce(session)
                row = storage.add_client(
                    session,
                    name=name,
                    key_hash=hash_api_key(key),
                    rate_limit=rate_limit,
                    now=self._clock(),
                    challenge_policy=ChallengePolicy(challenge_policy).value,
                )
                info = _info(row)
        except IntegrityError as exc:
            raise ClientExistsError(f"a client named {name!r} already exists") from exc
        self._changed()
        return info, key

    def list(self) -> list[ClientInfo]:
        """All clients."""
        with Session(self._engine) as session:
            return [_info(row) for row in storage.list_clients(session)]

    def remove(self, name: str) -> bool:
        """Remove a client (its key stops working at once)."""
        with Session(self._engine) as session, session.begin():
            self._cache.signal.announce(session)
            removed = storage.remove_client(session, name)
        self._changed()
        return removed

    def _changed(self) -> None:
        self._cache.clear()
        self._any.clear()
        self._cache.signal.after_commit()

    def close(self) -> None:
        """Stop listening for client changes."""
        self._cache.signal.close()

    def any(self) -> bool:
        """True once any client exists (a yes is kept like an authenticated key)."""
        cached, generation = self._any.get("any")
        if cached:
            return True
        with Session(self._engine) as session:
            found = storage.any_clients(session)
        if found:
            self._any.put("any", True, generation)
        return found

    def any_cached(self) -> bool:
        """True when a recent :meth:`any` said yes and nothing changed since (no I/O)."""
        return bool(self._any.get("any")[0])

    def authenticate(self, authorization: str | None) -> ClientInfo | None:
        """The client for an ``Authorization`` header; None when the verifier is open.

        Raises:
            UnauthorizedError: a key is needed and missing, malformed or unknown.
        """
        if authorization is None:
            if not self.any():
                return None
            raise UnauthorizedError(
                f"an API key is required: Authorization: Bearer <key>; {_GET_KEY}"
            )
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() == "bearer" and key.startswith(_ISSUER_KEY_PREFIX):
            raise UnauthorizedError(
                f"this is an issuer API key ({_ISSUER_KEY_PREFIX}...), not a verifier one; "
                + _GET_KEY
            )
        if scheme.lower() != "bearer" or not key.startswith(API_KEY_PREFIX) or len(key) > 128:
            raise UnauthorizedError(
                f"the Authorization header must be 'Bearer <API key>'; {_GET_KEY}"
            )
        key_hash = hash_api_key(key)
        cached, generation = self._cache.get(key_hash)
        if cached is not None:
            return cached
        with Session(self._engine) as session:
            row = storage.client_by_key_hash(session, key_hash)
            if row is None:
                raise UnauthorizedError(f"the API key is unknown to this verifier; {_GET_KEY}")
            info = _info(row)
        self._cache.put(key_hash, info, generation)
        return info

    def authenticate_cached(self, authorization: str | None) -> ClientInfo | None:
        """The client for a header whose key is in the cache, else None (no I/O at all:
        callable on the event loop; on None, call :meth:`authenticate` in a thread)."""
        if authorization is None or len(authorization) > 140:
            return None
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key.startswith(API_KEY_PREFIX):
            return None
        return self._cache.get(hash_api_key(key))[0]


class RateLimiter:
    """Token bucket per client: ``limit`` units per minute, bursts up to ``limit``.

    A request costs one unit, a batch of N costs N, a QR image its decode time
    (:mod:`verifier.ratelimit`). A cost above the whole budget is let through on a full
    bucket and leaves it in debt, so a key whose limit is below its batch size waits
    for its budget instead of being refused for ever.
    """

    blocking = False
    """In memory: cheap enough for the event loop."""

    def __init__(self, default_limit: int, *, monotonic: Callable[[], float] = time.monotonic):
        self._default = default_limit
        self._monotonic = monotonic
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: ClientInfo, cost: int = 1, *, taken: int = 0) -> None:
        """Take ``cost`` units or refuse.

        ``taken``: units this request already took (its first one), so a cost above the
        whole budget needs only what a full budget has left.

        Raises:
            RateLimitedError: not enough units (``retry_after`` seconds until there are).
        """
        limit = float(client.rate_limit or self._default)
        rate = limit / 60.0
        needed = max(0.0, min(float(cost), limit - taken))
        with self._lock:
            tokens, now = self._refill(client.id, limit, rate)
            if tokens < needed:
                wait = max(1, math.ceil((needed - tokens) / rate))
                raise RateLimitedError(
                    f"rate limit of {int(limit)} requests per minute exceeded "
                    f"(this request costs {cost}); retry in {wait} s",
                    retry_after=wait,
                )
            self._buckets[client.id] = (tokens - cost, now)

    def charge(self, client: ClientInfo, cost: int) -> None:
        """Take ``cost`` units for work already done, never refusing (may leave a debt)."""
        limit = float(client.rate_limit or self._default)
        with self._lock:
            tokens, now = self._refill(client.id, limit, limit / 60.0)
            self._buckets[client.id] = (tokens - cost, now)

    def _refill(self, client_id: int, limit: float, rate: float) -> tuple[float, float]:
        """The client's tokens now (stored), and the time they are counted at."""
        now = self._monotonic()
        tokens, last = self._buckets.get(client_id, (limit, now))
        tokens = min(limit, tokens + (now - last) * rate)
        self._buckets[client_id] = (tokens, now)
        return tokens, now

    def close(self) -> None:
        """Nothing to release (the :class:`~verifier.ratelimit.Limiter` protocol)."""
        return None
