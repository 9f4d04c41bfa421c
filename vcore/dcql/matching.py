"""Matching DCQL queries against credentials (OpenID4VP 1.0 §6.4).

Two sides of one rule set:

* the wallet asks :func:`select_credentials` which of its credentials answer a query,
  and which claims (the first claim set it can meet, §6.4.1) it must disclose;
* the verifier asks :func:`check_presented` whether the credentials it received answer
  its query: every presented credential fits its credential query (format, ``meta``,
  the claims of one claim set with their ``values``), ``multiple`` is respected, and
  each required credential set is met by one of its options.

Only the requested claims decide: a credential that discloses more still matches, and
:func:`requested_claims` reports just what was asked for, so an answer never depends on
(or shows) a claim the verifier did not request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from vcore.dcql.pointer import select_claims
from vcore.dcql.profiles import profile_for
from vcore.dcql.query import ClaimsQuery, ClaimValue, CredentialQuery, DcqlQuery
from vcore.errors import DcqlUnsatisfiedError
from vcore.formats import SecuredCredential

__all__ = [
    "CredentialMatch",
    "check_presented",
    "match_credential",
    "missing_claims",
    "requested_claims",
    "select_credentials",
]

K = TypeVar("K")


@dataclass(frozen=True)
class CredentialMatch(Generic[K]):
    """A credential answering a credential query, with the claims to disclose.

    Attributes:
        query: The credential query.
        key: The caller's handle of the credential (a wallet record id, an index).
        credential: The credential.
        claims: The claim set met (empty: only the credential was asked for).
    """

    query: CredentialQuery
    key: K
    credential: SecuredCredential
    claims: tuple[ClaimsQuery, ...]


def _same(value: object, accepted: ClaimValue) -> bool:
    # True == 1 in Python; in JSON a boolean is not a number.
    return type(value) is type(accepted) and value == accepted


def _meets(root: Mapping[str, Any], claim: ClaimsQuery) -> bool:
    found = select_claims(root, claim.path)
    if not found:
        return False
    if claim.values is None:
        return True
    return any(_same(v, accepted) for v in found for accepted in claim.values)


def _fits(query: CredentialQuery, credential: SecuredCredential) -> Mapping[str, Any] | None:
    """The credential's claims root when its format and ``meta`` fit the query."""
    profile = profile_for(query.format)
    if profile is None or credential.format != query.format:
        return None
    if not profile.meta_matches(query.meta, credential):
        return None
    return profile.claims_of(credential)


def match_credential(
    query: CredentialQuery, credential: SecuredCredential
) -> tuple[ClaimsQuery, ...] | None:
    """The first claim set of ``query`` the credential meets, or None when it does not fit."""
    root = _fits(query, credential)
    if root is None:
        return None
    for option in query.claim_options():
        if all(_meets(root, claim) for claim in option):
            return option
    return None


def missing_claims(query: CredentialQuery, credential: SecuredCredential) -> list[str]:
    """Why a credential does not answer ``query``, for messages.

    The claims of the preferred claim set it lacks, or the type it is not.
    """
    root = _fits(query, credential)
    if root is None:
        return [f"a {query.format} credential of the requested type"]
    return [c.label for c in query.claim_options()[0] if not _meets(root, c)]


def requested_claims(
    query: CredentialQuery, credential: SecuredCredential, claims: Sequence[ClaimsQuery]
) -> dict[str, Any]:
    """The requested claims' values (dotted path -> value, or values for a ``null`` step)."""
    root = _fits(query, credential) or {}
    out: dict[str, Any] = {}
    for claim in claims:
        found = select_claims(root, claim.path)
        if found:
            out[claim.label] = found if None in claim.path else found[0]
    return out


def _resolve_sets(query: DcqlQuery, available: set[str]) -> list[str]:
    """The credential query ids to answer: the first satisfiable option of each set.

    Raises:
        DcqlUnsatisfiedError: a required set has no option made only of ``available`` ids.
    """
    if query.credential_sets is None:
        missing = [c.id for c in query.credentials if c.id not in available]
        if missing:
            raise DcqlUnsatisfiedError(f"no credential answers the query {missing[0]!r}")
        return [c.id for c in query.credentials]
    chosen: list[str] = []
    for index, credential_set in enumerate(query.credential_sets):
        option = next((o for o in credential_set.options if set(o) <= available), None)
        if option is None:
            if credential_set.required:
                wanted = " or ".join("+".join(o) for o in credential_set.options)
                raise DcqlUnsatisfiedError(
                    f"credential set {index} is required and not met (it needs {wanted})"
                )
            continue
        chosen.extend(i for i in option if i not in chosen)
    return chosen


def select_credentials(
    query: DcqlQuery, candidates: Sequence[tuple[K, SecuredCredential]]
) -> dict[str, CredentialMatch[K]]:
    """Wallet side: one credential per credential query to answer, in query order.

    For each query the first candidate that fits is chosen (the caller orders them);
    optional credential sets are answered when they can be.

    Raises:
        DcqlUnsatisfiedError: the wallet cannot answer the query.
    """
    found: dict[str, CredentialMatch[K]] = {}
    for credential_query in query.credentials:
        for key, credential in candidates:
            option = match_credential(credential_query, credential)
            if option is not None:
                found[credential_query.id] = CredentialMatch(
                    credential_query, key, credential, option
                )
                break
    return {query_id: found[query_id] for query_id in _resolve_sets(query, set(found))}


def check_presented(
    query: DcqlQuery, presented: Mapping[str, Sequence[SecuredCredential]]
) -> dict[str, list[tuple[ClaimsQuery, ...]]]:
    """Verifier side: the presented credentials (by credential query id) answer ``query``.

    Returns:
        For each presented id, the claim set each of its credentials met.

    Raises:
        DcqlUnsatisfiedError: an id the query does not have, several credentials for a
            query without ``multiple``, a credential of another type or lacking a
            requested claim (or value), or a required credential set not met.
    """
    met: dict[str, list[tuple[ClaimsQuery, ...]]] = {}
    for query_id, credentials in presented.items():
        credential_query = query.credential(query_id)
        if credential_query is None:
            raise DcqlUnsatisfiedError(f"the response answers {query_id!r}, which was not asked")
        if not credentials:
            raise DcqlUnsatisfiedError(f"the response holds no presentation for {query_id!r}")
        if len(credentials) > 1 and not credential_query.multiple:
            raise DcqlUnsatisfiedError(f"only one credential was asked for {query_id!r}")
        options = []
        for credential in credentials:
            option = match_credential(credential_query, credential)
            if option is None:
                lacking = ", ".join(missing_claims(credential_query, credential))
                raise DcqlUnsatisfiedError(
                    f"the credential presented for {query_id!r} lacks what was asked: {lacking}"
                )
            options.append(option)
        met[query_id] = options
    _resolve_sets(query, set(met))
    return met
