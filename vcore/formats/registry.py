"""The format registry: formats by registry key and by envelope media type, and detection.

Keys and media types are the specs' own names (DESIGN §6): ``vc+jwt``
(``application/vc+jwt``), ``jwt_vc_json`` (``application/jwt``), ``ldp_vc``,
``dc+sd-jwt`` (``application/dc+sd-jwt``); presentations ``vp+jwt``
(``application/vp+jwt``) and ``jwt_vp_json``.

:func:`detect` is how the pipeline finds the format of what it was given:

* an envelope object or a ``data:`` URL: by its media type only (an unregistered one is
  refused with ``format_unsupported``), after the envelope rules of
  :mod:`vcore.formats.envelope`;
* anything else (a bare compact token, a document secured in place): the format most
  sure it is its own (:class:`~vcore.formats.secured.Recognition`), first registered
  first among equals.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from vcore.errors import FormatNotSupportedError, MalformedError
from vcore.formats.envelope import EnvelopeKind, open_envelope
from vcore.formats.protocols import CredentialFormat, PresentationFormat
from vcore.formats.secured import Recognition

__all__ = [
    "CREDENTIAL_FORMATS",
    "PRESENTATION_FORMATS",
    "Detected",
    "FormatRegistry",
    "detect",
    "detect_presentation",
    "lookup",
    "lookup_media_type",
    "lookup_presentation",
    "register_credential_format",
    "register_presentation_format",
]


class _Format(Protocol):
    @property
    def key(self) -> str: ...  # pragma: no cover - protocol

    @property
    def media_types(self) -> tuple[str, ...]: ...  # pragma: no cover - protocol

    def recognise(self, value: object) -> Recognition: ...  # pragma: no cover - protocol


F = TypeVar("F", bound=_Format)


class Detected(Generic[F]):
    """A detected format and the secured value it is to parse.

    Attributes:
        format: The registered format.
        value: What to hand to its ``parse_unverified`` (an envelope's body, or the value).
        media_type: The envelope's media type, when there was one.
    """

    __slots__ = ("format", "media_type", "value")

    def __init__(self, fmt: F, value: object, media_type: str | None) -> None:
        self.format = fmt
        self.value = value
        self.media_type = media_type


class FormatRegistry(Generic[F]):
    """Formats of one kind (credential or presentation) by key and by media type."""

    def __init__(self, kind: EnvelopeKind) -> None:
        self.kind = kind
        self._by_key: dict[str, F] = {}
        self._by_media_type: dict[str, F] = {}

    def register(self, fmt: F) -> F:
        """Register ``fmt`` under its key and media types (idempotent for one object).

        Raises:
            ValueError: another format already holds the key or one of the media types.
        """
        taken = self._by_key.get(fmt.key)
        if taken is not None and taken is not fmt:
            raise ValueError(f"format {fmt.key!r} is already registered")
        for media_type in fmt.media_types:
            holder = self._by_media_type.get(media_type.lower())
            if holder is not None and holder is not fmt:
                raise ValueError(f"media type {media_type!r} is already registered")
        self._by_key[fmt.key] = fmt
        for media_type in fmt.media_types:
            self._by_media_type[media_type.lower()] = fmt
        return fmt

    def keys(self) -> tuple[str, ...]:
        """Registered keys, in registration order."""
        return tuple(self._by_key)

    def media_types(self) -> tuple[str, ...]:
        """Registered envelope media types."""
        return tuple(self._by_media_type)

    def lookup(self, key: str) -> F:
        """The format registered under ``key``.

        Raises:
            FormatNotSupportedError: none is.
        """
        fmt = self._by_key.get(key)
        if fmt is None:
            raise FormatNotSupportedError(
                f"format {str(key)[:40]!r} is not supported (one of {', '.join(self._by_key)})"
            )
        return fmt

    def lookup_media_type(self, media_type: str) -> F:
        """The format enveloped as ``media_type``.

        Raises:
            FormatNotSupportedError: no format is registered for it.
        """
        fmt = self._by_media_type.get(media_type.lower())
        if fmt is None:
            raise FormatNotSupportedError(
                f"media type {media_type[:60]!r} is not supported in an {self.kind.value} "
                f"(one of {', '.join(self._by_media_type)})"
            )
        return fmt

    def certain(self, value: object) -> F | None:
        """The first format that is certain a bare ``value`` is its own, or None."""
        for fmt in self._by_key.values():
            if fmt.recognise(value) is Recognition.CERTAIN:
                return fmt
        return None

    def detect(self, value: object) -> Detected[F]:
        """Find the format of ``value`` (see the module docstring).

        Raises:
            EnvelopeError: an envelope or ``data:`` URL breaks the rules.
            FormatNotSupportedError: an unregistered media type.
            MalformedError: no registered format recognises the value.
        """
        opened = open_envelope(value, self.kind)
        if opened.media_type is not None:
            return Detected(
                self.lookup_media_type(opened.media_type), opened.value, opened.media_type
            )
        best: F | None = None
        best_score = Recognition.NO
        for fmt in self._by_key.values():
            score = fmt.recognise(value)
            if score > best_score:
                best, best_score = fmt, score
        if best is None:
            what = "credential" if self.kind is EnvelopeKind.CREDENTIAL else "presentation"
            if isinstance(value, str):
                raise MalformedError(f"not a {what} token any registered format reads")
            if isinstance(value, dict):
                raise MalformedError("object is not an Enveloped credential/presentation")
            raise MalformedError(f"expected a compact JWT or an enveloped {what}")
        return Detected(best, value, None)


CREDENTIAL_FORMATS: FormatRegistry[CredentialFormat] = FormatRegistry(EnvelopeKind.CREDENTIAL)
"""The credential formats."""
PRESENTATION_FORMATS: FormatRegistry[PresentationFormat] = FormatRegistry(EnvelopeKind.PRESENTATION)
"""The presentation formats."""


def register_credential_format(fmt: CredentialFormat) -> CredentialFormat:
    """Register a credential format (see :class:`~vcore.formats.protocols.CredentialFormat`)."""
    return CREDENTIAL_FORMATS.register(fmt)


def register_presentation_format(fmt: PresentationFormat) -> PresentationFormat:
    """Register a presentation format."""
    return PRESENTATION_FORMATS.register(fmt)


def lookup(key: str) -> CredentialFormat:
    """The credential format registered under ``key`` (``options.format`` on issue).

    Raises:
        FormatNotSupportedError: unknown key.
    """
    return CREDENTIAL_FORMATS.lookup(key)


def lookup_media_type(media_type: str) -> CredentialFormat:
    """The credential format enveloped as ``media_type``.

    Raises:
        FormatNotSupportedError: unknown media type.
    """
    return CREDENTIAL_FORMATS.lookup_media_type(media_type)


def lookup_presentation(key: str) -> PresentationFormat:
    """The presentation format registered under ``key``.

    Raises:
        FormatNotSupportedError: unknown key.
    """
    return PRESENTATION_FORMATS.lookup(key)


def detect(value: object) -> Detected[CredentialFormat]:
    """The credential format of ``value`` and what it is to parse.

    Raises:
        EnvelopeError, FormatNotSupportedError, MalformedError.
    """
    return CREDENTIAL_FORMATS.detect(value)


def detect_presentation(value: object) -> Detected[PresentationFormat]:
    """The presentation format of ``value`` and what it is to parse.

    Raises:
        EnvelopeError, FormatNotSupportedError, MalformedError.
    """
    return PRESENTATION_FORMATS.detect(value)
