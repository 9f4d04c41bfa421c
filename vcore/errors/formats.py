"""Errors of the securing formats' registry: envelopes and unsupported formats."""

from __future__ import annotations

from vcore.errors.base import MalformedError

__all__ = [
    "EnvelopeError",
    "FormatNotSupportedError",
]


class EnvelopeError(MalformedError):
    """An ``EnvelopedVerifiableCredential``/``Presentation`` breaks VC 2.0 §4.13.

    It must carry the v2 ``@context`` and an ``id`` that is a ``data:`` URL of a
    registered media type.
    """

    code = "envelope_invalid"
    title = "Invalid envelope"


class FormatNotSupportedError(MalformedError):
    """No registered format handles this media type or value (or it is verify-only)."""

    code = "format_unsupported"
    title = "Format not supported"
