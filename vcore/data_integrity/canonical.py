"""Canonical forms the cryptosuites hash: RDFC-1.0 N-Quads (pyld) and JCS (RFC 8785).

RDFC-1.0 [RDF-CANON] is computed with pyld's URDNA2015 (RDFC-1.0 is URDNA2015 renamed,
with canonical N-Quads escaping), under three guards:

* **Contexts**: only the bundled, hash-pinned contexts are loaded
  (:mod:`vcore.data_integrity.contexts`); any other URL is ``context_not_allowed``. pyld's
  process-wide context cache is not used: we keep a bounded one of our own.
* **Safe mode**: JSON-LD silently drops a property whose term no context defines, and
  toRdf silently drops a triple with a relative IRI; a signature over the remaining
  triples would then "cover" a document that says more than what was signed. Like
  jsonld.js ``safe: true`` (which Digital Bazaar's verifiers use), we refuse both with
  ``jsonld_undefined_term`` (VC-DI §4.2 and §6 "Data Poisoning").
* **Poisoning**: RDFC's N-degree hashing is exponential on crafted blank-node graphs; we
  cap the blank nodes and the Hash N-Degree Quads calls and refuse beyond them, as
  RDF-CANON §4.4 "dataset poisoning" asks.

Literals with control characters other than tab, LF and CR are refused: pyld writes them
raw, while canonical N-Quads (RDFC-1.0 §4.x, RDF 1.2 N-Quads) escapes them, so the two
would hash differently (``jsonld_invalid`` rather than a false "bad signature").
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, cast

import rfc8785
from cachetools import LRUCache

from vcore.data_integrity.contexts import check_contexts, document_loader
from vcore.errors import (
    ContextNotAllowedError,
    JSONLDError,
    MalformedError,
    TrustIDError,
    UndefinedTermError,
)

__all__ = [
    "MAX_BLANK_NODES",
    "MAX_N_DEGREE_CALLS",
    "canonicalize_jcs",
    "canonicalize_rdfc",
    "expand_safe",
]

MAX_BLANK_NODES = 512
"""Most blank nodes a document may have for RDFC (a credential has a handful)."""
MAX_N_DEGREE_CALLS = 2048
"""Most Hash N-Degree Quads calls one canonicalization may make (dataset poisoning guard)."""

_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _PoisonedError(Exception):
    pass


@functools.cache
def _pyld() -> SimpleNamespace:
    # pyld, imported on first use: it pulls in lxml, which JWT-only callers (the wallet
    # CLI, every ``import vcore.formats``) should not pay for at start-up.
    from pyld import jsonld
    from pyld.canon import URDNA2015
    from pyld.context_resolver import ContextResolver

    class GuardedURDNA2015(URDNA2015):  # type: ignore[misc]
        """URDNA2015 that gives up on graphs built to make it run for ever."""

        def __init__(self) -> None:
            super().__init__()
            self._calls = 0

        def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
            self._calls += 1
            if self._calls > MAX_N_DEGREE_CALLS:
                raise _PoisonedError
            return super().hash_n_degree_quads(id_, issuer)

    return SimpleNamespace(
        jsonld=jsonld, ContextResolver=ContextResolver, URDNA2015=GuardedURDNA2015
    )


# A context cache of our own: pyld's default is a process-wide cache that another user of
# pyld in the process could fill from another loader. Ours only ever holds what our loader
# gave (the pinned contexts) and inline contexts keyed by their own canonical JSON, so
# sharing it between calls is safe and saves re-processing the VC context every time; it
# is bounded (LRU). The resolver itself is made per call: its per-operation cache is an
# unbounded dict. cachetools is not thread-safe, so pyld calls hold _LOCK (pure Python
# under the GIL: little is lost).
_CONTEXT_CACHE: LRUCache[str, Any] = LRUCache(maxsize=64)
_LOCK = threading.Lock()


def _options() -> dict[str, Any]:
    return {
        "documentLoader": document_loader,
        "contextResolver": _pyld().ContextResolver(_CONTEXT_CACHE, document_loader),
        # None, not "": pyld resolves relative IRIs against http://example.org/base/ when
        # the base is "" (its DEFAULT_BASE_IRI); with None they stay relative and the
        # safe-mode check refuses them, as jsonld.js does.
        "base": None,
        "processingMode": "json-ld-1.1",
    }


def _translate(exc: BaseException) -> TrustIDError:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TrustIDError):
            return current
        details = getattr(current, "details", None)
        cause = details.get("cause") if isinstance(details, Mapping) else None
        if isinstance(cause, BaseException):
            current = cause
        else:
            current = current.__cause__ or current.__context__
    kind = getattr(exc, "type", None) or type(exc).__name__
    code = getattr(exc, "code", None)
    return JSONLDError(f"JSON-LD processing failed: {kind}" + (f" ({code})" if code else ""))


def _check_iri(value: object, what: str) -> None:
    if isinstance(value, str) and not (value.startswith("_:") or _ABSOLUTE_IRI.match(value)):
        raise UndefinedTermError(
            f"{what} {value[:100]!r} is a relative IRI; RDF would drop it silently"
        )


def _check_expanded(node: object, depth: int = 0) -> None:
    if depth > 128:
        raise JSONLDError("JSON-LD document nests too deeply")
    if isinstance(node, list):
        for item in node:
            _check_expanded(item, depth + 1)
        return
    if not isinstance(node, Mapping):
        return
    if "@value" in node:
        value, datatype = node.get("@value"), node.get("@type")
        if datatype != "@json":
            if datatype is not None:
                _check_iri(datatype, "datatype")
            if isinstance(value, str) and _CONTROL.search(value):
                raise JSONLDError(
                    "a literal holds a control character that canonical N-Quads escapes "
                    "differently; refused rather than mis-verified"
                )
        return
    for key, value in node.items():
        if key == "@id":
            _check_iri(value, "@id")
        elif key == "@type":
            for item in value if isinstance(value, list) else [value]:
                _check_iri(item, "@type")
        else:
            _check_expanded(value, depth + 1)


def expand_safe(document: Mapping[str, Any]) -> list[Any]:
    """JSON-LD expansion with the bundled contexts only, refusing dropped terms and IRIs.

    Raises:
        ContextNotAllowedError: a context outside the bundled set.
        UndefinedTermError: a property no context defines, or a relative IRI.
        JSONLDError: any other JSON-LD error.
    """
    check_contexts(document)
    dropped: list[str | None] = []
    try:
        processor = _pyld().jsonld.JsonLdProcessor(on_property_dropped=dropped.append)
        with _LOCK:
            expanded = processor.expand(dict(document), _options())
    except (ContextNotAllowedError, UndefinedTermError):
        raise
    except Exception as exc:  # pyld raises JsonLdError, KeyError, TypeError...
        raise _translate(exc) from exc
    if dropped:
        name = dropped[0]
        raise UndefinedTermError(
            f"term {str(name)[:100]!r} is not defined by the document's contexts; "
            "JSON-LD would drop it silently"
        )
    _check_expanded(expanded)
    return cast(list[Any], expanded)


def canonicalize_rdfc(document: Mapping[str, Any]) -> bytes:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, UTF-8 (vc-di-eddsa §3.2.3).

    Raises:
        ContextNotAllowedError: a context outside the bundled set.
        UndefinedTermError: a dropped term or a relative IRI (safe mode).
        JSONLDError: JSON-LD errors, too many blank nodes, or a poisoned dataset.
    """
    expanded = expand_safe(document)
    try:
        with _LOCK:
            dataset = _pyld().jsonld.JsonLdProcessor().to_rdf(expanded, _options())
    except Exception as exc:  # see expand_safe
        raise _translate(exc) from exc
    blank = {
        term["value"]
        for triples in dataset.values()
        for triple in triples
        for term in triple.values()
        if isinstance(term, Mapping) and term.get("type") == "blank node"
    }
    if len(blank) > MAX_BLANK_NODES:
        raise JSONLDError(f"more than {MAX_BLANK_NODES} blank nodes")
    try:
        canonical = _pyld().URDNA2015().main(dataset, {"format": "application/n-quads"})
    except _PoisonedError:
        raise JSONLDError("RDF canonicalization stopped: the dataset looks poisoned") from None
    except Exception as exc:  # see expand_safe
        raise _translate(exc) from exc
    return cast(str, canonical).encode("utf-8")


def canonicalize_jcs(value: object) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme, UTF-8 (vc-di-eddsa §3.3.3).

    Raises:
        MalformedError: the value has no canonical form (an integer beyond 2**53, NaN).
    """
    try:
        return rfc8785.dumps(value)  # type: ignore[arg-type]  # checked by rfc8785 itself
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise MalformedError(f"no JCS canonical form: {exc}") from exc
