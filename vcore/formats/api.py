"""The safe entry points over the format registry: parse, sign, envelope, present.

Callers (the issuer, the verifier, the wallet) use these and never name a format's
module: the format comes from the registry key (``options.format``) or is detected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vcore.errors import FormatNotSupportedError, MalformedError
from vcore.formats.envelope import EnvelopeKind, envelope, open_envelope
from vcore.formats.protocols import HolderKeyResolver
from vcore.formats.registry import (
    CREDENTIAL_FORMATS,
    PRESENTATION_FORMATS,
    FormatRegistry,
    detect,
    detect_presentation,
    lookup,
)
from vcore.formats.secured import SecuredCredential, SecuredPresentation
from vcore.formats.vp_jwt import offline_holder_key
from vcore.signing import Signer

__all__ = [
    "VerifiedPresentation",
    "envelope_credential",
    "envelope_presentation",
    "parse_credential_unverified",
    "parse_presentation_unverified",
    "sign_credential",
    "unwrap_credential",
    "unwrap_presentation",
    "verify_presentation",
]


def parse_credential_unverified(value: object) -> SecuredCredential:
    """Parse a credential of any registered format without checking its signature.

    ``value`` is a bare compact token, a ``data:`` URL, an ``EnvelopedVerifiableCredential``
    object, or a document secured in place (Data Integrity).

    Raises:
        MalformedError: not a credential (with the reason), including
            EnvelopeError (``envelope_invalid``), FormatNotSupportedError
            (``format_unsupported``) and ClaimNotAllowedError (``claim_not_allowed``).
        AlgorithmNotAllowedError: ``alg`` not allowed.
    """
    detected = detect(value)
    return detected.format.parse_unverified(detected.value)


def sign_credential(credential: Mapping[str, Any], signer: Signer, *, fmt: str = "vc+jwt") -> str:
    """Secure a credential built by :func:`vcore.credentials.build_credential`.

    Args:
        credential: The VC 2.0 document.
        signer: The issuer's key behind :class:`~vcore.signing.Signer` (``alg``, ``kid``).
        fmt: A registry key (``vc+jwt`` by default, ``jwt_vc_json``).

    Raises:
        FormatNotSupportedError: an unknown or verify-only format.
        MalformedError: the document cannot be expressed in that format.
    """
    return lookup(fmt).sign(credential, signer)


def _envelope(registry: FormatRegistry[Any], kind: EnvelopeKind, token: str) -> dict[str, Any]:
    fmt = registry.detect(token).format
    if not fmt.media_types:
        raise FormatNotSupportedError(f"the {fmt.key} format has no envelope media type")
    return envelope(kind, fmt.media_types[0], token)


def envelope_credential(token: str) -> dict[str, Any]:
    """Wrap a token as an ``EnvelopedVerifiableCredential`` of its format's media type.

    Raises:
        FormatNotSupportedError: the token's format has no envelope.
        MalformedError: not a string.
    """
    return _envelope(CREDENTIAL_FORMATS, EnvelopeKind.CREDENTIAL, token)


def envelope_presentation(token: str) -> dict[str, Any]:
    """Wrap a token as an ``EnvelopedVerifiablePresentation`` (``application/vp+jwt``).

    Raises:
        FormatNotSupportedError: the token's format has no envelope.
    """
    return _envelope(PRESENTATION_FORMATS, EnvelopeKind.PRESENTATION, token)


def _unwrap(value: object, registry: FormatRegistry[Any]) -> str:
    opened = open_envelope(value, registry.kind)
    if opened.media_type is not None:
        registry.lookup_media_type(opened.media_type)
    inner = opened.value
    if isinstance(inner, Mapping):
        raise MalformedError("object is not an Enveloped credential/presentation")
    if not isinstance(inner, str):
        raise MalformedError("expected a compact JWT or an enveloped credential")
    return inner.strip()


def unwrap_credential(value: object) -> str:
    """The compact token of a bare token, a ``data:`` URL or an enveloped credential.

    Raises:
        EnvelopeError: the envelope breaks VC 2.0 §4.13 (context, type, data URL).
        FormatNotSupportedError: a media type no credential format is registered for.
        MalformedError: none of those shapes.
    """
    return _unwrap(value, CREDENTIAL_FORMATS)


def unwrap_presentation(value: object) -> str:
    """The compact token of a bare token, ``data:`` URL or enveloped presentation.

    Raises:
        EnvelopeError, FormatNotSupportedError, MalformedError: as :func:`unwrap_credential`.
    """
    return _unwrap(value, PRESENTATION_FORMATS)


def parse_presentation_unverified(value: object) -> SecuredPresentation:
    """Parse a presentation of any registered format without checking its signature.

    Raises:
        MalformedError: not a presentation (with the reason), or a credential inside
            that no format reads.
    """
    detected = detect_presentation(value)
    return detected.format.parse_unverified(detected.value)


@dataclass(frozen=True)
class VerifiedPresentation:
    """A presentation whose holder signature, nonce, audience and time checked out.

    Attributes:
        holder: The holder (a DID or URL).
        credentials: The credentials inside, as found (NOT verified: verify each one
            and check its holder binding).
        payload: The verified payload.
        format: The presentation format's registry key.
    """

    holder: str
    credentials: list[object]
    payload: dict[str, Any]
    format: str = "vp+jwt"


def verify_presentation(
    value: object,
    *,
    nonce: str,
    audience: str,
    now: datetime,
    key_for: HolderKeyResolver = offline_holder_key,
) -> VerifiedPresentation:
    """Verify the holder's signature and the replay protections of a presentation.

    The credentials inside are NOT verified here; the caller verifies each one and checks
    its holder binding (:func:`vcore.presentations.check_holder_binding`).

    Raises:
        MalformedError, AlgorithmNotAllowedError, BadSignatureError: token problems.
        HolderBindingError: the signing key is not the holder's key.
        NonceMismatchError, AudienceMismatchError: replay protections failed.
        ExpiredError, NotYetValidError: outside the accepted window.
    """
    detected = detect_presentation(value)
    fmt = detected.format
    presentation = fmt.parse_unverified(detected.value)
    payload = fmt.verify(presentation, nonce=nonce, audience=audience, now=now, key_for=key_for)
    return VerifiedPresentation(
        holder=presentation.holder,
        credentials=list(presentation.credentials),
        payload=payload,
        format=fmt.key,
    )
