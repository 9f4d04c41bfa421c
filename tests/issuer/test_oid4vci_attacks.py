"""Attacks on the OpenID4VCI endpoints: alg confusion, key injection, wallet-chosen claims,
one key twice in a batch, a proof for another issuer's nonce."""

from __future__ import annotations

import json
from typing import Any

from tests.issuer.support import EXAMPLES, RESIDENT, Harness
from tests.issuer.test_oid4vci import (
    ISSUER,
    SD_JWT,
    error_of,
    key_proof,
    make_offer,
    offer_code,
    redeemed_token,
    request_credential,
)
from vcore.formats import parse_credential_unverified
from vcore.keys import b64url_encode, generate_key
from vcore.oid4vci import PRE_AUTHORIZED_GRANT


def _unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    def part(value: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(value).encode())

    return f"{part(header)}.{part(payload)}.{b64url_encode(signature) or 'AA'}"


def test_dpop_alg_none_and_hmac_with_an_oct_jwk_are_refused(issuer: Harness) -> None:
    made = make_offer(issuer).json()
    code = offer_code(issuer, made)
    now = int(issuer.services.ctx.clock().timestamp())
    claims = {"jti": "0123456789ab", "htm": "POST", "htu": f"{ISSUER}/token", "iat": now}
    for header in (
        {"alg": "none", "typ": "dpop+jwt", "jwk": generate_key("ES256").public_key().to_jwk()},
        {"alg": "HS256", "typ": "dpop+jwt", "jwk": {"kty": "oct", "k": "c2VjcmV0"}},
    ):
        response = issuer.client.post(
            "/token",
            data={
                "grant_type": PRE_AUTHORIZED_GRANT,
                "pre-authorized_code": code,
                "tx_code": made["txCode"],
            },
            headers={"DPoP": _unsigned(header, claims)},
        )
        assert error_of(response) == "invalid_dpop_proof"
    # Nothing was redeemed: the right proof still works.
    assert issuer.client.get(f"/credential-offer/{made['offerId']}").status_code == 200


def test_key_proof_claiming_another_alg_than_its_key_is_refused(issuer: Harness) -> None:
    dpop_key = generate_key("ES256")
    token = redeemed_token(issuer, dpop_key)
    holder = generate_key("ES256")
    real = key_proof(issuer, holder)
    head = json.loads(__import__("base64").urlsafe_b64decode(real.split(".")[0] + "=="))
    head["alg"] = "EdDSA"
    relabelled = b64url_encode(json.dumps(head).encode()) + "." + ".".join(real.split(".")[1:])
    response = request_credential(
        issuer,
        token,
        dpop_key,
        {"credential_configuration_id": SD_JWT, "proofs": {"jwt": [relabelled]}},
    )
    assert error_of(response) == "invalid_proof"


def test_the_wallet_cannot_choose_the_claims(issuer: Harness) -> None:
    dpop_key = generate_key("ES256")
    token = redeemed_token(issuer, dpop_key)
    response = request_credential(
        issuer,
        token,
        dpop_key,
        {
            "credential_configuration_id": SD_JWT,
            "proofs": {"jwt": [key_proof(issuer, generate_key("ES256"))]},
            "credentialSubject": {"givenName": "Mallory"},
            "claims": {"givenName": "Mallory"},
        },
    )
    assert response.status_code == 200, response.text
    token_text = response.json()["credentials"][0]["credential"]
    document = parse_credential_unverified(token_text).credential
    assert "Mallory" not in json.dumps(document)
    assert document["credentialSubject"]["givenName"] == EXAMPLES[RESIDENT]["givenName"]


def test_one_key_twice_in_a_batch_is_refused(issuer: Harness) -> None:
    dpop_key = generate_key("ES256")
    token = redeemed_token(issuer, dpop_key)
    holder = generate_key("ES256")
    response = request_credential(
        issuer,
        token,
        dpop_key,
        {
            "credential_configuration_id": SD_JWT,
            "proofs": {"jwt": [key_proof(issuer, holder), key_proof(issuer, holder)]},
        },
    )
    assert error_of(response) == "invalid_proof"
    assert "same key" in response.json()["error_description"]
