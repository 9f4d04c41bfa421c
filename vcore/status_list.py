"""Status lists: W3C Bitstring Status List v1.0 and IETF Token Status List.

Two wire formats for the same idea (one small integer per issued credential, packed
into a compressed byte array) that differ in every detail that matters:

=====================  ==================================  ===================================
                       W3C Bitstring Status List v1.0      IETF draft-ietf-oauth-status-list
=====================  ==================================  ===================================
compression            GZIP (RFC 1952)                     DEFLATE in ZLIB (RFC 1950)
text encoding          multibase ``u`` + base64url, no pad  base64url, no pad (``lst``)
bit order in a byte    MSB first: index 0 is bit 7          LSB first: index 0 is bit 0
entry width            ``statusSize`` (1, 2, 4, 8 here)     ``bits`` in {1, 2, 4, 8}
minimum length         131,072 entries (§3.2 step 2)        none
=====================  ==================================  ===================================

:class:`BitstringStatusList` is what TrustID issues and checks (DESIGN §2 "Status");
:class:`TokenStatusList` is here so the same code can read the IETF format.

Decoding is built for hostile input: base64url is parsed strictly (no padding, no
stray characters, no non-canonical trailing bits), the wrong container (zlib where
GZIP is expected and vice versa) is refused, and inflation is streamed against a
hard output bound, so a decompression bomb costs at most ``max_inflated`` bytes plus
one 256 KiB chunk before it is refused (it is never inflated fully first).
Every failure raises :class:`~vcore.errors.StatusListError` (``status_list_invalid``).

This module is pure: no I/O, no clock. Checking the status list credential's
signature and validity window is the caller's job (``vcore.verification``).
"""

from __future__ import annotations

import gzip
import re
import secrets
import zlib
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from vcore.errors import StatusListError
from vcore.keys import b64url_decode, b64url_encode

__all__ = [
    "DEFAULT_MAX_INFLATED",
    "MIN_BITSTRING_ENTRIES",
    "STATUS_PURPOSES",
    "BitstringStatusList",
    "StatusEntry",
    "TokenStatusList",
    "build_status_entry",
    "build_status_list_credential",
    "parse_status_entry",
    "pick_free_index",
    "read_status_list_credential",
]

MIN_BITSTRING_ENTRIES = 131_072
"""Minimum number of entries per W3C list (Bitstring Status List §3.2 step 2, §6.1)."""

DEFAULT_MAX_INFLATED = 16 * 1024 * 1024
"""Default bound on the inflated size of a status list, in bytes (16 MiB)."""

STATUS_PURPOSES = frozenset({"revocation", "suspension", "refresh", "message"})
"""``statusPurpose`` values with a meaning defined by Bitstring Status List §2.1."""

_WIDTHS = frozenset({1, 2, 4, 8})
_VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_ENTRY_TYPE = "BitstringStatusListEntry"
_LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
_LIST_TYPE = "BitstringStatusList"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # gzip container only; no auto-detection of zlib
_ZLIB_WBITS = zlib.MAX_WBITS  # zlib container only; no auto-detection of gzip
_W3C_GZIP_LEVEL = 6  # level 6, mtime 0 reproduces the spec's example encodedList
_IETF_ZLIB_LEVEL = 9  # draft §4.1: "RECOMMENDED to use the highest compression level"
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
_INDEX_RE = re.compile(r"0|[1-9][0-9]{0,17}")  # canonical base-10, below 10**18
_NONZERO_BYTE_RE = re.compile(rb"[^\x00]")
_INFLATE_CHUNK = 256 * 1024


# --------------------------------------------------------------------------- helpers


def _check_width(width: object, name: str) -> int:
    if isinstance(width, bool) or not isinstance(width, int) or width not in _WIDTHS:
        raise StatusListError(f"{name} must be one of 1, 2, 4 or 8, got {width!r}")
    return width


def _require_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise StatusListError(f"{what} must be a string")
    return value


def _require_mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise StatusListError(f"{what} must be a JSON object")
    return value


def _check_max_inflated(max_inflated: int) -> None:
    if max_inflated < 1:
        raise StatusListError("max_inflated must be a positive number of bytes")


def _b64url_decode_strict(text: str, what: str, max_chars: int) -> bytes:
    """Decode unpadded base64url (RFC 4648 §5), refusing every non-canonical form.

    ``base64.urlsafe_b64decode`` silently skips characters outside the alphabet and
    accepts ``+``/``/``, padding, and non-zero trailing bits; each of those lets two
    different strings mean the same list, so all are refused here.
    """
    if len(text) > max_chars:
        raise StatusListError(f"{what} is longer than any list within the size bound")
    if _B64URL_RE.fullmatch(text) is None:
        raise StatusListError(f"{what} is not unpadded base64url")
    if len(text) % 4 == 1:
        raise StatusListError(f"{what} has an impossible base64url length")
    try:
        # The alphabet and length are checked above, so only stray trailing bits remain.
        return b64url_decode(text)
    except ValueError as exc:
        raise StatusListError(f"{what} is non-canonical base64url (stray trailing bits)") from exc


