"""The VC Data Model 2.0 rules for the unsecured document (W3C REC, 15 May 2025).

Every MUST of VCDM 2.0 §4 (and the advanced concepts of §5 that constrain a document's
shape) is one check here with one error class and one stable code, so a refusal names the
rule it broke. The checks are pure functions of the JSON document; they know nothing of
securing mechanisms, keys or time.

* :func:`check_credential` — a verifiable credential (§4.2-§4.11, §5.3-§5.6).
* :func:`check_presentation` — a verifiable presentation (§4.13).
* :func:`check_envelope` — an ``EnvelopedVerifiableCredential`` / ``...Presentation``
  object (§4.13.1, §4.13.2).

Called by the issuer on every credential it is asked to sign and by the VCDM 2.0
credential formats (``vc+jwt``, Data Integrity) when they parse a document.

JSON-LD (§4.3, §5.2): the checks run a small, bounded subset of JSON-LD 1.1 context
processing: the base context's protected terms may not be redefined by a later inline
context, terms an inline context protects may not be redefined after it, every IRI an
inline context maps a term to must be an absolute IRI (or a compact IRI / term), and a
``type`` must map to an IRI (it fails when ``@vocab`` was reset to null and no context
defines it). A context URL whose terms are not known here is assumed to define anything,
so nothing valid is refused for want of knowledge; the Data Integrity format, which
canonicalises, processes contexts in full with the bundled, hash-pinned documents.

Digests of related resources (§5.3) are compared with what is known without fetching:
the digest the specification publishes for the base context (§B.1, which implementations
"MUST treat ... as already retrieved"), and the digests of any resource whose exact bytes
the caller hands in (``resources``); other resources are checked for shape only, since
this module fetches nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vcore.clock import parse_datetime
from vcore.errors import (
    MalformedError,
    VcdmContextError,
    VcdmEnvelopeError,
    VcdmEvidenceError,
    VcdmHolderError,
    VcdmIdentifierError,
    VcdmIssuerError,
    VcdmLanguageValueError,
    VcdmRefreshServiceError,
    VcdmRelatedResourceDigestError,
    VcdmRelatedResourceError,
    VcdmSchemaEntryError,
    VcdmStatusEntryError,
    VcdmSubjectError,
    VcdmTermRedefinedError,
    VcdmTermsOfUseError,
    VcdmTypeError,
    VcdmValidityError,
    VcdmVerifiableCredentialError,
)

__all__ = [
    "EXAMPLES_V2_CONTEXT",
    "MAX_CONTEXTS",
    "MAX_INLINE_CONTEXT_BYTES",
    "MAX_URL_LENGTH",
    "PUBLISHED_DIGESTS",
    "VC2_BASE_TERMS",
    "VC2_CONTEXT",
    "check_credential",
    "check_envelope",
    "check_presentation",
    "is_url",
    "issuer_id_of",
    "parse_date_time_stamp",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_V2_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"

MAX_CONTEXTS = 10
"""At most this many ``@context`` entries (our bound; the spec sets none)."""
MAX_INLINE_CONTEXT_BYTES = 8192
"""An inline context object serialises to at most this many bytes (our bound)."""
MAX_URL_LENGTH = 2048
"""No identifier or context URL is longer than this (our bound)."""

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

PUBLISHED_DIGESTS: Mapping[str, Mapping[str, bytes]] = {
    VC2_CONTEXT: {
        "sha256": bytes.fromhex("59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"),
    },
}
"""Digests published by the specifications, by resource URL and hash algorithm.

VCDM 2.0 §B.1 (W3C Recommendation, 15 May 2025): the SHA2-256 of the base context file.
A ``relatedResource`` naming the base context with another SHA-256 is refused (§5.3).
"""

_BASE_TERM_DEFINITIONS: Mapping[str, object] = {"id": "@id", "type": "@type"}
"""Redefinitions identical to the base context's are allowed by JSON-LD 1.1 (§4.1.11)."""

