"""Errors of the OAuth 2.0 / OpenID4VCI protocol endpoints, named as the specs name them.

``code`` is the wire ``error`` value (RFC 6749 §5.2, RFC 9449 §5 and §7.1, OpenID4VCI 1.0
§8.3.1.2); ``status`` is the HTTP status the spec gives it. The issuer renders these as
``{"error": code, "error_description": detail}``, never as problem+json.
"""

from __future__ import annotations

from vcore.errors.base import TrustIDError

__all__ = [
    "CredentialRequestDeniedError",
    "InvalidCredentialRequestError",
    "InvalidDpopProofError",
    "InvalidGrantError",
    "InvalidNonceError",
    "InvalidProofError",
    "InvalidTokenError",
    "OAuthError",
    "OAuthRequestError",
    "UnknownCredentialConfigurationError",
    "UnsupportedGrantTypeError",
]


class OAuthError(TrustIDError):
    """A protocol error: ``code`` is the spec's ``error`` value, ``status`` its HTTP status.

    ``status`` may be given where one code has two statuses (``invalid_dpop_proof`` is a
    400 at the token endpoint and a 401 at a resource, RFC 9449 §5 and §7.1).
    """

    code = "invalid_request"
    title = "Invalid request"
    status = 400

    def __init__(self, detail: str | None = None, *, status: int | None = None) -> None:
        super().__init__(detail)
        if status is not None:
            self.status = status


class OAuthRequestError(OAuthError):
    """``invalid_request`` (RFC 6749 §5.2): a parameter missing, repeated or malformed."""


class InvalidGrantError(OAuthError):
    """``invalid_grant``: unknown, expired, used or locked pre-authorized code, wrong tx_code."""

    code = "invalid_grant"
    title = "Invalid grant"


class UnsupportedGrantTypeError(OAuthError):
    """``unsupported_grant_type``: only the pre-authorized code grant is served."""

    code = "unsupported_grant_type"
    title = "Unsupported grant type"


class InvalidDpopProofError(OAuthError):
    """``invalid_dpop_proof`` (RFC 9449 §5, §7.1): the DPoP proof is missing or invalid."""

    code = "invalid_dpop_proof"
    title = "Invalid DPoP proof"


class InvalidTokenError(OAuthError):
    """``invalid_token`` (RFC 6750 §3.1): unknown, expired or wrongly bound access token."""

    code = "invalid_token"
    title = "Invalid access token"
    status = 401


class InvalidCredentialRequestError(OAuthError):
    """``invalid_credential_request`` (OpenID4VCI §8.3.1.2): malformed Credential Request."""

    code = "invalid_credential_request"
    title = "Invalid credential request"


class UnknownCredentialConfigurationError(OAuthError):
    """``unknown_credential_configuration``: not a configuration of this offer or issuer."""

    code = "unknown_credential_configuration"
    title = "Unknown credential configuration"


class InvalidProofError(OAuthError):
    """``invalid_proof``: a key proof is missing or fails (typ, aud, iat, key, signature)."""

    code = "invalid_proof"
    title = "Invalid key proof"


class InvalidNonceError(OAuthError):
    """``invalid_nonce``: the proof's ``nonce`` is not a fresh ``c_nonce`` of this issuer."""

    code = "invalid_nonce"
    title = "Invalid nonce"


class CredentialRequestDeniedError(OAuthError):
    """``credential_request_denied``: the issuer will not issue (e.g. accreditation withdrawn)."""

    code = "credential_request_denied"
    title = "Credential request denied"
