"""The format seam: registry, detection, envelope rules, the vc/vp claim rule, VC-JWT 1.1.

The 1.1 tokens checked here are also decoded or signed with joserfc, an independent JOSE
library, so the mapping is not only checked against itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jws as rfc_jws
from joserfc.jwk import ECKey

from vcore import formats
from vcore.credentials import VC1_CONTEXT, VC2_CONTEXT, build_credential, new_credential_id
from vcore.dids import did_jwk_for, did_key_for, holder_kid
from vcore.errors import (
    ClaimNotAllowedError,
    EnvelopeError,
    FormatNotSupportedError,
    MalformedError,
    TrustIDError,
)
from vcore.formats import (
    CREDENTIAL_FORMATS,
    PRESENTATION_FORMATS,
    EnvelopeKind,
    Recognition,
    detect,
    detect_presentation,
    lookup,
    lookup_media_type,
    parse_credential_unverified,
    sign_credential,
)
from vcore.formats.registry import FormatRegistry
from vcore.formats.vc_jwt import VC_JWT, to_vc11_payload
from vcore.jose import sign, verify
from vcore.keys import PrivateKey, b64url_encode, generate_key
from vcore.signing import SoftwareSigner

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def issuer_key() -> PrivateKey:
    return generate_key("ES256")


def _credential(issuer: str, holder: str, **extra: Any) -> dict[str, Any]:
    credential = build_credential(
        issuer=issuer,
        credential_type="ResidentIdentityCredential",
        subject={"givenName": "Mei"},
        holder=holder,
        credential_id=new_credential_id(),
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=30),
    )
    credential.update(extra)
    return credential


def _issued(key: PrivateKey, fmt: str = "vc+jwt", **extra: Any) -> tuple[str, str]:
    did = did_jwk_for(key.public_key())
    holder = did_key_for(generate_key().public_key())
    return sign_credential(
        _credential(did, holder, **extra), SoftwareSigner(key, holder_kid(did)), fmt=fmt
    ), did


def _forge(header: dict[str, Any], payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(value, separators=(",", ":")).encode())

    return f"{part(header)}.{part(payload)}.{b64url_encode(b'sig')}"


# ------------------------------------------------------------------------- registry


def test_builtin_formats_are_registered_by_spec_name() -> None:
    assert {"vc+jwt", "jwt_vc_json"} <= set(CREDENTIAL_FORMATS.keys())
    assert {"vp+jwt", "jwt_vp_json"} <= set(PRESENTATION_FORMATS.keys())
    assert lookup_media_type("application/vc+jwt").key == "vc+jwt"
    assert lookup_media_type("APPLICATION/JWT").key == "jwt_vc_json"
    assert PRESENTATION_FORMATS.lookup_media_type("application/vp+jwt").key == "vp+jwt"


@pytest.mark.parametrize("key", ["ldp_vc ", "VC+JWT", "jwt", "", "dc+sd-jwt-unknown"])
def test_unknown_format_key_is_refused(key: str) -> None:
    with pytest.raises(FormatNotSupportedError) as info:
        lookup(key)
    assert info.value.code == "format_unsupported"


@pytest.mark.parametrize(
    "media_type", ["application/vp+jwt", "text/plain", "application/vc", "application/json"]
)
def test_unknown_media_type_is_refused(media_type: str) -> None:
    with pytest.raises(FormatNotSupportedError):
        lookup_media_type(media_type)
    with pytest.raises(FormatNotSupportedError):
        detect(f"data:{media_type},a.b.c")


def test_sign_with_unknown_format_is_refused(issuer_key: PrivateKey) -> None:
    did = did_jwk_for(issuer_key.public_key())
    with pytest.raises(FormatNotSupportedError):
        sign_credential(
            _credential(did, did), SoftwareSigner(issuer_key, holder_kid(did)), fmt="ldp_vc-x"
        )


def test_detect_bare_tokens(issuer_key: PrivateKey) -> None:
    v2, _ = _issued(issuer_key)
    v11, _ = _issued(issuer_key, fmt="jwt_vc_json")
    assert detect(v2).format.key == "vc+jwt"
    assert detect(v11).format.key == "jwt_vc_json"
    assert detect(v2).media_type is None
    assert parse_credential_unverified(v11).format == "jwt_vc_json"


def test_detect_envelope_uses_its_media_type_only(issuer_key: PrivateKey) -> None:
    v11, _ = _issued(issuer_key, fmt="jwt_vc_json")
    enveloped = formats.envelope_credential(v11)
    assert enveloped["id"].startswith("data:application/jwt,")
    found = detect(enveloped)
    assert (found.format.key, found.media_type, found.value) == (
        "jwt_vc_json",
        "application/jwt",
        v11,
    )
    # The same 1.1 token under the vc+jwt media type is parsed as vc+jwt, and refused.
    with pytest.raises(MalformedError):
        parse_credential_unverified("data:application/vc+jwt," + v11)


def test_detect_refuses_what_no_format_reads() -> None:
    for value in (42, None, ["a.b.c"], {"type": "VerifiableCredential"}):
        with pytest.raises(MalformedError):
            detect(value)


class _Fake:
    """A minimal format for a private registry (never the global one)."""

    def __init__(self, key: str, media_type: str, score: Recognition) -> None:
        self.key = key
        self.media_types = (media_type,)
        self.score = score

    def recognise(self, value: object) -> Recognition:
        return self.score if isinstance(value, str) else Recognition.NO


def test_registry_prefers_certain_over_fallback_and_refuses_duplicates() -> None:
    registry: FormatRegistry[Any] = FormatRegistry(EnvelopeKind.CREDENTIAL)
    fallback = registry.register(_Fake("a", "application/a", Recognition.FALLBACK))
    certain = registry.register(_Fake("b", "application/b", Recognition.CERTAIN))
    assert registry.register(fallback) is fallback  # idempotent
    assert registry.detect("token").format is certain
    assert registry.detect("data:application/a,token").format is fallback
    with pytest.raises(ValueError, match="already registered"):
        registry.register(_Fake("a", "application/c", Recognition.NO))
    with pytest.raises(ValueError, match="already registered"):
        registry.register(_Fake("c", "application/b", Recognition.NO))
    assert registry.keys() == ("a", "b")


def test_vc_jwt_recognition_levels(issuer_key: PrivateKey) -> None:
    v2, _ = _issued(issuer_key)
    v11, _ = _issued(issuer_key, fmt="jwt_vc_json")
    assert VC_JWT.recognise(v2) is Recognition.CERTAIN
    assert VC_JWT.recognise(v11) is Recognition.FALLBACK
    assert VC_JWT.recognise({"id": v2}) is Recognition.NO
    assert lookup("jwt_vc_json").recognise(v2) is Recognition.NO


# ------------------------------------------------------------------------- envelopes


def _envelope(token: str, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "type": "EnvelopedVerifiableCredential",
        "id": "data:application/vc+jwt," + token,
    }
    value.update(changes)
    return {k: v for k, v in value.items() if v is not None}


def test_valid_envelopes_are_accepted(issuer_key: PrivateKey) -> None:
    token, _ = _issued(issuer_key)
    for value in (
        _envelope(token),
        _envelope(token, type=["EnvelopedVerifiableCredential"]),
        _envelope(token, **{"@context": [VC2_CONTEXT, "https://example.org/extra/v1"]}),
        _envelope(token, **{"@context": VC2_CONTEXT}),
        _envelope(token, id="DATA:Application/VC+JWT," + token),
        "data:application/vc+jwt," + token,
        token,
    ):
        assert parse_credential_unverified(value).token == token


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"@context": []}, EnvelopeError),
        ({"@context": None}, EnvelopeError),
        ({"@context": [VC1_CONTEXT]}, EnvelopeError),
        ({"@context": ["https://example.org/x", VC2_CONTEXT]}, EnvelopeError),
        ({"id": "TOKEN"}, EnvelopeError),  # a bare JWT as the id
        ({"id": None}, EnvelopeError),
        ({"id": 7}, EnvelopeError),
        ({"id": "data:,TOKEN"}, EnvelopeError),
        ({"id": "data:application/vc+jwt;base64,TOKEN"}, EnvelopeError),
        ({"id": "data:application/vc+jwt;charset=utf-8,TOKEN"}, EnvelopeError),
        ({"id": "https://example.org/credential"}, EnvelopeError),
        ({"type": "EnvelopedVerifiablePresentation"}, EnvelopeError),
        ({"type": ["EnvelopedSomething"]}, EnvelopeError),
        ({"id": "data:application/vp+jwt,TOKEN"}, FormatNotSupportedError),
        ({"id": "data:text/plain,TOKEN"}, FormatNotSupportedError),
    ],
)
def test_invalid_envelopes_are_refused_with_a_code(
    issuer_key: PrivateKey, changes: dict[str, Any], error: type[TrustIDError]
) -> None:
    token, _ = _issued(issuer_key)
    changes = {
        k: v.replace("TOKEN", token) if isinstance(v, str) else v for k, v in changes.items()
    }
    value = _envelope(token, **changes)
    if "@context" in changes and changes["@context"] is None:
        value.pop("@context", None)
    if "id" in changes and changes["id"] is None:
        value.pop("id", None)
    with pytest.raises(error) as info:
        parse_credential_unverified(value)
    assert info.value.code in {"envelope_invalid", "format_unsupported"}
    assert info.value.code == error.code


def test_presentation_envelope_rules(issuer_key: PrivateKey) -> None:
    holder = generate_key()
    holder_did = did_key_for(holder.public_key())
    token, _ = _issued(issuer_key)
    vp = formats.build_presentation([token], holder, holder_did, audience="a", nonce="n", now=NOW)
    enveloped = formats.envelope_presentation(vp)
    assert enveloped["type"] == "EnvelopedVerifiablePresentation"
    assert detect_presentation(enveloped).format.key == "vp+jwt"
    assert formats.unwrap_presentation(enveloped) == vp
    with pytest.raises(EnvelopeError):
        detect_presentation({**enveloped, "@context": []})
    with pytest.raises(EnvelopeError):
        detect_presentation({**enveloped, "id": vp})
    with pytest.raises(FormatNotSupportedError):
        detect_presentation({**enveloped, "id": "data:application/vc+jwt," + vp})
    with pytest.raises(EnvelopeError):  # a credential envelope is not a presentation
        detect_presentation({**enveloped, "type": "EnvelopedVerifiableCredential"})


def test_presentation_with_a_bad_inner_envelope_is_malformed(issuer_key: PrivateKey) -> None:
    holder = generate_key()
    holder_did = did_key_for(holder.public_key())
    token, _ = _issued(issuer_key)
    payload = {
        "@context": [VC2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder_did,
        "verifiableCredential": [_envelope(token, **{"@context": []})],
        "nonce": "n",
        "aud": "a",
        "iat": int(NOW.timestamp()),
    }
    vp = sign(payload, SoftwareSigner(holder, holder_kid(holder_did)), typ="vp+jwt")
    with pytest.raises(EnvelopeError):
        formats.parse_presentation_unverified(vp)


# ------------------------------------------------------------ vc / vp claim rule


@pytest.mark.parametrize("claim", ["vc", "vp"])
def test_vc_jwt_with_a_vc_or_vp_claim_is_refused(claim: str) -> None:
    did = "did:web:issuer.example"
    payload = _credential(did, "did:example:holder")
    payload[claim] = {"type": ["VerifiableCredential"]}
    token = _forge({"alg": "ES256", "typ": "vc+jwt", "kid": f"{did}#k"}, payload)
    with pytest.raises(ClaimNotAllowedError) as info:
        parse_credential_unverified(token)
    assert info.value.code == "claim_not_allowed"


@pytest.mark.parametrize("claim", ["vc", "vp"])
def test_vp_jwt_with_a_vc_or_vp_claim_is_refused(claim: str, issuer_key: PrivateKey) -> None:
    holder = generate_key()
    holder_did = did_key_for(holder.public_key())
    token, _ = _issued(issuer_key)
    payload = {
        "@context": [VC2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder_did,
        "verifiableCredential": [formats.envelope_credential(token)],
        "nonce": "n",
        "aud": "a",
        "iat": int(NOW.timestamp()),
        claim: {"type": ["VerifiablePresentation"]},
    }
    vp = sign(payload, SoftwareSigner(holder, holder_kid(holder_did)), typ="vp+jwt")
    with pytest.raises(ClaimNotAllowedError):
        formats.parse_presentation_unverified(vp)


def test_a_plain_vc_jwt_has_no_such_claim(issuer_key: PrivateKey) -> None:
    token, _ = _issued(issuer_key)
    parsed = parse_credential_unverified(token)
    assert "vc" not in parsed.claims
    assert "vp" not in parsed.claims


# --------------------------------------------------------------- VC-JWT 1.1 mapping


def test_vc11_mapping_of_a_full_credential() -> None:
    credential = _credential(
        "did:web:issuer.example",
        "did:example:holder",
        name="Residence card",
        evidence=[{"type": ["Evidence"]}],
    )
    payload = to_vc11_payload(credential)
    vc = payload["vc"]
    assert payload["iss"] == "did:web:issuer.example"
    assert payload["sub"] == "did:example:holder"
    assert payload["jti"] == credential["id"]
    assert payload["nbf"] == payload["iat"] == int((NOW - timedelta(days=1)).timestamp())
    assert payload["exp"] == int((NOW + timedelta(days=30)).timestamp())
    assert vc["@context"] == [VC1_CONTEXT]
    assert vc["issuanceDate"] == credential["validFrom"]
    assert vc["expirationDate"] == credential["validUntil"]
    assert vc["type"] == credential["type"]
    assert vc["credentialSubject"] == {"givenName": "Mei"}
    assert vc["name"] == "Residence card"
    assert vc["evidence"] == [{"type": ["Evidence"]}]
    assert "validFrom" not in vc
    assert "id" not in vc
    assert "issuer" not in vc


def test_vc11_mapping_never_crashes_on_missing_fields() -> None:
    minimal = {"issuer": {"id": "did:web:issuer.example", "name": "Registry"}, "type": "X"}
    payload = to_vc11_payload(minimal)
    assert payload == {
        "iss": "did:web:issuer.example",
        "vc": {
            "@context": [VC1_CONTEXT],
            "type": "X",  # a string type stays a string
            "issuer": {"id": "did:web:issuer.example", "name": "Registry"},
        },
    }
    assert "jti" not in to_vc11_payload({"issuer": "did:web:a.example"})
    with pytest.raises(MalformedError):
        to_vc11_payload({})  # no issuer at all: an error with a code, not a crash


def test_vc11_round_trip_through_an_independent_library(issuer_key: PrivateKey) -> None:
    token, did = _issued(issuer_key, fmt="jwt_vc_json")
    jwk = ECKey.import_key(issuer_key.public_key().to_jwk())
    decoded = rfc_jws.deserialize_compact(token, jwk)
    claims = json.loads(decoded.payload)
    assert decoded.protected["typ"] == "JWT"
    assert claims["iss"] == did
    assert claims["vc"]["issuanceDate"]
    parsed = parse_credential_unverified(token)
    assert parsed.issuer == did
    assert parsed.credential["type"] == ["VerifiableCredential", "ResidentIdentityCredential"]


def test_vc11_from_another_signer_with_1_1_names_only() -> None:
    # issuanceDate / expirationDate without nbf / exp, a string type, no jti, no sub.
    key = generate_key("ES256")
    did = did_jwk_for(key.public_key())
    claims = {
        "iss": did,
        "vc": {
            "@context": [VC1_CONTEXT],
            "type": "VerifiableCredential",
            "issuanceDate": "2026-01-01T00:00:00Z",
            "expirationDate": "2027-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:holder", "degree": "BSc"},
        },
    }
    jwk = ECKey.import_key(key.to_jwk())
    token = rfc_jws.serialize_compact(
        {"alg": "ES256", "typ": "JWT", "kid": holder_kid(did)}, json.dumps(claims), jwk
    )
    parsed = parse_credential_unverified(token)
    assert parsed.format == "jwt_vc_json"
    assert parsed.types == ["VerifiableCredential"]
    assert parsed.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert parsed.valid_until == datetime(2027, 1, 1, tzinfo=UTC)
    assert parsed.id is None
    assert parsed.holder == "did:example:holder"
    lookup("jwt_vc_json").verify_signature(parsed, key.public_key())
    assert verify(token, key.public_key()).payload == claims


@pytest.mark.parametrize(
    "vc",
    [
        {"type": ["VerifiableCredential"]},  # no subject
        {"type": ["VerifiableCredential"], "credentialSubject": "x"},
        {"credentialSubject": {}},  # no type
        {"type": ["VerifiableCredential"], "credentialSubject": {}, "issuanceDate": 5},
        "not an object",
    ],
)
def test_vc11_parse_refuses_incomplete_tokens_with_a_code(vc: object) -> None:
    token = _forge({"alg": "ES256", "typ": "JWT"}, {"iss": "did:web:a.example", "vc": vc})
    with pytest.raises(MalformedError):
        parse_credential_unverified(token)
