"""vcore.qr: QR text forms (plain, envelopes, TID1 compact), base45, limits, planning."""

from __future__ import annotations

import json
import time
import zlib

import pytest
import qrcode
import qrcode.util

import vcore.qr as qr_module
from tests.qr_samples import sample_credential, sample_presentation
from vcore.errors import QRError, QRTooLargeError
from vcore.formats import envelope_credential, envelope_presentation
from vcore.keys import b64url_encode
from vcore.qr import (
    ALPHANUMERIC_CAPACITY,
    BYTE_CAPACITY,
    COMPACT_DICTIONARY,
    COMPACT_PREFIX,
    ECC_LEVELS,
    MAX_QR_TEXT,
    base45_decode,
    base45_encode,
    best_plan,
    classify_token,
    decode_qr_text,
    encode_qr_text,
    plan_qr,
)


@pytest.fixture(scope="module")
def credential() -> str:
    return sample_credential()


@pytest.fixture(scope="module")
def presentation(credential: str) -> str:
    return sample_presentation(credential)


def _jws(header: dict[str, object], payload: dict[str, object]) -> str:
    def seg(value: dict[str, object]) -> str:
        return b64url_encode(json.dumps(value, separators=(",", ":")).encode())

    return f"{seg(header)}.{seg(payload)}.{b64url_encode(b'x' * 64)}"


# -- base45 ----------------------------------------------------------------------------

RFC9285_VECTORS = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
]


@pytest.mark.parametrize(("raw", "encoded"), RFC9285_VECTORS)
def test_base45_rfc9285_vectors(raw: bytes, encoded: str) -> None:
    assert base45_encode(raw) == encoded
    assert base45_decode(encoded) == raw


def test_base45_round_trips_every_byte_value() -> None:
    data = bytes(range(256)) + bytes(range(255, -1, -1)) + b"\xff"
    assert base45_decode(base45_encode(data)) == data


@pytest.mark.parametrize(
    "bad",
    [
        "GGW:",  # length 3n+1 cannot come from any byte string
        ":::",  # 44 + 44*45 + 44*2025 = 91,124 > 65,535 (RFC 9285 §6)
        "::",  # 2,024 > 255 for a final pair
        "bb8",  # lower case is not in the alphabet
        "BB_",
        "BB\u00e9",
    ],
)
def test_base45_refuses_non_canonical_input(bad: str) -> None:
    with pytest.raises(QRError) as info:
        base45_decode(bad)
    assert info.value.code == "qr_invalid"


# -- round trips -----------------------------------------------------------------------


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize(
    "kind",
    ["es256", "eddsa", "jwt_vc_json", "jwk_holder", "presentation"],
)
def test_round_trip_plain_and_compact(kind: str, compact: bool, presentation: str) -> None:
    token = {
        "es256": lambda: sample_credential(),
        "eddsa": lambda: sample_credential(alg="EdDSA"),
        "jwt_vc_json": lambda: sample_credential(fmt="jwt_vc_json"),
        "jwk_holder": lambda: sample_credential(jwk_holder=True),
        "presentation": lambda: presentation,
    }[kind]()
    text = encode_qr_text(token, compact=compact)
    assert text.startswith(COMPACT_PREFIX) is compact
    assert decode_qr_text(text) == token
    expected = "presentation" if kind == "presentation" else "credential"
    assert classify_token(decode_qr_text(text)) == expected


def test_compact_keeps_signatures_holding_zero_bytes() -> None:
    # Raw signature bytes are arbitrary: 0x00 there must not be read as a separator.
    token = ".".join(
        b64url_encode(part)
        for part in (
            b'{"alg":"ES256","typ":"vc+jwt"}',
            b'{"a":1}',
            b"\x00\x01\x00" * 20 + b"\x00\x00",
        )
    )
    assert decode_qr_text(encode_qr_text(token, compact=True)) == token


def test_plain_text_is_the_token_itself(credential: str) -> None:
    assert encode_qr_text(credential) == credential
    assert encode_qr_text(f"  {credential}\n") == credential


def test_compact_text_uses_only_the_qr_alphanumeric_set(credential: str) -> None:
    text = encode_qr_text(credential, compact=True)
    assert plan_qr(text).mode == "alphanumeric"
    assert plan_qr(credential).mode == "byte"


