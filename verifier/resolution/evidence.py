"""The evidence a decision was made on: one serialisable bundle per verification.

What the verifier fetched (the trust list, DID documents or JWKS, status-list tokens,
schemas), each with its fetch time, and what could not be fetched (the error's code and
detail). The online resolvers record into an :class:`EvidenceBundle` while a verification
runs; :mod:`verifier.resolution.offline` answers from one with no network, so the same
decision can be made again later, elsewhere (an auditor, an offline counter).

Nothing in a bundle is trusted because it is in the bundle: status-list tokens are
verified again with keys from the bundle's documents, a signed trust list again with the
verifier's own trust anchor, and only the documents the verifier itself resolves (trust
listed ``did:web`` issuers) are read from it.

Wire form (JSON, ``type`` ``TrustIDVerificationEvidence``, ``version`` 1)::

    {"type", "version", "verifiedAt",
     "trustList": {"location", "fetchedAt", "document"} | null,
     "didDocuments": [{"did", "url", "kind": "did"|"jwks", "fetchedAt",
                       "document": {...} | "error": {"code", "detail"}}],
     "statusLists": [{"url", "fetchedAt", "stale", "token": "..." | "error": {...}}],
     "schemas": [{"url", "fetchedAt", "schema": {...} | "error": {...}}]}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from vcore.clock import format_datetime, parse_datetime
from vcore.errors import TrustIDError
from verifier.errors import EvidenceError

__all__ = [
    "BUNDLE_TYPE",
    "BUNDLE_VERSION",
    "DocumentEvidence",
    "DocumentKind",
    "EvidenceBundle",
    "SchemaEvidence",
    "StatusListEvidence",
    "TrustListEvidence",
    "error_from_json",
]

BUNDLE_TYPE = "TrustIDVerificationEvidence"
BUNDLE_VERSION = 1
MAX_ENTRIES = 10_000


class DocumentKind(StrEnum):
    """Where an issuer's keys came from."""

    DID = "did"
    """A did:web DID document."""
    JWKS = "jwks"
    """``/.well-known/jwks.json`` of a host-only did:web without a DID document."""


@dataclass(frozen=True)
class TrustListEvidence:
    """The trust list as loaded: its text (plain JSON or a ``trustlist+jwt``)."""

    location: str
    document: str
    fetched_at: datetime


@dataclass(frozen=True)
class DocumentEvidence:
    """A did:web issuer's DID document or JWKS, or why it could not be had."""

    did: str
    url: str | None
    kind: DocumentKind
    document: Mapping[str, Any] | None
    error: TrustIDError | None
    fetched_at: datetime


@dataclass(frozen=True)
class StatusListEvidence:
    """A status-list token as fetched (verified again on every use), or the error."""

    url: str
    token: str | None
    error: TrustIDError | None
    fetched_at: datetime
    stale: bool = False


@dataclass(frozen=True)
class SchemaEvidence:
    """A credential schema, or why it could not be had."""

    url: str
    schema: Mapping[str, Any] | None
    error: TrustIDError | None
    fetched_at: datetime
    integrity: frozenset[str] = frozenset()
    """SRI tokens of the fetched bytes (``vcore.integrity.integrity_of``); empty if unknown."""


