"""Known-answer and attack vectors for keys and JWS: Wycheproof, RFC 8037, RFC 7520.

Valid cases must verify, invalid ones must be refused. TrustID verifies ES256, ES384, ES512,
ES256K, EdDSA, PS256 and RS256; vectors for other algorithms must be refused whatever
their expected result. Where TrustID is deliberately stricter than a vector, the case is
named in :data:`_STRICTER` with the reason.
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
    generate_key,
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


# -- Wycheproof ECDSA P-256/P-384/P-521 (IEEE P1363 = JWS r||s) and Ed25519 ---------------

_ECDSA_FILES = {
    "ES256": "wycheproof/ecdsa_secp256r1_sha256_p1363_test.json",
    "ES384": "wycheproof/ecdsa_secp384r1_sha384_p1363_test.json",
    "ES512": "wycheproof/ecdsa_secp521r1_sha512_p1363_test.json",
}
_ECDSA = [(alg, group, test) for alg, name in _ECDSA_FILES.items() for group, test in _cases(name)]
_ED25519 = _cases("wycheproof/ed25519_test.json")


def _raw_key(group: dict[str, Any], alg: str) -> PublicKey:
    if alg == "EdDSA":
        return PublicKey.from_raw_bytes("EdDSA", bytes.fromhex(group["publicKey"]["pk"]))
    return PublicKey.from_raw_bytes(alg, bytes.fromhex(group["publicKey"]["uncompressed"]))


@pytest.mark.parametrize(
    ("alg", "group", "test"), _ECDSA, ids=[f"{a}-tc{t['tcId']}" for a, _, t in _ECDSA]
)
def test_wycheproof_ecdsa(alg: str, group: dict[str, Any], test: dict[str, Any]) -> None:
    key = _raw_key(group, alg)
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
    for alg in _ECDSA_FILES:
        cases = [t for a, _, t in _ECDSA if a == alg]
        assert sum(t["result"] == "invalid" for t in cases) > 80, alg
        assert sum(t["result"] == "valid" for t in cases) > 50, alg
    assert sum(t["result"] == "invalid" for _, t in _ED25519) > 50
    rsa = [t for g, t in _JWS if _group_alg(g) in {"RS256", "PS256"}]
    assert sum(t["result"] == "invalid" for t in rsa) > 250
    assert sum(t["result"] == "valid" for t in rsa) > 10


def test_wycheproof_ecdsa_keys_are_pinned_to_their_curve() -> None:
    """A P-384 point is not a P-256 key, and a P-256 key never verifies ES384."""
    group = _cases(_ECDSA_FILES["ES384"])[0][0]
    with pytest.raises(InvalidKeyError):
        _raw_key(group, "ES256")
    p256 = _raw_key(_cases(_ECDSA_FILES["ES256"])[0][0], "ES256")
    with pytest.raises(AlgorithmNotAllowedError):
        PublicKey("ES384", p256.key)


# -- Wycheproof JWS ---------------------------------------------------------------------

_JWS = _cases("wycheproof/json_web_signature_test.json")
_OUR_ALGS = {"ES256", "ES384", "ES512", "ES256K", "EdDSA", "PS256", "RS256"}
# Valid in Wycheproof, refused by TrustID on purpose (tcId -> why).
_STRICTER = {
    259: "empty payload: a JWS without a payload is never a TrustID token",
    272: "empty payload: a JWS without a payload is never a TrustID token",
    347: "the JWK says alg 'ES521', which is no JWS algorithm (ES512 is)",
    351: "the JWK says alg 'ES521', which is no JWS algorithm (ES512 is)",
}


def _group_alg(group: dict[str, Any]) -> str | None:
    key = group.get("public") or group.get("private") or {}
    return key.get("alg")


def _header_alg(token: str) -> object:
    """The ``alg`` a vector's header names (read leniently, for choosing the expectation)."""
    try:
        return json.loads(b64url_decode(token.split(".")[0])).get("alg")
    except (ValueError, AttributeError):
        return None


@pytest.mark.parametrize(("group", "test"), _JWS, ids=[f"tc{t['tcId']}" for _, t in _JWS])
def test_wycheproof_jws(group: dict[str, Any], test: dict[str, Any]) -> None:
    token = test["jws"]
    public = group.get("public")
    if not isinstance(token, str):
        pytest.fail("JSON serialisation vectors are not expected in this file")
    if public is None:
        # HS256: never accepted, whatever the vector says about the MAC.
        with pytest.raises(TrustIDError):
            jose.verify_raw(token, generate_key().public_key())
        return
    try:
        key = public_key_from_jwk(public)
    except (InvalidKeyError, AlgorithmNotAllowedError):
        # use=enc / key_ops=[encrypt], RSA keys for RS384/PS512..., a made-up alg name:
        # the key must not verify anything.
        assert (
            test["result"] == "invalid"
            or _group_alg(group) not in _OUR_ALGS
            or (test["tcId"] in _STRICTER)
        ), test["comment"]
        return
    if (
        test["result"] == "valid"
        and test["tcId"] not in _STRICTER
        and (_header_alg(token) in _OUR_ALGS)
    ):
        header, payload = jose.verify_raw(token, key)
        assert header["alg"] == key.alg
        assert payload
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


