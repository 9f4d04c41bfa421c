"""Errors of verifiable presentations: nonce, audience, holder binding, challenges."""

from __future__ import annotations

from vcore.errors.base import TrustIDError

__all__ = [
    "AudienceMismatchError",
    "ChallengeExpiredError",
    "ChallengeUnknownError",
    "HolderBindingError",
    "NonceMismatchError",
    "NonceReusedError",
    "PresentationError",
]


class PresentationError(TrustIDError):
    """A presentation is not acceptable."""

    code = "presentation_invalid"
    title = "Invalid presentation"


class NonceMismatchError(PresentationError):
    """The presentation's nonce is not the expected challenge."""

    code = "nonce_mismatch"
    title = "Nonce does not match"


class AudienceMismatchError(PresentationError):
    """The presentation's audience is not this verifier."""

    code = "audience_mismatch"
    title = "Audience does not match"


class HolderBindingError(PresentationError):
    """The presentation is not signed by the key the credential is bound to."""

    code = "holder_binding"
    title = "Holder binding failed"


class NonceReusedError(PresentationError):
    """The presentation's nonce was already used (replay within its lifetime)."""

    code = "nonce_reused"
    title = "Nonce already used"


class ChallengeUnknownError(PresentationError):
    """The presentation's challenge was not issued by this verifier to this caller.

    Never issued, issued to another API client or counter session, or already used.
    """

    code = "challenge_unknown"
    title = "Challenge not issued to you"


class ChallengeExpiredError(PresentationError):
    """The challenge was issued to this caller but its lifetime is over."""

    code = "challenge_expired"
    title = "Challenge expired"
