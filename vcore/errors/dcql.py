"""Errors of DCQL queries (OpenID4VP 1.0 §6) and of the JWE an OpenID4VP response travels in."""

from __future__ import annotations

from vcore.errors.base import MalformedError, TrustIDError

__all__ = ["DcqlQueryError", "DcqlUnsatisfiedError", "JweError"]


class DcqlQueryError(MalformedError):
    """A DCQL query breaks OpenID4VP 1.0 §6 (unknown member, bad id, bad path...)."""

    code = "dcql_invalid"
    title = "Invalid DCQL query"


class DcqlUnsatisfiedError(TrustIDError):
    """The credentials presented (or held) do not satisfy the DCQL query."""

    code = "dcql_unsatisfied"
    title = "The request is not satisfied"


class JweError(MalformedError):
    """A JWE (RFC 7516) that cannot be decrypted with the expected key and algorithms."""

    code = "jwe_invalid"
    title = "Invalid JWE"