# RFC 3986 §3.1 scheme, then a body of URI characters (RFC 3987 ucschar allowed); no
# whitespace, controls, or the characters RFC 3986 excludes. Percent-escapes well formed.
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_URL_BODY_RE = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2}|[^\x00-\x7f])+")
_TERM_RE = re.compile(r"[^\s:@\"'<>{}|\\^`][^\s:\"'<>{}|\\^`]*")
# XML Schema 1.1 dateTimeStamp (a dateTime with a mandatory timezone offset), years
# 0001-9999 (what every implementation can represent).
_DATE_TIME_STAMP_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"T(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.\d{1,9})?"
    r"(?P<tz>Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))"
)
_LANGUAGE_TAG_RE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_SRI_RE = re.compile(r"(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})")
_SRI_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}
_MULTIHASH = {0x12: ("sha256", 32), 0x20: ("sha384", 48), 0x13: ("sha512", 64)}
"""Multihash codes of the SHA-2 digests (multicodec table)."""
_RAW_DIGEST = {32: "sha256", 48: "sha384", 64: "sha512"}
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


# -- small shared rules ---------------------------------------------------------------


def is_url(value: object) -> bool:
    """Whether ``value`` is a single absolute URL (VCDM 2.0 §4.4, RFC 3986 §4.3).

    Any scheme (``https:``, ``did:``, ``urn:`` ...); ``http(s)`` needs an authority.
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_URL_LENGTH:
        return False
    scheme, sep, rest = value.partition(":")
    if not sep or not rest or not _SCHEME_RE.fullmatch(scheme):
        return False
    if not _URL_BODY_RE.fullmatch(rest):
        return False
    if scheme.lower() in {"http", "https"}:
        return rest.startswith("//") and len(rest) > 2 and rest[2] not in "/?#"
    return True


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _where(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check_id(node: Mapping[str, Any], path: str, *, required: bool = False) -> None:
    """§4.4: if present, ``id`` is a single URL."""
    if "id" not in node:
        if required:
            raise VcdmIdentifierError(f"{_where(path, 'id')} is required (§4.4)")
        return
    if not is_url(node["id"]):
        raise VcdmIdentifierError(f"{_where(path, 'id')} must be a single URL (§4.4)")


def parse_date_time_stamp(value: object, where: str) -> datetime:
    """An XML Schema ``dateTimeStamp`` (timezone offset mandatory) as aware UTC (§4.9).

    Raises:
        VcdmValidityError: not a string of that form, or not a real instant.
    """
    if not isinstance(value, str) or not _DATE_TIME_STAMP_RE.fullmatch(value):
        raise VcdmValidityError(
            f"{where} must be an XML Schema dateTimeStamp such as 2026-01-02T03:04:05Z (§4.9)"
        )
    match = _DATE_TIME_STAMP_RE.fullmatch(value)
    assert match is not None  # noqa: S101 - fullmatch succeeded just above
    if match["year"] == "0000" or int(match["hour"]) > 23:
        raise VcdmValidityError(f"{where} is not a valid date-time (§4.9)")
    try:
        return parse_datetime(value)
    except MalformedError as exc:
        raise VcdmValidityError(f"{where} is not a valid date-time (§4.9)") from exc


# -- §4.3 contexts and §5.2 extensibility ---------------------------------------------


@dataclass
class _ActiveContext:
    """The part of a JSON-LD active context these checks need."""

    terms: dict[str, object] = field(default_factory=dict)
    protected: set[str] = field(default_factory=set)
    vocab_known: bool = True
    vocab: str | None = None
    open_world: bool = False
    """A context whose terms we do not know was applied: it may define anything."""

    def defines(self, term: str) -> bool:
        return self.open_world or term in self.terms


def _check_iri_mapping(value: object, term: str, active: _ActiveContext, where: str) -> None:
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
    if not _TERM_RE.fullmatch(value):
        raise VcdmContextError(f"{where}: term {term!r} maps to an invalid IRI")


def _apply_inline_context(ctx: Mapping[str, Any], active: _ActiveContext, where: str) -> None:
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


def _check_contexts(document: Mapping[str, Any], what: str) -> _ActiveContext:
    """§4.3: ``@context`` is an ordered set led by the VC 2.0 context URL.

    Later items are URLs or objects, each processable as a JSON-LD context.
    """
    if "@context" not in document:
        raise VcdmContextError(f"{what} must include a @context property (§4.3)")
    contexts = _as_list(document["@context"])
    if not contexts or contexts[0] != VC2_CONTEXT:
        raise VcdmContextError(f"the first item of {what}'s @context must be {VC2_CONTEXT} (§4.3)")
    if len(contexts) > MAX_CONTEXTS:
        raise VcdmContextError(f"@context may list at most {MAX_CONTEXTS} contexts")
    active = _ActiveContext(
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


# -- §4.5 types -----------------------------------------------------------------------


def _check_type_value(
    value: object,
    where: str,
    active: _ActiveContext,
    error: type[VcdmTypeError] | type[Exception] = VcdmTypeError,
) -> list[str]:
    """§4.5: one or more terms and/or absolute URL strings, each mapping to an IRI."""
    items = _as_list(value)
    if not items or not all(isinstance(t, str) and t for t in items):
        raise error(f"{where} must be one or more terms or absolute URLs (§4.5)")
    for item in items:
        if ":" in item:
            prefix = item.split(":", 1)[0]
            if not (is_url(item) or active.defines(prefix)):
                raise error(f"{where}: {item[:80]!r} is not an absolute URL (§4.5)")
        elif not _TERM_RE.fullmatch(item):
            raise error(f"{where}: {item[:80]!r} is not a term (§4.5)")
        elif not active.defines(item) and active.vocab is None and active.vocab_known:
            raise error(
                f"{where}: the term {item!r} is not defined by any @context (§4.5: types "
                "must map to URLs)"
            )
    return items


def _check_typed_objects(
    document: Mapping[str, Any],
    name: str,
    active: _ActiveContext,
    error: type[Exception],
    *,
    id_required: bool = False,
) -> None:
    """An object or a non-empty array of objects, each with a ``type`` (§4.5).

    An ``id``, optional unless ``id_required``, is a single URL (§4.4).
    """
    if name not in document:
        return
    entries = _as_list(document[name])
    if not entries:
        raise error(f"{name} must be one or more objects")
    for number, entry in enumerate(entries):
        where = name if not isinstance(document[name], list) else f"{name}[{number}]"
        if not isinstance(entry, Mapping):
            raise error(f"{where} must be an object")
        if "type" not in entry:
            raise error(f"{where} must have a type (§4.5)")
        _check_type_value(entry["type"], f"{where}.type", active, error)
        if "id" in entry and not is_url(entry["id"]):
            raise error(f"{where}.id must be a single URL (§4.4)")
        if id_required and "id" not in entry:
            raise error(f"{where} must have an id, a URL (§4.11)")


# -- §4.6 names and descriptions ------------------------------------------------------


def _check_language_values(node: Mapping[str, Any], path: str) -> None:
    """§4.6, §11.1: ``name`` / ``description`` are strings or language value objects."""
    for name in ("name", "description"):
        if name not in node:
            continue
        where = _where(path, name)
        values = _as_list(node[name])
        if not values:
            raise VcdmLanguageValueError(f"{where} must not be an empty list (§4.6)")
        for value in values:
            if isinstance(value, str):
                continue
            if not isinstance(value, Mapping) or not isinstance(value.get("@value"), str):
                raise VcdmLanguageValueError(
                    f"{where} must be a string or a language value object (§4.6)"
                )
            extra = sorted(k for k in value if k not in {"@value", "@language", "@direction"})
            if extra:
                raise VcdmLanguageValueError(
                    f"{where}: a language value object holds only @value, @language and "
                    f"@direction, not {extra} (§11.1)"
                )
            language = value.get("@language")
            if language is not None and not (
                isinstance(language, str) and _LANGUAGE_TAG_RE.fullmatch(language)
            ):
                raise VcdmLanguageValueError(f"{where}.@language must be a BCP 47 tag (§11.1)")
            if value.get("@direction", "ltr") not in {"ltr", "rtl"}:
                raise VcdmLanguageValueError(f"{where}.@direction must be ltr or rtl (§11.1)")


# -- §4.7 issuer, §4.8 subject, §4.9 validity -----------------------------------------


def issuer_id_of(credential: Mapping[str, Any]) -> str:
    """The issuer URL of a credential already checked by :func:`check_credential`."""
    issuer = credential["issuer"]
    return str(issuer["id"] if isinstance(issuer, Mapping) else issuer)


def _check_issuer(credential: Mapping[str, Any]) -> None:
    if "issuer" not in credential:
        raise VcdmIssuerError("a verifiable credential must have an issuer property (§4.7)")
    issuer = credential["issuer"]
    if isinstance(issuer, Mapping):
        if not is_url(issuer.get("id")):
            raise VcdmIssuerError("issuer.id must be a URL (§4.7)")
        _check_language_values(issuer, "issuer")
    elif not is_url(issuer):
        raise VcdmIssuerError("issuer must be a URL or an object whose id is a URL (§4.7)")


def _check_subjects(credential: Mapping[str, Any]) -> None:
    if "credentialSubject" not in credential:
        raise VcdmSubjectError("a verifiable credential must have a credentialSubject (§4.8)")
    value = credential["credentialSubject"]
    subjects = _as_list(value)
    if not subjects:
        raise VcdmSubjectError("credentialSubject must be one or more objects (§4.8)")
    for number, subject in enumerate(subjects):
        where = (
            "credentialSubject" if not isinstance(value, list) else f"credentialSubject[{number}]"
        )
        if not isinstance(subject, Mapping):
            raise VcdmSubjectError(f"{where} must be an object (§4.8)")
        if not subject:
            raise VcdmSubjectError(f"{where} must make at least one claim (§4.8)")
        if "id" in subject and not is_url(subject["id"]):
            raise VcdmIdentifierError(f"{where}.id must be a single URL (§4.4)")


def _check_validity(credential: Mapping[str, Any]) -> None:
    valid_from = valid_until = None
    if "validFrom" in credential:
        valid_from = parse_date_time_stamp(credential["validFrom"], "validFrom")
    if "validUntil" in credential:
        valid_until = parse_date_time_stamp(credential["validUntil"], "validUntil")
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise VcdmValidityError("validUntil must not be earlier than validFrom (§4.9)")


# -- §5.3 related resources -----------------------------------------------------------


def _b64decode(text: str, *, urlsafe: bool) -> bytes | None:
    try:
        padded = text + "=" * (-len(text) % 4)
        if urlsafe:
            return base64.b64decode(padded, altchars=b"-_", validate=True)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _base58_decode(text: str) -> bytes | None:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number = 0
    for char in text:
        index = alphabet.find(char)
        if index < 0:
            return None
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


def _sri_digests(value: object, where: str) -> list[tuple[str, bytes]]:
    if not isinstance(value, str) or not value.strip():
        raise VcdmRelatedResourceError(f"{where} must be an SRI hash expression (§5.3)")
    digests = []
    for expression in value.split():
        match = _SRI_RE.fullmatch(expression.split("?", 1)[0])
        digest = _b64decode(match[2], urlsafe=False) if match else None
        if match is None or digest is None or len(digest) != _SRI_LENGTHS[match[1]]:
            raise VcdmRelatedResourceError(
                f"{where}: {expression[:80]!r} is not a sha256/384/512 SRI hash (§5.3)"
            )
        digests.append((match[1], digest))
    return digests


def _multibase_algorithm(digest: bytes) -> tuple[str, bytes] | None:
    """A multibase-decoded digest as (algorithm, bytes): a SHA-2 multihash, or raw."""
    if len(digest) >= 2 and digest[0] in _MULTIHASH:
        name, size = _MULTIHASH[digest[0]]
        if digest[1] == size and len(digest) == size + 2:
            return name, digest[2:]
    raw = _RAW_DIGEST.get(len(digest))
    return None if raw is None else (raw, digest)


def _expected_digests(url: str, resources: Mapping[str, bytes]) -> dict[str, bytes]:
    expected = dict(PUBLISHED_DIGESTS.get(url, {}))
    content = resources.get(url)
    if content is not None:
        for name in ("sha256", "sha384", "sha512"):
            expected[name] = hashlib.new(name, content).digest()
    return expected


def _multibase_digest(value: object, where: str) -> bytes:
    digest = None
    if isinstance(value, str) and len(value) > 1:
        if value[0] == "u":
            digest = _b64decode(value[1:], urlsafe=True)
        elif value[0] == "z":
            digest = _base58_decode(value[1:])
    if digest is None or len(digest) < 16:
        raise VcdmRelatedResourceError(
            f"{where} must be a multibase (u or z) encoded digest (§5.3)"
        )
    return digest


def _check_related_resources(credential: Mapping[str, Any], resources: Mapping[str, bytes]) -> None:
    if "relatedResource" not in credential:
        return
    entries = _as_list(credential["relatedResource"])
    if not entries:
        raise VcdmRelatedResourceError("relatedResource must be one or more objects (§5.3)")
    seen: set[str] = set()
    for number, entry in enumerate(entries):
        where = f"relatedResource[{number}]"
        if not isinstance(entry, Mapping):
            raise VcdmRelatedResourceError(f"{where} must be an object (§5.3)")
        if not is_url(entry.get("id")):
            raise VcdmRelatedResourceError(f"{where}.id is required and must be a URL (§5.3)")
        if entry["id"] in seen:
            raise VcdmRelatedResourceError(f"{where}.id repeats an earlier resource (§5.3)")
        seen.add(entry["id"])
        if "digestSRI" not in entry and "digestMultibase" not in entry:
            raise VcdmRelatedResourceError(
                f"{where} must contain a digestSRI or a digestMultibase (§5.3)"
            )
        if "mediaType" in entry and not isinstance(entry["mediaType"], str):
            raise VcdmRelatedResourceError(f"{where}.mediaType must be a string (§5.3)")
        sri = _sri_digests(entry["digestSRI"], f"{where}.digestSRI") if "digestSRI" in entry else []
        multibase = (
            _multibase_digest(entry["digestMultibase"], f"{where}.digestMultibase")
            if "digestMultibase" in entry
            else None
        )
        expected = _expected_digests(entry["id"], resources)
        given = list(sri)
        if multibase is not None:
            decoded = _multibase_algorithm(multibase)
            if decoded is not None:
                given.append(decoded)
        for algorithm, digest in given:
            if algorithm in expected and expected[algorithm] != digest:
                raise VcdmRelatedResourceDigestError(
                    f"{where}: the {algorithm} digest does not match the resource "
                    f"{entry['id']} (§5.3)"
                )


# -- the public checks ----------------------------------------------------------------


def check_credential(credential: object, *, resources: Mapping[str, bytes] | None = None) -> None:
    """Check every MUST of VCDM 2.0 §4 and §5 that a credential document can break.

    Rules, in order (each error class carries its code):

    * §4.3 contexts: ``@context`` present; first item the VC 2.0 context URL; further
      items URLs or JSON-LD context objects; at most :data:`MAX_CONTEXTS`, each inline
      object at most :data:`MAX_INLINE_CONTEXT_BYTES` (``vcdm_context``); protected
      terms not redefined (``vcdm_term_redefined``, §5.2).
    * §4.4 identifiers: ``id`` of the credential and of each subject a single URL
      (``vcdm_identifier``).
    * §4.5 types: ``type`` present, terms or absolute URLs mapping to IRIs, including
      ``VerifiableCredential`` (``vcdm_type``).
    * §4.6 names and descriptions: strings or language value objects
      (``vcdm_language_value``).
    * §4.7 issuer: a URL or an object whose ``id`` is a URL (``vcdm_issuer``).
    * §4.8 subjects: an object or a non-empty array of objects, each making a claim
      (``vcdm_subject``).
    * §4.9 validity: ``validFrom`` / ``validUntil`` dateTimeStamps, ``validUntil`` not
      before ``validFrom`` (``vcdm_validity``).
    * §4.10 status: each entry has a ``type``, an ``id`` if any is a URL (``vcdm_status``).
    * §4.11 data schemas: each entry has a ``type`` and an ``id`` URL (``vcdm_schema``).
    * §4.12 proofs: each embedded ``proof`` has a ``type`` (``vcdm_type``).
    * §5.3 related resources: objects with a unique ``id`` URL and a digestSRI or
      digestMultibase of the right shape (``vcdm_related_resource``), matching the
      resource where its digest is known (:data:`PUBLISHED_DIGESTS`, or its bytes in
      ``resources``) (``vcdm_digest_mismatch``).
    * §5.4 refresh services, §5.5 terms of use, §5.6 evidence: objects with a ``type``
      (``vcdm_refresh_service``, ``vcdm_terms_of_use``, ``vcdm_evidence``).

    Args:
        credential: The unsecured credential (for ``vc+jwt``, the JWS payload).
        resources: Exact bytes of resources known locally, by URL (for §5.3 digests).

    Raises:
        DataModelError: a subclass naming the rule that failed.
    """
    if not isinstance(credential, Mapping):
        raise VcdmTypeError("a verifiable credential must be a JSON object (§4.2)")
    active = _check_contexts(credential, "a verifiable credential")
    _check_id(credential, "")
    if "type" not in credential:
        raise VcdmTypeError("a verifiable credential must have a type property (§4.5)")
    types = _check_type_value(credential["type"], "type", active)
    if "VerifiableCredential" not in types:
        raise VcdmTypeError("type must include VerifiableCredential (§4.5)")
    _check_language_values(credential, "")
    _check_issuer(credential)
    _check_subjects(credential)
    _check_validity(credential)
    _check_typed_objects(credential, "credentialStatus", active, VcdmStatusEntryError)
    _check_typed_objects(
        credential, "credentialSchema", active, VcdmSchemaEntryError, id_required=True
    )
    _check_typed_objects(credential, "proof", active, VcdmTypeError)
    _check_related_resources(credential, resources or {})
    _check_typed_objects(credential, "refreshService", active, VcdmRefreshServiceError)
    _check_typed_objects(credential, "termsOfUse", active, VcdmTermsOfUseError)
    _check_typed_objects(credential, "evidence", active, VcdmEvidenceError)


def check_envelope(value: object, kind: str = "EnvelopedVerifiableCredential") -> str:
    """Check an enveloped credential or presentation object (§4.13.1, §4.13.2).

    The object's ``@context`` starts with the VC 2.0 context, its ``type`` is ``kind``
    and its ``id`` is a ``data:`` URL (RFC 2397). Which media types are registered is
    the formats' business; this returns the ``id`` for them.

    Raises:
        VcdmEnvelopeError: any of those rules broken.
    """
    if not isinstance(value, Mapping):
        raise VcdmEnvelopeError(f"an {kind} must be an object (§4.13)")
    contexts = _as_list(value.get("@context"))
    if not contexts or contexts[0] != VC2_CONTEXT:
        raise VcdmEnvelopeError(f"the @context of an {kind} must start with {VC2_CONTEXT}")
    if _as_list(value.get("type")) != [kind]:
        raise VcdmEnvelopeError(f"the type of an enveloped object must be {kind}")
    data_url = value.get("id")
    if (
        not isinstance(data_url, str)
        or not data_url.lower().startswith("data:")
        or "," not in data_url
    ):
        raise VcdmEnvelopeError(f"the id of an {kind} must be a data: URL (RFC 2397)")
    return data_url


def _check_holder(presentation: Mapping[str, Any]) -> None:
    if "holder" not in presentation:
        return
    holder = presentation["holder"]
    if isinstance(holder, Mapping):
        if not is_url(holder.get("id")):
            raise VcdmHolderError("holder.id must be a URL (§4.13)")
        _check_language_values(holder, "holder")
    elif not is_url(holder):
        raise VcdmHolderError("holder must be a URL or an object whose id is a URL (§4.13)")


def _check_presented_credentials(
    presentation: Mapping[str, Any], resources: Mapping[str, bytes] | None
) -> None:
    if "verifiableCredential" not in presentation:
        return
    entries = _as_list(presentation["verifiableCredential"])
    for number, entry in enumerate(entries):
        where = f"verifiableCredential[{number}]"
        if not isinstance(entry, Mapping):
            raise VcdmVerifiableCredentialError(
                f"{where} must be a verifiable credential or an enveloped credential object, "
                "not a string, number or URL (§4.13)"
            )
        if "EnvelopedVerifiableCredential" in _as_list(entry.get("type")):
            try:
                check_envelope(entry)
            except VcdmEnvelopeError as exc:
                raise VcdmVerifiableCredentialError(f"{where}: {exc.detail}") from exc
            continue
        if "type" not in entry:
            raise VcdmVerifiableCredentialError(f"{where} has no type (§4.5, §4.13)")
        check_credential(entry, resources=resources)


def check_presentation(
    presentation: object, *, resources: Mapping[str, bytes] | None = None
) -> None:
    """Check the VCDM 2.0 rules of a verifiable presentation (§4.13).

    ``@context`` as for credentials (``vcdm_context``, ``vcdm_term_redefined``); ``id``
    a URL (``vcdm_identifier``); ``type`` includes ``VerifiablePresentation``
    (``vcdm_type``); ``holder`` a URL or an object with an ``id`` URL (``vcdm_holder``);
    each ``verifiableCredential`` an object: an embedded credential (checked in full) or
    an enveloped credential (:func:`check_envelope`) (``vcdm_verifiable_credential``);
    ``termsOfUse`` and ``proof`` entries typed.

    Raises:
        DataModelError: a subclass naming the rule that failed.
    """
    if not isinstance(presentation, Mapping):
        raise VcdmTypeError("a verifiable presentation must be a JSON object (§4.13)")
    active = _check_contexts(presentation, "a verifiable presentation")
    _check_id(presentation, "")
    if "type" not in presentation:
        raise VcdmTypeError("a verifiable presentation must have a type property (§4.13)")
    types = _check_type_value(presentation["type"], "type", active)
    if "VerifiablePresentation" not in types:
        raise VcdmTypeError("type must include VerifiablePresentation (§4.13)")
    _check_holder(presentation)
    _check_presented_credentials(presentation, resources)
    _check_typed_objects(presentation, "termsOfUse", active, VcdmTermsOfUseError)
    _check_typed_objects(presentation, "proof", active, VcdmTypeError)
