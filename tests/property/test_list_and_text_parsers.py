"""Property tests for the parsers not covered elsewhere (issue 9): status lists, QR text,
trust lists and wallet vault headers.

Each parser, fed anything (random and mutated real inputs), returns a value or raises
the one error family it documents, with a code: never another exception, never a hang.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.property.strategies import bounded, dates, garbled_tokens, huge_numbers, json_values
from vcore.errors import QRError, TrustIDError, TrustListError
from vcore.keys import generate_key
from vcore.qr import COMPACT_PREFIX, base45_encode, decode_qr_text, encode_qr_text
from vcore.status import BitstringStatusList, build_status_entry
from vcore.status.bitstring import parse_status_entry, read_status_list_credential
from vcore.status.bitstring_list import parse_status_list_unverified
from vcore.status.token_status_list import TokenStatusList
from vcore.trust_list import load_trust_list, parse_trust_list, sign_trust_list
from wallet_cli.errors import VaultError
from wallet_cli.store import TEST_KDF, VAULT_MAGIC, SealingKey, open_sealed, seal

pytestmark = pytest.mark.property

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
LIST_URL = "https://registry.example/status-lists/1"


def _coded(exc: TrustIDError) -> None:
    assert exc.code, exc
    event(f"code {exc.code}")


# -- status lists ----------------------------------------------------------------------------

_GOOD_LIST = BitstringStatusList().encode()


def _u(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


encoded_lists = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=200).map(_u),
    st.binary(max_size=64).map(lambda b: _u(gzip.compress(b, mtime=0))),
    st.integers(0, len(_GOOD_LIST) - 1).map(lambda i: _GOOD_LIST[:i]),
    st.tuples(st.integers(1, len(_GOOD_LIST) - 1), st.characters()).map(
        lambda t: _GOOD_LIST[: t[0]] + t[1] + _GOOD_LIST[t[0] + 1 :]
    ),
    json_values,
)


@bounded(80)
@given(encoded_lists, st.sampled_from([1, 2, 4, 8, 0, 3, -1, 10**6]))
def test_bitstring_decode(encoded: Any, status_size: int) -> None:
    try:
        decoded = BitstringStatusList.decode(encoded, status_size=status_size)
    except TrustIDError as exc:
        _coded(exc)
    except ValueError:  # a status_size the caller chose badly, not the list
        assert status_size not in (1, 2, 4, 8)
    else:
        assert decoded.size >= 1


@bounded(80)
@given(
    st.one_of(
        st.text(max_size=80),
        st.binary(max_size=200).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")),
        st.binary(max_size=64).map(
            lambda b: base64.urlsafe_b64encode(zlib.compress(b)).decode().rstrip("=")
        ),
        json_values,
    ),
    st.sampled_from([1, 2, 4, 8, 0, 3, 16]),
)
def test_token_status_list_decode(lst: Any, bits: int) -> None:
    try:
        TokenStatusList.decode(lst, bits)
    except TrustIDError as exc:
        _coded(exc)
    except ValueError:
        assert bits not in (1, 2, 4, 8)


_ENTRY = build_status_entry(list_url=LIST_URL, index=7, purpose="revocation")
entries = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.one_of(st.just("BitstringStatusListEntry"), json_values),
            "statusPurpose": st.one_of(st.sampled_from(["revocation", "suspension"]), json_values),
            "statusListIndex": st.one_of(huge_numbers, st.text(max_size=12)),
            "statusListCredential": st.one_of(st.just(LIST_URL), st.text(max_size=30)),
            "statusSize": huge_numbers,
            "id": json_values,
        },
    ),
    st.dictionaries(st.sampled_from(sorted(_ENTRY)), json_values, max_size=3).map(
        lambda changes: {**_ENTRY, **changes}
    ),
)


@bounded(80)
@given(entries)
def test_status_entry(raw: Any) -> None:
    try:
        parse_status_entry(raw)
    except TrustIDError as exc:
        _coded(exc)


def _list_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:web:registry.example",
        "validFrom": "2026-11-23T11:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": _GOOD_LIST,
        },
    }
    payload.update(changes)
    return payload


list_payloads = st.one_of(
    json_values,
    st.dictionaries(
        st.sampled_from(["id", "type", "issuer", "validFrom", "validUntil", "credentialSubject"]),
        st.one_of(json_values, dates),
        max_size=3,
    ).map(lambda changes: _list_payload(**changes)),
    st.dictionaries(
        st.sampled_from(["statusPurpose", "encodedList", "type", "ttl", "statusSize"]),
        st.one_of(json_values, encoded_lists, huge_numbers),
        max_size=3,
    ).map(
        lambda changes: _list_payload(
            credentialSubject={**_list_payload()["credentialSubject"], **changes}
        )
    ),
)


@bounded(80)
@given(list_payloads, st.sampled_from(["revocation", "suspension"]))
def test_status_list_credential(payload: Any, purpose: str) -> None:
    if not isinstance(payload, dict):
        return
    try:
        read_status_list_credential(payload, expected_purpose=purpose, list_url=LIST_URL)
    except TrustIDError as exc:
        _coded(exc)


@bounded(80)
@given(st.one_of(garbled_tokens, json_values))
def test_status_list_token_unverified(token: Any) -> None:
    try:
        parse_status_list_unverified(token)
    except TrustIDError as exc:
        _coded(exc)


# -- QR text ---------------------------------------------------------------------------------

_KEY = generate_key()
_REAL = encode_qr_text(
    __import__("vcore.jose", fromlist=["sign"]).sign(
        {"iss": "did:web:registry.example", "vc": {"credentialSubject": {"givenName": "Mei"}}},
        __import__("vcore.signing", fromlist=["SoftwareSigner"]).SoftwareSigner(_KEY, "k"),
        typ="JWT",
    ),
    compact=True,
)

qr_texts = st.one_of(
    st.text(max_size=300),
    garbled_tokens,
    st.binary(max_size=200).map(lambda b: COMPACT_PREFIX + base45_encode(b)),
    st.binary(max_size=200).map(lambda b: COMPACT_PREFIX + base45_encode(zlib.compress(b))),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=200).map(
        lambda t: COMPACT_PREFIX + t
    ),
    st.integers(0, len(_REAL)).map(lambda i: _REAL[:i]),
    st.tuples(st.integers(len(COMPACT_PREFIX), len(_REAL) - 1), st.sampled_from("0A$:Z ")).map(
        lambda t: _REAL[: t[0]] + t[1] + _REAL[t[0] + 1 :]
    ),
    st.text(max_size=100).map(lambda t: f"data:application/vc+jwt,{t}"),
    json_values.map(json.dumps),
)


@bounded(120)
@given(qr_texts)
def test_qr_text(text: str) -> None:
    try:
        token = decode_qr_text(text)
    except QRError as exc:
        _coded(exc)
    except TrustIDError as exc:  # an envelope or token refused by its own parser
        _coded(exc)
    else:
        assert token.count(".") == 2
        event("decoded")


# -- trust lists -----------------------------------------------------------------------------

_ANCHOR = generate_key()
trust_entries = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id": st.one_of(st.just("did:web:registry.example"), st.text(max_size=30), json_values)},
        optional={
            "name": st.one_of(st.text(max_size=30), json_values),
            "types": st.one_of(st.lists(st.text(max_size=20), max_size=3), json_values),
            "validFrom": st.one_of(dates, json_values),
            "validUntil": st.one_of(dates, json_values),
            "statusRequired": st.one_of(st.booleans(), st.lists(st.text(max_size=20)), json_values),
            "holderBinding": json_values,
        },
    ),
)
trust_documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"issuers": st.one_of(st.lists(trust_entries, max_size=3), json_values)},
        optional={
            "validUntil": st.one_of(dates, json_values),
            "sequence": st.one_of(huge_numbers, json_values),
        },
    ),
)


@bounded(80)
@given(trust_documents)
def test_trust_list_document(document: Any) -> None:
    try:
        trust = parse_trust_list(document)
    except TrustListError as exc:
        _coded(exc)
    else:
        trust.in_force(NOW)
        for entry in trust:
            try:
                entry.check_period(NOW)
            except TrustIDError as exc:
                _coded(exc)


@bounded(60)
@given(
    st.one_of(trust_documents.map(json.dumps), st.text(max_size=200), garbled_tokens),
    st.booleans(),
)
def test_trust_list_text(text: str, anchored: bool) -> None:
    try:
        load_trust_list(text, anchor=_ANCHOR.public_key() if anchored else None, now=NOW)
    except TrustListError as exc:
        _coded(exc)


@bounded(40)
@given(
    st.dictionaries(
        st.sampled_from(["iat", "exp", "nbf", "sequence", "validUntil"]),
        st.one_of(huge_numbers, dates),
        max_size=3,
    )
)
def test_signed_trust_list_claims(claims: dict[str, Any]) -> None:
    from vcore import jose
    from vcore.signing import SoftwareSigner

    document = {"issuers": [{"id": "did:web:registry.example", "name": "R", "types": ["X"]}]}
    token = sign_trust_list(document, _ANCHOR, kid="anchor", now=NOW, valid_for=timedelta(days=1))
    payload = {**jose.decode_unverified(token).payload, **claims}
    resigned = jose.sign(payload, SoftwareSigner(_ANCHOR, "anchor"), typ="trustlist+jwt")
    try:
        load_trust_list(resigned, anchor=_ANCHOR.public_key(), now=NOW)
    except TrustListError as exc:
        _coded(exc)


# -- wallet vault headers --------------------------------------------------------------------

_SEALING = SealingKey.derive("correct horse battery", magic=VAULT_MAGIC, params=TEST_KDF)
_VAULT = seal(b'{"credentials": []}', _SEALING)
_SPLIT = _VAULT.index(b"\n") if b"\n" in _VAULT else len(_VAULT) // 2

vault_bytes = st.one_of(
    st.binary(max_size=300),
    st.integers(0, len(_VAULT)).map(lambda i: _VAULT[:i]),
    st.tuples(st.integers(0, len(_VAULT) - 1), st.integers(0, 255)).map(
        lambda t: _VAULT[: t[0]] + bytes([t[1]]) + _VAULT[t[0] + 1 :]
    ),
    st.tuples(st.integers(0, _SPLIT), st.integers(0, 255)).map(
        lambda t: _VAULT[: t[0]] + bytes([t[1]]) + _VAULT[t[0] + 1 :]
    ),
    st.binary(max_size=40).map(lambda b: _VAULT + b),
    json_values.map(lambda v: json.dumps(v).encode() + b"\n" + _VAULT[_SPLIT + 1 :]),
)


@bounded(100)
@given(vault_bytes)
def test_vault_header(data: bytes) -> None:
    try:
        plaintext, _ = open_sealed(
            data, "correct horse battery", magic=VAULT_MAGIC, allow_test_kdf=True
        )
    except VaultError:
        event("refused")
    else:
        assert plaintext == b'{"credentials": []}'
        event("opened")


def test_the_strategies_reach_the_parsers() -> None:
    """The mutated real inputs are accepted unmutated: the properties test refusals of
    near misses, not of garbage only."""
    assert decode_qr_text(_REAL).count(".") == 2
    assert BitstringStatusList.decode(_GOOD_LIST).size > 0
