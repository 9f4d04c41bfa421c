"""IETF Token Status List (draft-ietf-oauth-status-list): the list codec and mechanism.

The list is the ``status_list`` claim ``{"bits", "lst"}`` of a ``statuslist+jwt`` whose
``sub`` is its URL; a Referenced Token points at it with
``status.status_list = {"idx", "uri"}`` (draft §5, §6). With ``bits = 2`` the values are
0 valid, 1 revoked (``INVALID``), 2 suspended (``SUSPENDED``) (draft §7.1).

TrustID issues these lists for SD-JWT VC credentials (:func:`build_status_list_payload`,
signed as ``statuslist+jwt``); the mechanism is registered under :data:`ENTRY_TYPE`
(``status_list``), which is the ``type`` of the normalised ``credentialStatus`` entry the
``dc+sd-jwt`` format produces. See :mod:`vcore.status.packed` for the decoding rules.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Self

from vcore.clock import format_datetime, from_timestamp
from vcore.credentials import DEFAULT_LEEWAY
from vcore.dids import parse_did_url
from vcore.errors import (
    IssuerMismatchError,
    MalformedError,
    StatusListError,
    StatusUnavailableError,
    TrustIDError,
)
from vcore.jose import decode_unverified, verify
from vcore.keys import PublicKey, b64url_encode
from vcore.status.mechanism import (
    DecodedLists,
    StatusEntry,
    StatusListSnapshot,
    StatusPurpose,
    UnverifiedStatusList,
)
from vcore.status.packed import (
    DEFAULT_MAX_INFLATED,
    ZLIB_WBITS,
    PackedStatuses,
    b64url_decode_strict,
    check_max_inflated,
    check_width,
    inflate_bounded,
    max_encoded_chars,
    require_mapping,
    require_str,
)
from vcore.status.registry import register

__all__ = [
    "ENTRY_TYPE",
    "LIST_TYP",
    "MAX_STATUS_LIST_JWT",
    "TOKEN_STATUS_LIST",
    "TokenStatusList",
    "TokenStatusListMechanism",
    "build_status_list_payload",
]

ENTRY_TYPE = "status_list"
"""Registry key: the member of a Referenced Token's ``status`` claim (draft §6.1)."""

MAX_STATUS_LIST_JWT = 1024 * 1024
"""Largest ``statuslist+jwt`` accepted."""

_IETF_ZLIB_LEVEL = 9  # draft §4.1: "RECOMMENDED to use the highest compression level"
LIST_TYP = "statuslist+jwt"
"""The ``typ`` of a Status List Token (draft §5.1)."""
_TYP = LIST_TYP


