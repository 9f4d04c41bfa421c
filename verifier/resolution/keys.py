"""Issuer keys by ``kid``: did:jwk/did:key offline; did:web via its DID document.

DID documents are cached 5 min (failures 30 s); while an issuer is unreachable its last
good document is kept for up to 24 h. Only trust-listed DIDs are resolved as issuers.

A presentation's did:web *holder* is resolved too (:meth:`KeyResolver.holder_key`), with
the same outbound policy (HTTPS, no private addresses, size and time limits), its key
listed under ``authentication``, only once the presentation answered an open challenge,
and in a bounded cache of its own: holders are not trust-listed, so anyone can name one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from cachetools import LRUCache

from vcore.clock import Clock, system_clock
from vcore.dids import is_offline_did, key_from_did_document, parse_did_url, resolve_offline
from vcore.errors import (
    DIDError,
    HolderBindingError,
    OutboundURLError,
    TrustIDError,
    UnknownKeyError,
    UntrustedIssuerError,
)
from vcore.jsontext import loads_strict
from vcore.keys import PublicKey, select_key
from vcore.outbound import did_web_url
from vcore.trust_list import TrustList
from verifier.errors import FetchFailedError
from verifier.resolution.evidence import DocumentEvidence, DocumentKind, EvidenceBundle
from verifier.resolution.fetcher import EventSink, Fetcher, no_events
from verifier.resolution.single_flight import SingleFlight

__all__ = [
    "DID_DOC_MAX_BYTES",
    "DID_TTL",
    "HOLDER_DOC_CACHE",
    "KEY_REFRESH_MIN_AGE",
    "NEGATIVE_TTL",
    "STALE_LIMIT",
    "DidMethod",
    "KeyResolver",
    "KeySource",
    "did_method",
    "key_from_source",
    "key_in_document",
    "resolve_key",
]

log = logging.getLogger("trustid.verifier.resolution")

DID_DOC_MAX_BYTES = 100 * 1024
DID_TTL = timedelta(minutes=5)
NEGATIVE_TTL = timedelta(seconds=30)
KEY_REFRESH_MIN_AGE = timedelta(seconds=30)
STALE_LIMIT = timedelta(hours=24)
"""How long a last good copy (DID document, status list) may stand in for a fresh one."""
HOLDER_DOC_CACHE = 1024
"""Holders' DID documents kept at most (least recently used go first)."""


class DidMethod(StrEnum):
    """The DID methods the verifier resolves."""

    WEB = "web"
    JWK = "jwk"
    KEY = "key"


def did_method(did: str) -> DidMethod | None:
    """The method of a DID (or DID URL); None for another method, or for no DID at all."""
    try:
        method = parse_did_url(did).did.split(":")[1]
    except DIDError:
        return None
    try:
        return DidMethod(method)
    except ValueError:
        return None


_KEY_MEMO_SIZE = 1024
_key_memo: LRUCache[tuple[int, str], tuple[DocumentEvidence, PublicKey]] = LRUCache(_KEY_MEMO_SIZE)
_key_memo_lock = threading.Lock()


def key_in_document(evidence: DocumentEvidence, kid: str) -> PublicKey:
    """The key ``kid`` from a recorded DID document or JWKS.

    The key read from one cached document is memoised (by the document object's
    identity, held so it cannot be reused): parsing the document and the JWK again on
    every verification cost more than the signature check.

    Raises:
        UnknownKeyError, DIDError: the recorded error, or no such usable key.
    """
    memo_key = (id(evidence), kid)
    with _key_memo_lock:
        hit = _key_memo.get(memo_key)
    if hit is not None and hit[0] is evidence:
        return hit[1]
    key = _read_key(evidence, kid)
    with _key_memo_lock:
        _key_memo[memo_key] = (evidence, key)
    return key


def _read_key(evidence: DocumentEvidence, kid: str) -> PublicKey:
    if evidence.error is not None:
        raise evidence.error
    if evidence.document is None:
        raise UnknownKeyError(f"no document is recorded for {evidence.did}")
    if evidence.kind is DocumentKind.JWKS:
        return select_key(evidence.document, kid)
    return key_from_did_document(evidence.document, kid)


