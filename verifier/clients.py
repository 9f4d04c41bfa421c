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

    def __init__(self, engine: Engine, *, clock: Clock = system_clock) -> None:
        self._engine = engine
        self._clock = clock

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
        return info, key

    def list(self) -> list[ClientInfo]:
        """All clients."""
        with Session(self._engine) as session:
            return [_info(row) for row in storage.list_clients(session)]

    def remove(self, name: str) -> bool:
        """Remove a client (its key stops working at once)."""
        with Session(self._engine) as session, session.begin():
            return storage.remove_client(session, name)

    def any(self) -> bool:
        """True once any client exists."""
        with Session(self._engine) as session:
            return storage.any_clients(session)

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
        with Session(self._engine) as session:
            row = storage.client_by_key_hash(session, hash_api_key(key))
            if row is None:
                raise UnauthorizedError(f"the API key is unknown to this verifier; {_GET_KEY}")
            return _info(row)


class RateLimiter:
    """Token bucket per client: ``limit`` requests per minute, bursts up to ``limit``."""

    def __init__(self, default_limit: int, *, monotonic: Callable[[], float] = time.monotonic):
        self._default = default_limit
        self._monotonic = monotonic
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: ClientInfo) -> None:
        """Take one token or refuse.

        Raises:
            RateLimitedError: the bucket is empty (``retry_after`` seconds until a token).
        """
        limit = float(client.rate_limit or self._default)
        rate = limit / 60.0
        now = self._monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client.id, (limit, now))
            tokens = min(limit, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[client.id] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / rate)
                raise RateLimitedError(
                    f"rate limit of {int(limit)} requests per minute exceeded; retry in {wait} s",
                    retry_after=wait,
                )
            self._buckets[client.id] = (tokens - 1.0, now)

    def close(self) -> None:
        """Nothing to release (the :class:`~verifier.ratelimit.Limiter` protocol)."""
        return None
