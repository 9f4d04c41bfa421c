"""The signed Bitstring Status List credential (a ``vc+jwt``) and its registered mechanism.

:class:`BitstringStatusListMechanism` is the :class:`~vcore.status.mechanism.StatusMechanism`
for ``BitstringStatusListEntry`` (Bitstring Status List v1.0 §3.2, the validation
algorithm): the app fetches the list named by ``statusListCredential``, reads it with
:func:`parse_status_list_unverified`, resolves the issuer key and calls
:func:`verify_status_list_token`; the pipeline then reads the bit with :meth:`value_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from vcore.clock import from_timestamp, parse_datetime
from vcore.credentials import DEFAULT_LEEWAY
from vcore.dids import holder_kid, is_offline_did, parse_did_url
from vcore.errors import (
    IssuerMismatchError,
    MalformedError,
    StatusListError,
    StatusUnavailableError,
)
from vcore.jose import decode_unverified, verify
from vcore.keys import PublicKey
from vcore.status.bitstring import (
    ENTRY_TYPE,
    LIST_CREDENTIAL_TYPE,
    parse_status_entry,
    read_status_list_credential,
)
from vcore.status.mechanism import (
    DecodedLists,
    StatusEntry,
    StatusListSnapshot,
    StatusPurpose,
    UnverifiedStatusList,
)
from vcore.status.registry import register

__all__ = [
    "BITSTRING",
    "MAX_STATUS_LIST_TOKEN",
    "BitstringStatusListMechanism",
    "parse_status_list_unverified",
    "verify_status_list_token",
]

MAX_STATUS_LIST_TOKEN = 1024 * 1024
"""Largest status-list credential accepted (a 1 M-entry list of random bits fits)."""


def parse_status_list_unverified(token: object) -> UnverifiedStatusList:
    """Read the issuer and ``kid`` of a status-list token so the app can resolve the key.

    The ``kid`` DID must be the list's issuer (a list cannot name a key of another DID).

    Raises:
        MalformedError, AlgorithmNotAllowedError: not a usable JWS.
        IssuerMismatchError: ``kid`` names another DID than ``issuer``.
    """
    jws = decode_unverified(token, max_size=MAX_STATUS_LIST_TOKEN)
    issuer = jws.payload.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise MalformedError("status list credential has no issuer")
    kid = jws.kid or (holder_kid(issuer) if is_offline_did(issuer) else None)
    if kid is None:
        raise MalformedError("status list credential has no kid")
    if parse_did_url(kid).did != issuer:
        raise IssuerMismatchError("status list is signed with a key of another DID")
    return UnverifiedStatusList(token=jws.token, issuer=issuer, kid=kid)


def verify_status_list_token(
    unverified: UnverifiedStatusList,
    *,
    key: PublicKey,
    list_url: str,
    fetched_at: datetime,
) -> StatusListSnapshot:
    """Check a status-list credential's signature and identity (Bitstring Status List §3.2).

    Purpose, length and the bit itself are read per credential (:meth:`value_at`);
    validity is checked there too (with the decision's ``now``).

    Raises:
        AlgorithmNotAllowedError, BadSignatureError, MalformedError: signature problems.
        StatusListError: the credential's ``id`` is not ``list_url`` (a validly signed list
            published under another URL cannot be substituted) or it is not a list.
    """
    verified = verify(unverified.token, key, typ="vc+jwt", max_size=MAX_STATUS_LIST_TOKEN)
    payload = verified.payload
    if payload.get("id") != list_url:
        raise StatusListError(
            f"status list credential id {str(payload.get('id'))[:80]!r} is not {list_url!r}"
        )
    types = payload.get("type")
    if not isinstance(types, list) or LIST_CREDENTIAL_TYPE not in types:
        raise StatusListError("not a BitstringStatusListCredential")
    return StatusListSnapshot(
        list_url=list_url,
        issuer=unverified.issuer,
        payload=payload,
        fetched_at=fetched_at,
        entry_type=ENTRY_TYPE,
    )


class BitstringStatusListMechanism:
    """W3C Bitstring Status List v1.0 behind :class:`~vcore.status.mechanism.StatusMechanism`."""

    @property
    def entry_type(self) -> str:
        """``BitstringStatusListEntry``."""
        return ENTRY_TYPE

    def recognises_list(self, typ: str) -> bool:
        """A ``vc+jwt`` (or untyped) list token is a status list credential."""
        return typ in ("vc+jwt", "")

    def parse_entry(self, raw: Mapping[str, Any]) -> StatusEntry:
        """See :func:`vcore.status.bitstring.parse_status_entry`."""
        return parse_status_entry(raw)

    def parse_list_unverified(self, token: object) -> UnverifiedStatusList:
        """See :func:`parse_status_list_unverified`."""
        return parse_status_list_unverified(token)

    def verify_list(
        self,
        unverified: UnverifiedStatusList,
        *,
        key: PublicKey,
        list_url: str,
        fetched_at: datetime,
    ) -> StatusListSnapshot:
        """See :func:`verify_status_list_token`."""
        return verify_status_list_token(
            unverified, key=key, list_url=list_url, fetched_at=fetched_at
        )

    def check_list_times(self, snapshot: StatusListSnapshot, now: datetime) -> None:
        """``validUntil`` or ``exp`` passed: unavailable; ``validFrom`` or ``nbf`` ahead: invalid.

        The JWT claims are honoured as for a ``vc+jwt`` credential (the stricter of them
        and the document wins); a malformed one makes the list invalid.

        Raises:
            StatusUnavailableError: the list expired (60 s leeway).
            StatusListError: not valid yet, or malformed dates.
        """
        payload = snapshot.payload
        try:
            until = payload.get("validUntil")
            expired = until is not None and parse_datetime(until) < now - DEFAULT_LEEWAY
            if "exp" in payload and from_timestamp(payload["exp"]) < now - DEFAULT_LEEWAY:
                expired = True
            if expired:
                raise StatusUnavailableError(
                    "the issuer's status list expired and no fresh copy could be had"
                )
            since = payload.get("validFrom")
            if since is not None and parse_datetime(since) > now + DEFAULT_LEEWAY:
                raise StatusListError("the status list is not valid yet")
            if "nbf" in payload and from_timestamp(payload["nbf"]) > now + DEFAULT_LEEWAY:
                raise StatusListError("the status list is not valid yet")
        except MalformedError as exc:
            raise StatusListError("the status list has malformed dates") from exc

    def value_at(self, snapshot: StatusListSnapshot, entry: StatusEntry, memo: DecodedLists) -> int:
        """Decode the list once per ``(url, purpose, statusSize)`` and read the entry (§3.2).

        Raises:
            StatusListError: the list does not match the entry (purpose, id, length).
        """
        memo_key = (entry.list_url, entry.purpose.value, entry.status_size)
        bits = memo.get(memo_key)
        if bits is None:
            bits = read_status_list_credential(
                snapshot.payload,
                expected_purpose=entry.purpose,
                list_url=entry.list_url,
                status_size=entry.status_size,
            )
            memo[memo_key] = bits
        return bits.get(entry.index)

    def asserted(self, entry: StatusEntry, value: int) -> StatusPurpose | None:
        """Any set value asserts the entry's own purpose (§2.1)."""
        return entry.purpose if value else None


BITSTRING = register(BitstringStatusListMechanism())
"""The registered Bitstring Status List mechanism."""