@dataclass
class EvidenceBundle:
    """Everything one verification (or batch) was decided on.

    Resolvers record into it with the ``add_*`` methods; a good copy of a thing wins over
    an error recorded for it, and a copy fetched later over one fetched earlier.
    """

    verified_at: datetime | None = None
    trust_list: TrustListEvidence | None = None
    documents: dict[str, DocumentEvidence] = field(default_factory=dict)
    status_lists: dict[str, StatusListEvidence] = field(default_factory=dict)
    schemas: dict[str, SchemaEvidence] = field(default_factory=dict)

    def add_document(self, evidence: DocumentEvidence) -> None:
        """Record the DID document (or JWKS) a key was taken from."""
        _put(self.documents, evidence.did, evidence)

    def add_status_list(self, evidence: StatusListEvidence) -> None:
        """Record a status list (or the error that stood for it)."""
        _put(self.status_lists, evidence.url, evidence)

    def add_schema(self, evidence: SchemaEvidence) -> None:
        """Record a schema (or the error that stood for it)."""
        _put(self.schemas, evidence.url, evidence)

    # ------------------------------------------------------------------- wire form

    def to_json(self) -> dict[str, Any]:
        """The JSON form (see the module docstring)."""
        trust = self.trust_list
        return {
            "type": BUNDLE_TYPE,
            "version": BUNDLE_VERSION,
            "verifiedAt": None if self.verified_at is None else format_datetime(self.verified_at),
            "trustList": None
            if trust is None
            else {
                "location": trust.location,
                "fetchedAt": format_datetime(trust.fetched_at),
                "document": trust.document,
            },
            "didDocuments": [_document_json(d) for d in self.documents.values()],
            "statusLists": [_status_json(s) for s in self.status_lists.values()],
            "schemas": [_schema_json(s) for s in self.schemas.values()],
        }

    @classmethod
    def from_json(cls, value: object) -> EvidenceBundle:
        """Parse the JSON form.

        Raises:
            EvidenceError: not a bundle of this version, or a malformed entry.
        """
        data = _object(value, "the evidence bundle")
        if data.get("type") != BUNDLE_TYPE or data.get("version") != BUNDLE_VERSION:
            raise EvidenceError(
                f"not a {BUNDLE_TYPE} of version {BUNDLE_VERSION} (type and version members)"
            )
        bundle = cls(verified_at=_time(data.get("verifiedAt"), "verifiedAt", optional=True))
        trust = data.get("trustList")
        if trust is not None:
            trust = _object(trust, "trustList")
            bundle.trust_list = TrustListEvidence(
                location=_text(trust.get("location"), "trustList.location"),
                document=_text(trust.get("document"), "trustList.document"),
                fetched_at=_req_time(trust.get("fetchedAt"), "trustList.fetchedAt"),
            )
        for item in _entries(data, "didDocuments"):
            error = _error(item, "didDocuments")
            document = None if error is not None else _object(item.get("document"), "document")
            url = item.get("url")
            try:
                kind = DocumentKind(item.get("kind", DocumentKind.DID))
            except ValueError as exc:
                raise EvidenceError("didDocuments: kind must be 'did' or 'jwks'") from exc
            bundle.documents[_text(item.get("did"), "didDocuments.did")] = DocumentEvidence(
                did=_text(item.get("did"), "didDocuments.did"),
                url=None if url is None else _text(url, "didDocuments.url"),
                kind=kind,
                document=document,
                error=error,
                fetched_at=_req_time(item.get("fetchedAt"), "didDocuments.fetchedAt"),
            )
        for item in _entries(data, "statusLists"):
            error = _error(item, "statusLists")
            stale = item.get("stale", False)
            if not isinstance(stale, bool):
                raise EvidenceError("statusLists: stale must be a boolean")
            url = _text(item.get("url"), "statusLists.url")
            bundle.status_lists[url] = StatusListEvidence(
                url=url,
                token=None if error is not None else _text(item.get("token"), "statusLists.token"),
                error=error,
                fetched_at=_req_time(item.get("fetchedAt"), "statusLists.fetchedAt"),
                stale=stale,
            )
        for item in _entries(data, "schemas"):
            error = _error(item, "schemas")
            url = _text(item.get("url"), "schemas.url")
            bundle.schemas[url] = SchemaEvidence(
                url=url,
                schema=None if error is not None else _object(item.get("schema"), "schema"),
                error=error,
                fetched_at=_req_time(item.get("fetchedAt"), "schemas.fetchedAt"),
                integrity=_integrity(item.get("integrity")),
            )
        return bundle


