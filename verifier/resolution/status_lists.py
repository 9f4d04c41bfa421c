"""Signature-checked status lists per URL with ttl, ETag and stale-if-error.

A list is fresh for its ``ttl`` clamped to [60 s, 1 h], capped by
``TRUSTID_VERIFIER_STATUS_MAX_AGE``; it is revalidated with ``If-None-Match``, served
stale while the issuer is unreachable for at most the stale-if-error window
(``TRUSTID_VERIFIER_STALE_IF_ERROR``, default 1 h, at most 24 h) and refused after that
(fail closed). A request may demand a copy no older than ``max_age`` (a relying party's
``options.maxStatusAge``): a cached copy older than that is refetched, and if only an
older one can be had, the list is unavailable (``status_unavailable``, fail closed).
Concurrent requests for one URL share one fetch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cachetools import LRUCache

from vcore.clock import Clock, from_timestamp, parse_datetime, system_clock
from vcore.errors import (
    OutboundURLError,
    StatusListError,
    StatusUnavailableError,
    TrustIDError,
    UntrustedIssuerError,
)
from vcore.outbound import check_url, did_web_url, url_host_port
from vcore.trust_list import TrustList
from vcore.verify import (
    MAX_STATUS_LIST_TOKEN,
    StatusListSnapshot,
    read_list_unverified,
    verify_list,
)
from verifier.resolution.evidence import DocumentEvidence, EvidenceBundle, StatusListEvidence
from verifier.resolution.fetcher import EventSink, Fetcher, no_events
from verifier.resolution.keys import (
    NEGATIVE_TTL,
    DidMethod,
    KeyResolver,
    KeySource,
    did_method,
    key_in_document,
)
from verifier.resolution.single_flight import SingleFlight

__all__ = [
    "STATUS_TTL_DEFAULT",
    "STATUS_TTL_MAX",
    "STATUS_TTL_MIN",
    "StatusListResolver",
    "clamp_status_ttl",
    "verify_list_token",
]

log = logging.getLogger("trustid.verifier.resolution")

STATUS_TTL_MIN = timedelta(seconds=60)
STATUS_TTL_MAX = timedelta(hours=1)
STATUS_TTL_DEFAULT = timedelta(seconds=300)


def clamp_status_ttl(ttl: timedelta | None, max_age: timedelta | None) -> timedelta:
    """How long a status list is fresh: its ttl in [60 s, 1 h], then the operator's cap."""
    fresh = STATUS_TTL_DEFAULT if ttl is None else min(max(ttl, STATUS_TTL_MIN), STATUS_TTL_MAX)
    if max_age is not None:
        fresh = min(fresh, max_age)
    return max(fresh, timedelta(0))


async def verify_list_token(
    token: str,
    *,
    url: str,
    fetched_at: datetime,
    trust: TrustList,
    keys: KeySource,
) -> tuple[StatusListSnapshot, DocumentEvidence | None]:
    """Check a status-list token: trusted issuer, its key, signature and identity.

    Returns:
        The snapshot and the document its key came from (None for offline DIDs).

    Raises:
        TrustIDError: not a usable list of a trusted issuer.
    """
    unverified = read_list_unverified(token)
    if not trust.is_listed(unverified.issuer):
        raise UntrustedIssuerError("the status list's issuer is not on the trust list")
    key, document = await keys.key_and_document(unverified.kid)
    if key is None:
        assert document is not None  # noqa: S101 - key_and_document returns one of both
        key = key_in_document(document, unverified.kid)
    snapshot = verify_list(unverified, key=key, list_url=url, fetched_at=fetched_at)
    return snapshot, document


@dataclass
class _CachedList:
    snapshot: StatusListSnapshot
    token: str
    signer: DocumentEvidence | None
    etag: str | None
    fresh_until: datetime
    # After a failed refresh: serve the stale copy without retrying until then, so an
    # unreachable issuer costs one timeout per 30 s, not one per verification.
    retry_at: datetime | None = None


STALE_IF_ERROR = timedelta(hours=1)
"""How long a cached list is served while its issuer is unreachable (default)."""
MAX_STALE_IF_ERROR = timedelta(hours=24)


