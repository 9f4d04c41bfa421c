"""Errors of a credential that is well formed but not acceptable: time, schema."""

from __future__ import annotations

from vcore.errors.base import TrustIDError

__all__ = [
    "ExpiredError",
    "NotYetValidError",
    "ProofExpiredError",
    "ProofNotYetValidError",
    "SchemaInvalidError",
    "TypeMetadataIntegrityError",
]


class ExpiredError(TrustIDError):
    """The credential or token is past its validity window."""

    code = "expired"
    title = "Expired"


class NotYetValidError(TrustIDError):
    """The credential or token is not yet valid."""

    code = "not_yet_valid"
    title = "Not yet valid"


class ProofExpiredError(ExpiredError):
    """The proof's ``expires`` is in the past (VC-DI §2.1)."""

    code = "proof_expired"
    title = "Proof expired"


class ProofNotYetValidError(NotYetValidError):
    """The proof's ``created`` is in the future, beyond the clock leeway."""

    code = "proof_not_yet_valid"
    title = "Proof created in the future"


class SchemaInvalidError(TrustIDError):
    """Claims do not satisfy the credential type's JSON Schema."""

    code = "schema_invalid"
    title = "Claims do not match the schema"


class TypeMetadataIntegrityError(SchemaInvalidError):
    """The Type Metadata at the ``vct`` does not match ``vct#integrity``.

    SD-JWT VC Type Metadata pinned by a W3C Subresource Integrity string; also raised when
    that claim is not a usable integrity string.
    """

    code = "vct_integrity_mismatch"
    title = "Type Metadata does not match vct#integrity"