def _integrity(value: object) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EvidenceError("schemas.integrity must be a list of strings")
    return frozenset(value)


def _put(table: dict[str, Any], key: str, evidence: Any) -> None:
    # A good copy is never replaced by an error (a batch may fetch a list for several
    # issuers: one host check fails, the next succeeds), nor by an older good copy (a
    # cached status list remembers the DID document it was verified with, which may be
    # older than the one the credential's key came from).
    previous = table.get(key)
    if (
        previous is not None
        and previous.error is None
        and (evidence.error is not None or evidence.fetched_at < previous.fetched_at)
    ):
        return
    table[key] = evidence


def _error_json(error: TrustIDError) -> dict[str, str]:
    return {"code": error.code, "detail": error.detail}


def _document_json(item: DocumentEvidence) -> dict[str, Any]:
    out: dict[str, Any] = {
        "did": item.did,
        "url": item.url,
        "kind": str(item.kind),
        "fetchedAt": format_datetime(item.fetched_at),
    }
    if item.error is not None:
        out["error"] = _error_json(item.error)
    else:
        out["document"] = item.document
    return out


def _status_json(item: StatusListEvidence) -> dict[str, Any]:
    out: dict[str, Any] = {
        "url": item.url,
        "fetchedAt": format_datetime(item.fetched_at),
        "stale": item.stale,
    }
    if item.error is not None:
        out["error"] = _error_json(item.error)
    else:
        out["token"] = item.token
    return out


def _schema_json(item: SchemaEvidence) -> dict[str, Any]:
    out: dict[str, Any] = {"url": item.url, "fetchedAt": format_datetime(item.fetched_at)}
    if item.error is not None:
        out["error"] = _error_json(item.error)
    else:
        out["schema"] = item.schema
        if item.integrity:
            out["integrity"] = sorted(item.integrity)
    return out


# ----------------------------------------------------------------------- parsing


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EvidenceError(f"{what} must be a JSON object")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise EvidenceError(f"{what} must be a non-empty string")
    return value


def _time(value: object, what: str, *, optional: bool = False) -> datetime | None:
    if value is None and optional:
        return None
    try:
        return parse_datetime(_text(value, what))
    except TrustIDError as exc:
        raise EvidenceError(f"{what} is not a date-time: {exc.detail}") from exc


def _req_time(value: object, what: str) -> datetime:
    parsed = _time(value, what)
    assert parsed is not None  # noqa: S101 - _time returns a value unless optional
    return parsed


def _entries(data: Mapping[str, Any], name: str) -> Iterator[dict[str, Any]]:
    items = data.get(name, [])
    if not isinstance(items, list) or len(items) > MAX_ENTRIES:
        raise EvidenceError(f"{name} must be an array of at most {MAX_ENTRIES} entries")
    for item in items:
        yield _object(item, f"an entry of {name}")


def _error(item: Mapping[str, Any], where: str) -> TrustIDError | None:
    if "error" not in item:
        return None
    error = _object(item["error"], f"{where}: error")
    return error_from_json(
        _text(error.get("code"), f"{where}: error.code"),
        _text(error.get("detail"), f"{where}: error.detail"),
    )


def _error_classes() -> dict[str, type[TrustIDError]]:
    classes: dict[str, type[TrustIDError]] = {}
    pending: list[type[TrustIDError]] = [TrustIDError]
    while pending:
        cls = pending.pop(0)
        classes.setdefault(cls.code, cls)  # the most general class of a shared code
        pending.extend(cls.__subclasses__())
    return classes


def error_from_json(code: str, detail: str) -> TrustIDError:
    """The error of a recorded ``code`` (its class, so decisions treat it the same).

    Raises:
        EvidenceError: no error class has that code.
    """
    cls = _error_classes().get(code)
    if cls is None:
        raise EvidenceError(f"unknown error code {code[:80]!r} in the evidence bundle")
    error = cls.__new__(cls)
    TrustIDError.__init__(error, detail)
    return error
