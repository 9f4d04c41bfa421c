"""The bundled, hash-pinned JSON-LD contexts and the only document loader we use.

A JSON-LD context decides what every term of a Data Integrity document means, so a
context fetched at verify time would let whoever serves it (or sits on the path) change
what a signature covers (VC-DI §5.2 "Validating Contexts", §6.6 "Data Poisoning"). We
therefore never fetch one: the contexts below ship inside the package, each pinned by its
SHA-256 here, in the code, and every other URL is refused with ``context_not_allowed``.

Why the files are read with :mod:`importlib.resources` when this module is imported
rather than embedded as Python literals: the bytes stay exactly the upstream bytes (so
``sha256sum`` of a file matches the npm package it came from, see ``contexts/manifest.json``
for the provenance of each file), and reading package data at import is the same kind of
read as importing a ``.py`` file (it works from a wheel or a zip too). Nothing is read at
verify time, nothing outside the package is ever read, and a file whose hash differs from
its pin stops the import (fail closed): the verify path stays pure.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

from vcore.errors import ContextNotAllowedError

__all__ = [
    "CREDENTIALS_V2",
    "DATA_INTEGRITY_V2",
    "EXAMPLES_V2",
    "MULTIKEY_V1",
    "PINNED_CONTEXTS",
    "STATUS_LIST_V1",
    "UNDEFINED_TERMS_V2",
    "bundled_context",
    "check_contexts",
    "context_urls",
    "document_loader",
]

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
"""VC Data Model 2.0 base context (VCDM 2.0 §4.3); it also defines ``DataIntegrityProof``."""
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
"""Data Integrity v2 context (VC-DI §2.1), for documents that are not VC 2.0 credentials."""
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
"""Multikey context (CID 1.0 §2.2.2)."""
STATUS_LIST_V1 = "https://www.w3.org/ns/credentials/status/v1"
"""Bitstring Status List v1.0 context."""
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
"""The W3C VC examples context (one ``@vocab``), used by the specs' examples and test suites."""
UNDEFINED_TERMS_V2 = "https://www.w3.org/ns/credentials/undefined-terms/v2"
"""VCDM 2.0 §5.2's opt-in ``@vocab`` for terms no context defines (the base context has none)."""

PINNED_CONTEXTS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        CREDENTIALS_V2: (
            "credentials-v2.jsonld",
            "8a9f494a89ecc51db093e90e84713e07e84d6d9204364a9b3c7868b21751236f",
        ),
        DATA_INTEGRITY_V2: (
            "data-integrity-v2.jsonld",
            "0f77743daf5b4e8fc067fc5ba5b21044283053aa717fc6b0219843bed3b00363",
        ),
        MULTIKEY_V1: (
            "multikey-v1.jsonld",
            "c5f3806f8286920573221938917988a18a4cc5a09e968d29649613c7a1c2b1f6",
        ),
        STATUS_LIST_V1: (
            "bitstring-status-list-v1.jsonld",
            "fd08cbf28ddd829ab2f1978c48f43ab07a112c1c90245a0cfac7ba721c65170c",
        ),
        EXAMPLES_V2: (
            "credentials-examples-v2.jsonld",
            "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
        ),
        UNDEFINED_TERMS_V2: (
            "credentials-undefined-terms-v2.jsonld",
            "82dab514ba44eb18f5d1b0f638c5e140c6a556fbfb5089601bdc0fa5eb8b2581",
        ),
    }
)
"""Context URL -> (bundled file name, SHA-256 of its exact bytes)."""

_MAX_CONTEXT_URLS = 16


def _load_pinned() -> Mapping[str, Any]:
    folder = resources.files("vcore.data_integrity").joinpath("contexts")
    loaded: dict[str, Any] = {}
    for url, (name, digest) in PINNED_CONTEXTS.items():
        data = folder.joinpath(name).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise RuntimeError(f"bundled JSON-LD context {name} does not match its pinned SHA-256")
        loaded[url] = json.loads(data)
    return MappingProxyType(loaded)


_CONTEXTS = _load_pinned()


def bundled_context(url: str) -> dict[str, Any]:
    """A fresh copy of the bundled context document for ``url``.

    Raises:
        ContextNotAllowedError: ``url`` is not one of :data:`PINNED_CONTEXTS`.
    """
    try:
        return copy.deepcopy(_CONTEXTS[url])
    except (KeyError, TypeError):
        raise ContextNotAllowedError(
            f"JSON-LD context {str(url)[:200]!r} is not in the bundled set; contexts are never fetched"
        ) from None


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The pyld document loader: only the bundled contexts (a JSON-LD RemoteDocument).

    Raises:
        ContextNotAllowedError: any other URL.
    """
    del options  # headers, profiles: nothing to negotiate, nothing is fetched
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": bundled_context(url),
    }


def _walk_contexts(value: object, depth: int = 0) -> Iterator[object]:
    if depth > 64:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "@context":
                yield item
            yield from _walk_contexts(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_contexts(item, depth + 1)


def context_urls(document: object) -> list[str]:
    """Every context URL a document refers to, at any depth (inline objects are walked).

    Raises:
        ContextNotAllowedError: a ``@context`` value that is neither a URL string, an
            object nor a list of those, or more than 16 URLs.
    """
    urls: list[str] = []
    for value in _walk_contexts(document):
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, str):
                urls.append(entry)
            elif entry is not None and not isinstance(entry, Mapping):
                raise ContextNotAllowedError("a @context entry must be a URL or an object")
    if len(urls) > _MAX_CONTEXT_URLS:
        raise ContextNotAllowedError(f"more than {_MAX_CONTEXT_URLS} context URLs")
    return urls


def check_contexts(document: object) -> None:
    """Refuse a document that names any context outside the bundled set.

    Run before any processing, for JCS documents as well (they are never expanded, but
    what they mean still comes from their contexts: VC-DI §2.4.1 context validation).

    Raises:
        ContextNotAllowedError: an unknown context URL (the first one is named).
    """
    for url in context_urls(document):
        if url not in PINNED_CONTEXTS:
            raise ContextNotAllowedError(
                f"JSON-LD context {url[:200]!r} is not in the bundled set; contexts are never fetched"
            )
