"""The verifier's only network I/O: DID documents, JWKS, status lists, schemas, trust list.

Outbound safety (issue #3 item 6, DESIGN §4 "outbound HTTP"):

* no URL is taken from a token header (``jku``/``x5u``/``jwk`` are refused by
  ``vcore.jose`` before anything gets here);
* DID documents are only fetched for trust-listed ``did:web`` issuers; status lists
  and schemas only from the issuer's own host (``did:web``), or from public https
  URLs for ``did:jwk``/``did:key`` issuers;
* every URL passes :func:`vcore.outbound.check_url` (https only, http just for
  ``TRUSTID_ALLOW_INSECURE_HOSTS``), every resolved address passes
  :func:`vcore.outbound.check_address` twice: before the request (:class:`Fetcher`)
  and at connect time (:class:`trustid_http.outbound.AsyncGuardedTransport`, which connects to the address it
  checked, so DNS rebinding between check and connect gains nothing);
* no redirects, connect 2 s / read 5 s / 10 s overall, bodies read up to a size cap.

Caches: DID documents 5 min (failures 30 s); status lists per URL for their ``ttl``
clamped to [60 s, 1 h], capped by ``TRUSTID_VERIFIER_STATUS_MAX_AGE``, revalidated with
``If-None-Match``, served stale up to 24 h when the issuer is unreachable and refused
after that (fail closed). Concurrent requests for one URL share one fetch.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import anyio
import httpx

from trustid_http.outbound import HostResolver, async_client, resolve_host
from vcore.clock import Clock, parse_datetime, system_clock
from vcore.dids import is_offline_did, key_from_did_document, parse_did_url, resolve_offline
from vcore.errors import (
    DIDError,
    OutboundURLError,
    StatusListError,
    StatusUnavailableError,
    TrustIDError,
    TrustListError,
    UnknownKeyError,
    UntrustedIssuerError,
)
from vcore.jsontext import loads_strict
from vcore.keys import PublicKey, select_key
from vcore.outbound import check_address, check_url, did_web_url, url_host_port
from vcore.trust_list import TrustList, load_trust_list
from vcore.verify import (
    MAX_STATUS_LIST_TOKEN,
    StatusListSnapshot,
    parse_status_list_unverified,
    verify_status_list_token,
)

__all__ = [
    "DID_DOC_MAX_BYTES",
    "EventSink",
    "FetchFailed",
    "Fetched",
    "Fetcher",
    "HostResolver",
    "KeyResolver",
    "SchemaResolver",
    "SchemaUnavailableError",
    "SingleFlight",
    "StatusListResolver",
    "TrustListSource",
    "build_http_client",
    "clamp_status_ttl",
]

log = logging.getLogger("trustid.verifier.resolvers")

DID_DOC_MAX_BYTES = 100 * 1024
SCHEMA_MAX_BYTES = 256 * 1024
TRUST_LIST_MAX_BYTES = 4 * 1024 * 1024
TOTAL_TIMEOUT = 10.0
STATUS_TTL_MIN = timedelta(seconds=60)
STATUS_TTL_MAX = timedelta(hours=1)
STATUS_TTL_DEFAULT = timedelta(seconds=300)
STATUS_STALE_LIMIT = timedelta(hours=24)
DID_TTL = timedelta(minutes=5)
NEGATIVE_TTL = timedelta(seconds=30)
KEY_REFRESH_MIN_AGE = timedelta(seconds=30)
SCHEMA_TTL = timedelta(hours=1)
USER_AGENT = "TrustID-Verifier/0.1"

EventSink = Callable[[str, str], None]
"""``(cache or fetch kind, event)`` -> None; the app counts these in Prometheus."""


def _no_events(kind: str, event: str) -> None:
    return None


def build_http_client(
    allow: frozenset[str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The outbound client: guarded transport, short timeouts, no redirects, no proxies."""
    return async_client(allow, user_agent=USER_AGENT, transport=transport)


