"""The pure verification decision (vcore.verify): every failure code, reachable.

Fixed ``now``, locally generated keys, no network: key and status resolvers are plain
functions over the test issuers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.verifier.support import RESIDENT, RESIDENT_SCHEMA, Holder, Issuer, trust_document
from vcore.dids import key_from_did_document, parse_did_url, resolve_offline
from vcore.errors import StatusUnavailableError, TrustIDError, UnknownKeyError
from vcore.formats import build_presentation, envelope_credential
from vcore.jose import sign
from vcore.keys import PublicKey, b64url_encode
from vcore.signing import SoftwareSigner
from vcore.trust_list import TrustList, parse_trust_list
from vcore.verify import (
    CHECK_IDS,
    Material,
    StatusListSnapshot,
    VerificationReport,
    decide_credential,
    parse_status_list_unverified,
    plan_credential,
    verify_credential_token,
    verify_presentation_token,
    verify_status_list_token,
)


class World:
    """Issuers, a trust list and the resolvers the pure functions call."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.web = Issuer("https://registry.example")
        self.jwk = Issuer(None, alg="EdDSA")
        self.holder = Holder()
        self.trust: TrustList = parse_trust_list(
            trust_document(
                (self.web, [RESIDENT]), (self.jwk, [RESIDENT, "DrivingLicenceCredential"])
            )
        )
        self.key_calls: list[str] = []
        self.status_calls: list[str] = []
        self.status_error: TrustIDError | None = None
        self.stale = False
        self.schemas: dict[str, dict[str, Any]] = {}

    def key_for(self, kid: str) -> PublicKey:
        self.key_calls.append(kid)
        did = parse_did_url(kid).did
        if did == self.web.did:
            return key_from_did_document(self.web.did_document(), kid)
        return resolve_offline(kid)

    def status_for(self, url: str) -> StatusListSnapshot:
        self.status_calls.append(url)
        if self.status_error is not None:
            raise self.status_error
        for issuer in (self.web, self.jwk):
            if url in issuer.lists:
                unverified = parse_status_list_unverified(issuer.list_token(url, self.now))
                snapshot = verify_status_list_token(
                    unverified,
                    key=self.key_for(unverified.kid),
                    list_url=url,
                    fetched_at=self.now - timedelta(minutes=2),
                )
                return snapshot.with_stale(self.stale)
        raise StatusUnavailableError(f"no list at {url}")

    def schema_for(self, credential_type: str, url: str) -> dict[str, Any] | None:
        return self.schemas.get(url)

    def verify(self, token: object, **kwargs: Any) -> VerificationReport:
        return verify_credential_token(
            token,
            trust=kwargs.pop("trust", self.trust),
            key_for=self.key_for,
            status_for=self.status_for,
            schema_for=self.schema_for,
            now=kwargs.pop("now", self.now),
        )


@pytest.fixture
def world(fixed_now: datetime) -> World:
    return World(fixed_now)


def _status(report: VerificationReport) -> dict[str, str]:
    return {c.id: c.status for c in report.checks}


def _forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"sig") -> str:
    def part(value: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(value, separators=(",", ":")).encode())

    return f"{part(header)}.{part(payload)}.{b64url_encode(signature)}"


# ------------------------------------------------------------------------- success


@pytest.mark.parametrize("fmt", ["vc+jwt", "jwt_vc_json"])
@pytest.mark.parametrize("which", ["web", "jwk"])
def test_valid_credential_verifies_in_both_formats(world: World, fmt: Any, which: str) -> None:
    issuer = world.web if which == "web" else world.jwk
    token, _ = issuer.issue(world.holder.did, now=world.now, fmt=fmt)
    report = world.verify(token)
    assert report.verified, report.problems
    assert report.format == fmt
    assert report.issuer is not None
    assert report.issuer.name.startswith("Registry")
    assert report.credential is not None
    assert report.credential["credentialSubject"]["id"] == world.holder.did
    statuses = _status(report)
    for check in ("format", "trust", "issuer_match", "key", "signature", "validity"):
        assert statuses[check] == "passed"
    assert statuses["status.revocation"] == statuses["status.suspension"] == "passed"
    assert statuses["schema"] == "skipped"
    assert report.status_as_of == world.now - timedelta(minutes=2)
    body = report.to_json()
    assert body["verified"] is True
    assert "problemDetails" not in body
    assert body["issuer"] == {"id": issuer.did, "name": report.issuer.name}


