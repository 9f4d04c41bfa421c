"""The format-neutral views every securing mechanism parses into (nothing verified yet).

A credential format (:mod:`vcore.formats.protocols`) turns what it secures, a compact
JWS, an SD-JWT or a JSON-LD document with a ``proof``, into one
:class:`SecuredCredential`: the normalised VC Data Model 2.0 document plus what the
verification pipeline needs to know about the securing layer (issuer, key id,
algorithm, the raw secured form). Presentations likewise become a
:class:`SecuredPresentation`. Both are read *before* any signature is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any

from vcore.clock import parse_datetime
from vcore.credentials import credential_type_of

__all__ = ["Recognition", "SecuredCredential", "SecuredPresentation"]


class Recognition(IntEnum):
    """How sure a format is that a bare value is its own (:func:`vcore.formats.detect`).

    ``CERTAIN``: the value names this format (a ``typ`` header, a cryptosuite).
    ``FALLBACK``: the value has this format's outer shape (say, any compact JWS) but no
    marker; the format parses it only when no other format is certain, and its parser
    then explains what is wrong with it. ``NO``: not this format.
    """

    NO = 0
    FALLBACK = 1
    CERTAIN = 2


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class SecuredCredential:
    """A credential read from its secured form whose signature has NOT been checked.

    Attributes:
        format: The registry key of the format that parsed it (``vc+jwt``, ``ldp_vc``...).
        credential: The normalised VC Data Model 2.0 document (``issuer`` as a string id,
            ``type`` as a list, dates as VC 2.0 dateTimeStamps).
        token: The secured form as text: the compact serialisation, or the compact JSON
            of a document-secured credential. It identifies the credential in a batch.
        key_id: The key the signature claims (JOSE ``kid``, Data Integrity
            ``verificationMethod``), unverified; None when the form names none.
        alg: The signature algorithm or cryptosuite, for reports (``ES256``...).
        header: The securing layer's own parameters (JOSE protected header, DI proof
            options), unverified.
        claims: The secured payload as signed (JWT claims set, DI document without
            ``proof``), unverified; formats read their own times and bindings from it.
        secured: The secured form exactly as received (a string or a JSON object).
        confirmation: Holder key binding (``cnf``) when the format carries one.
    """

    format: str
    credential: dict[str, Any]
    token: str
    key_id: str | None
    alg: str
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    secured: object = None
    confirmation: Mapping[str, Any] | None = None

    @property
    def kid(self) -> str | None:
        """Alias of :attr:`key_id` (the JOSE name)."""
        return self.key_id

    @property
    def issuer(self) -> str:
        """The issuer id (a DID or URL)."""
        return str(self.credential["issuer"])

    @property
    def id(self) -> str | None:
        """The credential id, if any."""
        value = self.credential.get("id")
        return value if isinstance(value, str) else None

    @property
    def types(self) -> list[str]:
        """All types."""
        return list(self.credential["type"])

    @property
    def credential_type(self) -> str:
        """The specific type (first that is not VerifiableCredential)."""
        return credential_type_of(self.types)

    @property
    def subject(self) -> dict[str, Any]:
        """The (first) credential subject."""
        subject = self.credential["credentialSubject"]
        if isinstance(subject, list):
            subject = subject[0]
        return dict(subject)

    @property
    def holder(self) -> str | None:
        """The subject id (holder DID) if present."""
        value = self.subject.get("id")
        return value if isinstance(value, str) else None

    @property
    def valid_from(self) -> datetime | None:
        """Start of validity."""
        value = self.credential.get("validFrom")
        return None if value is None else parse_datetime(value)

    @property
    def valid_until(self) -> datetime | None:
        """End of validity."""
        value = self.credential.get("validUntil")
        return None if value is None else parse_datetime(value)

    @property
    def status_entries(self) -> list[dict[str, Any]]:
        """The ``credentialStatus`` entries as a list."""
        return [dict(s) for s in _as_list(self.credential.get("credentialStatus"))]

    @property
    def schemas(self) -> list[dict[str, Any]]:
        """The ``credentialSchema`` entries as a list."""
        return [dict(s) for s in _as_list(self.credential.get("credentialSchema"))]

    @property
    def type_metadata_url(self) -> str | None:
        """Where the credential's type metadata is published (SD-JWT VC ``vct``), if any.

        The pipeline has it fetched like a schema (only once the signature verified, and
        only from the issuer's host) to say which claims were withheld.
        """
        return None

    @property
    def type_metadata_integrity(self) -> object:
        """The signed integrity string of the type metadata (``vct#integrity``), or None.

        The pipeline checks the fetched metadata's bytes against it.
        """
        return None

    def disclosure(self, type_metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """``{"disclosed", "withheld"}`` for a selectively disclosed credential, else None."""
        return None


@dataclass(frozen=True)
class SecuredPresentation:
    """A presentation read from its secured form whose signature has NOT been checked.

    Attributes:
        format: The registry key of the presentation format (``vp+jwt``...).
        holder: The holder id (a DID or URL) the presentation claims.
        credentials: The credentials inside, each as found (an enveloped credential
            object, a compact token, or a secured document), for
            :func:`vcore.formats.parse_credential_unverified`.
        token: The secured form as text.
        key_id: The key the holder's signature claims, unverified.
        alg: The signature algorithm or cryptosuite.
        header: The securing layer's parameters, unverified.
        claims: The secured payload, unverified (``nonce``, ``aud``, ``iat`` for JWTs).
        presentation: The normalised VC 2.0 ``VerifiablePresentation`` document.
    """

    format: str
    holder: str
    credentials: tuple[object, ...]
    token: str
    key_id: str | None
    alg: str
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    presentation: dict[str, Any] = field(default_factory=dict)
