"""A ``vc+jwt``'s signature is checked on the bytes its parse decoded, with the same
decisions as a fresh :func:`vcore.jose.verify` of the token."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from vcore.clock import system_clock
from vcore.credentials import build_credential, new_credential_id
from vcore.errors import AlgorithmNotAllowedError, BadSignatureError
from vcore.formats import parse_credential_unverified, sign_credential
from vcore.formats.vc_jwt import VC_JWT, JwtCredential
from vcore.keys import generate_key
from vcore.signing import SoftwareSigner

ISSUER = "did:web:registry.example"


def _token(key: Any = None) -> tuple[str, Any]:
    key = key or generate_key()
    now = system_clock()
    credential = build_credential(
        issuer=ISSUER,
        credential_type="ResidentIdentityCredential",
        subject={"givenName": "Mei"},
        holder=None,
        credential_id=new_credential_id(),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=1),
    )
    signer = SoftwareSigner(key, f"{ISSUER}#k1")
    return sign_credential(credential, signer), key


def _parsed(token: str) -> JwtCredential:
    parsed = parse_credential_unverified(token)
    assert isinstance(parsed, JwtCredential)
    assert parsed.jws is not None
    return parsed


def test_a_good_signature_verifies_from_the_parsed_bytes() -> None:
    token, key = _token()
    VC_JWT.verify_signature(_parsed(token), key.public_key())


def test_another_key_is_refused() -> None:
    token, _key = _token()
    with pytest.raises(BadSignatureError):
        VC_JWT.verify_signature(_parsed(token), generate_key().public_key())


def test_a_tampered_payload_is_refused() -> None:
    token, key = _token()
    head, _payload, sig = token.split(".")
    other, _ = _token(key)
    forged = ".".join([head, other.split(".")[1], sig])
    with pytest.raises(BadSignatureError):
        VC_JWT.verify_signature(_parsed(forged), key.public_key())


def test_a_later_change_to_the_header_dict_changes_nothing() -> None:
    token, key = _token()
    parsed = _parsed(token)
    parsed.header["alg"] = "EdDSA"  # the alg checked is the one read at parse time
    VC_JWT.verify_signature(parsed, key.public_key())


def test_the_alg_is_still_pinned_to_the_key() -> None:
    token, _key = _token()
    parsed = dataclasses.replace(_parsed(token), alg="EdDSA")
    with pytest.raises(AlgorithmNotAllowedError, match="pinned"):
        VC_JWT.verify_signature(parsed, generate_key().public_key())


def test_a_credential_whose_jws_is_not_its_token_is_decoded_afresh() -> None:
    token, key = _token()
    other, _ = _token(key)
    parsed = dataclasses.replace(_parsed(token), token=other)
    VC_JWT.verify_signature(parsed, key.public_key())
    forged = dataclasses.replace(_parsed(token), token=other[:-4] + "AAAA")
    with pytest.raises(BadSignatureError):
        VC_JWT.verify_signature(forged, key.public_key())
