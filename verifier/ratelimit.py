"""Per-API-key rate limits shared by all verifier replicas through Redis.

With ``TRUSTID_REDIS_URL`` set, every replica counts a key's requests in the same Redis,
so the limit holds for the whole deployment rather than per process. The count is a
sliding-window counter (the current and the previous one-minute window, the previous
weighted by how much of it still overlaps the last 60 s), updated atomically by one Lua
script that also reads the clock from Redis, so replicas with skewed clocks agree.
Keys are ``trustid:ratelimit:<client id>:<window number>`` (prefix:
``TRUSTID_REDIS_KEY_PREFIX``) and expire after two windows.
The script names its keys itself: a standalone Redis (or a primary with replicas) is
supported, Redis Cluster is not.

Without ``TRUSTID_REDIS_URL`` the in-process :class:`~verifier.clients.RateLimiter` is used.

Requests count their cost, not one each: a batch of N items costs N units (refused
before any work when the budget has less), and a QR image costs one unit per started
:data:`QR_DECODE_UNIT` (100 ms) of decoding, charged after the decode (also when it
failed or ran over its budget), so the next request waits for the CPU it used.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis
from redis.exceptions import RedisError

from trustid_http.address_limits import AddressBuckets, AddressLimiter
from verifier.clients import ClientInfo, RateLimiter
from verifier.errors import RateLimitedError

__all__ = [
    "KEY_PREFIX",
    "QR_DECODE_UNIT",
    "Limiter",
    "RedisRateLimiter",
    "SharedAddressLimiter",
    "build_address_limiter",
    "build_limiter",
    "qr_decode_cost",
]

log = logging.getLogger("trustid.verifier")

KEY_PREFIX = "trustid:ratelimit"
WINDOW_SECONDS = 60
RETRY_REDIS_AFTER = 30.0
"""Seconds to stay on the local limiter after Redis failed before trying it again."""

QR_DECODE_UNIT = 0.1
"""Seconds of QR decoding that cost one rate-limit unit (a 2 s budget-breaker costs 20)."""

# KEYS: none (derived from ARGV[1] and Redis' clock). ARGV: prefix, window s, limit, cost,
# needed (what must be left: the cost, at most a full budget), force (1: take the cost
# without refusing, for work already done).
# Returns {allowed (0/1), retry-after seconds (0 when allowed)}.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local needed = tonumber(ARGV[5])
local force = ARGV[6] == '1'
local number = math.floor(now / window)
local elapsed = now - number * window
local current_key = ARGV[1] .. ':' .. number
local prev = tonumber(redis.call('GET', ARGV[1] .. ':' .. (number - 1)) or '0')
local count = tonumber(redis.call('GET', current_key) or '0')
local weight = (window - elapsed) / window
-- needed <= limit: a cost above the whole budget passes on an empty window (then waits).
if force or prev * weight + count + needed <= limit then
  redis.call('INCRBY', current_key, cost)
  redis.call('EXPIRE', current_key, window * 2)
  return {1, 0}
end
local wait
if count + needed <= limit then
  -- the previous window's share must shrink to limit - needed - count
  wait = window * (1 - (limit - needed - count) / prev) - elapsed
else
  -- next window: this one becomes the previous and must shrink to limit - needed
  wait = (window - elapsed) + window * (1 - (limit - needed) / count)
end
return {0, math.max(1, math.ceil(wait))}
"""


def qr_decode_cost(seconds: float) -> int:
    """Rate-limit units of a QR image decoded in ``seconds``: one per started 100 ms."""
    return max(1, math.ceil(seconds / QR_DECODE_UNIT - 1e-9))


class Limiter(Protocol):
    """What the routes need: take a request's cost for a client, or refuse.

    ``blocking``: ``check`` and ``charge`` wait on the network (called from a worker
    thread then).
    """

    blocking: bool

    def check(self, client: ClientInfo, cost: int = 1, *, taken: int = 0) -> None: ...

    def charge(self, client: ClientInfo, cost: int) -> None: ...

    def close(self) -> None: ...


