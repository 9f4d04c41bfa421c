"""The pipeline through its seams: check ids as enums, envelopes and claims refused with
codes, status mechanisms by registry, VC-JWT 1.1 presentations."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.verifier.support import RESIDENT
from tests.verifier.test_verification_core import World
from vcore.clock import to_timestamp
from vcore.credentials import VC2_CONTEXT
from vcore.dids import did_jwk_for, did_key_for, holder_kid
from vcore.errors import BadSignatureError, StatusListError, StatusUnavailableError
from vcore.formats import envelope_credential
from vcore.jose import sign
from vcore.keys import b64url_encode, generate_key
from vcore.signing import SoftwareSigner
from vcore.status import (
    BITSTRING,
    TOKEN_STATUS_LIST,
    StatusEntry,
    StatusPurpose,
    TokenStatusList,
    lookup,
    registered,
)
from vcore.verify import (
    CHECK_IDS,
    CheckId,
    CheckStatus,
    VerificationReport,
    verify_presentation_token,
)

README_CHECK_IDS = [
    "format",
    "trust",
    "issuer_match",
    "key",
    "signature",
    "validity",
    "status.revocation",
    "status.suspension",
    "schema",
]


@pytest.fixture
def world(fixed_now: datetime) -> World:
    return World(fixed_now)


def _ids(report: VerificationReport) -> list[str]:
    return [c.to_json()["id"] for c in report.checks]


def _forge(header: dict[str, Any], payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(value, separators=(",", ":")).encode())

    return f"{part(header)}.{part(payload)}.{b64url_encode(b'sig')}"


# ------------------------------------------------------------------- check ids


def test_check_ids_are_the_readme_ones_in_order() -> None:
    assert [c.value for c in CHECK_IDS] == README_CHECK_IDS
    assert CheckId("status.revocation") is CheckId.STATUS_REVOCATION
    assert {p.value for p in StatusPurpose} == {"revocation", "suspension", "refresh", "message"}
    assert [s.value for s in CheckStatus] == ["passed", "failed", "skipped"]


def test_no_report_ever_says_bare_status(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    no_status, _ = world.web.issue(world.holder.did, now=world.now, with_status=False)
    header, payload, _sig = token.split(".")
    other, _ = world.web.issue(world.holder.did, now=world.now)
    reports = {
        "verified": world.verify(token),
        "no status entry": world.verify(no_status),
        "bad signature": world.verify(f"{header}.{payload}.{other.split('.')[2]}"),
        "malformed": world.verify("not a token"),
        "untrusted": world.verify(token, trust=None, now=world.now + timedelta(days=3650)),
    }
    for name, report in reports.items():
        ids = _ids(report)
        assert "status" not in ids, name
        assert set(ids) <= {c.value for c in CheckId}, name
        assert ids == [i for i in README_CHECK_IDS if i in ids], name
        assert all(isinstance(c.id, CheckId) for c in report.checks), name
    skipped = {c.id: c.status for c in reports["bad signature"].checks}
    assert skipped[CheckId.STATUS_REVOCATION] == skipped[CheckId.STATUS_SUSPENSION] == "skipped"
    assert {c.id: c.status for c in reports["malformed"].checks}[
        CheckId.STATUS_SUSPENSION
    ] == CheckStatus.SKIPPED


def test_malformed_status_entry_fails_under_its_own_purpose(world: World) -> None:
    issuer = world.jwk
    url = issuer.status_list("suspension").url
    credential = {
        "@context": [VC2_CONTEXT],
        "type": ["VerifiableCredential", RESIDENT],
        "issuer": issuer.did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": world.holder.did, "givenName": "Mei"},
        "credentialStatus": {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "suspension",
            "statusListIndex": "007",  # not canonical
            "statusListCredential": url,
        },
    }
    token = sign(credential, SoftwareSigner(issuer.key, issuer.kid), typ="vc+jwt", cty="vc")
    report = world.verify(token)
    assert report.codes == ["status_list_invalid"]
    failed = [c for c in report.checks if c.status == "failed"]
    assert [c.id for c in failed] == [CheckId.STATUS_SUSPENSION]


def test_unregistered_status_type_is_a_warning_not_a_pass(world: World) -> None:
    issuer = world.jwk
    credential = {
        "@context": [VC2_CONTEXT],
        "type": ["VerifiableCredential", RESIDENT],
        "issuer": issuer.did,
        "credentialSubject": {"id": world.holder.did},
        "credentialStatus": {"type": "RevocationList2020Status", "id": "https://x.example/1"},
    }
    token = sign(credential, SoftwareSigner(issuer.key, issuer.kid), typ="vc+jwt", cty="vc")
    report = world.verify(token)
    assert any("RevocationList2020Status" in w for w in report.warnings)
    assert world.status_calls == []


# ------------------------------------------------------- envelopes and claims


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda t: {**envelope_credential(t), "@context": []}, "envelope_invalid"),
        (
            lambda t: {"type": "EnvelopedVerifiableCredential", "id": envelope_credential(t)["id"]},
            "envelope_invalid",
        ),
        (lambda t: {**envelope_credential(t), "id": t}, "envelope_invalid"),
        (
            lambda t: {**envelope_credential(t), "id": "data:application/vp+jwt," + t},
            "format_unsupported",
        ),
        (lambda t: "data:text/plain," + t, "format_unsupported"),
        (lambda t: "data:application/vp+jwt,eyJ.eyJ.sig", "format_unsupported"),
    ],
)
def test_bad_envelopes_fail_format_and_fetch_nothing(world: World, make: Any, code: str) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    report = world.verify(make(token))
    assert report.codes == [code]
    assert report.checks[0].id is CheckId.FORMAT
    assert all(c.status == "skipped" for c in report.checks[1:])
    assert world.key_calls == []
    assert world.status_calls == []


def test_vc_jwt_carrying_a_vc_claim_is_refused(world: World) -> None:
    token, _ = world.jwk.issue(world.holder.did, now=world.now)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==").decode())
    payload["vc"] = {"type": ["VerifiableCredential"]}
    signed = sign(payload, SoftwareSigner(world.jwk.key, world.jwk.kid), typ="vc+jwt", cty="vc")
    report = world.verify(signed)
    assert report.codes == ["claim_not_allowed"]
    assert world.key_calls == []


# ------------------------------------------------------ VC-JWT 1.1 presentations


def _vp11(world: World, credential: str, **claims: Any) -> str:
    holder = world.holder
    payload: dict[str, Any] = {
        "iss": holder.did,
        "nonce": "n-1",
        "aud": "https://verifier.example",
        "nbf": to_timestamp(world.now - timedelta(seconds=10)),
        "vp": {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [credential],
        },
    }
    payload.update(claims)
    return sign(payload, SoftwareSigner(holder.key, holder_kid(holder.did)), typ="JWT")


def _verify_vp(world: World, vp: object, nonce: str = "n-1") -> Any:
    return verify_presentation_token(
        vp,
        nonce=nonce,
        audience="https://verifier.example",
        trust=world.trust,
        key_for=world.key_for,
        status_for=world.status_for,
        now=world.now,
    )


def test_vc_jwt_1_1_presentation_verifies(world: World) -> None:
    credential, _ = world.jwk.issue(world.holder.did, now=world.now, fmt="jwt_vc_json")
    report = _verify_vp(world, _vp11(world, credential))
    assert report.verified, report.to_json()
    assert report.holder == world.holder.did
    assert report.credentials[0].format == "jwt_vc_json"
    assert "holder_binding" in [c.id for c in report.credentials[0].checks]


def test_vc_jwt_1_1_presentation_replay_checks(world: World) -> None:
    credential, _ = world.jwk.issue(world.holder.did, now=world.now, fmt="jwt_vc_json")
    assert _verify_vp(world, _vp11(world, credential), nonce="other").codes == ["nonce_mismatch"]
    old = _vp11(world, credential, nbf=to_timestamp(world.now - timedelta(hours=1)))
    assert _verify_vp(world, old).codes == ["expired"]
    expired = _vp11(world, credential, exp=to_timestamp(world.now - timedelta(minutes=5)))
    assert _verify_vp(world, expired).codes == ["expired"]
    other = generate_key()
    stranger = did_key_for(other.public_key())
    claims = json.loads(base64.urlsafe_b64decode(_vp11(world, credential).split(".")[1] + "=="))
    forged = sign(
        {**claims, "iss": stranger},
        SoftwareSigner(world.holder.key, holder_kid(world.holder.did)),
        typ="JWT",
    )
    assert _verify_vp(world, forged).codes == ["holder_binding"]


# -------------------------------------------------------------- status mechanisms


def test_status_registry_by_entry_type() -> None:
    assert registered()[:2] == ("BitstringStatusListEntry", "status_list")
    assert lookup("BitstringStatusListEntry") is BITSTRING
    assert lookup("status_list") is TOKEN_STATUS_LIST
    assert lookup("RevocationList2020Status") is None


def test_token_status_list_mechanism(fixed_now: datetime) -> None:
    key = generate_key()
    did = did_jwk_for(key.public_key())
    values = TokenStatusList(16, bits=2)
    values.set(3, 1)
    values.set(4, 2)
    values.set(5, 3)
    url = "https://issuer.example/statuslists/1"
    claims = {
        "iss": did,
        "sub": url,
        "iat": to_timestamp(fixed_now),
        "exp": to_timestamp(fixed_now + timedelta(hours=1)),
        "ttl": 300,
        "status_list": values.to_claim(),
    }
    token = sign(claims, SoftwareSigner(key, holder_kid(did)), typ="statuslist+jwt")
    mechanism = TOKEN_STATUS_LIST
    unverified = mechanism.parse_list_unverified(token)
    snapshot = mechanism.verify_list(
        unverified, key=key.public_key(), list_url=url, fetched_at=fixed_now
    )
    assert snapshot.ttl == timedelta(seconds=300)
    mechanism.check_list_times(snapshot, fixed_now)
    with pytest.raises(StatusUnavailableError):
        mechanism.check_list_times(snapshot, fixed_now + timedelta(hours=2))
    memo: dict[tuple[str, str, int], Any] = {}
    verdicts = {}
    for idx in (0, 3, 4):
        entry = mechanism.parse_entry({"idx": idx, "uri": url})
        verdicts[idx] = mechanism.asserted(entry, mechanism.value_at(snapshot, entry, memo))
    assert verdicts == {0: None, 3: StatusPurpose.REVOCATION, 4: StatusPurpose.SUSPENSION}
    assert len(memo) == 1  # decoded once
    entry5 = StatusEntry(url, 5, StatusPurpose.REVOCATION, entry_type="status_list")
    with pytest.raises(StatusListError):
        mechanism.asserted(entry5, mechanism.value_at(snapshot, entry5, memo))
    with pytest.raises(StatusListError):
        mechanism.verify_list(
            unverified, key=key.public_key(), list_url=url + "x", fetched_at=fixed_now
        )
    with pytest.raises(BadSignatureError):
        mechanism.verify_list(
            unverified, key=generate_key().public_key(), list_url=url, fetched_at=fixed_now
        )
    for bad in ({"idx": -1, "uri": url}, {"idx": True, "uri": url}, {"idx": 1}):
        with pytest.raises(StatusListError):
            mechanism.parse_entry(bad)


# ------------------------------------------------------- VCDM 2.0 rules on verify


def test_vc_jwt_breaking_a_vcdm_rule_fails_format_and_fetches_nothing(world: World) -> None:
    token, _ = world.web.issue(
        world.holder.did,
        now=world.now,
        valid_from=world.now - timedelta(days=1),
        valid_until=world.now - timedelta(days=2),
    )
    report = world.verify(token)
    assert report.codes == ["vcdm_validity"]
    assert report.checks[0].id is CheckId.FORMAT
    assert world.key_calls == []


def test_vp_jwt_with_a_bare_token_inside_breaks_vcdm(world: World) -> None:
    credential, _ = world.jwk.issue(world.holder.did, now=world.now)
    holder = world.holder
    payload = {
        "@context": [VC2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder.did,
        "verifiableCredential": [credential],  # VCDM 2.0 §4.13: an object, not a string
        "nonce": "n-1",
        "aud": "https://verifier.example",
        "iat": to_timestamp(world.now),
    }
    vp = sign(payload, SoftwareSigner(holder.key, holder_kid(holder.did)), typ="vp+jwt")
    assert _verify_vp(world, vp).codes == ["vcdm_verifiable_credential"]
    payload["verifiableCredential"] = [envelope_credential(credential)]
    vp = sign(payload, SoftwareSigner(holder.key, holder_kid(holder.did)), typ="vp+jwt")
    assert _verify_vp(world, vp).verified


def test_vc_jwt_1_1_presentation_in_an_envelope_of_its_media_type(world: World) -> None:
    # Issue 7: VP envelopes take application/jwt for VC-JWT 1.1 as credential ones do.
    credential, _ = world.jwk.issue(world.holder.did, now=world.now, fmt="jwt_vc_json")
    vp = _vp11(world, credential)
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiablePresentation",
        "id": "data:application/jwt," + vp,
    }
    report = _verify_vp(world, enveloped)
    assert report.verified, report.to_json()
    as_vc = {**enveloped, "id": "data:application/vp+jwt," + vp}
    assert not _verify_vp(world, as_vc).verified  # a 1.1 token is not a vp+jwt