# --------------------------------------------------------------------------- fetcher


class FetchFailed(Exception):  # noqa: N818 - reads better at call sites than FetchFailedError
    """A fetch did not produce a usable response (reason in plain words)."""


@dataclass(frozen=True)
class Fetched:
    """A response body read within the limits."""

    status: int
    body: bytes
    etag: str | None
    url: str


class Fetcher:
    """GET with the outbound policy, size cap, no redirects and an overall deadline."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow: frozenset[str],
        resolver: HostResolver = resolve_host,
        events: EventSink = _no_events,
    ) -> None:
        self.client = client
        self.allow = allow
        self._resolve = resolver
        self._events = events

    async def check(self, url: str) -> str:
        """Apply the URL policy and the address policy to ``url``; return it normalised.

        Raises:
            OutboundURLError: refused by policy.
            FetchFailed: the host does not resolve.
        """
        url = check_url(url, allow_insecure_hosts=self.allow)
        parts = httpx.URL(url)
        if _is_ip(parts.host):
            return url
        try:
            addresses = await self._resolve(parts.host, parts.port or _default_port(parts.scheme))
        except OSError as exc:
            raise FetchFailed(f"cannot resolve {parts.host}: {exc}") from exc
        for address in addresses:
            check_address(address, url_host_port(url), self.allow)
        return url

    async def get(
        self,
        url: str,
        *,
        kind: str,
        max_bytes: int,
        accept: str,
        etag: str | None = None,
    ) -> Fetched:
        """Fetch ``url``.

        Returns:
            200 with the body, or 304 (empty body) when ``etag`` still matches.

        Raises:
            OutboundURLError: refused by policy.
            FetchFailed: network error, timeout, redirect, other status, or oversize.
        """
        headers = {"Accept": accept, "Accept-Encoding": "identity"}
        if etag is not None:
            headers["If-None-Match"] = etag
        try:
            with anyio.fail_after(TOTAL_TIMEOUT):
                url = await self.check(url)
                return await self._get(url, kind, headers, max_bytes)
        except TimeoutError as exc:
            self._events(kind, "timeout")
            raise FetchFailed(f"{url} did not answer within {TOTAL_TIMEOUT:.0f} s") from exc
        except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL) as exc:
            self._events(kind, "error")
            raise FetchFailed(f"{url} could not be reached ({type(exc).__name__})") from exc

    async def _get(self, url: str, kind: str, headers: dict[str, str], max_bytes: int) -> Fetched:
        async with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304 and "If-None-Match" in headers:
                self._events(kind, "not_modified")
                return Fetched(304, b"", response.headers.get("etag"), url)
            if response.is_redirect:
                self._events(kind, "refused")
                raise FetchFailed(f"{url} answered with a redirect, which is not followed")
            if response.status_code != 200:
                self._events(kind, f"http_{response.status_code // 100}xx")
                raise FetchFailed(f"{url} answered HTTP {response.status_code}")
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                # We ask for identity: a compressed body could inflate far past the cap
                # inside one chunk before we get to count it (decompression bomb).
                self._events(kind, "refused")
                raise FetchFailed(f"{url} sent a {encoding}-encoded body; not accepted")
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                self._events(kind, "too_large")
                raise FetchFailed(f"{url} is larger than {max_bytes} bytes")
            body = bytearray()
            async for chunk in response.aiter_bytes():  # identity only (checked above)
                body += chunk
                if len(body) > max_bytes:
                    self._events(kind, "too_large")
                    raise FetchFailed(f"{url} is larger than {max_bytes} bytes")
            self._events(kind, "ok")
            return Fetched(200, bytes(body), response.headers.get("etag"), url)


def _default_port(scheme: str) -> int:
    return 80 if scheme == "http" else 443


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


# ----------------------------------------------------------------------- single flight

T = TypeVar("T")


class _Flight(Generic[T]):
    def __init__(self) -> None:
        self.done = anyio.Event()
        self.value: T | None = None
        self.error: Exception | None = None
        self.abandoned = False


class SingleFlight(Generic[T]):
    """Concurrent callers asking for the same key share one in-flight computation."""

    def __init__(self) -> None:
        self._pending: dict[str, _Flight[T]] = {}
        self.shared = 0

    async def do(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` unless it is already running for ``key``; then share its outcome."""
        while (flight := self._pending.get(key)) is not None:
            self.shared += 1
            await flight.done.wait()
            if flight.abandoned:
                continue  # its owner was cancelled: someone has to do the work again
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[return-value]
        flight = _Flight[T]()
        self._pending[key] = flight
        try:
            flight.value = await work()
            return flight.value
        except Exception as exc:
            flight.error = exc
            raise
        except BaseException:
            flight.abandoned = True
            raise
        finally:
            del self._pending[key]
            flight.done.set()