class RedisRateLimiter:
    """A rate limit shared by all replicas through Redis, with a local fallback.

    Failure policy: if Redis is unreachable or errors, the verifier keeps serving and
    counts with the in-process token bucket instead (each replica then allows the full
    rate again), logs one warning per outage, and tries Redis again after
    :data:`RETRY_REDIS_AFTER` seconds. This fails open on purpose: the rate limit is
    abuse protection, not authorisation (the API key check does not depend on Redis),
    and a verification service that stops answering because a counter store is down
    would turn a Redis outage into an outage of every service counter.
    """

    blocking = True

    def __init__(
        self,
        client: redis.Redis,
        default_limit: int,
        *,
        fallback: RateLimiter | None = None,
        prefix: str = KEY_PREFIX,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = client
        self._script = client.register_script(_SLIDING_WINDOW)
        self._default = default_limit
        self._fallback = fallback or RateLimiter(default_limit, monotonic=monotonic)
        self._prefix = prefix
        self._monotonic = monotonic
        self._down_until: float | None = None
        self._lock = threading.Lock()

    def check(self, client: ClientInfo, cost: int = 1, *, taken: int = 0) -> None:
        """Take ``cost`` units for ``client`` from the shared window, or refuse.

        ``taken``: units this request already took (see :class:`RateLimiter`).

        Raises:
            RateLimitedError: the limit is reached (``retry_after`` seconds to wait).
        """
        limit = client.rate_limit or self._default
        needed = max(0, min(cost, limit - taken))
        if not self._take(client, limit, cost, needed, force=False):
            self._fallback.check(client, cost, taken=taken)

    def charge(self, client: ClientInfo, cost: int) -> None:
        """Take ``cost`` units for work already done, never refusing."""
        limit = client.rate_limit or self._default
        if not self._take(client, limit, cost, 0, force=True):
            self._fallback.charge(client, cost)

    def _take(self, client: ClientInfo, limit: int, cost: int, needed: int, *, force: bool) -> bool:
        """True when Redis answered (refusing raises); False: use the local fallback."""
        wait = self.window(str(client.id), limit, cost, needed, force=force)
        if wait is None:
            return False
        if wait:
            raise RateLimitedError(
                f"rate limit of {limit} requests per minute exceeded "
                f"(this request costs {cost}); retry in {wait} s",
                retry_after=wait,
            )
        return True

    def window(
        self, key: str, limit: int, cost: int = 1, needed: int = 1, *, force: bool = False
    ) -> int | None:
        """Take ``cost`` units of ``key``'s shared window: 0 when taken, else the seconds
        to wait; None when Redis is unusable (the caller counts locally)."""
        if not self._redis_usable():
            return None
        try:
            reply = self._script(
                args=[f"{self._prefix}:{key}", WINDOW_SECONDS, limit, cost, needed, int(force)]
            )
        except RedisError as exc:
            self._mark_down(exc)
            return None
        self._mark_up()
        allowed, wait = (int(v) for v in reply)
        return 0 if allowed else max(1, wait)

    def close(self) -> None:
        """Release the connection pool."""
        self._redis.close()

    def _redis_usable(self) -> bool:
        with self._lock:
            return self._down_until is None or self._monotonic() >= self._down_until

    def _mark_down(self, exc: Exception) -> None:
        with self._lock:
            first = self._down_until is None
            self._down_until = self._monotonic() + RETRY_REDIS_AFTER
        if first:
            log.warning(
                "rate limiting: Redis unreachable (%s); counting per process until it is back",
                exc,
            )

    def _mark_up(self) -> None:
        with self._lock:
            recovered = self._down_until is not None
            self._down_until = None
        if recovered:
            log.info("rate limiting: Redis is back; counting across replicas again")


class SharedAddressLimiter:
    """Per-client-address budgets (the anonymous OpenID4VP endpoints) in the same Redis
    window as the API keys' (keys ``<prefix>:addr:<address>``), with the same failure
    policy: in-process buckets while Redis is down."""

    blocking = True

    def __init__(self, shared: RedisRateLimiter, per_minute: int) -> None:
        self._shared = shared
        self._per_minute = per_minute
        self._fallback = AddressBuckets(per_minute)

    def take(self, address: str) -> int | None:
        """None when allowed (one unit taken), else the seconds to wait."""
        wait = self._shared.window("addr:" + address, self._per_minute)
        if wait is None:
            return self._fallback.take(address)
        return wait or None


def build_address_limiter(limiter: Limiter, per_minute: int) -> AddressLimiter | None:
    """The per-address limiter beside ``limiter``: shared through its Redis when it has
    one, else in-process; None when ``per_minute`` is 0 (no limit)."""
    if per_minute <= 0:
        return None
    if isinstance(limiter, RedisRateLimiter):
        return SharedAddressLimiter(limiter, per_minute)
    return AddressBuckets(per_minute)


def build_limiter(
    redis_url: str | None, default_limit: int, *, prefix: str = KEY_PREFIX
) -> Limiter:
    """The shared Redis limiter when ``redis_url`` is set, else the in-process one.

    Raises:
        ValueError: ``redis_url`` is not a valid Redis URL.
    """
    if not redis_url:
        return RateLimiter(default_limit)
    client = redis.Redis.from_url(
        redis_url,
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
        health_check_interval=30,
    )
    return RedisRateLimiter(client, default_limit, prefix=prefix)