def _lacks(evidence: DocumentEvidence, kid: str) -> bool:
    try:
        key_in_document(evidence, kid)
    except UnknownKeyError:
        return True
    except TrustIDError:
        return False
    return False


def resolve_key(kid: str, trust: TrustList) -> tuple[PublicKey | None, str]:
    """The part of key resolution that needs no document: offline DIDs and the trust list.

    Returns:
        ``(key, did)``: the key for a did:jwk/did:key, else ``(None, did)`` to look up.

    Raises:
        UntrustedIssuerError: a DID that needs a document and is not on the trust list.
        DIDError: not a DID URL.
    """
    parsed = parse_did_url(kid)
    if is_offline_did(parsed.did):
        return resolve_offline(kid), parsed.did
    if not trust.is_listed(parsed.did):
        raise UntrustedIssuerError("keys are only resolved for trust-listed issuers")
    return None, parsed.did


class KeySource(Protocol):
    """Where keys come from: the online :class:`KeyResolver` or an evidence bundle."""

    async def key_and_document(self, kid: str) -> tuple[PublicKey | None, DocumentEvidence | None]:
        """``(key, None)`` for an offline DID, else ``(None, the document to read it from)``.

        Raises:
            UntrustedIssuerError, DIDError: see :func:`resolve_key`.
        """
        ...


async def key_from_source(
    source: KeySource, kid: str, *, evidence: EvidenceBundle | None = None
) -> PublicKey:
    """The key for ``kid`` from ``source``; the document it came from goes into ``evidence``.

    Raises:
        UntrustedIssuerError, UnknownKeyError, DIDError: no usable key.
    """
    key, document = await source.key_and_document(kid)
    if evidence is not None and document is not None:
        evidence.add_document(document)
    if key is not None:
        return key
    assert document is not None  # noqa: S101 - key_and_document returns one of both
    return key_in_document(document, kid)


