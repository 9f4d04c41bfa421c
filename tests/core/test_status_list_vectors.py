"""Known-answer vectors for both status list formats, run valid and invalid.

Vectors live in tests/data/status_list/ (see PROVENANCE.md there). Decoded bits are
compared, not re-encoded strings, except where a test pins the compressor on purpose.
"""

from __future__ import annotations

import base64
import gzip
import json
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest

from vcore.errors import StatusListError, TrustIDError
from vcore.status import (
    MIN_BITSTRING_ENTRIES,
    BitstringStatusList,
    StatusEntry,
    TokenStatusList,
    parse_status_entry,
    read_status_list_credential,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "status_list"
W3C: dict[str, Any] = json.loads((DATA / "bitstring_vectors.json").read_text(encoding="utf-8"))
IETF: dict[str, Any] = json.loads((DATA / "status_list_vectors.json").read_text(encoding="utf-8"))

W3C_VECTORS: list[dict[str, Any]] = W3C["vectors"]
SPEC_EXAMPLE = W3C_VECTORS[0]["encodedList"]
IETF_LONG = [v for v in IETF["vectors"] if "set_statuses" in v]
IETF_SMALL = [v for v in IETF["vectors"] if "byte_array_hex" in v]

MiB = 1024 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def streamed_bomb(inflated_bytes: int, *, wbits: int) -> bytes:
    """Compress ``inflated_bytes`` zeros without ever holding them: 1 MiB at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = bytes(MiB)
    parts = [compressor.compress(chunk) for _ in range(inflated_bytes // MiB)]
    parts.append(compressor.flush())
    return b"".join(parts)


# ------------------------------------------------------------------------- W3C valid


@pytest.mark.parametrize("vector", W3C_VECTORS, ids=lambda v: f"{v['length_bits']}bits")
def test_w3c_vector_decodes_to_expected_bits(vector: dict[str, Any]) -> None:
    status_list = BitstringStatusList.decode(vector["encodedList"], min_entries=1)
    assert status_list.size == vector["length_bits"]
    assert status_list.status_size == 1
    assert status_list.set_indices() == vector["set_indices"]
    for index in vector["set_indices"]:
        assert status_list.get(index) == 1
        assert status_list.get(index - 1) == 0
        assert status_list.get(index + 1) == 0


def test_w3c_spec_example_is_reproduced_byte_for_byte() -> None:
    # The README trap: level 6 with mtime 0 reproduces the spec's example exactly.
    status_list = BitstringStatusList()
    assert status_list.encode() == SPEC_EXAMPLE
    assert BitstringStatusList.decode(SPEC_EXAMPLE) == status_list


def test_w3c_vector_with_50000th_set_round_trips_through_our_encoder() -> None:
    vector = W3C_VECTORS[2]
    decoded = BitstringStatusList.decode(vector["encodedList"], min_entries=100_000)
    again = BitstringStatusList.decode(decoded.encode(), min_entries=100_000)
    assert again.set_indices() == [50000]
    assert again == decoded


def test_w3c_example_credential_and_entry() -> None:
    credential = W3C["example_status_list_credential"]
    entry = parse_status_entry(W3C["example_entry"])
    assert entry == StatusEntry(
        list_url="https://example.com/credentials/status/3",
        index=94567,
        purpose="revocation",
        status_size=1,
    )
    status_list = read_status_list_credential(
        credential, expected_purpose=entry.purpose, list_url=entry.list_url
    )
    assert status_list.size == MIN_BITSTRING_ENTRIES
    assert status_list.get(entry.index) == 0


# ---------------------------------------------------------------------- W3C invalid


@pytest.mark.parametrize("vector", W3C_VECTORS[1:], ids=["100k", "100k-with-50000th-revoked"])
def test_w3c_short_lists_are_refused_by_default(vector: dict[str, Any]) -> None:
    # §3.2 step 9: fewer than 131,072 entries is STATUS_LIST_LENGTH_ERROR.
    with pytest.raises(StatusListError, match="STATUS_LIST_LENGTH_ERROR"):
        BitstringStatusList.decode(vector["encodedList"])


def test_w3c_length_is_counted_in_entries_of_status_size() -> None:
    # The spec example has 131,072 bits: 131,072 one-bit entries but only 65,536 two-bit ones.
    assert BitstringStatusList.decode(SPEC_EXAMPLE, status_size=1).size == 131_072
    with pytest.raises(StatusListError, match="STATUS_LIST_LENGTH_ERROR"):
        BitstringStatusList.decode(SPEC_EXAMPLE, status_size=2)
    assert (
        BitstringStatusList.decode(SPEC_EXAMPLE, status_size=2, min_entries=65_536).size == 65_536
    )


def _padded(text: str) -> str:
    """Return ``text`` with the ``=`` padding RFC 4648 would add (the vector needs some)."""
    padding = "=" * (-len(text) % 4)
    assert padding, "pick a vector whose base64url needs padding"
    return text + padding


def _flip_last_char(text: str) -> str:
    return text[:-1] + ("B" if text[-1] != "B" else "C")


SPEC_GZIP = unb64url(SPEC_EXAMPLE[1:])

W3C_INVALID: dict[str, object] = {
    "empty": "",
    "prefix-only": "u",
    "no-multibase-prefix": SPEC_EXAMPLE[1:],
    "base58btc-prefix": "z" + SPEC_EXAMPLE[1:],
    "uppercase-U-prefix (base64url-pad)": "U" + SPEC_EXAMPLE[1:],
    "padded-base64url": "u" + _padded(W3C_VECTORS[1]["encodedList"][1:]),
    "standard-base64-alphabet": "u" + base64.b64encode(SPEC_GZIP).decode("ascii").rstrip("="),
    "embedded-whitespace": SPEC_EXAMPLE[:20] + " " + SPEC_EXAMPLE[20:],
    "trailing-newline": SPEC_EXAMPLE + "\n",
    "non-ascii-digit": SPEC_EXAMPLE[:20] + "\u0661" + SPEC_EXAMPLE[21:],
    "impossible-length": SPEC_EXAMPLE + "A" * ((1 - (len(SPEC_EXAMPLE) - 1)) % 4),
    "non-canonical-trailing-bits": _flip_last_char(SPEC_EXAMPLE),
    "truncated-gzip": "u" + b64url(SPEC_GZIP[:-9]),
    "gzip-header-only": "u" + b64url(SPEC_GZIP[:10]),
    "trailing-garbage": "u" + b64url(SPEC_GZIP + b"\x00"),
    "second-gzip-member": "u" + b64url(SPEC_GZIP + SPEC_GZIP),
    "bad-crc32": "u" + b64url(SPEC_GZIP[:-8] + bytes([SPEC_GZIP[-8] ^ 1]) + SPEC_GZIP[-7:]),
    "bad-isize": "u" + b64url(SPEC_GZIP[:-4] + (16385).to_bytes(4, "little")),
    "zlib-not-gzip": "u" + b64url(zlib.compress(bytes(16384))),
    "raw-deflate-not-gzip": "u" + b64url(zlib.compress(bytes(16384), wbits=-15)),
    "uncompressed": "u" + b64url(bytes(16384)),
    "ietf-lst-with-u": "u" + IETF_LONG[0]["json"]["lst"],
    "empty-bitstring": "u" + b64url(gzip.compress(b"", mtime=0)),
    "one-short-of-minimum": "u" + b64url(gzip.compress(bytes(16383), mtime=0)),
    "not-a-string": 12345,
    "bytes-not-str": SPEC_EXAMPLE.encode("ascii"),
}


@pytest.mark.parametrize("encoded", list(W3C_INVALID.values()), ids=list(W3C_INVALID))
def test_w3c_invalid_encodings_are_refused(encoded: object) -> None:
    with pytest.raises(StatusListError) as info:
        BitstringStatusList.decode(encoded)  # type: ignore[arg-type]
    assert info.value.code == "status_list_invalid"
    assert isinstance(info.value, TrustIDError)


def test_w3c_gzip_with_optional_header_fields_is_accepted() -> None:
    # RFC 1952 FNAME/FEXTRA are legal; other compressors set them, and zlib skips them.
    named = bytearray(gzip.compress(bytes(16384), mtime=0))
    named[3] |= 0x08  # FNAME
    named[10:10] = b"list.bin\x00"
    assert BitstringStatusList.decode("u" + b64url(bytes(named))).size == MIN_BITSTRING_ENTRIES


# -------------------------------------------------------------------------- bombs


def test_gzip_bomb_of_100_mib_is_refused_without_allocating_it() -> None:
    compressed = streamed_bomb(100 * MiB, wbits=31)
    assert len(compressed) < 200_000  # ~1000:1, the point of a bomb
    encoded = "u" + b64url(compressed)
    tracemalloc.start()
    try:
        with pytest.raises(StatusListError, match="inflates to more than"):
            BitstringStatusList.decode(encoded)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Bound: the 16 MiB default cap plus the decoded input, never the 100 MiB payload.
    assert peak < 18 * MiB  # the bound plus slack


def test_gzip_bomb_respects_a_smaller_bound() -> None:
    encoded = "u" + b64url(streamed_bomb(32 * MiB, wbits=31))
    tracemalloc.start()
    try:
        with pytest.raises(StatusListError, match="more than 1048576 bytes"):
            BitstringStatusList.decode(encoded, max_inflated=MiB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * MiB  # the bound plus slack


def test_list_exactly_at_the_bound_is_accepted() -> None:
    encoded = BitstringStatusList(size=8 * MiB).encode()
    assert BitstringStatusList.decode(encoded, max_inflated=MiB).size == 8 * MiB
    with pytest.raises(StatusListError, match="inflates"):
        BitstringStatusList.decode(encoded, max_inflated=MiB - 1)


def test_oversized_input_is_refused_before_base64_decoding() -> None:
    with pytest.raises(StatusListError, match="longer than"):
        BitstringStatusList.decode("u" + "A" * 8192, max_inflated=16)
    with pytest.raises(StatusListError, match="longer than"):
        TokenStatusList.decode("A" * 8192, 1, max_inflated=16)


def test_zlib_bomb_is_refused_for_token_status_list() -> None:
    lst = b64url(streamed_bomb(100 * MiB, wbits=15))
    tracemalloc.start()
    try:
        with pytest.raises(StatusListError, match="inflates to more than"):
            TokenStatusList.decode(lst, 1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 18 * MiB  # the bound plus slack


# ------------------------------------------------------------------------ IETF valid


@pytest.mark.parametrize("vector", IETF_LONG, ids=lambda v: v["name"])
def test_ietf_long_vectors_decode_to_expected_statuses(vector: dict[str, Any]) -> None:
    status_list = TokenStatusList.from_claim(vector["json"])
    assert status_list.bits == vector["bits"] == vector["json"]["bits"]
    assert status_list.size == IETF["size_entries"]
    expected = {int(index): value for index, value in vector["set_statuses"].items()}
    for index, value in expected.items():
        assert status_list.get(index) == value
    assert status_list.set_indices() == sorted(i for i, v in expected.items() if v != 0)


@pytest.mark.parametrize("vector", IETF_LONG + IETF_SMALL, ids=lambda v: v["name"])
def test_ietf_vectors_round_trip_through_our_encoder(vector: dict[str, Any]) -> None:
    status_list = TokenStatusList.from_claim(vector["json"])
    again = TokenStatusList.from_claim(status_list.to_claim())
    assert again == status_list
    assert again.to_bytes() == status_list.to_bytes()


@pytest.mark.parametrize("vector", IETF_SMALL, ids=lambda v: v["name"])
def test_ietf_small_vectors_decode_to_the_byte_array(vector: dict[str, Any]) -> None:
    status_list = TokenStatusList.decode(vector["json"]["lst"], vector["bits"])
    assert status_list.to_bytes() == bytes.fromhex(vector["byte_array_hex"])


def test_ietf_one_bit_example_statuses_lsb_first() -> None:
    # draft §4.1: status[0..15] = 1,0,0,1,1,1,0,1, 1,1,0,0,0,1,0,1 -> bytes b9 a3.
    expected = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    status_list = TokenStatusList.decode("eNrbuRgAAhcBXQ", 1)
    assert [status_list.get(i) for i in range(16)] == expected


def test_ietf_two_bit_example_statuses_lsb_first() -> None:
    # draft §4.1: status[0..11] = 1,2,0,3, 0,1,0,1, 1,2,3,3 -> bytes c9 44 f9.
    expected = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
    status_list = TokenStatusList.decode("eNo76fITAAPfAgc", 2)
    assert [status_list.get(i) for i in range(12)] == expected
    built = TokenStatusList(12, bits=2)
    for index, value in enumerate(expected):
        built.set(index, value)
    assert built.to_bytes() == bytes.fromhex("c944f9")


def test_ietf_statuslist_jwt_payload_claim_decodes() -> None:
    # Read without verifying (signature checks belong to vcore.jose): only the claim shape.
    token = IETF["status_list_jwt"]["compact"]
    header_b64, payload_b64, _ = token.split(".")
    header = json.loads(unb64url(header_b64))
    payload = json.loads(unb64url(payload_b64))
    assert header["typ"] == IETF["status_list_jwt"]["expected_header_typ"]
    status_list = TokenStatusList.from_claim(payload["status_list"])
    assert status_list.to_bytes() == bytes.fromhex("b9a3")
    assert status_list.get(0) == 1


# ---------------------------------------------------------------------- IETF invalid

LONG_LST = IETF_LONG[0]["json"]["lst"]
LONG_ZLIB = unb64url(LONG_LST)

IETF_INVALID: dict[str, object] = {
    "empty": "",
    "padded": _padded("eNrbuRgAAhcBXQ"),
    "standard-alphabet": base64.b64encode(LONG_ZLIB).decode("ascii").rstrip("="),
    "multibase-prefixed": "u" + LONG_LST,
    "non-canonical-trailing-bits": _flip_last_char("eNrbuRgAAhcBXQ"),
    "truncated": b64url(LONG_ZLIB[:-6]),
    "bad-adler32": b64url(LONG_ZLIB[:-1] + bytes([LONG_ZLIB[-1] ^ 1])),
    "trailing-garbage": b64url(LONG_ZLIB + b"\x00"),
    "gzip-not-zlib": SPEC_EXAMPLE[1:],
    "raw-deflate-not-zlib": b64url(zlib.compress(b"\x01", wbits=-15)),
    "empty-list": b64url(zlib.compress(b"")),
    "not-a-string": 7,
}


@pytest.mark.parametrize("lst", list(IETF_INVALID.values()), ids=list(IETF_INVALID))
def test_ietf_invalid_lst_is_refused(lst: object) -> None:
    with pytest.raises(StatusListError):
        TokenStatusList.decode(lst, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "claim",
    [
        None,
        [],
        "eNrbuRgAAhcBXQ",
        {"lst": "eNrbuRgAAhcBXQ"},
        {"bits": 3, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 16, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": "1", "lst": "eNrbuRgAAhcBXQ"},
        {"bits": True, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1.0, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1},
        {"bits": 1, "lst": None},
    ],
    ids=repr,
)
def test_ietf_invalid_claims_are_refused(claim: object) -> None:
    with pytest.raises(StatusListError):
        TokenStatusList.from_claim(claim)
