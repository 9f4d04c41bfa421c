"""vcore.oid4vci: offers, metadata URLs, DPoP proofs (RFC 9449) and key proofs, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vcore.dids import did_jwk_for, did_key_for, holder_kid
from vcore.errors import InvalidDpopProofError, InvalidNonceError, InvalidProofError, MalformedError
from vcore.jose import sign
from vcore.keys import b64url_encode, generate_key
from vcore.oid4vci import (
    PRE_AUTHORIZED_GRANT,
    TxCodeSpec,
    access_token_hash,
    build_credential_offer,
    check_dpop_proof,
    check_key_proof,
    check_tx_code,
    create_dpop_proof,
    create_key_proof,
    offer_link,
    parse_credential_offer,
    parse_offer_link,
    tx_code_digest,
    well_known_url,
)
from vcore.signing import SoftwareSigner

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
URL = "https://id.example/token"


def test_well_known_goes_before_the_path() -> None:
    assert (
        well_known_url("https://id.example", "/.well-known/x") == "https://id.example/.well-known/x"
    )
    assert well_known_url("https://id.example/reg/", "/.well-known/x") == (
        "https://id.example/.well-known/x/reg"
    )


def test_offer_round_trip_by_reference_and_by_value() -> None:
    link = offer_link("https://id.example/credential-offer/abc?x=1")
    assert parse_offer_link(link).uri == "https://id.example/credential-offer/abc?x=1"
    offer = build_credential_offer("https://id.example", ["A_sd_jwt"], "code", TxCodeSpec(6))
    import json
    from urllib.parse import quote

    by_value = parse_offer_link(
        f"openid-credential-offer://?credential_offer={quote(json.dumps(offer))}"
    )
    parsed = parse_credential_offer(by_value.value)
    assert parsed.pre_authorized_code == "code"
    assert parsed.tx_code == TxCodeSpec(6, "numeric", None)
    assert parsed.configuration_ids == ("A_sd_jwt",)


@pytest.mark.parametrize(
    "link",
    [
        "https://id.example/",
        "openid-credential-offer://?credential_offer_uri=a&credential_offer_uri=b",
        "openid-credential-offer://?credential_offer_uri=a&credential_offer=%7B%7D",
        "ftp://x/?credential_offer_uri=a",
    ],
)
def test_bad_offer_links(link: str) -> None:
    with pytest.raises(MalformedError):
        parse_offer_link(link)


@pytest.mark.parametrize(
    "offer",
    [
        {},
        {"credential_issuer": "https://x", "credential_configuration_ids": []},
        {"credential_issuer": "https://x", "credential_configuration_ids": ["a"], "grants": {}},
        {
            "credential_issuer": "https://x",
            "credential_configuration_ids": ["a"],
            "grants": {
                PRE_AUTHORIZED_GRANT: {"pre-authorized_code": "c", "tx_code": {"length": "6"}}
            },
        },
    ],
)
def test_bad_offers(offer: dict[str, Any]) -> None:
    with pytest.raises(MalformedError):
        parse_credential_offer(offer)


def test_tx_code_digest_is_keyed_and_bound_to_the_offer() -> None:
    digest = tx_code_digest("123456", key=b"k" * 32, offer_id="o1")
    assert check_tx_code("123456", digest, key=b"k" * 32, offer_id="o1")
    assert not check_tx_code("123457", digest, key=b"k" * 32, offer_id="o1")
    assert not check_tx_code("123456", digest, key=b"k" * 32, offer_id="o2")
    assert not check_tx_code("123456", digest, key=b"j" * 32, offer_id="o1")


def test_dpop_proof_round_trip_binds_key_method_url_and_token() -> None:
    key = generate_key("ES256")
    proof = create_dpop_proof(key, method="POST", url=URL + "?q=1", now=NOW, access_token="tok")
    checked = check_dpop_proof(proof, method="POST", url=URL, now=NOW, access_token="tok")
    assert checked.jkt == key.public_key().thumbprint()
    for kwargs in (
        {"method": "GET", "url": URL, "now": NOW, "access_token": "tok"},
        {
            "method": "POST",
            "url": "https://id.example/credential",
            "now": NOW,
            "access_token": "tok",
        },
        {"method": "POST", "url": URL, "now": NOW, "access_token": "other"},
        {"method": "POST", "url": URL, "now": NOW + timedelta(minutes=6), "access_token": "tok"},
        {"method": "POST", "url": URL, "now": NOW - timedelta(minutes=2), "access_token": "tok"},
    ):
        with pytest.raises(InvalidDpopProofError):
            check_dpop_proof(proof, **kwargs)  # type: ignore[arg-type]


def _dpop_with(header_jwk: dict[str, Any] | None, typ: str = "dpop+jwt", alg: str = "ES256") -> str:
    key = generate_key(alg)
    payload = {"jti": "0123456789", "htm": "POST", "htu": URL, "iat": int(NOW.timestamp())}
    token = sign(payload, SoftwareSigner(key, "k"), typ=typ, public_jwk_header=True)
    if header_jwk is None:
        return token
    import json

    head = json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[0] + "=="))
    head["jwk"] = header_jwk
    return b64url_encode(json.dumps(head).encode()) + "." + ".".join(token.split(".")[1:])


def test_dpop_refuses_wrong_typ_private_jwk_foreign_key_and_rsa() -> None:
    with pytest.raises(InvalidDpopProofError, match="typ"):
        check_dpop_proof(_dpop_with(None, typ="jwt"), method="POST", url=URL, now=NOW)
    private = generate_key("ES256").to_jwk()
    with pytest.raises(InvalidDpopProofError, match="public"):
        check_dpop_proof(_dpop_with(private), method="POST", url=URL, now=NOW)
    other = generate_key("ES256").public_key().to_jwk()
    with pytest.raises(InvalidDpopProofError, match="signature"):
        check_dpop_proof(_dpop_with(other), method="POST", url=URL, now=NOW)
    with pytest.raises(InvalidDpopProofError, match="alg"):
        check_dpop_proof(_dpop_with(None, alg="PS256"), method="POST", url=URL, now=NOW)
    with pytest.raises(InvalidDpopProofError):
        check_dpop_proof(None, method="POST", url=URL, now=NOW)
    assert (
        access_token_hash("abc") == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    )  # SHA-256("abc"): FIPS 180-2


def test_key_proof_by_jwk_and_by_did_kid() -> None:
    key = generate_key("ES256")
    proof = create_key_proof(key, audience="https://id.example", nonce="n", now=NOW)
    checked = check_key_proof(proof, audience="https://id.example/", now=NOW)
    assert checked.holder == did_jwk_for(key.public_key())
    assert checked.nonce == "n"
    did = did_key_for(key.public_key())
    by_kid = create_key_proof(
        key, audience="https://id.example", nonce="n", now=NOW, kid=holder_kid(did)
    )
    assert check_key_proof(by_kid, audience="https://id.example", now=NOW).holder == did
    with pytest.raises(InvalidProofError, match="aud"):
        check_key_proof(proof, audience="https://other.example", now=NOW)
    with pytest.raises(InvalidProofError, match="iat"):
        check_key_proof(proof, audience="https://id.example", now=NOW + timedelta(minutes=10))
    lying_kid = create_key_proof(
        key,
        audience="https://id.example",
        nonce="n",
        now=NOW,
        kid=holder_kid(did_key_for(generate_key("ES256").public_key())),
    )
    with pytest.raises(InvalidProofError, match="signature"):
        check_key_proof(lying_kid, audience="https://id.example", now=NOW)
    no_nonce = sign(
        {"aud": "https://id.example", "iat": int(NOW.timestamp())},
        SoftwareSigner(key, "k"),
        typ="openid4vci-proof+jwt",
        public_jwk_header=True,
    )
    with pytest.raises(InvalidNonceError):
        check_key_proof(no_nonce, audience="https://id.example", now=NOW)
    web_kid = create_key_proof(
        key, audience="https://id.example", nonce="n", now=NOW, kid="did:web:evil.example#k"
    )
    with pytest.raises(InvalidProofError, match="unusable"):
        check_key_proof(web_kid, audience="https://id.example", now=NOW)  # nothing is fetched