@dataclass
class _CachedDoc:
    evidence: DocumentEvidence
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
        events: EventSink = no_events,
    ) -> None:
        self._fetcher = fetcher
        self._trust = trust
        self._clock = clock
        self._events = events
        self._docs: dict[str, _CachedDoc] = {}
        self._holder_docs: LRUCache[str, _CachedDoc] = LRUCache(HOLDER_DOC_CACHE)
        self._flight: SingleFlight[_CachedDoc] = SingleFlight()

    async def key_for(self, kid: str, *, evidence: EvidenceBundle | None = None) -> PublicKey:
        """The public key for a ``kid`` (DID URL); the document used goes into ``evidence``.

        Raises:
            UntrustedIssuerError: a did:web DID that is not on the trust list.
            UnknownKeyError, DIDError: no such key, or the document is unusable.
        """
        return await key_from_source(self, kid, evidence=evidence)

    async def key_and_document(self, kid: str) -> tuple[PublicKey | None, DocumentEvidence | None]:
        """``(key, None)`` for an offline DID, else ``(None, the document to read it from)``.

        Raises:
            UntrustedIssuerError, DIDError: as for :meth:`key_for`.
        """
        key, did = resolve_key(kid, self._trust())
        if key is not None:
            return key, None
        cached = await self._document(did, refresh=False)
        # The issuer may have rotated keys since we cached its document; refetch,
        # but not more than every 30 s per DID (a random kid must not hammer it).
        if (
            _lacks(cached.evidence, kid)
            and self._clock() - cached.evidence.fetched_at >= KEY_REFRESH_MIN_AGE
        ):
            cached = await self._document(did, refresh=True)
        return None, cached.evidence

    async def holder_key(self, kid: str) -> PublicKey:
        """A presentation holder's key from its did:web document (``authentication``).

        Not gated by the trust list (holders are not listed): call it only for a
        presentation that answered an open challenge. Same outbound policy as issuers;
        no JWKS fallback (a holder's key must be an ``authentication`` method).

        Raises:
            HolderBindingError: not a did:web key id.
            UnknownKeyError, DIDError: the document cannot be had, or lacks the key.
        """
        did = parse_did_url(kid).did
        if did_method(did) is not DidMethod.WEB:
            raise HolderBindingError("only a did:web holder's key is fetched")
        cached = await self._document(did, refresh=False, holder=True)
        evidence = cached.evidence
        if _lacks_holder_key(evidence, kid) and (
            self._clock() - evidence.fetched_at >= KEY_REFRESH_MIN_AGE
        ):
            evidence = (await self._document(did, refresh=True, holder=True)).evidence
        return _holder_key_in(evidence, kid)

    async def _document(self, did: str, *, refresh: bool, holder: bool = False) -> _CachedDoc:
        now = self._clock()
        docs: MutableMapping[str, _CachedDoc] = self._holder_docs if holder else self._docs
        cached = docs.get(did)
        if cached is not None and not refresh and now < cached.expires_at:
            self._events("did", "hit")
            return cached
        self._events("did", "miss")
        flight = f"holder:{did}" if holder else did
        return await self._flight.do(flight, lambda: self._fetch(did, docs, jwks=not holder))

    async def _fetch(
        self, did: str, docs: MutableMapping[str, _CachedDoc], *, jwks: bool = True
    ) -> _CachedDoc:
        try:
            url = did_web_url(did, self._fetcher.allow)
        except TrustIDError as exc:
            # A policy answer, not a fetch: not cached, and recorded as it is.
            return self._failed(did, None, exc)
        try:
            try:
                fetched = await self._fetcher.get(
                    url,
                    kind="did",
                    max_bytes=DID_DOC_MAX_BYTES,
                    accept="application/did+json, application/json",
                )
                kind = DocumentKind.DID
            except FetchFailedError as exc:
                jwks_url = _jwks_url(did, url) if jwks else None
                if jwks_url is None or not exc.not_found:
                    raise
                url = jwks_url
                fetched = await self._fetcher.get(
                    jwks_url, kind="jwks", max_bytes=DID_DOC_MAX_BYTES, accept="application/json"
                )
                kind = DocumentKind.JWKS
            document = loads_strict(fetched.body)
            if not isinstance(document, dict):
                raise DIDError("the DID document is not a JSON object")
            evidence = DocumentEvidence(did, url, kind, document, None, self._clock())
            entry = _CachedDoc(evidence, self._clock() + DID_TTL)
        except (FetchFailedError, OutboundURLError) as exc:
            error: TrustIDError = UnknownKeyError(
                f"could not fetch the DID document of {did}: {exc.detail}"
            )
            entry = self._failed(did, url, error)
        except TrustIDError as exc:
            error = DIDError(f"the DID document of {did} is unusable: {exc.detail}")
            entry = self._failed(did, url, error)
        previous = docs.get(did)
        if (
            entry.evidence.error is not None
            and previous is not None
            and previous.evidence.error is None
            and self._clock() - previous.evidence.fetched_at <= STALE_LIMIT
        ):
            # Keys change rarely and deliberately: while the issuer is unreachable keep
            # its last good document (up to 24 h, like status lists), retrying in 30 s.
            log.warning(
                "DID document of %s: keeping the last good copy: %s", did, entry.evidence.error
            )
            self._events("did", "stale")
            previous.expires_at = self._clock() + NEGATIVE_TTL
            return previous
        docs[did] = entry
        return entry

    def _failed(self, did: str, url: str | None, error: TrustIDError) -> _CachedDoc:
        now = self._clock()
        evidence = DocumentEvidence(did, url, DocumentKind.DID, None, error, now)
        return _CachedDoc(evidence, now + NEGATIVE_TTL)


def _holder_key_in(evidence: DocumentEvidence, kid: str) -> PublicKey:
    if evidence.error is not None:
        raise evidence.error
    if evidence.document is None or evidence.kind is not DocumentKind.DID:
        raise UnknownKeyError(f"no DID document is recorded for {evidence.did}")
    return key_from_did_document(evidence.document, kid, relationship="authentication")


def _lacks_holder_key(evidence: DocumentEvidence, kid: str) -> bool:
    try:
        _holder_key_in(evidence, kid)
    except UnknownKeyError:
        return True
    except TrustIDError:
        return False
    return False


def _jwks_url(did: str, did_url: str) -> str | None:
    if len(did.split(":")) != 3:  # only host-only did:web has a well-known JWKS location
        return None
    return did_url.replace("/.well-known/did.json", "/.well-known/jwks.json")
