"""Issuer errors: the vcore tree plus what only a service says.

Each class carries a stable ``code``; :mod:`issuer.problems` maps classes to HTTP statuses
and :mod:`issuer.cli` maps them to exit codes. Tree (vcore classes the issuer raises
are listed too)::

    TrustIDError                              code                    HTTP
    ├── MalformedError                         malformed               400
    │   ├── DataModelError                     vcdm_*                  400
    │   │   (one subclass per VCDM 2.0 rule, codes in vcore.errors)
    │   ├── TokenTooLargeError                 too_large               413
    │   │   └── RequestTooLargeError           too_large               413
    │   └── UnsupportedMediaTypeError          unsupported_media_type  415
    ├── DIDError                               did_invalid             422
    ├── SchemaInvalidError                     schema_invalid          422
    │   └── ClaimsInvalidError                 schema_invalid          422
    ├── TypeNotAccreditedError                 type_not_accredited     403
    └── IssuerError
        ├── InvalidRequestError                invalid_request         422
        │   ├── UnknownTypeError               unknown_type            422
        │   ├── IssuerMismatchError            issuer_mismatch         422
        │   └── CredentialTooLargeError        credential_too_large    422
        ├── UnauthorizedError                  unauthorized            401
        ├── ForbiddenError                     forbidden               403
        │   └── AgencyDisabledError            agency_disabled         403
        ├── NotFoundError                      not_found               404
        ├── IdempotencyConflictError           idempotency_conflict    409
        ├── RevocationFinalError               revocation_final        409
        ├── AgencyExistsError                  agency_exists           409
        ├── KeyStateError                      key_state               409
        ├── ConfigurationError                 config_invalid          (startup/CLI)
        │   └── MasterKeyError                 master_key_invalid      (startup/CLI)
        └── UnavailableError                   unavailable             503
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vcore.errors import MalformedError, SchemaInvalidError, TokenTooLargeError, TrustIDError

__all__ = [
    "AgencyDisabledError",
    "AgencyExistsError",
    "ClaimsInvalidError",
    "ConfigurationError",
    "CredentialTooLargeError",
    "ForbiddenError",
    "IdempotencyConflictError",
    "InvalidRequestError",
    "IssuerError",
    "IssuerMismatchError",
    "KeyStateError",
    "MasterKeyError",
    "NotFoundError",
    "RequestTooLargeError",
    "RevocationFinalError",
    "UnauthorizedError",
    "UnavailableError",
    "UnknownTypeError",
    "UnsupportedMediaTypeError",
]


class IssuerError(TrustIDError):
    """Root of the errors only the issuer service raises."""

    code = "issuer_error"
    title = "Issuer error"


class InvalidRequestError(IssuerError):
    """The request is well-formed JSON but does not have the expected shape.

    Attributes:
        errors: Field errors ``{"loc": [...], "msg": ..., "type": ...}`` (no input echo:
            inputs hold citizens' personal data).
    """

    code = "invalid_request"
    title = "Invalid request"

    def __init__(self, detail: str | None = None, errors: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(detail)
        self.errors = list(errors)


class UnknownTypeError(InvalidRequestError):
    """The credential type is not one this issuer knows."""

    code = "unknown_type"
    title = "Unknown credential type"


class IssuerMismatchError(InvalidRequestError):
    """The request's ``issuer`` is not this issuer: an issuer signs only in its own name."""

    code = "issuer_mismatch"
    title = "Issuer is not this issuer"


class CredentialTooLargeError(InvalidRequestError):
    """The signed credential would exceed the 16 KiB token limit verifiers enforce."""

    code = "credential_too_large"
    title = "Credential too large"


class ClaimsInvalidError(SchemaInvalidError):
    """Claims fail the type's JSON Schema; ``errors`` says where and why."""

    def __init__(self, detail: str | None = None, errors: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(detail)
        self.errors = list(errors)


class RequestTooLargeError(TokenTooLargeError):
    """The request body exceeds the limit (DESIGN §4)."""

    title = "Request body too large"


class UnsupportedMediaTypeError(MalformedError):
    """The request body is not ``application/json``."""

    code = "unsupported_media_type"
    title = "Unsupported media type"


class UnauthorizedError(IssuerError):
    """Missing, malformed or unknown API key."""

    code = "unauthorized"
    title = "Unauthorized"


class ForbiddenError(IssuerError):
    """The agency may not act on this resource (e.g. another agency's credential)."""

    code = "forbidden"
    title = "Forbidden"


class AgencyDisabledError(ForbiddenError):
    """The API key is valid but its agency is disabled (``trustid-issuer agency disable``).

    Said plainly rather than as a bare 401: only a holder of the full key gets this answer,
    and it tells the agency's integrator to call the registry, not to rotate keys.
    """

    code = "agency_disabled"
    title = "Agency disabled"


class NotFoundError(IssuerError):
    """No such resource."""

    code = "not_found"
    title = "Not found"


class IdempotencyConflictError(IssuerError):
    """An ``Idempotency-Key`` was reused with a different request body."""

    code = "idempotency_conflict"
    title = "Idempotency key reused with a different request"


class RevocationFinalError(IssuerError):
    """The credential is revoked; revocation cannot be undone and ends every change."""

    code = "revocation_final"
    title = "Revocation is final"


class AgencyExistsError(IssuerError):
    """An agency with this name already exists."""

    code = "agency_exists"
    title = "Agency already exists"


class KeyStateError(IssuerError):
    """A signing-key change its state forbids (retiring or using a withdrawn key)."""

    code = "key_state"
    title = "Signing key state forbids this"


class ConfigurationError(IssuerError):
    """The configuration cannot work (bad URL, unreadable data dir, ...)."""

    code = "config_invalid"
    title = "Invalid configuration"


class MasterKeyError(ConfigurationError):
    """The key-encryption key is missing, malformed, too exposed or not the one used."""

    code = "master_key_invalid"
    title = "Master key unusable"


class UnavailableError(IssuerError):
    """The database is unreachable or busy; the request can be retried."""

    code = "unavailable"
    title = "Service unavailable"