def test_compact_needs_a_much_smaller_qr_code(credential: str, presentation: str) -> None:
    plain, compact = best_plan(credential), best_plan(encode_qr_text(credential, compact=True))
    assert plain.fits
    assert compact.fits
    assert compact.version is not None
    assert plain.version is not None
    # Measured: 32-M plain, 16-M compact. Keep a margin for random signature bytes.
    assert compact.version <= plain.version - 10
    # A presentation of that credential only fits at ECC L plain, comfortably at M compact.
    assert best_plan(presentation).ecc == "L"
    vp_compact = best_plan(encode_qr_text(presentation, compact=True))
    assert vp_compact.ecc == "M"
    assert vp_compact.version is not None
    assert vp_compact.version <= 30


def test_scanner_line_endings_are_trimmed(credential: str) -> None:
    assert decode_qr_text(credential + "\r\n") == credential
    assert decode_qr_text("\t" + encode_qr_text(credential, compact=True) + "\n") == credential


# -- envelopes -------------------------------------------------------------------------


def test_data_urls_and_enveloped_json(credential: str, presentation: str) -> None:
    assert decode_qr_text("data:application/vc+jwt," + credential) == credential
    assert decode_qr_text("DATA:Application/VP+JWT," + presentation) == presentation
    assert decode_qr_text(json.dumps(envelope_credential(credential))) == credential
    assert decode_qr_text(json.dumps(envelope_presentation(presentation))) == presentation
    listed = {**envelope_credential(credential), "type": ["EnvelopedVerifiableCredential"]}
    assert decode_qr_text(json.dumps(listed)) == credential


@pytest.mark.parametrize(
    "make",
    [
        lambda c, p: "data:application/vc+jwt," + p,  # label says credential, holds a VP
        lambda c, p: "data:application/vp+jwt," + c,
        lambda c, p: "data:text/plain," + c,
        lambda c, p: "data:application/vc+jwt;base64," + c,
        lambda c, p: "data:application/vc+jwt" + c,
        lambda c, p: json.dumps({**envelope_credential(p)}),
        lambda c, p: json.dumps(
            {**envelope_credential(c), "type": "EnvelopedVerifiablePresentation"}
        ),
        lambda c, p: json.dumps({**envelope_credential(c), "type": "VerifiableCredential"}),
        lambda c, p: json.dumps({**envelope_credential(c), "id": c}),
        lambda c, p: json.dumps([envelope_credential(c)]),
        lambda c, p: '{"type":"EnvelopedVerifiableCredential","type":"x","id":"data:"}',
        lambda c, p: "{" * 40 + "}" * 40,
        lambda c, p: "{not json",
    ],
)
def test_bad_envelopes_are_refused(make, credential: str, presentation: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QRError) as info:
        decode_qr_text(make(credential, presentation))
    assert info.value.code == "qr_invalid"


# -- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "hello",
        "https://example.com/credential",
        "openid4vp://?client_id=x",
        "WIFI:S:guest;T:WPA;P:secret;;",
        "a.b",
        "a..c",
        "a.b.c.d",
        "eyJ.eyJ.sig!",
        "eyJ.eyJ.s g",
    ],
)
def test_non_token_text_is_refused(text: str) -> None:
    with pytest.raises(QRError) as info:
        decode_qr_text(text)
    assert info.value.code == "qr_invalid"


def test_non_string_is_refused() -> None:
    with pytest.raises(QRError):
        decode_qr_text(b"eyJ.eyJ.abc")  # type: ignore[arg-type]


def test_text_longer_than_any_qr_code_is_refused(credential: str) -> None:
    with pytest.raises(QRTooLargeError) as info:
        decode_qr_text("A" * (MAX_QR_TEXT + 1))
    assert info.value.code == "qr_too_large"
    # The limit is on QR text, not the token: at the limit the shape decides.
    with pytest.raises(QRError) as shape:
        decode_qr_text("A" * MAX_QR_TEXT)
    assert shape.value.code == "qr_invalid"


def _compact_of(raw: bytes, *, zdict: bytes = COMPACT_DICTIONARY) -> str:
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, zdict=zdict)
    return COMPACT_PREFIX + base45_encode(packer.compress(raw) + packer.flush())


def test_zlib_bomb_is_refused_cheaply() -> None:
    text = _compact_of(b"\x00" * 2_500_000)  # ~2.5 MB from ~2.4 KB of zlib
    assert len(text) <= MAX_QR_TEXT
    started = time.perf_counter()
    with pytest.raises(QRTooLargeError) as info:
        decode_qr_text(text)
    assert info.value.code == "qr_too_large"
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "text",
    [
        COMPACT_PREFIX,  # nothing after the prefix
        COMPACT_PREFIX + base45_encode(b"not zlib at all"),
        COMPACT_PREFIX + _compact_of(b"{}\x00{}\x00sig")[len(COMPACT_PREFIX) : -6],  # truncated
        _compact_of(b"{}\x00{}\x00sig") + base45_encode(b"zz"),  # trailing bytes
        _compact_of(b"{}\x00{}"),  # two pieces
        _compact_of(b"\x00{}\x00sig"),  # empty header
        _compact_of(b"{}\x00{}\x00sig", zdict=b"another dictionary"),
        COMPACT_PREFIX + "bb8",
    ],
)
def test_broken_compact_payloads_are_refused(text: str) -> None:
    with pytest.raises(QRError) as info:
        decode_qr_text(text)
    assert info.value.code == "qr_invalid"