def test_checks_follow_pipeline_order(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    ids = [c.id for c in world.verify(token).checks]
    assert ids == [i for i in CHECK_IDS if i in ids]


def test_enveloped_object_and_data_url_are_accepted(world: World) -> None:
    token, _ = world.jwk.issue(world.holder.did, now=world.now)
    assert world.verify(envelope_credential(token)).verified
    assert world.verify("data:application/vc+jwt," + token).verified


def test_no_status_entry_verifies_with_a_warning(world: World) -> None:
    token, _ = world.jwk.issue(world.holder.did, now=world.now, with_status=False)
    report = world.verify(token)
    assert report.verified
    assert any("cannot be revoked" in w for w in report.warnings)
    statuses = _status(report)
    assert statuses["status.revocation"] == statuses["status.suspension"] == "skipped"
    assert "status" not in statuses  # README: only status.revocation / status.suspension
    assert world.status_calls == []


# ------------------------------------------------------------- format / algorithm


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        "a.b",
        "....",
        42,
        None,
        {"type": "VerifiableCredential"},
    ],
)
def test_malformed_input_fails_format_and_fetches_nothing(world: World, token: object) -> None:
    report = world.verify(token)
    assert not report.verified
    assert report.codes == ["malformed"]
    assert report.checks[0].id == "format"
    assert report.checks[0].status == "failed"
    assert all(c.status == "skipped" for c in report.checks[1:])
    assert world.key_calls == []
    assert world.status_calls == []


@pytest.mark.parametrize("alg", ["none", "HS256", "RS384", "PS512", "es256", None])
def test_forbidden_algorithms_are_refused(world: World, alg: str | None) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    header: dict[str, Any] = {"typ": "vc+jwt", "kid": world.web.kid}
    if alg is not None:
        header["alg"] = alg
    report = world.verify(_forge(header, payload))
    assert report.codes == ["alg_not_allowed"]
    assert world.key_calls == []


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES384", "ES512", "ES256K", "EdDSA"])
def test_an_algorithm_other_than_the_keys_pin_is_refused(world: World, alg: str) -> None:
    """Supported algorithms too: the issuer's key is P-256, so only ES256 verifies."""
    token, _ = world.web.issue(world.holder.did, now=world.now)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    report = world.verify(_forge({"alg": alg, "typ": "vc+jwt", "kid": world.web.kid}, payload))
    assert report.codes == ["alg_not_allowed"]


def test_hs256_signed_with_the_public_key_is_refused(world: World) -> None:
    """Alg confusion (CVE-2022-29217): HMAC keyed with the issuer's public key."""
    token, _ = world.web.issue(world.holder.did, now=world.now)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    secret = json.dumps(world.web.key.public_key().to_jwk()).encode()
    header = {"alg": "HS256", "typ": "vc+jwt", "kid": world.web.kid}
    signing_input = _forge(header, payload).rsplit(".", 1)[0]
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    report = world.verify(f"{signing_input}.{b64url_encode(mac)}")
    assert report.codes == ["alg_not_allowed"]


def test_alg_differing_from_the_pinned_key_is_refused(world: World) -> None:
    # The did:jwk issuer's key is Ed25519; a header claiming ES256 must not be accepted.
    token, _ = world.jwk.issue(world.holder.did, now=world.now)
    header, payload, sig = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(header + "=="))
    decoded["alg"] = "ES256"
    forged = b64url_encode(json.dumps(decoded).encode()) + f".{payload}.{sig}"
    report = world.verify(forged)
    assert report.codes == ["alg_not_allowed"]
    assert _status(report)["signature"] == "failed"


