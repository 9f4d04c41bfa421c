"""The trust list from a path or URL, reloaded when it changes."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import anyio.to_thread

from vcore.clock import Clock, system_clock
from vcore.errors import OutboundURLError, TrustIDError, TrustListError
from vcore.keys import PublicKey
from vcore.trust_list import TrustList, check_replacement, load_trust_list
from verifier.resolution.evidence import TrustListEvidence
from verifier.resolution.fetcher import Fetcher

__all__ = ["TRUST_LIST_MAX_BYTES", "ReplayFloor", "TrustListSource"]

log = logging.getLogger("trustid.verifier.resolution")

TRUST_LIST_MAX_BYTES = 4 * 1024 * 1024


class ReplayFloor(Protocol):
    """Where the newest accepted signed list is remembered beyond this process."""

    def floor(self) -> TrustList | None:
        """The ``sequence`` / ``iat`` of the newest list accepted so far, or None."""
        ...

    def record(self, trust: TrustList) -> None:
        """Remember ``trust`` (just accepted) as the newest."""
        ...


class TrustListSource:
    """The trust list from a path or URL, reloaded when it changes.

    A path is re-read when its mtime/size/inode change (checked at most once a second);
    a URL is revalidated with ``If-None-Match`` at most once a minute. A reload that
    fails keeps the last good list and logs the reason: a broken update must neither
    open the verifier up nor take it down. A reloaded list older than the one in force
    (lower ``sequence``, earlier ``iat``) is refused the same way (``trust_list_replayed``),
    and with a ``marks`` floor (the verifier database) a signed list older than any
    accepted before, by this process or another, is refused at start too.

    The list kept is still checked against its ``validUntil`` / ``exp`` at every decision
    (:meth:`TrustList.entry_for`), so a list that expires while no valid replacement
    arrives trusts nobody, and :meth:`health` reports ``expired``.
    """

    def __init__(
        self,
        location: str | None,
        *,
        anchor: PublicKey | None,
        fetcher: Fetcher | None,
        clock: Clock = system_clock,
        path_interval: timedelta = timedelta(seconds=1),
        url_interval: timedelta = timedelta(seconds=60),
        marks: ReplayFloor | None = None,
    ) -> None:
        self.location = location
        self._marks = marks
        self._anchor = anchor
        self._fetcher = fetcher
        self._clock = clock
        self._current = TrustList()
        self._evidence: TrustListEvidence | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._etag: str | None = None
        self._next_check: datetime | None = None
        self._interval = url_interval if self.is_url else path_interval
        self.last_error: str | None = None
        self.last_error_code: str | None = None
        self.loaded_at: datetime | None = None

    @property
    def is_url(self) -> bool:
        """True when the location is an http(s) URL."""
        return bool(self.location) and str(self.location).startswith(("https://", "http://"))

    def current(self) -> TrustList:
        """The last good trust list (empty when none is configured)."""
        return self._current

    def evidence(self) -> TrustListEvidence | None:
        """The text of the last good trust list and when it was loaded (None: no list)."""
        return self._evidence

    async def load(self) -> TrustList:
        """Initial load; errors propagate (the service must not start without its list).

        Raises:
            TrustIDError: the list is missing, unreachable or invalid.
            OSError: the file cannot be read.
        """
        await self._reload(force=True)
        return self._current

    async def maybe_reload(self) -> None:
        """Reload when due and changed; keep the last good list on failure."""
        if not self.location or (self._next_check is not None and self._clock() < self._next_check):
            return
        try:
            await self._reload(force=False)
        except (TrustIDError, OSError) as exc:
            reason = exc.detail if isinstance(exc, TrustIDError) else str(exc)
            if reason != self.last_error:
                log.error("trust list reload failed, keeping the last good list: %s", reason)
            self.last_error = reason
            self.last_error_code = exc.code if isinstance(exc, TrustIDError) else "unreadable"

    def health(self, now: datetime) -> dict[str, object]:
        """The trust list's state for ``/healthz``: no path, URL or message, only codes.

        ``status`` is ``ok``, ``expired`` (the list in force is past its end: every issuer
        is untrusted) or ``not_loaded`` (configured but never loaded); ``reloadError`` is
        the code of the last failed reload while the list in force is kept.
        """
        trust = self._current
        if self.location and self.loaded_at is None:
            status = "not_loaded"
        elif not trust.in_force(now):
            status = "expired"
        else:
            status = "ok"
        return {
            "status": status,
            "configured": bool(self.location),
            "issuers": len(trust),
            "signed": trust.signed,
            "sequence": trust.sequence,
            "validUntil": None if trust.valid_until is None else trust.valid_until.isoformat(),
            "loadedAt": None if self.loaded_at is None else self.loaded_at.isoformat(),
            "reloadError": self.last_error_code,
        }

    async def _reload(self, *, force: bool) -> None:
        self._next_check = self._clock() + self._interval
        if not self.location:
            return
        etag: str | None = None
        if self.is_url:
            fetched = await self._read_url(force=force)
            if fetched is None:
                return
            data, etag = fetched
        else:
            read = self._read_path(force=force)
            if read is None:
                return
            data = read
        now = self._clock()
        candidate = load_trust_list(data, anchor=self._anchor, now=now)
        check_replacement(self._current, candidate)
        if self._marks is not None and candidate.signed:
            floor = await anyio.to_thread.run_sync(self._marks.floor)
            if floor is not None:
                check_replacement(floor, candidate)
            await anyio.to_thread.run_sync(self._marks.record, candidate)
        self._etag = etag
        self._current = candidate
        # load_trust_list accepted it, so it is UTF-8.
        self._evidence = TrustListEvidence(self.location, data.decode("utf-8"), now)
        self.loaded_at = now
        self.last_error = None
        self.last_error_code = None
        log.info("trust list loaded from %s: %d issuer(s)", self.location, len(self._current))

    def _read_path(self, *, force: bool) -> bytes | None:
        path = Path(str(self.location))
        info = os.stat(path)
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if not force and stamp == self._stamp:
            return None
        if info.st_size > TRUST_LIST_MAX_BYTES:
            raise TrustListError("the trust list file is too large")
        data = path.read_bytes()
        self._stamp = stamp
        return data

    async def _read_url(self, *, force: bool) -> tuple[bytes, str | None] | None:
        if self._fetcher is None:
            raise OutboundURLError("no HTTP client to fetch the trust list")
        fetched = await self._fetcher.get(
            str(self.location),
            kind="trust_list",
            max_bytes=TRUST_LIST_MAX_BYTES,
            accept="application/trustlist+jwt, application/json",
            etag=None if force else self._etag,
        )
        if fetched.status == 304:
            return None
        # The ETag is kept only once the body is accepted, so a refused one is retried.
        return fetched.body, fetched.etag
