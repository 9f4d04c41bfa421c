"""VC 2.0 ``vc+jwt`` and VC-JWT 1.1 credentials, keys, DIDs and presentations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vcore import credentials as vc
from vcore import dids, formats, jose, presentations
from vcore.errors import (
    AlgorithmNotAllowedError,
    AudienceMismatchError,
    BadSignatureError,
    DIDError,
    ExpiredError,
    HeaderNotAllowedError,
    HolderBindingError,
    InvalidKeyError,
    MalformedError,
    NonceMismatchError,
    NotYetValidError,
    TokenTooLargeError,
)
from vcore.jsontext import loads_strict
from vcore.keys import (
    PrivateKey,
    b64url_decode,
    b64url_encode,
    generate_key,
    private_key_from_der,
    private_key_from_jwk,
    public_key_from_jwk,
)
from vcore.signing import SoftwareSigner

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
ISSUER = "did:web:registry.example.gov"


@pytest.fixture(params=["ES256", "EdDSA"])
def issuer_key(request: pytest.FixtureRequest) -> PrivateKey:
    return generate_key(request.param)


@pytest.fixture
def holder_key() -> PrivateKey:
    return generate_key("ES256")


def _credential(holder: str, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "issuer": ISSUER,
        "credential_type": "ResidentIdentityCredential",
        "subject": {"givenName": "Wei", "familyName": "Zhang", "birthDate": "1990-04-01"},
        "holder": holder,
        "credential_id": vc.new_credential_id(),
        "valid_from": NOW,
        "valid_until": NOW + timedelta(days=365),
    }
    args.update(overrides)
    return vc.build_credential(**args)


def _kid(key: PrivateKey) -> str:
    return f"{ISSUER}#{key.public_key().thumbprint()}"


def _forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"x" * 64) -> str:
    parts = [json.dumps(header).encode(), json.dumps(payload).encode(), signature]
    return ".".join(b64url_encode(p) for p in parts)


# -- keys ---------------------------------------------------------------------------------


def test_key_round_trips(issuer_key: PrivateKey) -> None:
    assert private_key_from_jwk(issuer_key.to_jwk()).public_key() == issuer_key.public_key()
    assert private_key_from_der(issuer_key.to_der()).public_key() == issuer_key.public_key()
    public = issuer_key.public_key()
    assert public_key_from_jwk(public.to_jwk()) == public
    assert "d" not in public.to_jwk()


def test_private_jwk_with_mismatched_d_is_refused() -> None:
    a, b = generate_key(), generate_key()
    jwk = {**a.public_key().to_jwk(), "d": b.to_jwk()["d"]}
    with pytest.raises(InvalidKeyError):
        private_key_from_jwk(jwk)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "oct", "k": "AAAA"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        "not a jwk",
    ],
)
def test_unusable_jwks_are_refused(jwk: object) -> None:
    with pytest.raises((InvalidKeyError, AlgorithmNotAllowedError)):
        public_key_from_jwk(jwk)


def test_unknown_algorithm_cannot_be_generated() -> None:
    with pytest.raises(AlgorithmNotAllowedError):
        generate_key("HS256")


# -- DIDs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_did_key_and_did_jwk_resolve_offline(alg: str) -> None:
    key = generate_key(alg).public_key()
    did_key = dids.did_key_for(key)
    assert did_key.startswith("did:key:zDn" if alg == "ES256" else "did:key:z6Mk")
    assert dids.resolve_offline(dids.holder_kid(did_key)) == key
    did_jwk = dids.did_jwk_for(key)
    assert dids.resolve_offline(dids.holder_kid(did_jwk)) == key


def test_did_key_is_short_for_qr_codes() -> None:
    assert len(dids.did_key_for(generate_key().public_key())) == 57


def test_did_key_known_answer() -> None:
    # did:key spec test vector (P-256, compressed point).
    did = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"
    jwk = dids.resolve_offline(did).to_jwk()
    assert jwk["x"] == "fyNYMN0976ci7xqiSdag3buk-ZCwgXU4kz9XNkBlNUI"
    assert jwk["y"] == "hW2ojTNfH7Jbi8--CJUo3OCbH3y5n91g-IMA9MLMbTU"


@pytest.mark.parametrize(
    ("url", "did", "doc_url"),
    [
        (
            "https://registry.example.gov",
            "did:web:registry.example.gov",
            "https://registry.example.gov/.well-known/did.json",
        ),
        (
            "http://127.0.0.1:8100",
            "did:web:127.0.0.1%3A8100",
            "https://127.0.0.1:8100/.well-known/did.json",
        ),
        (
            "https://example.gov/agencies/transport/",
            "did:web:example.gov:agencies:transport",
            "https://example.gov/agencies/transport/did.json",
        ),
    ],
)
def test_did_web_mapping(url: str, did: str, doc_url: str) -> None:
    assert dids.did_web_from_url(url) == did
    assert dids.did_web_to_url(did) == doc_url


@pytest.mark.parametrize(
    "bad",
    [
        "did:web:",
        "did:web:a.gov:..:x",
        "did:example:123",
        "did:web:evil.gov/path",
        "notadid",
        "did:key:xyz",
        "did:key:z111",
    ],
)
def test_bad_dids_are_refused(bad: str) -> None:
    resolve = dids.resolve_offline if bad.startswith("did:key") else dids.did_web_to_url
    with pytest.raises((DIDError, InvalidKeyError)):
        resolve(bad)


def test_did_document_speaks_only_for_its_own_did() -> None:
    key = generate_key().public_key()
    doc = dids.build_did_document(ISSUER, [key])
    kid = doc["assertionMethod"][0]
    assert dids.key_from_did_document(doc, kid) == key
    assert doc["verificationMethod"][0]["publicKeyJwk"]["kid"] == kid
    other = {**doc, "id": "did:web:evil.example"}
    with pytest.raises(DIDError):
        dids.key_from_did_document(other, kid)


# -- credentials --------------------------------------------------------------------------


def test_vc_jwt_round_trip(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    holder = dids.did_key_for(holder_key.public_key())
    token = formats.sign_credential(
        _credential(holder), SoftwareSigner(issuer_key, _kid(issuer_key))
    )
    parsed = formats.parse_credential_unverified(token)
    assert parsed.format == "vc+jwt"
    assert parsed.header == {
        "alg": issuer_key.alg,
        "kid": _kid(issuer_key),
        "typ": "vc+jwt",
        "cty": "vc",
    }
    assert parsed.issuer == ISSUER
    assert parsed.holder == holder
    assert parsed.credential_type == "ResidentIdentityCredential"
    assert (
        jose.verify(token, issuer_key.public_key(), typ="vc+jwt").payload["credentialSubject"][
            "givenName"
        ]
        == "Wei"
    )
    vc.check_validity(parsed, NOW)


def test_vc11_maps_to_the_same_view(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    holder = dids.did_key_for(holder_key.public_key())
    credential = _credential(holder)
    v2 = formats.parse_credential_unverified(
        formats.sign_credential(credential, SoftwareSigner(issuer_key, _kid(issuer_key)))
    )
    token = formats.sign_credential(
        credential, SoftwareSigner(issuer_key, _kid(issuer_key)), fmt="jwt_vc_json"
    )
    v1 = formats.parse_credential_unverified(token)
    assert v1.format == "jwt_vc_json"
    payload = v1.claims
    assert (payload["iss"], payload["sub"], payload["jti"]) == (ISSUER, holder, credential["id"])
    assert payload["vc"]["@context"] == [vc.VC1_CONTEXT]
    assert v1.credential == v2.credential


def test_realistic_credential_is_about_1500_characters(holder_key: PrivateKey) -> None:
    """DESIGN §2 QR budget: a resident credential stays near 1,470 characters."""
    key = generate_key("ES256")
    holder = dids.did_key_for(holder_key.public_key())
    status = [
        {
            "id": f"https://registry.example.gov/status-lists/{n}#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": p,
            "statusListIndex": "94567",
            "statusListCredential": f"https://registry.example.gov/status-lists/{n}",
        }
        for n, p in ((1, "revocation"), (2, "suspension"))
    ]
    token = formats.sign_credential(
        _credential(holder, status=status), SoftwareSigner(key, _kid(key))
    )
    assert 1000 < len(token) < 1800


@pytest.mark.parametrize(
    ("now", "error"),
    [
        (NOW - timedelta(seconds=61), NotYetValidError),
        (NOW + timedelta(days=365, seconds=61), ExpiredError),
    ],
)
def test_validity_window_with_leeway(
    now: datetime, error: type[Exception], holder_key: PrivateKey
) -> None:
    key = generate_key()
    holder = dids.did_key_for(holder_key.public_key())
    parsed = formats.parse_credential_unverified(
        formats.sign_credential(_credential(holder), SoftwareSigner(key, _kid(key)))
    )
    vc.check_validity(parsed, NOW - timedelta(seconds=59))
    vc.check_validity(parsed, NOW + timedelta(days=365, seconds=59))
    with pytest.raises(error):
        vc.check_validity(parsed, now)


def test_envelope_round_trip() -> None:
    token = "a.b.c"
    enveloped = formats.envelope_credential(token)
    assert enveloped["id"] == "data:application/vc+jwt,a.b.c"
    assert formats.unwrap_credential(enveloped) == token
    assert formats.unwrap_credential(enveloped["id"]) == token
    assert formats.unwrap_credential(token) == token
    with pytest.raises(MalformedError):
        formats.unwrap_credential("data:application/vp+jwt,a.b.c")
    with pytest.raises(MalformedError):
        formats.unwrap_credential({"type": "VerifiableCredential", "id": "x"})


@pytest.mark.parametrize(
    ("header", "payload", "error"),
    [
        ({"alg": "none", "typ": "vc+jwt"}, {}, AlgorithmNotAllowedError),
        ({"alg": "HS256", "typ": "vc+jwt"}, {}, AlgorithmNotAllowedError),
        ({"alg": "RS384", "typ": "vc+jwt"}, {}, AlgorithmNotAllowedError),
        ({"alg": "es256", "typ": "vc+jwt"}, {}, AlgorithmNotAllowedError),
        (
            {"alg": "ES256", "typ": "vc+jwt", "jku": "https://evil.example/jwks"},
            {},
            HeaderNotAllowedError,
        ),
        (
            {"alg": "ES256", "typ": "vc+jwt", "x5u": "https://evil.example/cert"},
            {},
            HeaderNotAllowedError,
        ),
        ({"alg": "ES256", "typ": "vc+jwt", "jwk": {"kty": "EC"}}, {}, HeaderNotAllowedError),
        ({"alg": "ES256", "typ": "vc+jwt", "crit": ["exp"]}, {}, HeaderNotAllowedError),
        ({"alg": "ES256", "typ": "JWT"}, {"sub": "x"}, MalformedError),
        (
            {"alg": "ES256", "typ": "vc+jwt"},
            {"@context": ["https://example.org"], "type": ["VerifiableCredential"]},
            MalformedError,
        ),
        (
            {"alg": "ES256", "typ": "vc+jwt"},
            {
                "@context": [vc.VC2_CONTEXT],
                "issuer": ISSUER,
                "type": ["Other"],
                "credentialSubject": {},
            },
            MalformedError,
        ),
        (
            {"alg": "ES256", "typ": "vc+jwt"},
            {
                "@context": [vc.VC2_CONTEXT],
                "issuer": ISSUER,
                "type": ["VerifiableCredential"],
                "credentialSubject": {},
                "validFrom": "yesterday",
            },
            MalformedError,
        ),
    ],
)
def test_malformed_credentials_are_refused(
    header: dict[str, Any], payload: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        formats.parse_credential_unverified(_forge(header, payload))


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "..", "e30.e30.", "e30=.e30.AAAA", 42, None],
)
def test_garbage_tokens_are_malformed(token: object) -> None:
    with pytest.raises((MalformedError, AlgorithmNotAllowedError)):
        formats.parse_credential_unverified(token)


def test_oversized_token_is_refused() -> None:
    with pytest.raises(TokenTooLargeError):
        formats.parse_credential_unverified("a" * (16 * 1024 + 1))


def test_alg_confusion_is_refused(holder_key: PrivateKey) -> None:
    """A token claiming EdDSA is never checked with an ES256-pinned key, and vice versa."""
    es, ed = generate_key("ES256"), generate_key("EdDSA")
    holder = dids.did_key_for(holder_key.public_key())
    token = formats.sign_credential(_credential(holder), SoftwareSigner(ed, _kid(ed)))
    with pytest.raises(AlgorithmNotAllowedError):
        jose.verify(token, es.public_key())


def test_tampered_payload_fails_signature(holder_key: PrivateKey) -> None:
    key = generate_key()
    holder = dids.did_key_for(holder_key.public_key())
    token = formats.sign_credential(_credential(holder), SoftwareSigner(key, _kid(key)))
    head, payload, sig = token.split(".")
    claims = loads_strict(b64url_decode(payload))
    claims["credentialSubject"]["givenName"] = "Mallory"
    forged = f"{head}.{b64url_encode(json.dumps(claims).encode())}.{sig}"
    with pytest.raises(BadSignatureError):
        jose.verify(forged, key.public_key())


@pytest.mark.parametrize(
    "text",
    ['{"a":1,"a":2}', '{"a":NaN}', "[" * 40 + "]" * 40, "{"],
)
def test_strict_json_refuses_ambiguity(text: str) -> None:
    with pytest.raises(MalformedError):
        loads_strict(text)


# -- presentations ------------------------------------------------------------------------


@pytest.fixture
def presented(holder_key: PrivateKey) -> tuple[str, str, str]:
    key = generate_key()
    holder = dids.did_key_for(holder_key.public_key())
    token = formats.sign_credential(_credential(holder), SoftwareSigner(key, _kid(key)))
    vp = formats.build_presentation(
        [token], holder_key, holder, audience="https://counter.example", nonce="n-123", now=NOW
    )
    return vp, holder, token


def test_presentation_verifies_and_binds(presented: tuple[str, str, str]) -> None:
    vp, holder, token = presented
    result = formats.verify_presentation(
        vp, nonce="n-123", audience="https://counter.example", now=NOW
    )
    assert result.holder == holder
    assert [formats.unwrap_credential(c) for c in result.credentials] == [token]
    presentations.check_holder_binding(result.holder, formats.parse_credential_unverified(token))


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"nonce": "other"}, NonceMismatchError),
        ({"audience": "https://elsewhere.example"}, AudienceMismatchError),
        ({"now": NOW + timedelta(seconds=301)}, ExpiredError),
        ({"now": NOW - timedelta(seconds=61)}, NotYetValidError),
    ],
)
def test_presentation_replay_protections(
    presented: tuple[str, str, str], kwargs: dict[str, Any], error: type[Exception]
) -> None:
    args: dict[str, Any] = {
        "nonce": "n-123",
        "audience": "https://counter.example",
        "now": NOW,
        **kwargs,
    }
    with pytest.raises(error):
        formats.verify_presentation(presented[0], **args)


def test_someone_elses_credential_fails_holder_binding(presented: tuple[str, str, str]) -> None:
    _, _, token = presented
    thief = generate_key()
    thief_did = dids.did_key_for(thief.public_key())
    vp = formats.build_presentation([token], thief, thief_did, audience="a", nonce="n", now=NOW)
    result = formats.verify_presentation(vp, nonce="n", audience="a", now=NOW)
    with pytest.raises(HolderBindingError):
        presentations.check_holder_binding(
            result.holder, formats.parse_credential_unverified(token)
        )


def test_presentation_signed_by_another_key_is_refused(presented: tuple[str, str, str]) -> None:
    vp, holder, _ = presented
    other = generate_key()
    forged = jose.sign(
        jose.decode_unverified(vp).payload,
        SoftwareSigner(other, dids.holder_kid(holder)),
        typ="vp+jwt",
    )
    with pytest.raises(BadSignatureError):
        formats.verify_presentation(
            forged, nonce="n-123", audience="https://counter.example", now=NOW
        )
