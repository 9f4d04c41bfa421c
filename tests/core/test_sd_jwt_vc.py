"""SD-JWT VC (dc+sd-jwt, vc+sd-jwt) through the format seam and the verification pipeline,
with the IETF Token Status List: issued, presented with chosen claims, verified, refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vcore.credentials import build_credential, new_credential_id
from vcore.dids import did_key_for, holder_kid
from vcore.errors import StatusListError, TrustIDError
from vcore.formats import (
    DisclosureMode,
    DisclosurePolicy,
    SdJwtCredential,
    SelectiveDisclosureFormat,
    detect,
    lookup,
    parse_credential_unverified,
)
from vcore.jose import decode_unverified, sign
from vcore.keys import PrivateKey, PublicKey, b64url_decode, generate_key
from vcore.sdjwt import CompactSdJwt, join_sd_jwt, make_disclosure, present_sd_jwt
from vcore.signing import SoftwareSigner
from vcore.status import (
    LIST_TYP,
    StatusListSnapshot,
    TokenStatusList,
    build_status_list_payload,
    read_list_unverified,
    verify_list,
)
from vcore.verify import verify_credential_token, verify_presentation_token

NOW = datetime(2026, 11, 23, 12, 0, 7, tzinfo=UTC)
ISSUER = "did:web:issuer.example"
KID = f"{ISSUER}#k1"
LIST_URL = "https://issuer.example/statuslists/1"
VCT = "https://issuer.example/types/ResidentIdentityCredential"
AUD = "https://verifier.example"

POLICY = DisclosurePolicy(
    {
        "familyName": DisclosureMode.ALWAYS,
        "residentNumber": DisclosureMode.NEVER,
    }
)
METADATA = {
    "vct": VCT,
    "claims": [
        {"path": ["givenName"], "sd": "allowed"},
        {"path": ["familyName"], "sd": "always"},
        {"path": ["birthDate"], "sd": "allowed"},
        {"path": ["age_over_18"], "sd": "allowed"},
        {"path": ["address"], "sd": "allowed"},
        {"path": ["address", "locality"], "sd": "allowed"},
        {"path": ["residentNumber"], "sd": "never"},
    ],
}


@pytest.fixture(scope="module")
def issuer_key() -> PrivateKey:
    return generate_key("ES256")


@pytest.fixture(scope="module")
def holder_key() -> PrivateKey:
    return generate_key("ES256")


def _document(holder: str, idx: int = 7) -> dict[str, Any]:
    document = build_credential(
        issuer=ISSUER,
        credential_type="ResidentIdentityCredential",
        subject={
            "givenName": "Mei",
            "familyName": "Lin",
            "birthDate": "1990-01-02",
            "age_over_18": True,
            "residentNumber": "X123",
            "address": {"street": "1 Main St", "locality": "Springfield"},
        },
        holder=holder,
        credential_id=new_credential_id(),
        valid_from=NOW - timedelta(hours=1),
        valid_until=NOW + timedelta(days=30),
    )
    document["credentialStatus"] = [{"type": "status_list", "idx": idx, "uri": LIST_URL}]
    return document


def _issue(issuer_key: PrivateKey, holder_key: PrivateKey, fmt: str = "dc+sd-jwt") -> str:
    holder = did_key_for(holder_key.public_key())
    securing = lookup(fmt)
    assert isinstance(securing, SelectiveDisclosureFormat)
    return securing.sign_selective(
        _document(holder), SoftwareSigner(issuer_key, KID), policy=POLICY, vct=VCT
    )


def _holder_signer(holder_key: PrivateKey) -> SoftwareSigner:
    return SoftwareSigner(holder_key, holder_kid(did_key_for(holder_key.public_key())))


def _status_list(issuer_key: PrivateKey, values: dict[int, int], **changes: Any) -> str:
    statuses = TokenStatusList(131072, bits=2)
    for idx, value in values.items():
        statuses.set(idx, value)
    payload = build_status_list_payload(
        list_url=LIST_URL,
        issuer=ISSUER,
        statuses=statuses,
        issued_at=int(NOW.timestamp()) - 60,
        expires_at=int(NOW.timestamp()) + 3600,
        ttl_seconds=300,
    )
    payload.update(changes)
    return sign(payload, SoftwareSigner(issuer_key, KID), typ=changes.pop("typ", LIST_TYP))


def _resolvers(
    issuer_key: PrivateKey, values: dict[int, int] | None = None, token: str | None = None
) -> tuple[Callable[[str], PublicKey], Callable[[str], StatusListSnapshot]]:
    def key_for(kid: str) -> PublicKey:
        assert kid == KID
        return issuer_key.public_key()

    def status_for(url: str) -> StatusListSnapshot:
        listed = token if token is not None else _status_list(issuer_key, values or {})
        unverified = read_list_unverified(listed)
        return verify_list(unverified, key=issuer_key.public_key(), list_url=url, fetched_at=NOW)

    return key_for, status_for


def _schemas(_type: str, url: str) -> dict[str, Any] | None:
    return METADATA if url == VCT else None


def test_issued_payload_follows_the_policy(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    issued = _issue(issuer_key, holder_key)
    compact = CompactSdJwt.parse(issued)
    jws = decode_unverified(compact.jwt)
    payload = jws.payload
    assert jws.typ == "dc+sd-jwt"
    assert payload["iss"] == ISSUER
    assert payload["vct"] == VCT
    assert payload["iat"] % 86400 == 0  # rounded down to the day
    assert payload["cnf"]["jwk"]["x"] == holder_key.public_key().to_jwk()["x"]
    assert payload["status"] == {"status_list": {"idx": 7, "uri": LIST_URL}}
    assert payload["familyName"] == "Lin"  # always disclosed: a plain claim
    assert "givenName" not in payload
    assert "residentNumber" not in payload
    names = {d.name for d in compact.disclosures}
    assert {"givenName", "birthDate", "age_over_18", "address", "locality"} <= names
    assert "residentNumber" not in names
    assert "sub" not in payload
    # Decoys: more digests than disclosures at the top level.
    top = [
        d
        for d in compact.disclosures
        if d.name in {"givenName", "birthDate", "age_over_18", "address"}
    ]
    assert len(payload["_sd"]) > len(top)
    parsed = parse_credential_unverified(issued)
    assert isinstance(parsed, SdJwtCredential)
    assert parsed.types == ["VerifiableCredential", "ResidentIdentityCredential"]
    assert parsed.status_entries == [
        {"type": "status_list", "idx": 7, "uri": LIST_URL, "statusPurpose": purpose}
        for purpose in ("revocation", "suspension")
    ]


def test_two_issuances_share_no_salt_or_digest(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    first = CompactSdJwt.parse(_issue(issuer_key, holder_key))
    second = CompactSdJwt.parse(_issue(issuer_key, holder_key))
    assert not {d.salt for d in first.disclosures} & {d.salt for d in second.disclosures}
    digests = [set(decode_unverified(c.jwt).payload["_sd"]) for c in (first, second)]
    assert not digests[0] & digests[1]


def _present(issued: str, holder_key: PrivateKey, names: list[str], nonce: str = "n-1") -> str:
    parsed = parse_credential_unverified(issued)
    assert isinstance(parsed, SdJwtCredential)
    return present_sd_jwt(
        issued,
        names,
        signer=_holder_signer(holder_key),
        nonce=nonce,
        audience=AUD,
        now=NOW,
        base=parsed.claim_base,
    )


def test_presentation_of_age_over_18_only(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    presented = _present(_issue(issuer_key, holder_key), holder_key, ["age_over_18"])
    key_for, status_for = _resolvers(issuer_key)
    report = verify_presentation_token(
        presented,
        nonce="n-1",
        audience=AUD,
        trust=None,
        key_for=key_for,
        status_for=status_for,
        schema_for=_schemas,
        now=NOW,
    )
    assert report.verified, report.problems
    credential = report.to_json()["credentials"][0]["credential"]
    assert credential["format"] == "dc+sd-jwt"
    assert credential["disclosed"] == {"familyName": "Lin", "age_over_18": True}
    assert credential["withheld"] == ["givenName", "birthDate", "address"]
    assert "birthDate" not in json.dumps(credential["credentialSubject"])


def test_nested_member_alone(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    presented = _present(_issue(issuer_key, holder_key), holder_key, ["address.locality"])
    key_for, status_for = _resolvers(issuer_key)
    report = verify_presentation_token(
        presented,
        nonce="n-1",
        audience=AUD,
        trust=None,
        key_for=key_for,
        status_for=status_for,
        schema_for=_schemas,
        now=NOW,
    )
    assert report.verified, report.problems
    disclosed = report.credentials[0].disclosure
    assert disclosed is not None
    assert disclosed["disclosed"]["address"] == {"locality": "Springfield"}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("nonce", "nonce_mismatch"),
        ("audience", "audience_mismatch"),
        ("no_kb", "kb_jwt_required"),
        ("other_key", "kb_jwt_bad_signature"),
        ("moved_kb", "sd_hash_mismatch"),
        ("stale", "kb_jwt_stale"),
        ("foreign_disclosure", "sd_jwt_disclosure_unreferenced"),
        ("duplicate", "sd_jwt_disclosure_duplicate"),
    ],
)
def test_bad_presentations_are_refused_with_a_stable_code(
    issuer_key: PrivateKey, holder_key: PrivateKey, change: str, code: str
) -> None:
    issued = _issue(issuer_key, holder_key)
    presented = _present(issued, holder_key, ["age_over_18"])
    parts = CompactSdJwt.parse(presented)
    nonce, audience, now = "n-1", AUD, NOW
    if change == "nonce":
        nonce = "n-2"
    elif change == "audience":
        audience = "https://other.example"
    elif change == "no_kb":
        presented = parts.without_kb
    elif change == "other_key":
        presented = _present(issued, generate_key("ES256"), ["age_over_18"])
    elif change == "moved_kb":
        other = _present(issued, holder_key, ["givenName"])
        presented = CompactSdJwt.parse(other).without_kb + (parts.kb_jwt or "")
    elif change == "stale":
        now = NOW + timedelta(minutes=10)
    elif change == "foreign_disclosure":
        stray = make_disclosure("givenName", "Mallory")
        presented = join_sd_jwt(parts.jwt, [*parts.disclosures, stray], parts.kb_jwt or "")
    elif change == "duplicate":
        presented = join_sd_jwt(parts.jwt, [*parts.disclosures, *parts.disclosures], "")
    key_for, status_for = _resolvers(issuer_key)
    report = verify_presentation_token(
        presented,
        nonce=nonce,
        audience=audience,
        trust=None,
        key_for=key_for,
        status_for=status_for,
        now=now,
    )
    assert not report.verified
    assert code in [p.code for p in report.problems]


@pytest.mark.parametrize(
    ("values", "code"),
    [({7: 1}, "revoked"), ({7: 2}, "suspended"), ({8: 1}, None)],
)
def test_token_status_list_values(
    issuer_key: PrivateKey, holder_key: PrivateKey, values: dict[int, int], code: str | None
) -> None:
    key_for, status_for = _resolvers(issuer_key, values)
    report = verify_credential_token(
        _issue(issuer_key, holder_key), trust=None, key_for=key_for, status_for=status_for, now=NOW
    )
    assert report.codes == ([] if code is None else [code])


def test_bad_status_lists_fail_closed(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    issued = _issue(issuer_key, holder_key)
    cases: list[tuple[str, str]] = [
        (_status_list(issuer_key, {}, exp=int(NOW.timestamp()) - 600), "status_unavailable"),
        (
            _status_list(issuer_key, {}, status_list={"bits": 3, "lst": "eNoDAAAAAAE"}),
            "status_list_invalid",
        ),
        (
            _status_list(issuer_key, {}, sub="https://issuer.example/statuslists/2"),
            "status_list_invalid",
        ),
    ]
    small = TokenStatusList(4, bits=2)
    cases.append(
        (_status_list(issuer_key, {}, status_list=small.to_claim()), "status_list_invalid")
    )
    for token, code in cases:
        key_for, status_for = _resolvers(issuer_key, token=token)

        def guarded(
            url: str, status_for: Callable[[str], StatusListSnapshot] = status_for
        ) -> StatusListSnapshot:
            return status_for(url)

        report = verify_credential_token(
            issued, trust=None, key_for=key_for, status_for=guarded, now=NOW
        )
        assert code in report.codes, (code, report.codes)


def test_a_bitstring_list_is_not_a_token_status_list(issuer_key: PrivateKey) -> None:
    token = sign({"iss": ISSUER}, SoftwareSigner(issuer_key, KID), typ="example+jwt")
    with pytest.raises(StatusListError):
        read_list_unverified(token)


def test_vc_sd_jwt_round_trip(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    issued = _issue(issuer_key, holder_key, fmt="vc+sd-jwt")
    assert detect(issued).format.key == "vc+sd-jwt"
    header = json.loads(b64url_decode(issued.split(".", 1)[0]))
    assert header["typ"] == "vc+sd-jwt"
    presented = _present(issued, holder_key, ["givenName"])
    key_for, status_for = _resolvers(issuer_key)
    report = verify_presentation_token(
        presented,
        nonce="n-1",
        audience=AUD,
        trust=None,
        key_for=key_for,
        status_for=status_for,
        now=NOW,
    )
    assert report.verified, report.problems
    subject = report.credentials[0].credential
    assert subject is not None
    assert subject["credentialSubject"]["givenName"] == "Mei"
    assert "birthDate" not in subject["credentialSubject"]


def test_credential_endpoint_reads_sd_jwt_without_kb(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    key_for, status_for = _resolvers(issuer_key)
    presented = present_sd_jwt(_issue(issuer_key, holder_key), ["givenName"])
    report = verify_credential_token(
        presented, trust=None, key_for=key_for, status_for=status_for, now=NOW
    )
    assert report.verified, report.problems
    assert report.format == "dc+sd-jwt"


def test_unknown_claim_cannot_be_chosen(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    with pytest.raises(TrustIDError):
        _present(_issue(issuer_key, holder_key), holder_key, ["residentNumber"])