def test_compacting_refuses_what_cannot_round_trip(credential: str) -> None:
    header, payload, signature = credential.split(".")
    # 64 signature bytes take 86 characters whose last one carries 4 zero bits (A, Q, g
    # or w); "B" sets one, a non-canonical spelling that would not survive decode and
    # re-encode, so the signed bytes would silently change.
    with pytest.raises(QRError):
        encode_qr_text(f"{header}.{payload}.{signature[:-1]}B", compact=True)
    assert encode_qr_text(f"{header}.{payload}.{signature[:-1]}B") != credential  # plain: as is
    nul_header = b64url_encode(b'{"a":1}\x00')
    with pytest.raises(QRError):
        encode_qr_text(f"{nul_header}.{payload}.{signature}", compact=True)
    with pytest.raises(QRError):
        encode_qr_text("not a token", compact=True)


# -- classify --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "payload", "kind"),
    [
        ({"alg": "ES256", "typ": "vc+jwt"}, {}, "credential"),
        ({"alg": "ES256", "typ": "application/VC+JWT"}, {}, "credential"),
        ({"alg": "ES256", "typ": "JWT"}, {"vc": {}}, "credential"),
        ({"alg": "ES256"}, {"vc": {}}, "credential"),
        ({"alg": "EdDSA", "typ": "vp+jwt"}, {}, "presentation"),
        ({"alg": "none", "typ": "vp+jwt"}, {}, "presentation"),  # alg is verification's job
        ({"alg": "ES256", "typ": "JWT"}, {"vp": {}}, "presentation"),  # VC-JWT 1.1 (jwt_vp_json)
    ],
)
def test_classify_by_unverified_typ(
    header: dict[str, object], payload: dict[str, object], kind: str
) -> None:
    assert classify_token(_jws(header, payload)) == kind


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        ({"alg": "ES256", "typ": "JWT"}, {"sub": "x"}),
        ({"alg": "ES256", "typ": "dc+sd-jwt"}, {}),
        ({"alg": "ES256", "typ": 7}, {"vc": {}}),
    ],
)
def test_classify_refuses_other_tokens(
    header: dict[str, object], payload: dict[str, object]
) -> None:
    with pytest.raises(QRError):
        classify_token(_jws(header, payload))


def test_classify_refuses_non_json_segments() -> None:
    with pytest.raises(QRError):
        classify_token(f"{b64url_encode(b'not json')}.{b64url_encode(b'{}')}.c2ln")
    with pytest.raises(QRError):
        classify_token(f"{b64url_encode(b'[1]')}.{b64url_encode(b'{}')}.c2ln")
    with pytest.raises(QRError):
        classify_token("not-a-token")


# -- planning --------------------------------------------------------------------------


