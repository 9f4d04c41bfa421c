"""JSON Schemas from ``credentialSchema.id``, only on the did:web issuer's host."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vcore.clock import Clock, system_clock
from vcore.errors import TrustIDError
from vcore.integrity import integrity_of
from vcore.jsontext import loads_strict
from vcore.outbound import check_url, did_web_url, url_host_port
from verifier.errors import EvidenceError, SchemaUnavailableError
from verifier.resolution.evidence import EvidenceBundle, SchemaEvidence
from verifier.resolution.fetcher import EventSink, Fetcher, no_events
from verifier.resolution.keys import NEGATIVE_TTL, DidMethod, did_method
from verifier.resolution.single_flight import SingleFlight

__all__ = ["SCHEMA_MAX_BYTES", "SCHEMA_TTL", "SchemaResolver", "SchemaUnavailableError"]

SCHEMA_MAX_BYTES = 256 * 1024
SCHEMA_TTL = timedelta(hours=1)


@dataclass
class _CachedSchema:
    evidence: SchemaEvidence
    expires_at: datetime


class SchemaResolver:
    """JSON Schemas from ``credentialSchema.id``, only on the did:web issuer's host."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        clock: Clock = system_clock,
        events: EventSink = no_events,
    ) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._events = events
        self._cache: dict[str, _CachedSchema] = {}
        self._flight: SingleFlight[_CachedSchema] = SingleFlight()

    async def get(
        self, url: str, issuer: str, *, evidence: EvidenceBundle | None = None
    ) -> Mapping[str, Any] | None:
        """The schema at ``url``, or None when it is not fetched (not the issuer's host).

        Raises:
            TrustIDError: it could not be fetched or is not a JSON object.
        """
        if did_method(issuer) is not DidMethod.WEB:
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
        if evidence is not None:
            evidence.add_schema(cached.evidence)
        return schema_in(cached.evidence)

    def integrity(self, url: str) -> frozenset[str]:
        """The SRI tokens of the bytes last fetched from ``url`` (empty when none)."""
        cached = self._cache.get(url)
        return frozenset() if cached is None else cached.evidence.integrity

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
                raise SchemaUnavailableError("not a JSON object")
            entry = _CachedSchema(
                SchemaEvidence(
                    url, schema, None, self._clock(), integrity=integrity_of(fetched.body)
                ),
                self._clock() + SCHEMA_TTL,
            )
        except TrustIDError as exc:
            error = SchemaUnavailableError(exc.detail)
            entry = _CachedSchema(
                SchemaEvidence(url, None, error, self._clock()), self._clock() + NEGATIVE_TTL
            )
        self._cache[url] = entry
        return entry


def schema_in(evidence: SchemaEvidence) -> Mapping[str, Any]:
    """The recorded schema.

    Raises:
        TrustIDError: the recorded error.
    """
    if evidence.error is not None:
        raise evidence.error
    if evidence.schema is None:
        raise EvidenceError(f"no schema is recorded for {evidence.url}")
    return evidence.schema