@pytest.mark.parametrize("name", ["jku", "x5u", "jwk", "x5c", "crit"])
def test_key_injection_headers_are_refused_before_any_fetch(world: World, name: str) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    header = {"alg": "ES256", "typ": "vc+jwt", "kid": world.web.kid, name: "https://evil.example/k"}
    report = world.verify(_forge(header, payload))
    assert report.codes == ["header_not_allowed"]
    assert world.key_calls == []


# ---------------------------------------------------------------- trust and keys


def test_untrusted_issuer_is_refused_without_resolving_its_key(world: World) -> None:
    stranger = Issuer("https://evil.example")
    token, _ = stranger.issue(world.holder.did, now=world.now)
    report = world.verify(token)
    assert report.codes == ["untrusted_issuer"]
    assert world.key_calls == []
    assert world.status_calls == []
    assert _status(report)["signature"] == "skipped"


def test_type_not_accredited(world: World) -> None:
    token, _ = world.web.issue(
        world.holder.did, now=world.now, credential_type="DrivingLicenceCredential"
    )
    report = world.verify(token)
    assert report.codes == ["type_not_accredited"]
    assert "not accredited to issue DrivingLicenceCredential" in report.problems[0].detail


def test_accreditation_period_is_honoured(world: World) -> None:
    trust = parse_trust_list(
        trust_document(
            {
                "id": world.jwk.did,
                "name": "Old Registry",
                "types": [RESIDENT],
                "validFrom": "2020-01-01T00:00:00Z",
                "validUntil": "2025-01-01T00:00:00Z",
            }
        )
    )
    token, _ = world.jwk.issue(world.holder.did, now=world.now)
    report = world.verify(token, trust=trust)
    assert report.codes == ["untrusted_issuer"]
    assert "ended on 2025-01-01" in report.problems[0].detail


def test_kid_of_another_did_is_an_issuer_mismatch(world: World) -> None:
    # Signed by the did:jwk issuer's key but claiming the trusted did:web issuer.
    token, _ = world.web.issue(world.holder.did, now=world.now)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    forged = sign(payload, SoftwareSigner(world.jwk.key, world.jwk.kid), typ="vc+jwt")
    report = world.verify(forged)
    assert report.codes == ["issuer_mismatch"]
    assert world.key_calls == []


def test_vc11_iss_and_vc_issuer_must_agree(world: World) -> None:
    token, _ = world.jwk.issue(world.holder.did, now=world.now, fmt="jwt_vc_json")
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    payload["vc"]["issuer"] = world.web.did
    forged = sign(payload, SoftwareSigner(world.jwk.key, world.jwk.kid), typ="JWT")
    assert world.verify(forged).codes == ["issuer_mismatch"]