def _max_encoded_chars(max_inflated: int) -> int:
    # A compressor never needs more than ~5 bytes per 64 KiB stored block over its input,
    # so a compressed stream far longer than the inflate bound is not an honest list.
    # Refusing it up front avoids base64-decoding an arbitrarily large string.
    compressed_bound = max_inflated + max_inflated // 64 + 4096
    return (compressed_bound * 4) // 3 + 4


def _inflate_bounded(data: bytes, *, wbits: int, max_inflated: int, what: str) -> bytearray:
    """Inflate ``data`` (one complete stream, nothing after it) to at most ``max_inflated``.

    Output is produced in bounded chunks into one growing buffer, so a decompression
    bomb costs at most ``max_inflated`` plus one chunk before it is refused; the stream
    is never inflated fully first. zlib checks the trailer itself (gzip CRC-32 and
    ISIZE, or zlib Adler-32).
    """
    inflater = zlib.decompressobj(wbits)
    out = bytearray()
    pending = data
    try:
        while True:
            want = min(_INFLATE_CHUNK, max_inflated + 1 - len(out))
            chunk = inflater.decompress(pending, want)
            out += chunk
            if len(out) > max_inflated:
                raise StatusListError(f"{what} inflates to more than {max_inflated} bytes; refused")
            pending = inflater.unconsumed_tail
            # Stop at the end of the stream, or once the input is used up and zlib had
            # no more output to give (it returned less than asked).
            if inflater.eof or (not pending and len(chunk) < want):
                break
    except zlib.error as exc:
        raise StatusListError(f"{what} is not a valid compressed stream: {exc}") from exc
    if not inflater.eof:
        raise StatusListError(f"{what} is truncated: the compressed stream does not end")
    if inflater.unused_data:
        raise StatusListError(f"{what} has trailing data after the compressed stream")
    return out


# ---------------------------------------------------------------- packed status arrays


class _PackedStatuses:
    """Fixed-width unsigned integers packed into a bytearray; O(1) get and set.

    Widths divide 8, so an entry never straddles a byte. Subclasses only choose the
    bit order within a byte, through ``_MSB_FIRST``.
    """

    _MSB_FIRST: ClassVar[bool]
    __slots__ = ("_bits", "_mask", "_per_byte", "_shifts", "_size", "_width")

    _bits: bytearray
    _mask: int
    _per_byte: int
    _shifts: tuple[int, ...]
    _size: int
    _width: int

    def _setup(self, size: int, width: int, raw: bytearray | None) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise StatusListError(f"a status list needs at least one entry, got size={size!r}")
        per_byte = 8 // width
        n_bytes = -(-size // per_byte)
        if raw is None:
            raw = bytearray(n_bytes)
        elif len(raw) != n_bytes:
            raise StatusListError(f"{len(raw)} bytes cannot hold exactly {size} entries")
        self._bits = raw
        self._size = size
        self._width = width
        self._mask = (1 << width) - 1
        self._per_byte = per_byte
        if self._MSB_FIRST:
            self._shifts = tuple(8 - width * (slot + 1) for slot in range(per_byte))
        else:
            self._shifts = tuple(width * slot for slot in range(per_byte))

    @property
    def size(self) -> int:
        """Number of entries in the list."""
        return self._size

    def get(self, index: int) -> int:
        """Return the status value at ``index``.

        Raises:
            StatusListError: ``index`` is outside ``0 .. size - 1`` (the spec's RANGE_ERROR).
        """
        if not 0 <= index < self._size:
            raise StatusListError(f"RANGE_ERROR: index {index} is outside 0..{self._size - 1}")
        byte, slot = divmod(index, self._per_byte)
        return (self._bits[byte] >> self._shifts[slot]) & self._mask

    def set(self, index: int, value: int) -> None:
        """Set the status value at ``index``.

        Raises:
            StatusListError: ``index`` out of range, or ``value`` does not fit the width.
        """
        if not 0 <= index < self._size:
            raise StatusListError(f"RANGE_ERROR: index {index} is outside 0..{self._size - 1}")
        if not 0 <= value <= self._mask:
            raise StatusListError(f"value {value!r} does not fit in {self._width} bit(s)")
        byte, slot = divmod(index, self._per_byte)
        shift = self._shifts[slot]
        bits = self._bits
        bits[byte] = (bits[byte] & ~(self._mask << shift) & 0xFF) | (value << shift)

    def set_indices(self) -> list[int]:
        """Return, in ascending order, every index whose value is not 0."""
        found: list[int] = []
        bits, per_byte, shifts, mask = self._bits, self._per_byte, self._shifts, self._mask
        # A regex scan skips the zero bytes in C: lists are overwhelmingly zero.
        for match in _NONZERO_BYTE_RE.finditer(bits):
            pos = match.start()
            byte = bits[pos]
            base = pos * per_byte
            found.extend(base + slot for slot in range(per_byte) if (byte >> shifts[slot]) & mask)
        if found and found[-1] >= self._size:  # padding entries of a partial last byte
            found = [index for index in found if index < self._size]
        return found

    def to_bytes(self) -> bytes:
        """Return the uncompressed byte array (for storage; not a wire format)."""
        return bytes(self._bits)

    def __eq__(self, other: object) -> bool:
        # Defining __eq__ also makes instances unhashable, as a mutable list should be.
        if not isinstance(other, _PackedStatuses) or type(other) is not type(self):
            return NotImplemented
        return (
            self._size == other._size and self._width == other._width and self._bits == other._bits
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self._size}, width={self._width}, "
            f"set={len(self.set_indices())})"
        )


