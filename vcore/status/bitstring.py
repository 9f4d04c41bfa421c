"""W3C Bitstring Status List v1.0: the list codec, status entries, list credentials.

:class:`BitstringStatusList` is what TrustID issues and checks (DESIGN §2 "Status"):
entry ``i`` is read MSB first, the wire form is multibase ``u`` + base64url of GZIP
(§3.3, §3.4); see :mod:`vcore.status.packed` for how hostile input is decoded. Also the
``BitstringStatusListEntry`` (§2.1) and the unsigned ``BitstringStatusListCredential``
(§2.2), and random index allocation (§6.5 herd privacy).

This module is pure: no I/O, no clock. The signed list (a ``vc+jwt``) is read and
checked in :mod:`vcore.status.bitstring_list`, which registers this mechanism.
"""

from __future__ import annotations

import gzip
import re
import secrets
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, Self

from vcore.errors import StatusListError
from vcore.keys import b64url_encode
from vcore.status.mechanism import StatusEntry, StatusPurpose
from vcore.status.packed import (
    DEFAULT_MAX_INFLATED,
    PackedStatuses,
    b64url_decode_strict,
    check_max_inflated,
    check_width,
    inflate_bounded,
    max_encoded_chars,
    require_mapping,
    require_str,
)
from vcore.status.packed import (
    GZIP_WBITS as _GZIP_WBITS,
)

__all__ = [
    "DEFAULT_MAX_INFLATED",
    "ENTRY_TYPE",
    "LIST_CREDENTIAL_TYPE",
    "MIN_BITSTRING_ENTRIES",
    "STATUS_PURPOSES",
    "BitstringStatusList",
    "build_status_entry",
    "build_status_list_credential",
    "parse_status_entry",
    "pick_free_index",
    "read_status_list_credential",
]

MIN_BITSTRING_ENTRIES = 131_072
"""Minimum number of entries per W3C list (Bitstring Status List §3.2 step 2, §6.1)."""

STATUS_PURPOSES = frozenset(StatusPurpose)
"""``statusPurpose`` values with a meaning defined by Bitstring Status List §2.1."""

ENTRY_TYPE = "BitstringStatusListEntry"
"""The ``credentialStatus.type`` of this mechanism (§2.1): its registry key."""
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
"""The ``type`` of a status list credential (§2.2)."""

_VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_LIST_TYPE = "BitstringStatusList"
_W3C_GZIP_LEVEL = 6  # level 6, mtime 0 reproduces the spec's example encodedList
_INDEX_RE = re.compile(r"0|[1-9][0-9]{0,17}")  # canonical base-10, below 10**18


