"""The VC Data Model 2.0 credential document: build it, name its type, check its validity.

How a credential is *secured* (``vc+jwt``, VC-JWT 1.1, Data Integrity...) is the business
of :mod:`vcore.formats`; every format parses into the same normalised VC 2.0 view
(:class:`vcore.formats.SecuredCredential`), and the document-level rules live here.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from vcore.clock import format_datetime
from vcore.errors import ExpiredError, MalformedError, NotYetValidError

__all__ = [
    "DEFAULT_LEEWAY",
    "VC1_CONTEXT",
    "VC2_CONTEXT",
    "build_credential",
    "check_validity",
    "credential_type_of",
    "new_credential_id",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
DEFAULT_LEEWAY = timedelta(seconds=60)
"""Clock leeway on validity checks (DESIGN §4)."""


class _Validity(Protocol):
    @property
    def valid_from(self) -> datetime | None: ...  # pragma: no cover - protocol

    @property
    def valid_until(self) -> datetime | None: ...  # pragma: no cover - protocol


def new_credential_id(rng: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh ``urn:uuid`` (UUIDv4, 122 random bits) from an injectable source."""
    return uuid.UUID(bytes=rng(16), version=4).urn


def credential_type_of(types: Sequence[str]) -> str:
    """The specific type of a credential: its first type other than VerifiableCredential."""
    for name in types:
        if name != "VerifiableCredential":
            return name
    return "VerifiableCredential"


_CORE_MEMBERS = frozenset(
    {
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "validUntil",
        "credentialSubject",
        "credentialStatus",
        "credentialSchema",
        "proof",
    }
)


def _one_or_many(values: Sequence[Mapping[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    return dict(values[0]) if len(values) == 1 else [dict(v) for v in values]


def build_credential(
    *,
    issuer: str | Mapping[str, Any],
    credential_type: str,
    subject: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    holder: str | None,
    credential_id: str,
    valid_from: datetime,
    valid_until: datetime | None,
    status: Sequence[Mapping[str, Any]] = (),
    schema: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    contexts: Sequence[str | Mapping[str, Any]] = (),
    types: Sequence[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a VC 2.0 credential (VC Data Model 2.0 §4).

    The result is not checked here: :func:`vcore.vcdm.check_credential` does that.

    Args:
        issuer: Issuer DID, or an issuer object (``id`` plus ``name`` / ``description``).
        credential_type: The specific type, e.g. ``ResidentIdentityCredential``.
        subject: Claims about the subject (without ``id``), or a list of whole subject
            objects (then ``holder`` must be None).
        holder: The holder DID, placed as ``credentialSubject.id``; None for none.
        credential_id: A ``urn:uuid`` from :func:`new_credential_id`, or another URL.
        valid_from: Start of validity (aware).
        valid_until: End of validity (aware) or None.
        status: ``credentialStatus`` entries; one is kept as an object, more as a list.
        schema: A ``credentialSchema`` object, or a list of them (one kept as an object).
        contexts: Extra ``@context`` URLs or objects after the VC 2.0 one.
        types: The whole ``type`` list, when it is more than VerifiableCredential and
            ``credential_type``.
        extra: Further members (``name``, ``description``, ``evidence``, ``termsOfUse``,
            ``refreshService``, ``relatedResource`` ...), placed after the core members.

    Raises:
        MalformedError: ``extra`` holds a member this function sets, or a list of
            subjects comes with a ``holder``.
    """
    members = dict(extra or {})
    clash = sorted(_CORE_MEMBERS & set(members))
    if clash:
        raise MalformedError(f"extra members {clash} are set by build_credential itself")
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT, *contexts],
        "id": credential_id,
        "type": list(types) if types is not None else ["VerifiableCredential", credential_type],
    }
    for name in ("name", "description"):
        if name in members:
            credential[name] = members.pop(name)
    credential["issuer"] = issuer if isinstance(issuer, str) else dict(issuer)
    credential["validFrom"] = format_datetime(valid_from)
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    if isinstance(subject, Mapping):
        claims = {k: v for k, v in subject.items() if k != "id"}
        credential["credentialSubject"] = claims if holder is None else {"id": holder, **claims}
    else:
        if holder is not None:
            raise MalformedError("a list of subjects carries its own ids: pass holder=None")
        subjects = [dict(s) for s in subject]
        credential["credentialSubject"] = subjects[0] if len(subjects) == 1 else subjects
    if status:
        credential["credentialStatus"] = _one_or_many(status)
    if schema is not None:
        schemas = [schema] if isinstance(schema, Mapping) else list(schema)
        if schemas:
            credential["credentialSchema"] = _one_or_many(schemas)
    credential.update(members)
    return credential


def check_validity(
    credential: _Validity, now: datetime, leeway: timedelta = DEFAULT_LEEWAY
) -> None:
    """Check the validity window with clock leeway (DESIGN §4: 60 s).

    Raises:
        NotYetValidError: ``validFrom`` is later than ``now + leeway``.
        ExpiredError: ``validUntil`` is earlier than ``now - leeway``.
    """
    valid_from, valid_until = credential.valid_from, credential.valid_until
    if valid_from is not None and valid_from > now + leeway:
        raise NotYetValidError(f"valid from {format_datetime(valid_from)}")
    if valid_until is not None and valid_until < now - leeway:
        raise ExpiredError(f"expired at {format_datetime(valid_until)}")
