"""Property tests: every key, JWS and DID parser either succeeds or raises a TrustIDError.

No other exception type may escape (a ``KeyError``, ``ValueError``, ``OverflowError``,
``RecursionError``... from crafted input becomes a 500 one layer up). Where a parser
succeeds, the result must be consistent (round trips, the pinned algorithm).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.property.strategies import (
    b64url,
    bounded,
    dates,
    garbled_tokens,
    huge_numbers,
    json_values,
    jwks,
    segment,
)
from vcore import dids, jose
from vcore.base58 import b58encode
from vcore.clock import format_datetime, from_timestamp, parse_datetime
from vcore.errors import TrustIDError
from vcore.keys import (
    Alg,
    PublicKey,
    b64url_decode,
    generate_key,
    private_key_from_der,
    private_key_from_jwk,
    public_key_from_jwk,
    select_key,
)

pytestmark = pytest.mark.property

_KEYS = {alg: generate_key(alg) for alg in ("ES256", "ES384", "ES256K", "EdDSA", "PS256")}


def _only_trustid_errors(call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call``'s result, or None when it raised a TrustIDError (with a code)."""
    try:
        return call(*args, **kwargs)
    except TrustIDError as exc:
        error = exc
    assert isinstance(error.code, str)
    assert error.code
    return None


@bounded(100)
@given(jwks)
def test_public_jwk_import(jwk: object) -> None:
    key = _only_trustid_errors(public_key_from_jwk, jwk)
    if key is not None:
        assert isinstance(key, PublicKey)
        assert public_key_from_jwk(key.to_jwk()) == key


@bounded(100)
@given(
    st.sampled_from(sorted(_KEYS)),
    st.dictionaries(
        st.sampled_from(["x", "y", "d", "n", "e", "crv", "alg", "kty", "p", "qi"]),
        json_values,
        max_size=3,
    ),
)
def test_mutated_real_jwks(alg: str, changes: dict[str, Any]) -> None:
    jwk = {**_KEYS[alg].to_jwk(), **changes}
    _only_trustid_errors(public_key_from_jwk, jwk)
    private = _only_trustid_errors(private_key_from_jwk, jwk)
    if private is not None:
        # Whatever was accepted is internally consistent.
        assert public_key_from_jwk(private.public_key().to_jwk()) == private.public_key()


@bounded(100)
@given(st.binary(max_size=300), st.sampled_from([None, *Alg]))
def test_der_and_raw_key_bytes(data: bytes, alg: str | None) -> None:
    _only_trustid_errors(private_key_from_der, data, alg=alg)
    if alg is not None:
        _only_trustid_errors(PublicKey.from_raw_bytes, alg, data)


@bounded(100)
@given(json_values, st.text(max_size=20))
def test_select_key(jwks_value: object, kid: str) -> None:
    _only_trustid_errors(select_key, jwks_value, kid)
    _only_trustid_errors(select_key, {"keys": [jwks_value, {"kid": kid}]}, kid)


@bounded(100)
@given(st.one_of(garbled_tokens, json_values))
def test_decode_and_verify_garbled_tokens(token: object) -> None:
    parsed = _only_trustid_errors(jose.decode_unverified, token)
    if parsed is not None:
        assert isinstance(parsed.header, dict)
        assert isinstance(parsed.payload, dict)
    for key in _KEYS.values():
        _only_trustid_errors(jose.verify, token, key.public_key(), typ="vc+jwt")
        _only_trustid_errors(jose.verify_raw, token, key.public_key())


@bounded(200)
@given(st.sampled_from(sorted(_KEYS)), st.binary(max_size=600))
def test_random_signatures_never_verify(alg: str, signature: bytes) -> None:
    public = _KEYS[alg].public_key()
    token = f"{segment({'alg': alg})}.{segment({'n': 1})}.{b64url(signature)}"
    with pytest.raises(TrustIDError):
        jose.verify(token, public)


@bounded(100)
@given(
    st.one_of(
        st.text(max_size=120),
        json_values,
        st.builds(
            "did:{}:{}".format, st.sampled_from(["key", "jwk", "web", "peer"]), st.text(max_size=80)
        ),
    )
)
def test_did_parsers(value: object) -> None:
    _only_trustid_errors(dids.parse_did_url, value)
    _only_trustid_errors(dids.resolve_offline, value)
    _only_trustid_errors(dids.decode_multikey, value)
    if isinstance(value, str):
        _only_trustid_errors(dids.did_web_to_url, value)


@bounded(100)
@given(
    st.binary(max_size=200),
    st.sampled_from(
        [b"", b"\x80\x24", b"\x81\x24", b"\x82\x24", b"\xe7\x01", b"\xed\x01", b"\xd1\xd6\x03"]
    ),
)
def test_did_key_multicodec_bytes(body: bytes, prefix: bytes) -> None:
    value = "z" + b58encode(prefix + body)
    key = _only_trustid_errors(dids.decode_multikey, value)
    if key is not None:
        assert dids.decode_multikey(dids.encode_multikey(key)) == key


@bounded(100)
@given(jwks)
def test_did_jwk_of_random_jwks(jwk: object) -> None:
    did = "did:jwk:" + b64url(json.dumps(jwk).encode())
    _only_trustid_errors(dids.resolve_offline, did)
    _only_trustid_errors(dids.resolve_offline, did + "#0")


@bounded(100)
@given(json_values, st.text(max_size=40))
def test_did_document_key_lookup(document: object, fragment: str) -> None:
    kid = f"did:web:example.com#{fragment}"
    _only_trustid_errors(dids.key_from_did_document, document, kid)
    doc = {"id": "did:web:example.com", "verificationMethod": [document], "assertionMethod": [kid]}
    _only_trustid_errors(dids.key_from_did_document, doc, kid)


@bounded(200)
@given(st.text(max_size=60))
def test_b64url_decode_refuses_with_value_error_only(text: str) -> None:
    try:
        raw = b64url_decode(text)
    except ValueError:
        return
    assert b64url(raw) == text


@bounded(200)
@given(dates)
def test_dates(value: object) -> None:
    parsed = _only_trustid_errors(parse_datetime, value)
    if parsed is not None:
        assert parse_datetime(format_datetime(parsed)) == parsed.replace(microsecond=0)


@bounded(100)
@given(huge_numbers)
def test_numeric_dates(value: object) -> None:
    parsed = _only_trustid_errors(from_timestamp, value)
    if parsed is not None:
        assert parsed.year < 10000