class BitstringStatusList(PackedStatuses):
    """A W3C Bitstring Status List (Bitstring Status List v1.0, W3C Recommendation).

    Entry ``i`` occupies bits ``i * status_size`` to ``(i + 1) * status_size - 1`` of the
    bitstring, where bit 0 is the left-most (most significant) bit of byte 0 (§2.2
    ``encodedList``, §7.1 "Bitstring Encoding"). The spec does not spell out the order
    inside a multi-bit entry; this module reads it like the bitstring, first bit most
    significant, so ``status_size=8`` is simply one byte per entry. The wire form is ``encodedList``: multibase ``u`` +
    unpadded base64url of the GZIP-compressed bitstring (§3.3, §3.4).

    Args:
        size: Number of entries. Conforming verifiers refuse lists shorter than
            :data:`MIN_BITSTRING_ENTRIES` (§3.2 step 9), so issuers should keep the default.
        status_size: Bits per entry (``statusSize``, §2.1); one of 1, 2, 4, 8.

    Raises:
        StatusListError: ``size`` < 1 or an unsupported ``status_size``.
    """

    _MSB_FIRST = True
    __slots__ = ()

    def __init__(self, size: int = MIN_BITSTRING_ENTRIES, status_size: int = 1) -> None:
        self._setup(size, check_width(status_size, "status_size"), None)

    @property
    def status_size(self) -> int:
        """Bits per entry (``statusSize``, Bitstring Status List §2.1)."""
        return self._width

    def encode(self) -> str:
        """Return the ``encodedList`` value (Bitstring Status List §3.3 step 3).

        GZIP at level 6 with ``mtime=0`` is deterministic, so an unchanged list encodes to
        the same string (stable ETags), and it reproduces the spec's example byte for byte.
        """
        compressed = gzip.compress(bytes(self._bits), compresslevel=_W3C_GZIP_LEVEL, mtime=0)
        return "u" + b64url_encode(compressed)

    @classmethod
    def decode(
        cls,
        encoded: str,
        *,
        status_size: int = 1,
        min_entries: int = MIN_BITSTRING_ENTRIES,
        max_inflated: int = DEFAULT_MAX_INFLATED,
    ) -> Self:
        """Parse an ``encodedList`` (Bitstring Status List §3.4, §3.2 steps 8-9).

        The number of entries is the bitstring length divided by ``status_size``.

        Args:
            encoded: The ``encodedList`` string.
            status_size: ``statusSize`` of the entry being checked (1, 2, 4 or 8).
            min_entries: Refuse shorter lists (§3.2 step 2; an ecosystem may lower it).
            max_inflated: Refuse lists whose bitstring exceeds this many bytes.

        Raises:
            StatusListError: missing ``u`` prefix, bad base64url, not GZIP, truncated or
                trailing data, inflates beyond ``max_inflated``, or fewer than
                ``min_entries`` entries (STATUS_LIST_LENGTH_ERROR).
        """
        width = check_width(status_size, "status_size")
        check_max_inflated(max_inflated)
        encoded = require_str(encoded, "encodedList")
        if not encoded.startswith("u"):
            raise StatusListError("encodedList must be multibase base64url (prefix 'u')")
        compressed = b64url_decode_strict(
            encoded[1:], "encodedList", max_encoded_chars(max_inflated)
        )
        raw = inflate_bounded(
            compressed, wbits=_GZIP_WBITS, max_inflated=max_inflated, what="encodedList"
        )
        size = len(raw) * 8 // width
        if size < max(min_entries, 1):
            raise StatusListError(
                f"STATUS_LIST_LENGTH_ERROR: {size} entries, fewer than the minimum {min_entries}"
            )
        self = cls.__new__(cls)
        self._setup(size, width, raw)
        return self

    @classmethod
    def from_bytes(cls, data: bytes, *, status_size: int = 1) -> Self:
        """Rebuild a list from :meth:`to_bytes` output; size is the full capacity."""
        width = check_width(status_size, "status_size")
        self = cls.__new__(cls)
        self._setup(len(data) * 8 // width, width, bytearray(data))
        return self


# ------------------------------------------------------------ credentials and entries


def _check_purpose(purpose: object) -> StatusPurpose:
    if not isinstance(purpose, str) or purpose not in STATUS_PURPOSES:
        raise StatusListError(
            f"statusPurpose must be one of {sorted(p.value for p in StatusPurpose)}, "
            f"got {purpose!r}"
        )
    return StatusPurpose(purpose)


def _has_type(value: object, wanted: str) -> bool:
    # JSON-LD allows a type to be one string or an array of strings.
    if isinstance(value, str):
        return value == wanted
    return isinstance(value, list) and wanted in value


def build_status_entry(
    *, list_url: str, index: int, purpose: str, with_id: bool = False
) -> dict[str, Any]:
    """Build a ``credentialStatus`` entry of type ``BitstringStatusListEntry`` (§2.1).

    The entry ``id`` is optional (VC Data Model 2.0 §4.10) and left out by default: it
    repeats the list URL and index and costs ~50 characters per entry in every QR code.
    With ``with_id`` it is ``<list_url>#<index>`` as in the spec's examples, which differs
    from the list URL as §2.1 requires.

    Raises:
        StatusListError: empty ``list_url``, negative ``index``, or unknown ``purpose``.
    """
    if not isinstance(list_url, str) or not list_url:
        raise StatusListError("list_url must be a non-empty string")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusListError(f"statusListIndex must be a non-negative integer, got {index!r}")
    entry: dict[str, Any] = {"id": f"{list_url}#{index}"} if with_id else {}
    entry.update(
        type=ENTRY_TYPE,
        statusPurpose=_check_purpose(purpose).value,
        statusListIndex=str(index),
        statusListCredential=list_url,
    )
    return entry


def parse_status_entry(entry: object) -> StatusEntry:
    """Validate one ``credentialStatus`` entry of type ``BitstringStatusListEntry`` (§2.1).

    ``statusListIndex`` must be a canonical base-10 string (digits only, no sign, no
    leading zeros, no whitespace): ``int()`` would also take ``" +1_0"``, and two
    spellings of one index would be two identities for one slot. ``statusSize``, when
    present, must be 1, 2, 4 or 8; above 1 the spec requires ``statusMessage`` with one
    element per possible value.

    Raises:
        StatusListError: not an object, wrong ``type``, missing or malformed field, or
            a ``statusPurpose`` outside :data:`STATUS_PURPOSES`.
    """
    entry = require_mapping(entry, "credentialStatus entry")
    if not _has_type(entry.get("type"), ENTRY_TYPE):
        raise StatusListError(f"credentialStatus type must be {ENTRY_TYPE}")
    for field in ("statusPurpose", "statusListIndex", "statusListCredential"):
        if field not in entry:
            raise StatusListError(f"credentialStatus is missing {field}")
    purpose = _check_purpose(entry["statusPurpose"])
    raw_index = entry["statusListIndex"]
    if not isinstance(raw_index, str) or _INDEX_RE.fullmatch(raw_index) is None:
        raise StatusListError(
            f"statusListIndex must be a non-negative base-10 integer string, got {raw_index!r}"
        )
    list_url = entry["statusListCredential"]
    if not isinstance(list_url, str) or not list_url:
        raise StatusListError("statusListCredential must be a non-empty URL string")
    status_size = check_width(entry.get("statusSize", 1), "statusSize")
    messages = entry.get("statusMessage")
    needs_messages = messages is not None or status_size > 1
    if needs_messages and (not isinstance(messages, list) or len(messages) != 1 << status_size):
        raise StatusListError(
            f"statusMessage must list {1 << status_size} messages for statusSize {status_size}"
        )
    entry_id = entry.get("id")
    if entry_id is not None and (not isinstance(entry_id, str) or entry_id == list_url):
        raise StatusListError("credentialStatus id must be a string other than the list URL")
    return StatusEntry(
        list_url=list_url, index=int(raw_index), purpose=purpose, status_size=status_size
    )


def build_status_list_credential(
    *,
    list_id: str,
    issuer: str,
    purpose: str,
    encoded_list: str,
    valid_from: str,
    valid_until: str | None = None,
    ttl_ms: int | None = 300_000,
) -> dict[str, Any]:
    """Build the unsigned ``BitstringStatusListCredential`` payload (§2.2, §3.1).

    Args:
        list_id: The credential ``id``, equal to the entries' ``statusListCredential``.
        issuer: Issuer DID.
        purpose: ``statusPurpose`` of the list.
        encoded_list: :meth:`BitstringStatusList.encode` output.
        valid_from: VC 2.0 dateTimeStamp (``vcore.clock.format_datetime``).
        valid_until: Optional dateTimeStamp.
        ttl_ms: ``ttl`` in milliseconds (§2.2 ``credentialSubject.ttl``); DESIGN §4 sets
            300 s. ``None`` omits it.

    Raises:
        StatusListError: unknown purpose, empty ids, an ``encoded_list`` without the
            multibase ``u`` prefix, or a non-positive ``ttl_ms``.
    """
    if not isinstance(list_id, str) or not list_id:
        raise StatusListError("list_id must be a non-empty string")
    if not isinstance(issuer, str) or not issuer:
        raise StatusListError("issuer must be a non-empty string")
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise StatusListError("encoded_list must be a multibase base64url string ('u' prefix)")
    subject: dict[str, Any] = {
        "id": f"{list_id}#list",
        "type": _LIST_TYPE,
        "statusPurpose": _check_purpose(purpose).value,
        "encodedList": encoded_list,
    }
    if ttl_ms is not None:
        if isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms < 1:
            raise StatusListError(f"ttl_ms must be a positive integer, got {ttl_ms!r}")
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [_VC_V2_CONTEXT],
        "id": list_id,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": valid_from,
    }
    if valid_until is not None:
        credential["validUntil"] = valid_until
    credential["credentialSubject"] = subject
    return credential


