"""The root of every TrustID error, and the malformed-input family's root."""

from __future__ import annotations

__all__ = [
    "MalformedError",
    "TrustIDError",
    "VCError",
]


class TrustIDError(Exception):
    """Root of every TrustID error.

    Attributes:
        code: Stable machine-readable code (DESIGN §3), never reworded.
        title: Short human title for the code, suitable for a problem+json ``title``.
        detail: What exactly went wrong, in plain words.
    """

    code: str = "error"
    title: str = "Error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.title
        super().__init__(self.detail)


VCError = TrustIDError


class MalformedError(TrustIDError):
    """The input is not a well-formed token, credential or document."""

    code = "malformed"
    title = "Malformed input"
