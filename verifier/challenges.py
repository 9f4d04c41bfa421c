"""Presentation challenges: issued by the verifier, bound to the caller, single use.

``POST /challenges`` issues a random challenge (192 bits) bound to *who asked*: the API
client, or (while the verifier runs open, without clients) the counter page's session
cookie, or ``anonymous`` for a cookie-less caller in open mode. A presentation is
accepted only with a challenge issued to the same caller and not yet expired (5 min).

The challenge is *checked* before anything is fetched and *consumed* only after the
whole presentation and every credential in it verified: a junk presentation made by
someone who saw the counter's challenge cannot burn it, and the citizen's answer still
works. Consumption is one conditional ``UPDATE`` in the shared database, so two
replicas never accept the same challenge twice (the second gets ``nonce_reused``).

Only SHA-256 digests of challenges and session cookies are stored.

That is the ``server`` challenge policy, every client's default. An API client created
with ``--challenge-policy caller`` owns its challenges instead (the VC-API model: the
relying party generates and tracks them, and passes each in ``options.challenge``): the
presentation must still answer exactly that challenge (and ``options.domain``, or this
verifier's audience), but single use is the caller's to enforce, except for a challenge
this verifier issued to it, which stays single-use. A presentation never goes without a
challenge.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from vcore.clock import Clock, system_clock
from verifier import storage

__all__ = [
    "ANONYMOUS",
    "CHALLENGE_LIFETIME",
    "SESSION_COOKIE",
    "Challenge",
    "ChallengePolicy",
    "ChallengeStore",
    "ChallengeUse",
    "client_caller",
    "new_session_id",
    "session_caller",
]

CHALLENGE_LIFETIME = timedelta(minutes=5)
SESSION_COOKIE = "trustid_counter"
ANONYMOUS = "anonymous"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def client_caller(client_id: int) -> str:
    """The binding of an authenticated API client."""
    return f"client:{client_id}"


def session_caller(session_id: str) -> str:
    """The binding of a counter-page session (its cookie, hashed)."""
    return "session:" + _digest(session_id)


def new_session_id() -> str:
    """A fresh counter-page session id (256 random bits)."""
    return secrets.token_urlsafe(32)


class ChallengePolicy(StrEnum):
    """Who owns an API client's presentation challenges (stored on the client)."""

    SERVER = "server"
    """Issued by ``POST /challenges``, bound to the client, single use (the default)."""
    CALLER = "caller"
    """The client's own (VC-API): matched against ``options``, single use is the client's."""

    @property
    def caller_owned(self) -> bool:
        """True when the client, not this verifier, tracks the challenges."""
        return self is ChallengePolicy.CALLER


@dataclass(frozen=True)
class Challenge:
    """An issued challenge."""

    challenge: str
    expires_at: datetime


class ChallengeUse:
    """Outcomes of :meth:`ChallengeStore.check`."""

    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


class ChallengeStore:
    """Issue, check and consume challenges in the verifier database."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock = system_clock,
        lifetime: timedelta = CHALLENGE_LIFETIME,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.lifetime = lifetime

    def issue(self, caller: str) -> Challenge:
        """A new challenge bound to ``caller`` (expired ones are purged on the way)."""
        now = self._clock()
        value = secrets.token_urlsafe(24)
        expires_at = now + self.lifetime
        with Session(self._engine) as session, session.begin():
            storage.add_challenge(
                session,
                challenge_hash=_digest(value),
                caller=caller,
                expires_at=expires_at,
                now=now,
            )
        return Challenge(value, expires_at)

    def check(self, challenge: str, caller: str) -> str:
        """Whether ``challenge`` was issued to ``caller`` and is still open (nothing changes).

        Returns:
            ``ChallengeUse.OK``, ``UNKNOWN`` (never issued, or issued to another
            caller), ``EXPIRED`` or ``USED``.
        """
        now = self._clock()
        with Session(self._engine) as session:
            row = storage.challenge_by_hash(session, _digest(challenge))
        if row is None or not secrets.compare_digest(row.caller, caller):
            return ChallengeUse.UNKNOWN
        if storage.as_utc(row.expires_at) < now:
            return ChallengeUse.EXPIRED
        if row.used:
            return ChallengeUse.USED
        return ChallengeUse.OK

    def consume(self, challenge: str, caller: str) -> bool:
        """Use the challenge up; False when it was already used (or expired meanwhile).

        One conditional ``UPDATE``: of two replicas racing, exactly one gets True.
        """
        now = self._clock()
        with Session(self._engine) as session, session.begin():
            return storage.consume_challenge(
                session, challenge_hash=_digest(challenge), caller=caller, now=now
            )