def read_status_list_credential(
    payload: Mapping[str, Any],
    *,
    expected_purpose: str,
    list_url: str,
    status_size: int = 1,
    min_entries: int = MIN_BITSTRING_ENTRIES,
    max_inflated: int = DEFAULT_MAX_INFLATED,
) -> BitstringStatusList:
    """Check a (signature-verified) status list credential and decode its list (§3.2).

    Checks ``type`` includes ``BitstringStatusListCredential``, ``id`` equals the
    entry's ``statusListCredential`` (so a validly signed list published under another
    URL cannot be substituted), ``credentialSubject.type`` is ``BitstringStatusList``,
    and the entry's purpose is one of the list's ``statusPurpose`` values (§3.2 step 5),
    then decodes ``encodedList`` (steps 8-9). Signature and ``validFrom``/``validUntil``
    are the caller's to check.

    Args:
        payload: The status list credential (the verified ``vc+jwt`` payload).
        expected_purpose: ``statusPurpose`` of the credential's status entry.
        list_url: ``statusListCredential`` of the credential's status entry.
        status_size: ``statusSize`` of the entry (:attr:`StatusEntry.status_size`).
        min_entries: Passed to :meth:`BitstringStatusList.decode`.
        max_inflated: Passed to :meth:`BitstringStatusList.decode`.

    Raises:
        StatusListError: any check fails or the list does not decode.
    """
    _check_purpose(expected_purpose)
    payload = require_mapping(payload, "status list credential")
    types = payload.get("type")
    if not (_has_type(types, LIST_CREDENTIAL_TYPE) and _has_type(types, "VerifiableCredential")):
        raise StatusListError(
            f"status list credential type must include VerifiableCredential and {LIST_CREDENTIAL_TYPE}"
        )
    if payload.get("id") != list_url:
        raise StatusListError(
            f"status list credential id {payload.get('id')!r} is not the referenced {list_url!r}"
        )
    subject = require_mapping(payload.get("credentialSubject"), "credentialSubject")
    if not _has_type(subject.get("type"), _LIST_TYPE):
        raise StatusListError(f"status list credentialSubject type must be {_LIST_TYPE}")
    purposes = subject.get("statusPurpose")
    if not (
        purposes == expected_purpose
        or (isinstance(purposes, list) and expected_purpose in purposes)
    ):
        raise StatusListError(
            f"STATUS_VERIFICATION_ERROR: list purpose {purposes!r} is not {expected_purpose!r}"
        )
    encoded = require_str(subject.get("encodedList"), "credentialSubject.encodedList")
    return BitstringStatusList.decode(
        encoded, status_size=status_size, min_entries=min_entries, max_inflated=max_inflated
    )