class BitstringStatusList(_PackedStatuses):
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
        self._setup(size, _check_width(status_size, "status_size"), None)

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
        width = _check_width(status_size, "status_size")
        _check_max_inflated(max_inflated)
        encoded = _require_str(encoded, "encodedList")
        if not encoded.startswith("u"):
            raise StatusListError("encodedList must be multibase base64url (prefix 'u')")
        compressed = _b64url_decode_strict(
            encoded[1:], "encodedList", _max_encoded_chars(max_inflated)
        )
        raw = _inflate_bounded(
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
        width = _check_width(status_size, "status_size")
        self = cls.__new__(cls)
        self._setup(len(data) * 8 // width, width, bytearray(data))
        return self


class TokenStatusList(_PackedStatuses):
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
        self._setup(size, _check_width(bits, "bits"), None)

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
        width = _check_width(bits, "bits")
        _check_max_inflated(max_inflated)
        lst = _require_str(lst, "lst")
        compressed = _b64url_decode_strict(lst, "lst", _max_encoded_chars(max_inflated))
        raw = _inflate_bounded(compressed, wbits=_ZLIB_WBITS, max_inflated=max_inflated, what="lst")
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
        claim = _require_mapping(claim, "status_list")
        bits = _check_width(claim.get("bits"), "status_list.bits")
        lst = _require_str(claim.get("lst"), "status_list.lst")
        return cls.decode(lst, bits, max_inflated=max_inflated)

    @classmethod
    def from_bytes(cls, data: bytes, *, bits: int = 1) -> Self:
        """Rebuild a list from :meth:`to_bytes` output; size is the full capacity."""
        width = _check_width(bits, "bits")
        self = cls.__new__(cls)
        self._setup(len(data) * 8 // width, width, bytearray(data))
        return self


# ------------------------------------------------------------ credentials and entries


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A parsed ``BitstringStatusListEntry`` (Bitstring Status List §2.1).

    Attributes:
        list_url: ``statusListCredential``: where the status list credential lives.
        index: ``statusListIndex`` as an integer.
        purpose: ``statusPurpose``.
        status_size: ``statusSize`` (1 when absent).
    """

    list_url: str
    index: int
    purpose: str
    status_size: int = 1


def _check_purpose(purpose: object) -> str:
    if not isinstance(purpose, str) or purpose not in STATUS_PURPOSES:
        raise StatusListError(
            f"statusPurpose must be one of {sorted(STATUS_PURPOSES)}, got {purpose!r}"
        )
    return purpose


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
        type=_ENTRY_TYPE,
        statusPurpose=_check_purpose(purpose),
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
    entry = _require_mapping(entry, "credentialStatus entry")
    if not _has_type(entry.get("type"), _ENTRY_TYPE):
        raise StatusListError(f"credentialStatus type must be {_ENTRY_TYPE}")
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
    status_size = _check_width(entry.get("statusSize", 1), "statusSize")
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
        "statusPurpose": _check_purpose(purpose),
        "encodedList": encoded_list,
    }
    if ttl_ms is not None:
        if isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms < 1:
            raise StatusListError(f"ttl_ms must be a positive integer, got {ttl_ms!r}")
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [_VC_V2_CONTEXT],
        "id": list_id,
        "type": ["VerifiableCredential", _LIST_CREDENTIAL_TYPE],
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
    payload = _require_mapping(payload, "status list credential")
    types = payload.get("type")
    if not (_has_type(types, _LIST_CREDENTIAL_TYPE) and _has_type(types, "VerifiableCredential")):
        raise StatusListError(
            f"status list credential type must include VerifiableCredential and {_LIST_CREDENTIAL_TYPE}"
        )
    if payload.get("id") != list_url:
        raise StatusListError(
            f"status list credential id {payload.get('id')!r} is not the referenced {list_url!r}"
        )
    subject = _require_mapping(payload.get("credentialSubject"), "credentialSubject")
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
    encoded = _require_str(subject.get("encodedList"), "credentialSubject.encodedList")
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