# ------------------------------------------------------------------------------ keys


@dataclass
class _CachedDoc:
    kind: str  # "did" or "jwks"
    document: Mapping[str, Any] | None
    error: TrustIDError | None
    fetched_at: datetime
    expires_at: datetime


class KeyResolver:
    """Issuer keys by ``kid``: did:jwk/did:key offline; did:web via its DID document.

    Falls back to ``/.well-known/jwks.json`` when a host-only did:web has no DID
    document (404). Only trust-listed DIDs are resolved.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        trust: Callable[[], TrustList],
        *,
        clock: Clock = system_clock,
        events: EventSink = _no_events,
    ) -> None:
        self._fetcher = fetcher
        self._trust = trust
        self._clock = clock
        self._events = events
        self._docs: dict[str, _CachedDoc] = {}
        self._flight: SingleFlight[_CachedDoc] = SingleFlight()

    async def key_for(self, kid: str) -> PublicKey:
        """The public key for a ``kid`` (DID URL).

        Raises:
            UntrustedIssuerError: a did:web DID that is not on the trust list.
            UnknownKeyError, DIDError: no such key, or the document is unusable.
        """
        parsed = parse_did_url(kid)
        if is_offline_did(parsed.did):
            return resolve_offline(kid)
        if not self._trust().is_listed(parsed.did):
            raise UntrustedIssuerError("keys are only resolved for trust-listed issuers")
        cached = await self._document(parsed.did, refresh=False)
        try:
            return _key_in(cached, kid)
        except UnknownKeyError:
            # The issuer may have rotated keys since we cached its document; refetch,
            # but not more than every 30 s per DID (a random kid must not hammer it).
            if self._clock() - cached.fetched_at < KEY_REFRESH_MIN_AGE:
                raise
        return _key_in(await self._document(parsed.did, refresh=True), kid)

    async def _document(self, did: str, *, refresh: bool) -> _CachedDoc:
        now = self._clock()
        cached = self._docs.get(did)
        if cached is not None and not refresh and now < cached.expires_at:
            self._events("did", "hit")
            return cached
        self._events("did", "miss")
        return await self._flight.do(did, lambda: self._fetch(did))

    async def _fetch(self, did: str) -> _CachedDoc:
        url = did_web_url(did, self._fetcher.allow)
        try:
            try:
                fetched = await self._fetcher.get(
                    url,
                    kind="did",
                    max_bytes=DID_DOC_MAX_BYTES,
                    accept="application/did+json, application/json",
                )
                kind = "did"
            except FetchFailed as exc:
                jwks_url = _jwks_url(did, url)
                if jwks_url is None or "HTTP 404" not in str(exc):
                    raise
                fetched = await self._fetcher.get(
                    jwks_url, kind="jwks", max_bytes=DID_DOC_MAX_BYTES, accept="application/json"
                )
                kind = "jwks"
            document = loads_strict(fetched.body)
            if not isinstance(document, dict):
                raise DIDError("the DID document is not a JSON object")
            entry = _CachedDoc(kind, document, None, self._clock(), self._clock() + DID_TTL)
        except (FetchFailed, OutboundURLError) as exc:
            error: TrustIDError = UnknownKeyError(
                f"could not fetch the DID document of {did}: {exc}"
            )
            entry = _CachedDoc("did", None, error, self._clock(), self._clock() + NEGATIVE_TTL)
        except TrustIDError as exc:
            error = DIDError(f"the DID document of {did} is unusable: {exc.detail}")
            entry = _CachedDoc("did", None, error, self._clock(), self._clock() + NEGATIVE_TTL)
        previous = self._docs.get(did)
        if (
            entry.error is not None
            and previous is not None
            and previous.error is None
            and self._clock() - previous.fetched_at <= STATUS_STALE_LIMIT
        ):
            # Keys change rarely and deliberately: while the issuer is unreachable keep
            # its last good document (up to 24 h, like status lists), retrying in 30 s.
            log.warning("DID document of %s: keeping the last good copy: %s", did, entry.error)
            self._events("did", "stale")
            previous.expires_at = self._clock() + NEGATIVE_TTL
            return previous
        self._docs[did] = entry
        return entry


def _jwks_url(did: str, did_url: str) -> str | None:
    if len(did.split(":")) != 3:  # only host-only did:web has a well-known JWKS location
        return None
    return did_url.replace("/.well-known/did.json", "/.well-known/jwks.json")


def _key_in(cached: _CachedDoc, kid: str) -> PublicKey:
    if cached.error is not None:
        raise cached.error
    if cached.kind == "jwks":
        return select_key(cached.document, kid)
    return key_from_did_document(cached.document, kid)


# ----------------------------------------------------------------------- status lists


def clamp_status_ttl(ttl: timedelta | None, max_age: timedelta | None) -> timedelta:
    """How long a status list is fresh: its ttl in [60 s, 1 h], then the operator's cap."""
    fresh = STATUS_TTL_DEFAULT if ttl is None else min(max(ttl, STATUS_TTL_MIN), STATUS_TTL_MAX)
    if max_age is not None:
        fresh = min(fresh, max_age)
    return max(fresh, timedelta(0))


