"""vcore.jose against independent JOSE libraries, every algorithm, both directions.

joserfc (Python) and node ``jose`` sign; TrustID resolves the did:jwk / did:key offline
and verifies. TrustID signs; joserfc verifies with nothing but the public JWK. Tampered
tokens, a relabelled ``alg`` (wrong curve), ``none`` and HS256 are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from joserfc import jws
from joserfc.jwk import JWKRegistry
from joserfc.jws import JWSRegistry

from tests.independent_jose import (
    INDEPENDENT_ALGS,
    b64url,
    credential_payload,
    joserfc_issuer,
    node_sign,
    relabelled,
    require_node,
    tampered,
)
from vcore import dids, jose
from vcore.errors import AlgorithmNotAllowedError, BadSignatureError, TrustIDError
from vcore.keys import generate_key
from vcore.signing import SoftwareSigner

HOLDER = dids.did_key_for(generate_key("ES256").public_key())


def _verify(token: str) -> dict[str, object]:
    """Verify as the verifier does for an offline DID: the key from the kid's DID."""
    parsed = jose.decode_unverified(token)
    assert parsed.kid is not None
    key = dids.resolve_offline(parsed.kid)
    return jose.verify(token, key, typ="vc+jwt").payload


# joserfc warns that RFC 9864 deprecates the polymorphic "EdDSA" name (for "Ed25519");
# "EdDSA" is still what VC-JOSE-COSE issuers send, so the warning is expected here.
_EDDSA_WARNING = "ignore:EdDSA is deprecated:joserfc.errors.SecurityWarning"


@pytest.mark.filterwarnings(_EDDSA_WARNING)
@pytest.mark.parametrize("did_method", ["jwk", "key"])
@pytest.mark.parametrize("alg", INDEPENDENT_ALGS)
def test_joserfc_signed_credentials_verify(alg: str, did_method: str) -> None:
    issuer = joserfc_issuer(alg, did_method=did_method)
    token = issuer.credential(HOLDER)
    assert _verify(token)["issuer"] == issuer.did
    with pytest.raises(BadSignatureError):
        _verify(tampered(token))


@pytest.mark.filterwarnings(_EDDSA_WARNING)
@pytest.mark.parametrize("alg", INDEPENDENT_ALGS)
def test_trustid_signed_tokens_verify_with_joserfc(alg: str) -> None:
    key = generate_key(alg)
    did = dids.did_jwk_for(key.public_key())
    token = jose.sign(
        credential_payload(did, HOLDER), SoftwareSigner(key, f"{did}#0"), typ="vc+jwt", cty="vc"
    )
    public = JWKRegistry.import_key(key.public_key().to_jwk())
    # An RSA did:jwk kid makes a header longer than joserfc's default 512-byte limit.
    registry = JWSRegistry(algorithms=[alg])
    registry.max_header_length = 4096
    compact = jws.deserialize_compact(token, public, algorithms=[alg], registry=registry)
    assert json.loads(compact.payload)["issuer"] == did
    assert compact.headers()["alg"] == alg


@pytest.mark.parametrize(
    ("signed", "claimed"),
    [("ES256", "ES384"), ("ES384", "ES512"), ("ES256K", "ES256"), ("PS256", "RS256")],
)
def test_a_relabelled_alg_is_refused(signed: str, claimed: str) -> None:
    """The header names another algorithm than the key's: refused before any signature."""
    issuer = joserfc_issuer(signed)
    with pytest.raises(AlgorithmNotAllowedError):
        _verify(relabelled(issuer.credential(HOLDER), alg=claimed))


def test_none_and_hs256_are_refused() -> None:
    issuer = joserfc_issuer("ES256")
    payload = b64url(json.dumps(credential_payload(issuer.did, HOLDER)).encode())
    none = f"{b64url(json.dumps({'alg': 'none', 'kid': issuer.kid}).encode())}.{payload}."
    with pytest.raises(TrustIDError):
        _verify(none)
    secret = json.dumps(issuer.public_jwk).encode()  # CVE-2022-29217: public key as secret
    head = b64url(json.dumps({"alg": "HS256", "typ": "vc+jwt", "kid": issuer.kid}).encode())
    mac = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    with pytest.raises(AlgorithmNotAllowedError):
        _verify(f"{head}.{payload}.{b64url(mac)}")


@pytest.mark.parametrize("alg", INDEPENDENT_ALGS)
def test_node_jose_signed_credentials_verify(alg: str) -> None:
    require_node()
    (signed,) = node_sign([{"alg": alg, "payload": credential_payload("", HOLDER)}])
    assert _verify(signed["token"])["issuer"] == signed["did"]
    with pytest.raises(BadSignatureError):
        _verify(tampered(signed["token"]))
