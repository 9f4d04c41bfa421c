"""The verifier's own errors: one root, stable codes, no HTTP status in service code.

Every class is a :class:`vcore.errors.TrustIDError` (so a verification step that catches
core errors catches these too) under :class:`VerifierError`. Service and resolution code
raise these; only :mod:`verifier.problems` turns a code into an HTTP status. Callers
branch on the class or on a parsed attribute (:attr:`FetchFailedError.reason`,
:attr:`FetchFailedError.status`), never on message text.
"""

from __future__ import annotations

from enum import StrEnum

from vcore.errors import TrustIDError

__all__ = [
    "DecoderBusyError",
    "EvidenceError",
    "FetchFailedError",
    "FetchFailure",
    "ImageTooComplexError",
    "InvalidRequestError",
    "MasterKeyError",
    "RateLimitedError",
    "SchemaUnavailableError",
    "UnauthorizedError",
    "VerifierError",
]


class VerifierError(TrustIDError):
    """Root of the verifier's errors."""

    code = "verifier_error"
    title = "Verifier error"


class FetchFailure(StrEnum):
    """Why a fetch produced no usable response."""

    UNRESOLVABLE = "unresolvable"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    REDIRECT = "redirect"
    HTTP_STATUS = "http_status"
    COMPRESSED = "compressed"
    TOO_LARGE = "too_large"


class FetchFailedError(VerifierError):
    """A fetch did not produce a usable response.

    Attributes:
        url: What was fetched.
        reason: Why, as a :class:`FetchFailure`.
        status: The HTTP status when ``reason`` is ``HTTP_STATUS``.
    """

    code = "fetch_failed"
    title = "Fetch failed"

    def __init__(
        self, detail: str, *, url: str, reason: FetchFailure, status: int | None = None
    ) -> None:
        super().__init__(detail)
        self.url = url
        self.reason = reason
        self.status = status

    @property
    def not_found(self) -> bool:
        """True when the server answered 404."""
        return self.reason is FetchFailure.HTTP_STATUS and self.status == 404


class SchemaUnavailableError(VerifierError):
    """A credential's schema could not be fetched (reported as a warning, not a failure)."""

    code = "schema_unavailable"
    title = "Schema unavailable"


class EvidenceError(VerifierError):
    """An evidence bundle is malformed or does not hold what a decision needs."""

    code = "evidence_invalid"
    title = "Evidence bundle invalid"


class InvalidRequestError(VerifierError):
    """A request that is well-formed JSON but cannot be acted on (missing input...)."""

    code = "invalid_request"
    title = "Invalid request"


class UnauthorizedError(VerifierError):
    """An API key is needed and missing, malformed or unknown."""

    code = "unauthorized"
    title = "Unauthorized"


class RateLimitedError(VerifierError):
    """The caller's rate limit is used up.

    Attributes:
        retry_after: Seconds until a request would be accepted again.
    """

    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ImageTooComplexError(VerifierError):
    """A QR image was not decoded within its budget (the worker was killed): 422."""

    code = "image_too_complex"
    title = "Image too complex to decode"


class DecoderBusyError(VerifierError):
    """Every QR decoder is busy and the queue is full: 503 with ``Retry-After``.

    Attributes:
        retry_after: Seconds to wait before trying again.
    """

    code = "busy"
    title = "Busy"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class MasterKeyError(VerifierError):
    """The verifier's master key (``TRUSTID_MASTER_KEY`` or its key file) is unusable."""

    code = "master_key_invalid"
    title = "Master key unusable"