def _qrcode_capacity(bits: int, version: int, mode: int) -> int:
    """Capacity from the qrcode library's own bit-limit table (an independent source)."""
    count_bits = qrcode.util.length_in_bits(mode, version)  # type: ignore[arg-type]
    available = bits - 4 - count_bits
    if mode == qrcode.util.MODE_8BIT_BYTE:
        return available // 8
    return (available // 11) * 2 + (1 if available % 11 >= 6 else 0)


_QR_ECC = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


@pytest.mark.parametrize("ecc", ECC_LEVELS)
def test_capacity_tables_match_the_qrcode_library(ecc: str) -> None:
    limits = qrcode.util.BIT_LIMIT_TABLE[_QR_ECC[ecc]]
    for version in range(1, 41):
        byte = _qrcode_capacity(limits[version], version, qrcode.util.MODE_8BIT_BYTE)
        alnum = _qrcode_capacity(limits[version], version, qrcode.util.MODE_ALPHA_NUM)
        assert BYTE_CAPACITY[ecc][version - 1] == byte  # type: ignore[index]
        assert ALPHANUMERIC_CAPACITY[ecc][version - 1] == alnum  # type: ignore[index]


def test_capacity_tables_spot_check_iso_18004() -> None:
    # Well-known corners of ISO/IEC 18004 Table 7.
    assert (BYTE_CAPACITY["L"][0], BYTE_CAPACITY["H"][0]) == (17, 7)
    assert (BYTE_CAPACITY["L"][39], BYTE_CAPACITY["M"][39]) == (2953, 2331)
    assert (ALPHANUMERIC_CAPACITY["L"][39], ALPHANUMERIC_CAPACITY["H"][39]) == (4296, 1852)


def _library_version(text: str, ecc: str, *, start: int | None = None) -> int:
    mode = plan_qr(text, ecc).mode
    data = (
        qrcode.util.QRData(text, mode=qrcode.util.MODE_ALPHA_NUM)  # type: ignore[call-overload]
        if mode == "alphanumeric"
        else qrcode.util.QRData(text.encode(), mode=qrcode.util.MODE_8BIT_BYTE)  # type: ignore[call-overload]
    )
    code = qrcode.QRCode(error_correction=_QR_ECC[ecc])
    code.add_data(data)
    return int(code.best_fit(start=start))


@pytest.mark.parametrize("ecc", ["M", "L"])
@pytest.mark.parametrize("alphabet", ["a", "A"])
def test_plan_agrees_with_qrcode_at_every_version_boundary(ecc: str, alphabet: str) -> None:
    table = (ALPHANUMERIC_CAPACITY if alphabet == "A" else BYTE_CAPACITY)[ecc]  # type: ignore[index]
    for version, capacity in enumerate(table, start=1):
        at = plan_qr(alphabet * capacity, ecc)
        assert (at.version, at.capacity, at.fits) == (version, capacity, True)
        # Starting the library's search one version lower proves it does not fit there.
        assert _library_version(alphabet * capacity, ecc, start=max(1, version - 1)) == version
        over = plan_qr(alphabet * (capacity + 1), ecc)
        if version < 40:
            assert over.version == version + 1
            assert _library_version(alphabet * (capacity + 1), ecc, start=version) == version + 1
        else:
            assert (over.version, over.fits) == (None, False)


def test_plan_agrees_with_a_real_qr_code(credential: str) -> None:
    for text in (credential, encode_qr_text(credential, compact=True)):
        for ecc in ("M", "L"):
            code = qrcode.QRCode(error_correction=_QR_ECC[ecc])
            code.add_data(text)
            code.make(fit=True)
            assert plan_qr(text, ecc).version == code.version


def test_plan_counts_utf8_bytes_in_byte_mode() -> None:
    plan = plan_qr("é" * 10)
    assert (plan.mode, plan.length) == ("byte", 20)
    assert plan_qr("").version == 1


def test_plan_descriptions() -> None:
    assert plan_qr("a" * 1464, "M").describe() == (
        "needs QR version 32 at ECC M (1,464 of 1,538 characters)"
    )
    too_long = plan_qr("a" * 3012, "M")
    assert (too_long.version, too_long.fits, too_long.capacity) == (None, False, 2331)
    assert too_long.describe() == "does not fit: 3,012 characters > 2,331 (version 40-M)"


def test_best_plan_prefers_m_then_l() -> None:
    assert best_plan("a" * 2000).ecc == "M"
    fallback = best_plan("a" * 2500)
    assert (fallback.ecc, fallback.version) == ("L", 37)
    nothing = best_plan("a" * 3000)
    assert (nothing.ecc, nothing.fits) == ("L", False)
    assert nothing.describe() == "does not fit: 3,000 characters > 2,953 (version 40-L)"


def test_unknown_ecc_level_is_refused() -> None:
    with pytest.raises(QRError):
        plan_qr("abc", "X")


# -- format stability and API ----------------------------------------------------------


def test_compact_dictionary_is_frozen() -> None:
    # The TID1 format depends on these exact bytes: changing them breaks every QR code
    # already printed. A new dictionary means a new prefix.
    assert zlib.adler32(COMPACT_DICTIONARY) == PINNED_DICTIONARY_ADLER32
    assert len(COMPACT_DICTIONARY) < 32 * 1024  # deflate's window


PINNED_DICTIONARY_ADLER32 = 160507286


def test_public_api_is_curated() -> None:
    imported = {"annotations", "zlib", "dataclass", "Any", "Literal", "get_args"}
    imported |= {"MalformedError", "QRError", "QRTooLargeError", "loads_strict"}
    imported |= {"b64url_decode", "b64url_encode", "CREDENTIAL_FORMATS", "PRESENTATION_FORMATS"}
    public = {n for n in vars(qr_module) if not n.startswith("_")} - imported
    assert sorted(qr_module.__all__) == sorted(public)
