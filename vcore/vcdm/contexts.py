"""Contexts (VCDM 2.0 §4.3) and extensibility (§5.2): a bounded subset of JSON-LD 1.1.

The base context's protected terms may not be redefined by a later inline context,
terms an inline context protects may not be redefined after it, and every IRI an inline
context maps a term to must be an absolute IRI (or a compact IRI / term). A context URL
whose terms are not known here is assumed to define anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vcore.errors import VcdmContextError, VcdmTermRedefinedError
from vcore.vcdm.identifiers import as_list, is_url

__all__ = [
    "EXAMPLES_V2_CONTEXT",
    "MAX_CONTEXTS",
    "MAX_INLINE_CONTEXT_BYTES",
    "TERM_RE",
    "VC2_BASE_TERMS",
    "VC2_CONTEXT",
    "ActiveContext",
    "check_contexts",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_V2_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"

MAX_CONTEXTS = 10
"""At most this many ``@context`` entries (our bound; the spec sets none)."""
MAX_INLINE_CONTEXT_BYTES = 8192
"""An inline context object serialises to at most this many bytes (our bound)."""

VC2_BASE_TERMS: frozenset[str] = frozenset(
    {
        "id",
        "type",
        "description",
        "digestMultibase",
        "digestSRI",
        "mediaType",
        "name",
        "VerifiableCredential",
        "VerifiablePresentation",
        "EnvelopedVerifiableCredential",
        "EnvelopedVerifiablePresentation",
        "JsonSchema",
        "JsonSchemaCredential",
        "BitstringStatusList",
        "BitstringStatusListCredential",
        "BitstringStatusListEntry",
        "DataIntegrityProof",
    }
)
"""Top-level terms of the VC 2.0 base context, all ``@protected`` (§4.3, §5.2).

A conservative subset: every name here is defined by the base context, so refusing an
inline redefinition of it is always right; a term missing here is merely not checked.
"""

_BASE_TERM_DEFINITIONS: Mapping[str, object] = {"id": "@id", "type": "@type"}
"""Redefinitions identical to the base context's are allowed by JSON-LD 1.1 (§4.1.11)."""

TERM_RE = re.compile(r"[^\s:@\"'<>{}|\\^`][^\s:\"'<>{}|\\^`]*")
_JSONLD_CONTEXT_KEYWORDS = frozenset(
    {
        "@base",
        "@direction",
        "@import",
        "@language",
        "@propagate",
        "@protected",
        "@type",
        "@version",
        "@vocab",
    }
)
_TERM_DEFINITION_KEYS = frozenset(
    {
        "@id",
        "@reverse",
        "@type",
        "@language",
        "@context",
        "@container",
        "@direction",
        "@index",
        "@nest",
        "@prefix",
        "@protected",
    }
)


@dataclass
class ActiveContext:
    """The part of a JSON-LD active context these checks need."""

    terms: dict[str, object] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)
    vocab_known: bool = True
    vocab: str | None = None
    open_world: bool = False
    """A context whose terms we do not know was applied: it may define anything."""

    def defines(self, term: str) -> bool:
        """Whether ``term`` may be defined by the contexts applied so far."""
        return self.open_world or term in self.terms


def _check_iri_mapping(value: object, term: str, active: ActiveContext, where: str) -> None:
    """A term maps to a keyword, an absolute IRI, a compact IRI or another term."""
    if not isinstance(value, str):
        raise VcdmContextError(f"{where}: the mapping of term {term!r} must be a string")
    if value.startswith("@"):
        return
    if ":" in value:
        prefix = value.split(":", 1)[0]
        if active.defines(prefix) or is_url(value) or value.startswith("_:"):
            return
        raise VcdmContextError(
            f"{where}: term {term!r} maps to {value[:80]!r}, which is not an absolute IRI "
            "(§4.3: every context must be processable as a JSON-LD context)"
        )
    if not TERM_RE.fullmatch(value):
        raise VcdmContextError(f"{where}: term {term!r} maps to an invalid IRI")


