"""Regression tests named after public advisories against JOSE/JWT libraries.

Each test forges the attack token by hand and asserts TrustID refuses it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from importlib.metadata import version
from typing import Any

import pytest

from vcore import jose
from vcore.errors import (
    AlgorithmNotAllowedError,
    BadSignatureError,
    HeaderNotAllowedError,
    MalformedError,
    TrustIDError,
)
from vcore.formats import parse_credential_unverified
from vcore.keys import b64url_decode, b64url_encode, generate_key
from vcore.signing import SoftwareSigner


def _segment(value: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())


def _claims() -> dict[str, Any]:
    return {
        "iss": "did:web:registry.example.gov",
        "vc": {"type": ["VerifiableCredential"], "credentialSubject": {}},
    }


def test_pyjwt_is_past_the_known_advisories() -> None:
    """DESIGN §4: PyJWT >= 2.13 (alg confusion and crit advisories in earlier releases)."""
    major, minor = (int(p) for p in version("pyjwt").split(".")[:2])
    assert (major, minor) >= (2, 13)


def test_cve_2022_29217_hmac_with_public_key_as_secret() -> None:
    """Algorithm confusion: an HS256 token 'signed' with the issuer's public key bytes."""
    key = generate_key("ES256")
    public_pem = json.dumps(key.public_key().to_jwk()).encode()
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(_claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url_encode(mac)}"
    with pytest.raises(AlgorithmNotAllowedError):
        jose.verify(token, key.public_key())


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_cve_2015_9235_alg_none(alg: str) -> None:
    key = generate_key()
    token = f"{_segment({'alg': alg})}.{_segment(_claims())}."
    with pytest.raises((AlgorithmNotAllowedError, MalformedError)):
        jose.verify(token, key.public_key())
    token_with_sig = f"{_segment({'alg': alg})}.{_segment(_claims())}.AAAA"
    with pytest.raises(AlgorithmNotAllowedError):
        jose.verify(token_with_sig, key.public_key())


def test_cve_2022_21449_psychic_signature() -> None:
    """ECDSA with r = s = 0 must never verify (Java 'psychic signatures')."""
    key = generate_key("ES256")
    signing_input = f"{_segment({'alg': 'ES256', 'typ': 'vc+jwt'})}.{_segment(_claims())}"
    token = f"{signing_input}.{b64url_encode(bytes(64))}"
    with pytest.raises(BadSignatureError):
        jose.verify(token, key.public_key())


@pytest.mark.parametrize("header", ["jwk", "jku", "x5u", "x5c"])
def test_cve_2018_0114_embedded_or_remote_key_headers(header: str) -> None:
    """Key injection: a token carrying its own key (or a URL to fetch one) is refused
    before any key lookup, so no outbound request can be triggered."""
    attacker = generate_key()
    values: dict[str, Any] = {
        "jwk": attacker.public_key().to_jwk(),
        "jku": "http://169.254.169.254/latest/meta-data",
        "x5u": "http://10.0.0.1/cert.pem",
        "x5c": ["MIIB"],
    }
    token = jose.sign(_claims(), SoftwareSigner(attacker, "k"), typ="JWT")
    head, payload, sig = token.split(".")
    bad_header = {**json.loads(b64url_decode(head)), header: values[header]}
    forged = f"{_segment(bad_header)}.{payload}.{sig}"
    with pytest.raises(HeaderNotAllowedError):
        parse_credential_unverified(forged)


def test_crit_header_is_refused() -> None:
    """GHSA-75c5-xw7c-p5pm: PyJWT < 2.10.1 ignored unknown 'crit' extensions."""
    key = generate_key()
    signing_input = (
        f"{_segment({'alg': 'ES256', 'crit': ['b64'], 'b64': False})}.{_segment(_claims())}"
    )
    with pytest.raises(HeaderNotAllowedError):
        jose.decode_unverified(f"{signing_input}.AAAA")
    del key


def test_duplicate_claims_cannot_smuggle_a_second_value() -> None:
    """Parser differentials: {"iss": A, "iss": B} means different things to different libraries."""
    head = _segment({"alg": "ES256", "typ": "JWT"})
    payload = b64url_encode(b'{"iss":"did:web:good.gov","iss":"did:web:evil.gov","vc":{}}')
    with pytest.raises(MalformedError):
        jose.decode_unverified(f"{head}.{payload}.AAAA")


def test_signature_padding_and_whitespace_are_refused() -> None:
    key = generate_key()
    token = jose.sign(_claims(), SoftwareSigner(key, "k"), typ="JWT")
    jose.verify(token, key.public_key())
    for mutated in (token + "=", token.replace(".", " .", 1), token + "\n.x"):
        with pytest.raises(TrustIDError):
            jose.verify(mutated, key.public_key())