def _describe(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds} s"


class StatusListResolver:
    """Signature-checked status lists per URL with ttl, ETag and stale-if-error."""

    def __init__(
        self,
        fetcher: Fetcher,
        keys: KeyResolver,
        trust: Callable[[], TrustList],
        *,
        max_age: timedelta | None,
        stale_if_error: timedelta = STALE_IF_ERROR,
        clock: Clock = system_clock,
        events: EventSink = no_events,
    ) -> None:
        if not timedelta(0) <= stale_if_error <= MAX_STALE_IF_ERROR:
            raise ValueError("stale-if-error must be between 0 and 24 hours")
        self._stale = stale_if_error
        self._fetcher = fetcher
        self._keys = keys
        self._trust = trust
        self._max_age = max_age
        self._clock = clock
        self._events = events
        self._cache: dict[str, _CachedList] = {}
        self._failures: dict[str, tuple[datetime, StatusUnavailableError]] = {}
        self._flight: SingleFlight[StatusListSnapshot] = SingleFlight()
        self._origins: LRUCache[tuple[str, str], tuple[bool, str]] = LRUCache(4096)

    @property
    def shared_fetches(self) -> int:
        """How many callers were served by another caller's in-flight fetch."""
        return self._flight.shared

    def check_origin(self, url: str, issuer: str) -> str:
        """Refuse a status URL that is not on the issuer's own host (did:web).

        An attacker-chosen ``statusListCredential`` must not make us contact any other
        host. did:jwk/did:key issuers have no host: their URLs only pass the general
        policy (https, public address).

        Raises:
            OutboundURLError: refused.
        """
        # A pure function of (url, issuer) for this process's allow-list: memoised.
        memo_key = (url, issuer)
        known = self._origins.get(memo_key)
        if known is None:
            try:
                known = (True, self._check_origin(url, issuer))
            except OutboundURLError as exc:
                known = (False, exc.detail)
            self._origins[memo_key] = known
        passed, text = known
        if not passed:
            raise OutboundURLError(text)
        return text

    def _check_origin(self, url: str, issuer: str) -> str:
        url = check_url(url, allow_insecure_hosts=self._fetcher.allow)
        if did_method(issuer) is DidMethod.WEB:
            issuer_host = url_host_port(did_web_url(issuer, self._fetcher.allow))
            if url_host_port(url) != issuer_host:
                raise OutboundURLError(
                    f"the status list {url} is not on the issuer's host {issuer_host}"
                )
        return url

    async def get(
        self,
        url: str,
        issuer: str,
        *,
        evidence: EvidenceBundle | None = None,
        max_age: timedelta | None = None,
    ) -> StatusListSnapshot:
        """The status list at ``url`` for a credential of ``issuer``; recorded in ``evidence``.

        Args:
            url: The list's URL.
            issuer: The credential's issuer (the list must be on its host).
            evidence: Where to record what was used.
            max_age: The oldest copy the caller accepts (``options.maxStatusAge``).

        Raises:
            OutboundURLError: the URL is refused.
            StatusUnavailableError: no copy fresh enough (none, older than the
                stale-if-error window, or older than ``max_age``).
        """
        try:
            snapshot = await self._get(url, issuer, max_age)
            age = self._clock() - snapshot.fetched_at
            if max_age is not None and age > max_age:
                raise StatusUnavailableError(
                    f"the freshest copy of the status list is {int(age.total_seconds())} s old;"
                    f" options.maxStatusAge asks for at most {int(max_age.total_seconds())} s"
                )
        except TrustIDError as exc:
            if evidence is not None:
                evidence.add_status_list(StatusListEvidence(url, None, exc, self._clock()))
            raise
        if evidence is not None:
            cached = self._cache[url]
            if cached.signer is not None:
                evidence.add_document(cached.signer)
            evidence.add_status_list(
                StatusListEvidence(url, cached.token, None, snapshot.fetched_at, snapshot.stale)
            )
        return snapshot

    async def _get(
        self, url: str, issuer: str, max_age: timedelta | None = None
    ) -> StatusListSnapshot:
        self.check_origin(url, issuer)
        now = self._clock()
        cached = self._cache.get(url)
        young_enough = cached is not None and (
            max_age is None or now - cached.snapshot.fetched_at <= max_age
        )
        if cached is not None and young_enough and now < cached.fresh_until:
            self._events("status_list", "hit")
            return cached.snapshot
        if (
            cached is not None
            and young_enough
            and cached.retry_at is not None
            and now < cached.retry_at
            and now - cached.snapshot.fetched_at <= self._stale
        ):
            self._events("status_list", "stale")
            return cached.snapshot.with_stale(True)
        failed = self._failures.get(url)
        if cached is None and failed is not None and now < failed[0]:
            self._events("status_list", "unavailable")
            raise failed[1]
        return await self._flight.do(url, lambda: self._refresh(url))

    async def _refresh(self, url: str) -> StatusListSnapshot:
        cached = self._cache.get(url)
        try:
            entry = await self._fetch(url, cached)
        except TrustIDError as exc:
            now = self._clock()
            if cached is not None and now - cached.snapshot.fetched_at <= self._stale:
                cached.retry_at = now + NEGATIVE_TTL
                self._events("status_list", "stale")
                log.warning(
                    "status list %s: using the copy of %s: %s",
                    url,
                    cached.snapshot.fetched_at,
                    exc.detail,
                )
                return cached.snapshot.with_stale(True)
            self._events("status_list", "unavailable")
            error = StatusUnavailableError(
                f"the status list could not be fetched ({exc.detail})"
                + (
                    ""
                    if cached is None
                    else f"; the cached copy is older than {_describe(self._stale)}"
                )
            )
            self._failures[url] = (now + NEGATIVE_TTL, error)
            raise error from exc
        self._failures.pop(url, None)
        self._cache[url] = entry
        return entry.snapshot

    async def _fetch(self, url: str, cached: _CachedList | None) -> _CachedList:
        fetched = await self._fetcher.get(
            url,
            kind="status_list",
            max_bytes=MAX_STATUS_LIST_TOKEN,
            accept="application/vc+jwt, application/statuslist+jwt, application/jwt",
            etag=_revalidation_etag(cached, self._clock()),
        )
        now = self._clock()
        if fetched.status == 304 and cached is not None:
            self._events("status_list", "revalidated")
            old = cached.snapshot
            snapshot = StatusListSnapshot(
                old.list_url,
                old.issuer,
                old.payload,
                now,
                entry_type=old.entry_type,
                decoded=old.decoded,  # the same payload: decoded already
            )
            fresh = clamp_status_ttl(snapshot.ttl, self._max_age)
            etag = fetched.etag or cached.etag
            return _CachedList(snapshot, cached.token, cached.signer, etag, now + fresh)
        self._events("status_list", "miss")
        try:
            text = fetched.body.decode("ascii")
        except UnicodeDecodeError as exc:
            raise StatusListError("the status list is not a compact JWS") from exc
        snapshot, signer = await verify_list_token(
            text, url=url, fetched_at=now, trust=self._trust(), keys=self._keys
        )
        fresh = clamp_status_ttl(snapshot.ttl, self._max_age)
        return _CachedList(snapshot, text, signer, fetched.etag, snapshot.fetched_at + fresh)


def _revalidation_etag(cached: _CachedList | None, now: datetime) -> str | None:
    """The ETag to revalidate with, unless the cached copy is about to expire.

    An issuer whose ETag names only the list content (not the signature) would answer a
    re-signed list with 304, and our copy would run past its ``validUntil``; within an
    hour of that, fetch the whole list instead.
    """
    if cached is None or cached.etag is None:
        return None
    payload = cached.snapshot.payload
    until = payload.get("validUntil")
    try:
        if until is not None:
            expires = parse_datetime(until)
        elif "exp" in payload:  # a Token Status List (statuslist+jwt)
            expires = from_timestamp(payload["exp"])
        else:
            return cached.etag
    except TrustIDError:
        return None
    return cached.etag if expires - now > STATUS_TTL_MAX else None
