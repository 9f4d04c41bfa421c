"""The verifier's only network I/O: DID documents, JWKS, status lists, schemas, trust list.

Outbound safety (DESIGN §4 "outbound HTTP"):

* no URL is taken from a token header (``jku``/``x5u``/``jwk`` are refused by
  ``vcore.jose`` before anything gets here);
* DID documents are only fetched for trust-listed ``did:web`` issuers; status lists
  and schemas only from the issuer's own host (``did:web``), or from public https
  URLs for ``did:jwk``/``did:key`` issuers;
* every URL passes :func:`vcore.outbound.check_url` (https only, http just for
  ``TRUSTID_ALLOW_INSECURE_HOSTS``), every resolved address passes
  :func:`vcore.outbound.check_address` twice: before the request
  (:class:`~verifier.resolution.fetcher.Fetcher`) and at connect time
  (:class:`trustid_http.outbound.AsyncGuardedTransport`, which connects to the address
  it checked, so DNS rebinding between check and connect gains nothing);
* no redirects, connect 2 s / read 5 s / 10 s overall, bodies read up to a size cap.

Modules: ``fetcher`` (GET under the policy), ``single_flight``, ``keys`` (DID
documents, JWKS), ``status_lists``, ``schemas``, ``trust_list_source``, ``evidence``
(the serialisable bundle of what a decision was made on), ``offline`` (resolvers that
answer only from a bundle), ``sources`` (the protocols the service talks to).
"""

from __future__ import annotations

from verifier.errors import FetchFailedError, SchemaUnavailableError
from verifier.resolution.evidence import EvidenceBundle
from verifier.resolution.fetcher import EventSink, Fetched, Fetcher, build_http_client
from verifier.resolution.keys import DID_DOC_MAX_BYTES, KeyResolver
from verifier.resolution.offline import (
    BundleKeys,
    BundleSchemas,
    BundleStatusLists,
    trust_list_from_bundle,
)
from verifier.resolution.schemas import SchemaResolver
from verifier.resolution.single_flight import SingleFlight
from verifier.resolution.sources import Sources
from verifier.resolution.status_lists import StatusListResolver, clamp_status_ttl
from verifier.resolution.trust_list_source import TrustListSource

__all__ = [
    "DID_DOC_MAX_BYTES",
    "BundleKeys",
    "BundleSchemas",
    "BundleStatusLists",
    "EventSink",
    "EvidenceBundle",
    "FetchFailedError",
    "Fetched",
    "Fetcher",
    "KeyResolver",
    "SchemaResolver",
    "SchemaUnavailableError",
    "SingleFlight",
    "Sources",
    "StatusListResolver",
    "TrustListSource",
    "build_http_client",
    "clamp_status_ttl",
    "trust_list_from_bundle",
]