class TokenStatusList(PackedStatuses):
    """An IETF Token Status List (draft-ietf-oauth-status-list, "Status List").

    Entry ``i`` sits in byte ``i // (8 / bits)`` at bit offset ``(i % (8 / bits)) * bits``,
    counting from the least significant bit (§4.1 "Compressed Byte Array"). The wire form
    is the ``status_list`` claim ``{"bits": b, "lst": ...}`` with ``lst`` the unpadded
    base64url of the ZLIB-wrapped DEFLATE stream (§4.2 "Status List in JSON Format").

    Args:
        size: Number of entries (the draft sets no minimum).
        bits: Bits per entry; one of 1, 2, 4, 8.

    Raises:
        StatusListError: ``size`` < 1 or an unsupported ``bits``.
    """

    _MSB_FIRST = False
    __slots__ = ()

    def __init__(self, size: int, bits: int = 1) -> None:
        self._setup(size, check_width(bits, "bits"), None)

    @property
    def bits(self) -> int:
        """Bits per entry (the ``bits`` claim)."""
        return self._width

    def encode(self) -> str:
        """Return the ``lst`` value (draft §4.1: ZLIB at the highest level, base64url)."""
        return b64url_encode(zlib.compress(bytes(self._bits), _IETF_ZLIB_LEVEL))

    def to_claim(self) -> dict[str, Any]:
        """Return the ``status_list`` claim ``{"bits": ..., "lst": ...}`` (draft §4.2)."""
        return {"bits": self._width, "lst": self.encode()}

    @classmethod
    def decode(cls, lst: str, bits: int, *, max_inflated: int = DEFAULT_MAX_INFLATED) -> Self:
        """Parse an ``lst`` value (draft §4.1, §4.2); size is the full byte-array capacity.

        Raises:
            StatusListError: bad base64url, not ZLIB, truncated or trailing data, empty,
                or inflates beyond ``max_inflated``.
        """
        width = check_width(bits, "bits")
        check_max_inflated(max_inflated)
        lst = require_str(lst, "lst")
        compressed = b64url_decode_strict(lst, "lst", max_encoded_chars(max_inflated))
        raw = inflate_bounded(compressed, wbits=ZLIB_WBITS, max_inflated=max_inflated, what="lst")
        if not raw:
            raise StatusListError("lst holds an empty status list")
        self = cls.__new__(cls)
        self._setup(len(raw) * 8 // width, width, raw)
        return self

    @classmethod
    def from_claim(cls, claim: object, *, max_inflated: int = DEFAULT_MAX_INFLATED) -> Self:
        """Parse a ``status_list`` claim object (draft §4.2).

        Raises:
            StatusListError: not an object, ``bits`` not one of 1, 2, 4, 8, ``lst`` missing
                or undecodable.
        """
        claim = require_mapping(claim, "status_list")
        bits = check_width(claim.get("bits"), "status_list.bits")
        lst = require_str(claim.get("lst"), "status_list.lst")
        return cls.decode(lst, bits, max_inflated=max_inflated)

    @classmethod
    def from_bytes(cls, data: bytes, *, bits: int = 1) -> Self:
        """Rebuild a list from :meth:`to_bytes` output; size is the full capacity."""
        width = check_width(bits, "bits")
        self = cls.__new__(cls)
        self._setup(len(data) * 8 // width, width, bytearray(data))
        return self


def build_status_list_payload(
    *,
    list_url: str,
    issuer: str,
    statuses: TokenStatusList,
    issued_at: int,
    expires_at: int,
    ttl_seconds: int,
) -> dict[str, Any]:
    """The claims of a Status List Token (draft §5.1): ``sub`` is its URL.

    Sign it with :func:`vcore.jose.sign` and ``typ`` :data:`LIST_TYP`.
    """
    return {
        "iss": issuer,
        "sub": list_url,
        "iat": issued_at,
        "exp": expires_at,
        "ttl": ttl_seconds,
        "status_list": statuses.to_claim(),
    }


class TokenStatusListMechanism:
    """IETF Token Status List behind :class:`~vcore.status.mechanism.StatusMechanism`.

    Entries are the ``status.status_list`` member ``{"idx", "uri"}`` of a Referenced
    Token (draft §6.1); the list is a ``statuslist+jwt`` whose ``sub`` is its URL (§5.1).
    """

    @property
    def entry_type(self) -> str:
        """``status_list``."""
        return ENTRY_TYPE

    def parse_entry(self, raw: Mapping[str, Any]) -> StatusEntry:
        """Validate ``{"idx": N, "uri": "..."}`` (draft §6.1); ``bits`` come with the list.

        Without ``statusPurpose`` the entry is reported under ``revocation`` and one value
        covers both verdicts (:meth:`asserted`). The ``dc+sd-jwt`` format gives the slot
        twice, with ``statusPurpose`` ``revocation`` and ``suspension``: each then decides
        its own purpose, so reports carry both status checks as for Bitstring lists.

        Raises:
            StatusListError: ``idx`` not a non-negative integer or ``uri`` not a string.
        """
        raw = require_mapping(raw, "status_list")
        idx = raw.get("idx")
        if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < 10**18:
            raise StatusListError("status_list.idx must be a non-negative integer")
        uri = raw.get("uri")
        if not isinstance(uri, str) or not uri:
            raise StatusListError("status_list.uri must be a non-empty URL string")
        purpose = raw.get("statusPurpose")
        if purpose is not None and purpose not in ("revocation", "suspension"):
            raise StatusListError("status_list statusPurpose must be revocation or suspension")
        return StatusEntry(
            list_url=uri,
            index=idx,
            purpose=StatusPurpose(purpose or "revocation"),
            entry_type=ENTRY_TYPE,
            single_purpose=purpose is not None,
        )

    def recognises_list(self, typ: str) -> bool:
        """A fetched list token of ``typ`` (lower case, no ``application/``) is ours."""
        return typ == _TYP

    def parse_list_unverified(self, token: object) -> UnverifiedStatusList:
        """Read ``iss`` and ``kid`` of a ``statuslist+jwt`` (draft §5.1).

        The ``kid`` DID must be the list's issuer.

        Raises:
            StatusListError: wrong ``typ`` (another kind of list).
            MalformedError: not a JWS, no ``iss`` or ``kid``.
            IssuerMismatchError: ``kid`` names another DID than ``iss``.
        """
        jws = decode_unverified(token, max_size=MAX_STATUS_LIST_JWT)
        if (jws.typ or "").lower().removeprefix("application/") != _TYP:
            raise StatusListError(f"typ {jws.typ!r} is not {_TYP}: not a Token Status List")
        issuer = jws.payload.get("iss")
        if not isinstance(issuer, str) or not issuer or jws.kid is None:
            raise MalformedError("a statuslist+jwt needs iss and kid")
        if parse_did_url(jws.kid).did != issuer:
            raise IssuerMismatchError("status list is signed with a key of another DID")
        return UnverifiedStatusList(
            token=jws.token, issuer=issuer, kid=jws.kid, entry_type=ENTRY_TYPE
        )

    def verify_list(
        self,
        unverified: UnverifiedStatusList,
        *,
        key: PublicKey,
        list_url: str,
        fetched_at: datetime,
    ) -> StatusListSnapshot:
        """Check the signature, ``sub`` = ``list_url`` and the ``status_list`` claim.

        Raises:
            AlgorithmNotAllowedError, BadSignatureError, MalformedError: signature problems.
            StatusListError: ``sub`` is another URL, or no valid ``status_list`` claim.
        """
        verified = verify(unverified.token, key, typ=_TYP, max_size=MAX_STATUS_LIST_JWT)
        payload = verified.payload
        if payload.get("sub") != list_url:
            raise StatusListError(f"status list sub is not {list_url!r}")
        TokenStatusList.from_claim(payload.get("status_list"))
        return StatusListSnapshot(
            list_url=list_url,
            issuer=unverified.issuer,
            payload=payload,
            fetched_at=fetched_at,
            entry_type=ENTRY_TYPE,
        )

    def check_list_times(self, snapshot: StatusListSnapshot, now: datetime) -> None:
        """``exp`` passed: unavailable (fail closed), with 60 s leeway (draft §8.3).

        Raises:
            StatusUnavailableError: the list expired.
            StatusListError: a malformed ``exp``.
        """
        if "exp" not in snapshot.payload:
            return
        try:
            expires = from_timestamp(snapshot.payload["exp"])
        except TrustIDError as exc:
            raise StatusListError("the status list has a malformed exp") from exc
        if expires < now - DEFAULT_LEEWAY:
            raise StatusUnavailableError(
                f"the issuer's status list expired at {format_datetime(expires)}"
            )

    def value_at(self, snapshot: StatusListSnapshot, entry: StatusEntry, memo: DecodedLists) -> int:
        """Decode the list once per memo and read ``idx``.

        Raises:
            StatusListError: the list does not decode, or ``idx`` is out of range.
        """
        memo_key = (entry.list_url, ENTRY_TYPE, 0)
        values = memo.get(memo_key)
        if values is None:
            values = TokenStatusList.from_claim(snapshot.payload.get("status_list"))
            memo[memo_key] = values
        return values.get(entry.index)

    def asserted(self, entry: StatusEntry, value: int) -> StatusPurpose | None:
        """0 VALID, 1 INVALID (revoked), 2 SUSPENDED; any other value fails closed.

        Raises:
            StatusListError: a value this verifier cannot interpret (draft §7.1: 3 is
                application-specific, 4+ unassigned).
        """
        if value not in (0, 1, 2):
            raise StatusListError(f"status value {value} has no meaning this verifier knows")
        meaning = {0: None, 1: StatusPurpose.REVOCATION, 2: StatusPurpose.SUSPENSION}[value]
        if entry.single_purpose and meaning is not entry.purpose:
            return None
        return meaning


TOKEN_STATUS_LIST = register(TokenStatusListMechanism())
"""The registered IETF Token Status List mechanism."""