def test_rfc7520_es512_known_answer() -> None:
    """RFC 7520 §4.3: an ES512 JWS over P-521 (ECDSA is randomised: verify, then re-sign)."""
    vector = _load("jose/rfc7520_4_3_ecdsa_signature.json")
    public = public_key_from_jwk(vector["input"]["key"])
    assert public.alg == "ES512"
    header, payload = jose.verify_raw(vector["output"]["compact"], public)
    assert header["alg"] == "ES512"
    assert payload.decode() == vector["input"]["payload"]
    private = private_key_from_jwk(vector["input"]["key"])
    assert private.public_key() == public
    signature = private.sign(b"message")
    assert len(signature) == 132
    assert jose.verify_signature(public, b"message", signature)


def test_rfc7520_rs256_known_answer() -> None:
    """RFC 7520 §4.1: RSASSA-PKCS1-v1_5 is deterministic, so our signature must match."""
    vector = _load("jose/rfc7520_4_1_rsa_v15_signature.json")
    jwk = {**vector["input"]["key"], "alg": "RS256"}
    public = public_key_from_jwk(jwk)
    compact = vector["output"]["compact"]
    header, payload = jose.verify_raw(compact, public)
    assert header["alg"] == "RS256"
    assert payload.decode() == vector["input"]["payload"]
    signing_input, _, signature = compact.rpartition(".")
    assert b64url_encode(private_key_from_jwk(jwk).sign(signing_input.encode())) == signature
    head, _, sig = compact.split(".")
    tampered = f"{head}.{b64url_encode(b'another payload')}.{sig}"
    with pytest.raises(BadSignatureError):
        jose.verify_raw(tampered, public)


def test_rfc7520_rsa_key_without_alg_is_refused() -> None:
    """An RSA JWK without ``alg`` could be RS256 or PS256: no pin, no key."""
    with pytest.raises(InvalidKeyError):
        public_key_from_jwk(_load("jose/rfc7520_4_1_rsa_v15_signature.json")["input"]["key"])


def test_rfc7520_ps384_is_refused() -> None:
    """RFC 7520 §4.2 is a valid PS384 JWS; TrustID verifies PS256 only."""
    vector = _load("jose/rfc7520_4_2_rsa_pss_signature.json")
    with pytest.raises(AlgorithmNotAllowedError):
        jose.decode_unverified(vector["output"]["compact"])
    with pytest.raises(InvalidKeyError):
        public_key_from_jwk({**vector["input"]["key"], "alg": "PS384"})


def test_rfc7520_p521_public_key_imports_as_es512() -> None:
    key = public_key_from_jwk(_load("jose/rfc7520_3_1_ec_public_key.json"))
    assert key.alg == "ES512"
    assert public_key_from_jwk(key.to_jwk()) == key


# -- RFC 7520: the rest of the cookbook's JWS and JWK examples --------------------------------

_HMAC_COMPACT = ["jose/rfc7520_4_4_hmac.json", "jose/rfc7520_4_5_detached.json"]
_JSON_ONLY = [
    "jose/rfc7520_4_6_specific_header_fields.json",
    "jose/rfc7520_4_7_content_only.json",
    "jose/rfc7520_4_8_multiple_signatures.json",
]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("jose/rfc7520_4_4_hmac.json", AlgorithmNotAllowedError),
        # Detached content: the empty payload segment is refused first.
        ("jose/rfc7520_4_5_detached.json", MalformedError),
    ],
)
def test_rfc7520_hmac_jws_is_refused_before_any_key(name: str, error: type[Exception]) -> None:
    """RFC 7520 §4.4/§4.5 are valid HS256 JWSs: a shared-secret MAC is no signature
    here, whatever key the caller holds (alg confusion is not possible)."""
    vector = _load(name)
    with pytest.raises(error):
        jose.decode_unverified(vector["output"]["compact"])
    with pytest.raises((InvalidKeyError, MalformedError)):
        public_key_from_jwk(vector["input"]["key"])


@pytest.mark.parametrize("name", [*_HMAC_COMPACT, *_JSON_ONLY])
def test_rfc7520_json_serialisations_are_refused(name: str) -> None:
    """The general and flattened JSON serialisations (§4.6-§4.8 have no compact form)."""
    vector = _load(name)
    for form in ("json", "json_flat"):
        if form not in vector["output"]:
            continue
        serialised = json.dumps(vector["output"][form])
        with pytest.raises(MalformedError):
            jose.decode_unverified(serialised)


def test_rfc7520_curve25519_ed25519_known_answer() -> None:
    """The cookbook's Ed25519 example (RFC 8037 A.4's key): deterministic, so it must match."""
    vector = _load("jose/rfc7520_curve25519_jws.json")
    jwk = {k: v for k, v in vector["input"]["key"].items() if k != "d"}
    public = public_key_from_jwk(jwk)
    compact = vector["output"]["compact"]
    header, payload = jose.verify_raw(compact, public)
    assert header == {"alg": "EdDSA"}
    assert payload.decode() == vector["input"]["payload"]
    signing_input, _, signature = compact.rpartition(".")
    private = private_key_from_jwk(vector["input"]["key"])
    assert b64url_encode(private.sign(signing_input.encode())) == signature


@pytest.mark.parametrize(
    "name", ["jose/rfc7520_3_5_symmetric_mac_key.json", "jose/rfc7520_3_6_symmetric_enc_key.json"]
)
def test_rfc7520_symmetric_jwks_are_refused(name: str) -> None:
    with pytest.raises((InvalidKeyError, MalformedError)):
        public_key_from_jwk(_load(name))
    with pytest.raises((InvalidKeyError, MalformedError)):
        private_key_from_jwk(_load(name))
