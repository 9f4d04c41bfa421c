"""Prometheus metrics, in a registry of the app's own (never the process-global one).

* ``trustid_verifier_verifications_total{kind, result}``: kind = credential,
  presentation, batch_item, qr; result = verified / not_verified.
* ``trustid_verifier_problems_total{kind, code}``: one per failed check code.
* ``trustid_verifier_verification_seconds{kind}``: latency histogram.
* ``trustid_verifier_cache_events_total{cache, event}``: hit, miss, revalidated,
  stale, unavailable for did / status_list / schema.
* ``trustid_verifier_outbound_total{kind, outcome}``: fetch outcomes.
* ``trustid_verifier_requests_rejected_total{code}``: 401, 413, 429 and the like.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "VerifierMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_CACHE_EVENTS = frozenset({"hit", "miss", "revalidated", "stale", "unavailable"})


class VerifierMetrics:
    """The verifier's metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.verifications = Counter(
            "trustid_verifier_verifications",
            "Verifications by kind and result.",
            ["kind", "result"],
            registry=self.registry,
        )
        self.problems = Counter(
            "trustid_verifier_problems",
            "Failed checks by kind and stable code.",
            ["kind", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "trustid_verifier_verification_seconds",
            "Time to verify one request.",
            ["kind"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.cache = Counter(
            "trustid_verifier_cache_events",
            "Cache events (hit, miss, revalidated, stale, unavailable).",
            ["cache", "event"],
            registry=self.registry,
        )
        self.outbound = Counter(
            "trustid_verifier_outbound",
            "Outbound fetch outcomes.",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "trustid_verifier_requests_rejected",
            "Requests refused before verification, by problem code.",
            ["code"],
            registry=self.registry,
        )

    def event(self, kind: str, event: str) -> None:
        """Sink for resolver events: cache events and fetch outcomes."""
        if event in _CACHE_EVENTS:
            self.cache.labels(kind, event).inc()
        else:
            self.outbound.labels(kind, event).inc()

    def record(self, kind: str, verified: bool, codes: list[str], seconds: float | None) -> None:
        """Count one verification (``seconds`` None: timed as part of a batch)."""
        self.verifications.labels(kind, "verified" if verified else "not_verified").inc()
        for code in dict.fromkeys(codes):
            self.problems.labels(kind, code).inc()
        if seconds is not None:
            self.latency.labels(kind).observe(seconds)

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
