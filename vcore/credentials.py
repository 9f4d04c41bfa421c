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
from vcore.errors import ExpiredError, NotYetValidError

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


def build_credential(
    *,
    issuer: str,
    credential_type: str,
    subject: Mapping[str, Any],
    holder: str,
    credential_id: str,
    valid_from: datetime,
    valid_until: datetime | None,
    status: Sequence[Mapping[str, Any]] = (),
    schema: Mapping[str, Any] | None = None,
    contexts: Sequence[str] = (),
) -> dict[str, Any]:
    """Build a VC 2.0 credential (VC Data Model 2.0 §4).

    Args:
        issuer: Issuer DID.
        credential_type: The specific type, e.g. ``ResidentIdentityCredential``.
        subject: Claims about the subject (without ``id``).
        holder: The holder DID, placed as ``credentialSubject.id``.
        credential_id: A ``urn:uuid`` from :func:`new_credential_id`.
        valid_from: Start of validity (aware).
        valid_until: End of validity (aware) or None.
        status: ``BitstringStatusListEntry`` objects; one is kept as an object, more as a list.
        schema: A ``credentialSchema`` object.
        contexts: Extra ``@context`` URLs after the VC 2.0 one.
    """
    credential: dict[str, Any] = {
        "@context": [VC2_CONTEXT, *contexts],
        "id": credential_id,
        "type": ["VerifiableCredential", credential_type],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    credential["credentialSubject"] = {
        "id": holder,
        **{k: v for k, v in subject.items() if k != "id"},
    }
    if status:
        credential["credentialStatus"] = (
            dict(status[0]) if len(status) == 1 else [dict(s) for s in status]
        )
    if schema is not None:
        credential["credentialSchema"] = dict(schema)
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