@dataclass
class _CachedList:
    snapshot: StatusListSnapshot
    etag: str | None
    fresh_until: datetime
    # After a failed refresh: serve the stale copy without retrying until then, so an
    # unreachable issuer costs one timeout per 30 s, not one per verification.
    retry_at: datetime | None = None


class StatusListResolver:
    """Signature-checked status lists per URL with ttl, ETag and stale-if-error."""

    def __init__(
        self,
        fetcher: Fetcher,
        keys: KeyResolver,
        trust: Callable[[], TrustList],
        *,
        max_age: timedelta | None,
        clock: Clock = system_clock,
        events: EventSink = _no_events,
    ) -> None:
        self._fetcher = fetcher
        self._keys = keys
        self._trust = trust
        self._max_age = max_age
        self._clock = clock
        self._events = events
        self._cache: dict[str, _CachedList] = {}
        self._failures: dict[str, tuple[datetime, StatusUnavailableError]] = {}
        self._flight: SingleFlight[StatusListSnapshot] = SingleFlight()

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
        url = check_url(url, allow_insecure_hosts=self._fetcher.allow)
        if issuer.startswith("did:web:"):
            issuer_host = url_host_port(did_web_url(issuer, self._fetcher.allow))
            if url_host_port(url) != issuer_host:
                raise OutboundURLError(
                    f"the status list {url} is not on the issuer's host {issuer_host}"
                )
        return url

    async def get(self, url: str, issuer: str) -> StatusListSnapshot:
        """The status list at ``url`` for a credential of ``issuer``.

        Raises:
            OutboundURLError: the URL is refused.
            StatusUnavailableError: no copy fresh enough (none, or older than 24 h).
        """
        self.check_origin(url, issuer)
        now = self._clock()
        cached = self._cache.get(url)
        if cached is not None and now < cached.fresh_until:
            self._events("status_list", "hit")
            return cached.snapshot
        if (
            cached is not None
            and cached.retry_at is not None
            and now < cached.retry_at
            and now - cached.snapshot.fetched_at <= STATUS_STALE_LIMIT
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
            snapshot, etag = await self._fetch(url, cached)
        except (FetchFailed, TrustIDError) as exc:
            reason = exc.detail if isinstance(exc, TrustIDError) else str(exc)
            now = self._clock()
            if cached is not None and now - cached.snapshot.fetched_at <= STATUS_STALE_LIMIT:
                cached.retry_at = now + NEGATIVE_TTL
                self._events("status_list", "stale")
                log.warning(
                    "status list %s: using the copy of %s: %s",
                    url,
                    cached.snapshot.fetched_at,
                    reason,
                )
                return cached.snapshot.with_stale(True)
            self._events("status_list", "unavailable")
            error = StatusUnavailableError(
                f"the status list could not be fetched ({reason})"
                + ("" if cached is None else "; the cached copy is more than 24 h old")
            )
            self._failures[url] = (now + NEGATIVE_TTL, error)
            raise error from exc
        self._failures.pop(url, None)
        fresh = clamp_status_ttl(snapshot.ttl, self._max_age)
        self._cache[url] = _CachedList(snapshot, etag, snapshot.fetched_at + fresh)
        return snapshot

    async def _fetch(
        self, url: str, cached: _CachedList | None
    ) -> tuple[StatusListSnapshot, str | None]:
        fetched = await self._fetcher.get(
            url,
            kind="status_list",
            max_bytes=MAX_STATUS_LIST_TOKEN,
            accept="application/vc+jwt, application/jwt",
            etag=_revalidation_etag(cached, self._clock()),
        )
        now = self._clock()
        if fetched.status == 304 and cached is not None:
            self._events("status_list", "revalidated")
            snapshot = StatusListSnapshot(
                cached.snapshot.list_url, cached.snapshot.issuer, cached.snapshot.payload, now
            )
            return snapshot, fetched.etag or cached.etag
        self._events("status_list", "miss")
        try:
            text = fetched.body.decode("ascii")
        except UnicodeDecodeError as exc:
            raise StatusListError("the status list is not a compact JWS") from exc
        unverified = parse_status_list_unverified(text)
        if not self._trust().is_listed(unverified.issuer):
            raise UntrustedIssuerError("the status list's issuer is not on the trust list")
        key = await self._keys.key_for(unverified.kid)
        snapshot = verify_status_list_token(unverified, key=key, list_url=url, fetched_at=now)
        return snapshot, fetched.etag


def _revalidation_etag(cached: _CachedList | None, now: datetime) -> str | None:
    """The ETag to revalidate with, unless the cached copy is about to expire.

    An issuer whose ETag names only the list content (not the signature) would answer a
    re-signed list with 304, and our copy would run past its ``validUntil``; within an
    hour of that, fetch the whole list instead.
    """
    if cached is None or cached.etag is None:
        return None
    until = cached.snapshot.payload.get("validUntil")
    if until is None:
        return cached.etag
    try:
        expires = parse_datetime(until)
    except TrustIDError:
        return None
    return cached.etag if expires - now > STATUS_TTL_MAX else None


# --------------------------------------------------------------------------- schemas


class SchemaUnavailableError(TrustIDError):
    """A credential's schema could not be fetched (reported as a warning, not a failure)."""

    code = "schema_unavailable"
    title = "Schema unavailable"


@dataclass
class _CachedSchema:
    schema: Mapping[str, Any] | None
    error: TrustIDError | None
    expires_at: datetime


class SchemaResolver:
    """JSON Schemas from ``credentialSchema.id``, only on the did:web issuer's host."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        clock: Clock = system_clock,
        events: EventSink = _no_events,
    ) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._events = events
        self._cache: dict[str, _CachedSchema] = {}
        self._flight: SingleFlight[_CachedSchema] = SingleFlight()

    async def get(self, url: str, issuer: str) -> Mapping[str, Any] | None:
        """The schema at ``url``, or None when it is not fetched (not the issuer's host).

        Raises:
            TrustIDError: it could not be fetched or is not a JSON object.
        """
        if not issuer.startswith("did:web:"):
            return None
        try:
            url = check_url(url, allow_insecure_hosts=self._fetcher.allow)
            issuer_host = url_host_port(did_web_url(issuer, self._fetcher.allow))
        except TrustIDError:
            return None
        if url_host_port(url) != issuer_host:
            return None
        cached = self._cache.get(url)
        if cached is None or self._clock() >= cached.expires_at:
            self._events("schema", "miss")
            cached = await self._flight.do(url, lambda: self._fetch(url))
        else:
            self._events("schema", "hit")
        if cached.error is not None:
            raise cached.error
        return cached.schema

    async def _fetch(self, url: str) -> _CachedSchema:
        try:
            fetched = await self._fetcher.get(
                url,
                kind="schema",
                max_bytes=SCHEMA_MAX_BYTES,
                accept="application/schema+json, application/json",
            )
            schema = loads_strict(fetched.body)
            if not isinstance(schema, dict):
                raise StatusListError("not a JSON object")
            entry = _CachedSchema(schema, None, self._clock() + SCHEMA_TTL)
        except (FetchFailed, TrustIDError) as exc:
            reason = exc.detail if isinstance(exc, TrustIDError) else str(exc)
            error = SchemaUnavailableError(reason)
            entry = _CachedSchema(None, error, self._clock() + NEGATIVE_TTL)
        self._cache[url] = entry
        return entry


# ------------------------------------------------------------------------ trust list


class TrustListSource:
    """The trust list from a path or URL, reloaded when it changes.

    A path is re-read when its mtime/size/inode change (checked at most once a second);
    a URL is revalidated with ``If-None-Match`` at most once a minute. A reload that
    fails keeps the last good list and logs the reason: a broken update must neither
    open the verifier up nor take it down.
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
    ) -> None:
        self.location = location
        self._anchor = anchor
        self._fetcher = fetcher
        self._clock = clock
        self._current = TrustList()
        self._stamp: tuple[int, int, int] | None = None
        self._etag: str | None = None
        self._next_check: datetime | None = None
        self._interval = url_interval if self.is_url else path_interval
        self.last_error: str | None = None
        self.loaded_at: datetime | None = None

    @property
    def is_url(self) -> bool:
        """True when the location is an http(s) URL."""
        return bool(self.location) and str(self.location).startswith(("https://", "http://"))

    def current(self) -> TrustList:
        """The last good trust list (empty when none is configured)."""
        return self._current

    async def load(self) -> TrustList:
        """Initial load; errors propagate (the service must not start without its list).

        Raises:
            TrustIDError: the list is missing, unreachable or invalid.
        """
        await self._reload(force=True)
        return self._current

    async def maybe_reload(self) -> None:
        """Reload when due and changed; keep the last good list on failure."""
        if not self.location or (self._next_check is not None and self._clock() < self._next_check):
            return
        try:
            await self._reload(force=False)
        except (TrustIDError, OSError, FetchFailed) as exc:
            reason = exc.detail if isinstance(exc, TrustIDError) else str(exc)
            if reason != self.last_error:
                log.error("trust list reload failed, keeping the last good list: %s", reason)
            self.last_error = reason

    async def _reload(self, *, force: bool) -> None:
        self._next_check = self._clock() + self._interval
        if not self.location:
            return
        if self.is_url:
            data = await self._read_url(force=force)
        else:
            data = self._read_path(force=force)
        if data is None:
            return
        self._current = load_trust_list(data, anchor=self._anchor, now=self._clock())
        self.loaded_at = self._clock()
        self.last_error = None
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

    async def _read_url(self, *, force: bool) -> bytes | None:
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
        self._etag = fetched.etag
        return fetched.body