# ------------------------------------------------------------------ index allocation


def pick_free_index(
    size: int,
    taken: Callable[[int], bool] | AbstractSet[int],
    *,
    rng: Callable[[int], int] = secrets.randbelow,
    max_tries: int = 64,
) -> int:
    """Draw a status list index uniformly at random among the free slots.

    Random allocation is what gives herd privacy: an index must reveal neither when a
    credential was issued nor how many were (Bitstring Status List §2.1
    ``statusListIndex``, §6.5). Up to ``max_tries`` uniform draws over ``0 .. size - 1``
    are tried (rejection sampling: conditioned on acceptance, uniform over the free
    slots); when that fails the list is nearly full, so the free slots are enumerated
    and one is drawn from them, which is uniform as well. Uniqueness under concurrency
    is the caller's (a DB unique constraint): this only proposes a slot.

    Args:
        size: Number of slots in the list.
        taken: The taken indices, or a predicate telling whether an index is taken.
            The fallback calls it once per slot, so a predicate should be cheap.
        rng: ``rng(n)`` returns a uniform integer in ``0 .. n - 1``; ``secrets.randbelow``
            by default, injectable for tests.
        max_tries: Random draws before falling back to enumerating free slots.

    Returns:
        A free index.

    Raises:
        StatusListError: ``size`` < 1 or every slot is taken.
        ValueError: ``rng`` returned a value outside ``0 .. n - 1``.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise StatusListError(f"size must be a positive integer, got {size!r}")
    is_taken: Callable[[int], bool] = taken if callable(taken) else taken.__contains__

    def draw(n: int) -> int:
        value = rng(n)
        if not 0 <= value < n:
            raise ValueError(f"rng({n}) returned {value!r}, outside 0..{n - 1}")
        return value

    for _ in range(max_tries):
        candidate = draw(size)
        if not is_taken(candidate):
            return candidate
    free = [index for index in range(size) if not is_taken(index)]
    if not free:
        raise StatusListError(f"status list is full: all {size} slots are taken")
    return free[draw(len(free))]