def test_unknown_key_id(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    forged = sign(
        payload, SoftwareSigner(world.web.key, f"{world.web.did}#rotated-away"), typ="vc+jwt"
    )
    report = world.verify(forged)
    assert report.codes == ["unknown_key"]
    assert _status(report)["key"] == "failed"


def test_missing_kid_for_did_web_is_unknown_key(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    header = {"alg": "ES256", "typ": "vc+jwt"}
    report = world.verify(_forge(header, payload))
    assert report.codes == ["unknown_key"]


def test_bad_signature(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    header, payload, _sig = token.split(".")
    other, _ = world.web.issue(world.holder.did, now=world.now)
    report = world.verify(f"{header}.{payload}.{other.split('.')[2]}")
    assert report.codes == ["bad_signature"]
    assert report.credential is None  # nothing unverified is handed out
    statuses = _status(report)
    assert statuses["validity"] == statuses["schema"] == "skipped"
    assert statuses["status.revocation"] == statuses["status.suspension"] == "skipped"


def test_tampered_claim_is_a_bad_signature(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    header, payload, sig = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=="))
    decoded["credentialSubject"]["familyName"] = "Mallory"
    forged = f"{header}.{b64url_encode(json.dumps(decoded).encode())}.{sig}"
    assert world.verify(forged).codes == ["bad_signature"]


# ---------------------------------------------------------------------- validity


@pytest.mark.parametrize(
    ("until_offset", "verified"),
    [(timedelta(seconds=-30), True), (timedelta(seconds=-61), False)],
)
def test_expiry_has_60_seconds_leeway(
    world: World, until_offset: timedelta, verified: bool
) -> None:
    token, _ = world.jwk.issue(
        world.holder.did, now=world.now, valid_until=world.now + until_offset, with_status=False
    )
    report = world.verify(token)
    assert report.verified is verified
    if not verified:
        assert report.codes == ["expired"]


def test_not_yet_valid(world: World) -> None:
    token, _ = world.jwk.issue(
        world.holder.did,
        now=world.now,
        valid_from=world.now + timedelta(minutes=5),
        with_status=False,
    )
    assert world.verify(token).codes == ["not_yet_valid"]


def test_expired_and_revoked_are_both_reported(world: World) -> None:
    token, index = world.web.issue(
        world.holder.did,
        now=world.now,
        valid_from=world.now - timedelta(days=10),
        valid_until=world.now - timedelta(days=2),
    )
    world.web.set_status("revocation", index, True)
    report = world.verify(token)
    assert report.codes == ["expired", "revoked"]
    assert report.credential is not None  # signature verified: staff may see whose it is


# ------------------------------------------------------------------------- status


def test_revoked(world: World) -> None:
    token, index = world.web.issue(world.holder.did, now=world.now)
    world.web.set_status("revocation", index, True)
    report = world.verify(token)
    assert report.codes == ["revoked"]
    assert _status(report)["status.suspension"] == "passed"
    assert "has revoked this credential" in report.problems[0].detail


def test_suspended_then_reinstated(world: World) -> None:
    token, index = world.jwk.issue(world.holder.did, now=world.now)
    world.jwk.set_status("suspension", index, True)
    assert world.verify(token).codes == ["suspended"]
    world.jwk.set_status("suspension", index, False)
    assert world.verify(token).verified


def test_other_bits_do_not_affect_this_credential(world: World) -> None:
    token, index = world.web.issue(world.holder.did, now=world.now)
    world.web.set_status("revocation", index + 1, True)
    world.web.set_status("revocation", index - 1, True)
    assert world.verify(token).verified


def test_status_unavailable_fails_closed(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    world.status_error = StatusUnavailableError("the issuer could not be reached")
    report = world.verify(token)
    assert not report.verified
    assert report.codes == ["status_unavailable", "status_unavailable"]


def test_non_status_errors_from_the_resolver_become_status_unavailable(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    world.status_error = UnknownKeyError("list key unknown")
    assert set(world.verify(token).codes) == {"status_unavailable"}


def test_stale_status_is_used_with_a_warning(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    world.stale = True
    report = world.verify(token)
    assert report.verified
    assert any(w.startswith("status as of ") for w in report.warnings)
    assert report.to_json()["statusAsOf"] == "2026-11-23T11:58:00Z"


def test_status_list_signed_by_another_issuer_is_refused(world: World) -> None:
    # The did:jwk issuer points its credential at the did:web issuer's list.
    url = world.web.status_list("revocation").url
    token, _ = world.jwk.issue(world.holder.did, now=world.now, with_status=False)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    payload["credentialStatus"] = {
        "id": f"{url}#3",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "3",
        "statusListCredential": url,
    }
    forged = sign(payload, SoftwareSigner(world.jwk.key, world.jwk.kid), typ="vc+jwt")
    report = world.verify(forged)
    assert report.codes == ["status_list_invalid"]
    assert "not signed by the credential's issuer" in report.problems[0].detail


def test_status_list_of_the_wrong_purpose_is_refused(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    rev = world.web.status_list("revocation")
    sus = world.web.status_list("suspension")
    rev.purpose, sus.purpose = "suspension", "revocation"  # lists swapped on the server
    report = world.verify(token)
    assert set(report.codes) == {"status_list_invalid"}


def test_short_status_list_is_refused(world: World) -> None:
    from vcore.status import BitstringStatusList

    token, _ = world.web.issue(world.holder.did, now=world.now, index=3)
    world.web.status_list("revocation").bits = BitstringStatusList(size=1024)
    report = world.verify(token)
    assert "status_list_invalid" in report.codes


def test_expired_status_list_is_status_unavailable(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now)
    world.web.status_list("revocation").valid_for = timedelta(minutes=-10)
    report = world.verify(token)
    assert report.codes == ["status_unavailable"]


def test_malformed_status_entry_fails(world: World) -> None:
    token, _ = world.jwk.issue(world.holder.did, now=world.now, with_status=False)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    payload["credentialStatus"] = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "-1",
        "statusListCredential": "https://status.example/1",
    }
    report = world.verify(sign(payload, SoftwareSigner(world.jwk.key, world.jwk.kid), typ="vc+jwt"))
    assert report.codes == ["status_list_invalid"]


# ------------------------------------------------------------------------- schema


def test_schema_valid_and_invalid(world: World) -> None:
    url = f"{world.web.base_url}/schemas/{RESIDENT}"
    world.schemas[url] = RESIDENT_SCHEMA
    good, _ = world.web.issue(world.holder.did, now=world.now, schema=True)
    report = world.verify(good)
    assert report.verified
    assert _status(report)["schema"] == "passed"
    bad, _ = world.web.issue(
        world.holder.did, now=world.now, schema=True, subject={"givenName": "Mei", "shoeSize": 41}
    )
    report = world.verify(bad)
    assert report.codes == ["schema_invalid"]


def test_schema_date_format_is_checked(world: World) -> None:
    url = f"{world.web.base_url}/schemas/{RESIDENT}"
    world.schemas[url] = RESIDENT_SCHEMA
    token, _ = world.web.issue(
        world.holder.did,
        now=world.now,
        schema=True,
        subject={"givenName": "Mei", "familyName": "Chen", "birthDate": "31/12/1990"},
    )
    assert world.verify(token).codes == ["schema_invalid"]


def test_schema_with_remote_ref_is_not_fetched(world: World) -> None:
    url = f"{world.web.base_url}/schemas/{RESIDENT}"
    world.schemas[url] = {"$ref": "https://evil.example/schema.json"}
    token, _ = world.web.issue(world.holder.did, now=world.now, schema=True)
    report = world.verify(token)
    assert report.codes == ["schema_invalid"]


# --------------------------------------------------------------- two-phase API


def test_plan_asks_only_for_what_a_trusted_credential_needs(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now, schema=True)
    plan = plan_credential(token, trust=world.trust, now=world.now)
    assert not plan.failed
    assert plan.key_id == world.web.kid
    assert sorted(plan.status_urls) == sorted(world.web.lists)
    assert plan.schema_urls == (f"{world.web.base_url}/schemas/{RESIDENT}",)
    # Missing material means not verified (fail closed), never verified.
    report = decide_credential(plan, Material(), now=world.now)
    assert report.codes == ["unknown_key"]


def test_without_trust_list_the_check_is_skipped_with_a_warning(world: World) -> None:
    token, _ = world.jwk.issue(world.holder.did, now=world.now, with_status=False)
    report = world.verify(token, trust=None)
    assert report.verified
    assert _status(report)["trust"] == "skipped"
    assert any("trust list" in w for w in report.warnings)


# -------------------------------------------------------------------- presentations


def _present(
    world: World,
    tokens: list[str],
    *,
    nonce: str = "n-123",
    aud: str = "https://v.example",
    holder: Holder | None = None,
    now: datetime | None = None,
) -> str:
    holder = holder or world.holder
    return build_presentation(
        tokens, holder.key, holder.did, audience=aud, nonce=nonce, now=now or world.now
    )


def _verify_vp(
    world: World, vp: str, *, nonce: str = "n-123", aud: str = "https://v.example"
) -> Any:
    return verify_presentation_token(
        vp,
        nonce=nonce,
        audience=aud,
        trust=world.trust,
        key_for=world.key_for,
        status_for=world.status_for,
        now=world.now,
    )


def test_presentation_verifies_with_holder_binding(world: World) -> None:
    a, _ = world.web.issue(world.holder.did, now=world.now)
    b, _ = world.jwk.issue(world.holder.did, now=world.now, fmt="jwt_vc_json")
    report = _verify_vp(world, _present(world, [a, b]))
    assert report.verified, report.problems
    assert report.holder == world.holder.did
    assert len(report.credentials) == 2
    assert all(
        {c.id: c.status for c in r.checks}["holder_binding"] == "passed" for r in report.credentials
    )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"nonce": "other"}, "nonce_mismatch"),
        ({"aud": "https://elsewhere.example"}, "audience_mismatch"),
    ],
)
def test_presentation_replay_protections(world: World, kwargs: dict[str, str], code: str) -> None:
    token, _ = world.jwk.issue(world.holder.did, now=world.now)
    report = _verify_vp(world, _present(world, [token]), **kwargs)
    assert not report.verified
    assert report.codes == [code]
    assert world.key_calls == []  # nothing fetched for a presentation that failed


def test_old_presentation_is_refused(world: World) -> None:
    token, _ = world.jwk.issue(world.holder.did, now=world.now)
    vp = _present(world, [token], now=world.now - timedelta(minutes=6))
    assert _verify_vp(world, vp).codes == ["expired"]


def test_credential_of_another_holder_fails_holder_binding(world: World) -> None:
    victim = Holder()
    stolen, _ = world.jwk.issue(victim.did, now=world.now)
    report = _verify_vp(world, _present(world, [stolen]))
    assert not report.verified
    assert report.codes == ["holder_binding"]
    assert report.problems[0].detail.startswith("credential 1:")


def test_presentation_with_one_bad_credential_is_not_verified(world: World) -> None:
    good, _ = world.jwk.issue(world.holder.did, now=world.now)
    stranger = Issuer(None)
    bad, _ = stranger.issue(world.holder.did, now=world.now)
    report = _verify_vp(world, _present(world, [good, bad]))
    assert not report.verified
    assert report.credentials[0].verified
    assert not report.credentials[1].verified
    assert report.codes == ["untrusted_issuer"]


def test_a_credential_is_not_a_presentation(world: World) -> None:
    token, _ = world.jwk.issue(world.holder.did, now=world.now)
    report = _verify_vp(world, token)
    assert report.codes == ["malformed"]
    assert report.to_json()["problemDetails"][0]["code"] == "malformed"


def test_status_age_says_when_the_oldest_list_passes_its_ttl(world: World) -> None:
    world.web.status_list("suspension").ttl_ms = 60_000  # the shortest ttl wins
    token, _ = world.web.issue(world.holder.did, now=world.now)
    body = world.verify(token).to_json()
    # Both fetched two minutes ago; revocation has 5 min, suspension 1 min of ttl.
    assert body["statusAsOf"] == "2026-11-23T11:58:00Z"
    assert body["statusFreshUntil"] == "2026-11-23T11:59:00Z"


def test_no_status_age_without_a_status_list_or_ttl(world: World) -> None:
    token, _ = world.web.issue(world.holder.did, now=world.now, with_status=False)
    assert "statusAsOf" not in world.verify(token).to_json()
    for purpose in ("revocation", "suspension"):
        world.web.status_list(purpose).ttl_ms = None
    token, _ = world.web.issue(world.holder.did, now=world.now)
    body = world.verify(token).to_json()
    assert body["statusAsOf"] == "2026-11-23T11:58:00Z"
    assert "statusFreshUntil" not in body
