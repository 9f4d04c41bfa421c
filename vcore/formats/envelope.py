"""Enveloped credentials and presentations (VC Data Model 2.0 §4.13, VC-JOSE-COSE §3).

An envelope is ``{"@context": [VC2, ...], "type": "EnvelopedVerifiableCredential", "id":
"data:<media type>,<secured form>"}``. The rules enforced here (issue 7, §3):

* ``@context`` must start with ``https://www.w3.org/ns/credentials/v2``;
* ``type`` must name the envelope of the expected kind (a presentation envelope is
  not a credential);
* ``id`` must be a ``data:`` URL, without parameters or ``;base64``, whose media type
  is registered for that kind (:mod:`vcore.formats.registry`).

Anything else raises :class:`~vcore.errors.EnvelopeError` (``envelope_invalid``) or,
for a well-formed envelope of an unknown media type,
:class:`~vcore.errors.FormatNotSupportedError` (``format_unsupported``). A bare
``data:`` URL string and a bare compact token stay accepted as input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from vcore.credentials import VC2_CONTEXT
from vcore.errors import EnvelopeError

__all__ = [
    "EnvelopeKind",
    "Opened",
    "data_url",
    "envelope",
    "is_envelope",
    "open_envelope",
    "parse_data_url",
]

_MAX_MEDIA_TYPE = 100


class EnvelopeKind(StrEnum):
    """The two envelope types of VC 2.0 §4.13."""

    CREDENTIAL = "EnvelopedVerifiableCredential"
    PRESENTATION = "EnvelopedVerifiablePresentation"


@dataclass(frozen=True)
class Opened:
    """What :func:`open_envelope` found.

    Attributes:
        media_type: The ``data:`` URL's media type, lower case; None for a bare value.
        value: The secured form inside (the URL body), or the bare value itself.
    """

    media_type: str | None
    value: object


def data_url(media_type: str, secured: str) -> str:
    """``data:<media type>,<secured form>`` (RFC 2397, as VC-JOSE-COSE §3 uses it)."""
    return f"data:{media_type},{secured}"


def envelope(kind: EnvelopeKind, media_type: str, secured: str) -> dict[str, Any]:
    """An envelope object of ``kind`` around ``secured`` (VC 2.0 §4.13)."""
    return {"@context": [VC2_CONTEXT], "type": kind.value, "id": data_url(media_type, secured)}


def _types(value: Mapping[str, Any]) -> list[object]:
    kind = value.get("type")
    return kind if isinstance(kind, list) else [kind]


def is_envelope(value: object) -> bool:
    """True when ``value`` is an object that claims to be an envelope of either kind."""
    if not isinstance(value, Mapping):
        return False
    return any(isinstance(k, str) and k.startswith("Enveloped") for k in _types(value))


def parse_data_url(text: str) -> tuple[str, str]:
    """Split ``data:<media type>,<body>`` into (media type in lower case, body).

    Raises:
        EnvelopeError: not a data URL, no media type, or parameters / ``;base64``.
    """
    head, sep, body = text.partition(",")
    if not sep or head[:5].lower() != "data:":
        raise EnvelopeError("the envelope id must be a data: URL (data:<media type>,<token>)")
    media_type = head[5:].strip().lower()
    if not media_type or len(media_type) > _MAX_MEDIA_TYPE:
        raise EnvelopeError("the data: URL names no media type")
    if ";" in media_type:
        raise EnvelopeError("the data: URL must not carry parameters or ;base64")
    return media_type, body


def open_envelope(value: object, kind: EnvelopeKind) -> Opened:
    """Check an envelope (or a bare ``data:`` URL) and return its media type and body.

    A value that is neither an envelope object nor a ``data:`` URL string is returned
    unchanged with no media type (a bare compact token, or a document secured in place).

    Raises:
        EnvelopeError: an envelope or ``data:`` URL that breaks the rules above.
    """
    if isinstance(value, str):
        text = value.strip()
        if text[:5].lower() == "data:":
            media_type, body = parse_data_url(text)
            return Opened(media_type, body)
        return Opened(None, value)
    if not isinstance(value, Mapping) or not is_envelope(value):
        return Opened(None, value)
    types = _types(value)
    if kind.value not in types:
        other = next(k for k in EnvelopeKind if k is not kind)
        if other.value in types:
            raise EnvelopeError(f"an {other.value} was given where an {kind.value} is expected")
        raise EnvelopeError(f"the envelope type must be {kind.value}")
    contexts = value.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first != VC2_CONTEXT:
        raise EnvelopeError(f"an {kind.value} must have @context starting with {VC2_CONTEXT}")
    ident = value.get("id")
    if not isinstance(ident, str):
        raise EnvelopeError("the envelope id must be a data: URL string")
    media_type, body = parse_data_url(ident.strip())
    return Opened(media_type, body)
