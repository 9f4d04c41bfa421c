"""Known-answer and attack vectors for keys and JWS: Wycheproof, RFC 8037, RFC 7520.

Valid cases must verify, invalid ones must be refused. TrustID supports only ES256 and
EdDSA; vectors for other algorithms must be refused whatever their expected result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from vcore import jose
from vcore.errors import (
    AlgorithmNotAllowedError,
    BadSignatureError,
    InvalidKeyError,
    MalformedError,
    TrustIDError,
    UnknownKeyError,
)
from vcore.keys import (
    PublicKey,
    b64url_decode,
    b64url_encode,
    jwk_thumbprint,
    private_key_from_jwk,
    public_key_from_jwk,
    select_key,
)

DATA = Path(__file__).resolve().parent.parent / "data"


def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _cases(name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    data = _load(name)
    return [(group, test) for group in data["testGroups"] for test in group["tests"]]


# -- Wycheproof ECDSA P-256 (IEEE P1363 = JWS r||s) and Ed25519 -------------------------

_ECDSA = _cases("wycheproof/ecdsa_secp256r1_sha256_p1363_test.json")
_ED25519 = _cases("wycheproof/ed25519_test.json")


def _raw_key(group: dict[str, Any], alg: str) -> PublicKey:
    if alg == "EdDSA":
        return PublicKey.from_raw_bytes("EdDSA", bytes.fromhex(group["publicKey"]["pk"]))
    return PublicKey.from_raw_bytes("ES256", bytes.fromhex(group["publicKey"]["uncompressed"]))


@pytest.mark.parametrize(("group", "test"), _ECDSA, ids=[f"tc{t['tcId']}" for _, t in _ECDSA])
def test_wycheproof_ecdsa_p256(group: dict[str, Any], test: dict[str, Any]) -> None:
    key = _raw_key(group, "ES256")
    ok = jose.verify_signature(key, bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"]))
    if test["result"] == "valid":
        assert ok, test["comment"]
    elif test["result"] == "invalid":
        assert not ok, test["comment"]


@pytest.mark.parametrize(("group", "test"), _ED25519, ids=[f"tc{t['tcId']}" for _, t in _ED25519])
def test_wycheproof_ed25519(group: dict[str, Any], test: dict[str, Any]) -> None:
    try:
        key = _raw_key(group, "EdDSA")
    except InvalidKeyError:
        assert test["result"] != "valid"
        return
    ok = jose.verify_signature(key, bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"]))
    assert ok is (test["result"] == "valid"), test["comment"]


def test_wycheproof_counts_are_meaningful() -> None:
    """Guard against an empty parametrisation silently passing."""
    assert sum(t["result"] == "invalid" for _, t in _ECDSA) > 80
    assert sum(t["result"] == "valid" for _, t in _ECDSA) > 50
    assert sum(t["result"] == "invalid" for _, t in _ED25519) > 50


# -- Wycheproof JWS ---------------------------------------------------------------------

_JWS = _cases("wycheproof/json_web_signature_test.json")
_OUR_ALGS = {"ES256", "EdDSA"}


def _group_alg(group: dict[str, Any]) -> str | None:
    key = group.get("public") or group.get("private") or {}
    return key.get("alg")


@pytest.mark.parametrize(("group", "test"), _JWS, ids=[f"tc{t['tcId']}" for _, t in _JWS])
def test_wycheproof_jws(group: dict[str, Any], test: dict[str, Any]) -> None:
    token = test["jws"]
    public = group.get("public")
    if not isinstance(token, str):
        pytest.fail("JSON serialisation vectors are not expected in this file")
    if _group_alg(group) not in _OUR_ALGS or public is None:
        # HS*/RS*/PS*/ES512: never accepted, whatever the vector says about the MAC.
        with pytest.raises(TrustIDError):
            jose.decode_unverified(token)
        return
    try:
        key = public_key_from_jwk(public)
    except InvalidKeyError:
        # use=enc / key_ops=[encrypt]: the key must not verify anything.
        assert test["result"] == "invalid", test["comment"]
        return
    if test["result"] == "valid":
        header, payload = jose.verify_raw(token, key)
        assert header["alg"] == "ES256"
        assert payload == b"foo"
    else:
        with pytest.raises(TrustIDError):
            jose.verify_raw(token, key)


_BASE64 = [t for g, t in _JWS if g["comment"] == "base64"]


@pytest.mark.parametrize("test", _BASE64, ids=[f"tc{t['tcId']}" for t in _BASE64])
def test_wycheproof_base64_strictness(test: dict[str, Any]) -> None:
    """Segments with spaces, stray characters or dirty unused bits are refused.

    Wycheproof calls tc372/tc373 "valid" because some libraries skip the stray ``?``;
    TrustID is deliberately stricter: a token has exactly one spelling.
    """
    segments = test["jws"].split(".")
    decodable = []
    for segment in segments:
        try:
            b64url_decode(segment)
            decodable.append(True)
        except ValueError:
            decodable.append(False)
    if test["comment"] in {
        "ValidMac",
        "ValidEdgeCaseMac",
        "ValidSpacesInJsonHeader",
        "ValidWhiteSpaceInJsonHeader",
    }:
        assert all(decodable)
    elif test["comment"] in {"invalidBase64Padding", "invalidBase64PaddingInPayload"}:
        assert all(decodable)  # these fail on the MAC, not on the encoding
    else:
        assert not all(decodable), test["comment"]


# -- Wycheproof JWK sets -----------------------------------------------------------------

_JWK = _cases("wycheproof/json_web_key_test.json")


@pytest.mark.parametrize(
    ("group", "test"), _JWK, ids=[f"tc{t['tcId']}-{g['comment']}" for g, t in _JWK]
)
def test_wycheproof_jwk(group: dict[str, Any], test: dict[str, Any]) -> None:
    jwks = group.get("public") or group.get("private")
    token = test["jws"]
    try:
        header = jose.decode_unverified(token) if isinstance(token, str) else None
    except AlgorithmNotAllowedError:
        return  # HS*/RS*: never accepted
    except MalformedError:
        header = None
    kid = "kid-ec-sign"
    if header is not None and header.kid:
        kid = header.kid
    try:
        key = select_key(jwks, kid)
        jose.verify_raw(token, key)
    except (
        InvalidKeyError,
        UnknownKeyError,
        BadSignatureError,
        AlgorithmNotAllowedError,
        MalformedError,
    ):
        accepted = False
    else:
        accepted = True
    if test["result"] == "invalid":
        assert not accepted, f"{group['comment']}: {test['comment']}"


def test_jwk_alg_contradicting_curve_is_refused() -> None:
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "alg": "ES384",
        "x": "04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY",
        "y": "UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw",
    }
    with pytest.raises(AlgorithmNotAllowedError):
        public_key_from_jwk(jwk)


# -- RFC 8037 and RFC 7520 ----------------------------------------------------------------


def test_rfc8037_ed25519_known_answer() -> None:
    vector = _load("jose/rfc8037_ed25519_jws_A4.json")
    private = private_key_from_jwk(vector["private_jwk"])
    assert jwk_thumbprint(vector["public_jwk"]) == vector["rfc7638_thumbprint_sha256"]
    assert private.public_key().thumbprint() == vector["rfc7638_thumbprint_sha256"]
    header, payload = jose.verify_raw(vector["compact"], public_key_from_jwk(vector["public_jwk"]))
    assert header == {"alg": "EdDSA"}
    assert payload.decode() == vector["payload_utf8"]
    # Ed25519 is deterministic: our signer must reproduce the RFC signature exactly.
    assert isinstance(private.key, ed25519.Ed25519PrivateKey)
    signature = private.key.sign(vector["signing_input"].encode())
    assert vector["compact"] == f"{vector['signing_input']}.{b64url_encode(signature)}"


def test_rfc8037_tampered_payload_is_refused() -> None:
    vector = _load("jose/rfc8037_ed25519_jws_A4.json")
    head, _, sig = vector["compact"].split(".")
    tampered = f"{head}.{b64url_encode(b'Example of Ed25519 signinG')}.{sig}"
    with pytest.raises(BadSignatureError):
        jose.verify_raw(tampered, public_key_from_jwk(vector["public_jwk"]))


def test_rfc7520_es512_is_refused() -> None:
    """RFC 7520 §4.3 is a valid ES512 JWS; TrustID pins ES256/EdDSA and refuses it."""
    vector = _load("jose/rfc7520_4_3_ecdsa_signature.json")
    with pytest.raises(AlgorithmNotAllowedError):
        jose.decode_unverified(vector["output"]["compact"])
    with pytest.raises(InvalidKeyError):
        public_key_from_jwk(vector["input"]["key"])


def test_rfc7520_p521_public_key_is_refused() -> None:
    with pytest.raises(InvalidKeyError):
        public_key_from_jwk(_load("jose/rfc7520_3_1_ec_public_key.json"))