def _apply_inline_context(ctx: Mapping[str, Any], active: ActiveContext, where: str) -> None:
    if len(json.dumps(ctx, separators=(",", ":"))) > MAX_INLINE_CONTEXT_BYTES:
        raise VcdmContextError(
            f"{where}: an inline context may hold at most {MAX_INLINE_CONTEXT_BYTES} bytes"
        )
    protect = ctx.get("@protected", False)
    if not isinstance(protect, bool):
        raise VcdmContextError(f"{where}.@protected must be true or false")
    if "@vocab" in ctx:
        vocab = ctx["@vocab"]
        if vocab is None:
            active.vocab, active.vocab_known = None, True
        elif isinstance(vocab, str):
            _check_iri_mapping(vocab, "@vocab", active, where)
            active.vocab, active.vocab_known = vocab, True
        else:
            raise VcdmContextError(f"{where}.@vocab must be an IRI or null")
    for term, definition in ctx.items():
        if not isinstance(term, str) or not term:
            raise VcdmContextError(f"{where}: empty term")
        if term.startswith("@"):
            if term not in _JSONLD_CONTEXT_KEYWORDS:
                raise VcdmContextError(f"{where}: {term!r} is not a context keyword")
            continue
        if term in active.protected and definition != active.terms.get(term):
            raise VcdmTermRedefinedError(
                f"{where} redefines the protected term {term!r} (§4.3, §5.2: JSON-LD "
                "processors must refuse a context that redefines a protected term)"
            )
        if definition is not None:
            if isinstance(definition, Mapping):
                unknown = sorted(k for k in definition if k not in _TERM_DEFINITION_KEYS)
                if unknown:
                    raise VcdmContextError(
                        f"{where}: term {term!r} has unknown definition keys {unknown}"
                    )
                if "@id" in definition:
                    _check_iri_mapping(definition["@id"], term, active, where)
                elif ":" not in term and active.vocab is None and active.vocab_known:
                    raise VcdmContextError(f"{where}: term {term!r} maps to no IRI")
            else:
                _check_iri_mapping(definition, term, active, where)
        active.terms[term] = definition
        if protect or (isinstance(definition, Mapping) and definition.get("@protected")):
            active.protected.add(term)
        else:
            active.protected.discard(term)


def check_contexts(document: Mapping[str, Any], what: str) -> ActiveContext:
    """§4.3: ``@context`` is an ordered set led by the VC 2.0 context URL.

    Later items are URLs or objects, each processable as a JSON-LD context.
    """
    if "@context" not in document:
        raise VcdmContextError(f"{what} must include a @context property (§4.3)")
    contexts = as_list(document["@context"])
    if not contexts or contexts[0] != VC2_CONTEXT:
        raise VcdmContextError(f"the first item of {what}'s @context must be {VC2_CONTEXT} (§4.3)")
    if len(contexts) > MAX_CONTEXTS:
        raise VcdmContextError(f"@context may list at most {MAX_CONTEXTS} contexts")
    active = ActiveContext(
        terms={term: _BASE_TERM_DEFINITIONS.get(term, term) for term in VC2_BASE_TERMS},
        protected=set(VC2_BASE_TERMS),
        vocab="https://www.w3.org/ns/credentials/issuer-dependent#",
    )
    for number, item in enumerate(contexts[1:], start=1):
        where = f"@context[{number}]"
        if isinstance(item, str):
            if item == VC2_CONTEXT:
                raise VcdmContextError(f"{where} repeats the base context (§4.3)")
            if not is_url(item):
                raise VcdmContextError(f"{where} is not a URL (§4.3)")
            if item == EXAMPLES_V2_CONTEXT:
                active.vocab, active.vocab_known = (
                    "https://www.w3.org/ns/credentials/examples#",
                    True,
                )
            else:
                active.open_world = True
        elif isinstance(item, Mapping):
            _apply_inline_context(item, active, where)
        else:
            raise VcdmContextError(
                f"{where} must be a URL or an object (a JSON-LD context), not "
                f"{type(item).__name__} (§4.3)"
            )
    return active
