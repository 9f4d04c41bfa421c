"""Errors of trust: the trust list itself, and issuers it does not vouch for."""

from __future__ import annotations

from vcore.errors.base import TrustIDError

__all__ = [
    "IssuerMismatchError",
    "TrustListError",
    "TrustListExpiredError",
    "TrustListReplayError",
    "TypeNotAccreditedError",
    "UntrustedIssuerError",
]


class UntrustedIssuerError(TrustIDError):
    """The issuer is not on the trust list (or its entry is not valid now)."""

    code = "untrusted_issuer"
    title = "Issuer not trusted"


class TypeNotAccreditedError(TrustIDError):
    """The issuer is trusted but not accredited for this credential type."""

    code = "type_not_accredited"
    title = "Issuer not accredited for this credential type"


class IssuerMismatchError(TrustIDError):
    """The ``kid`` DID, ``iss`` and ``issuer`` do not name the same issuer."""

    code = "issuer_mismatch"
    title = "Issuer mismatch"


class TrustListError(TrustIDError):
    """The trust list is malformed or its signature does not verify."""

    code = "trust_list_invalid"
    title = "Invalid trust list"


class TrustListExpiredError(TrustListError):
    """The trust list in force is past its ``validUntil`` / ``exp``.

    Every issuer is untrusted until a valid list replaces it (fail closed).
    """

    code = "trust_list_expired"
    title = "Trust list expired"


class TrustListReplayError(TrustListError):
    """A reloaded list is older than the one in force (a replay); the current one stays.

    Older: a lower ``sequence``, none while the list in force has one, or an earlier ``iat``.
    """

    code = "trust_list_replayed"
    title = "Older trust list refused"
