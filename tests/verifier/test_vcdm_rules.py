"""VC Data Model 2.0 rules on verify: a signed vc+jwt / vp+jwt that breaks one fails `format`.

The tokens are validly signed (by a did:jwk issuer whose key resolves offline), so the
only thing wrong with each is the rule named; the report must fail the ``format`` check
with that rule's code and skip the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.verifier.support import RESIDENT, Holder, Issuer
from tests.verifier.test_verification_core import World
from vcore import formats
from vcore.clock import format_datetime
from vcore.credentials import VC2_CONTEXT
from vcore.dids import holder_kid
from vcore.errors import DataModelError
from vcore.jose import sign
from vcore.signing import SoftwareSigner


@pytest.fixture
def world(fixed_now: datetime) -> World:
    return World(fixed_now)


def _payload(issuer: Issuer, holder: str, now: datetime, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "id": "urn:uuid:6a9c92a9-2530-4e2b-9776-530467e9bbe0",
        "type": ["VerifiableCredential", RESIDENT],
        "issuer": issuer.did,
        "validFrom": format_datetime(now - timedelta(days=1)),
        "validUntil": format_datetime(now + timedelta(days=30)),
        "credentialSubject": {"id": holder, "givenName": "Mei"},
    }
    for name, value in changes.items():
        payload["@context" if name == "context" else name] = value
    return payload


def _signed(issuer: Issuer, payload: dict[str, Any], typ: str = "vc+jwt") -> str:
    return sign(payload, SoftwareSigner(issuer.key, issuer.kid), typ=typ, cty="vc")


BROKEN: list[tuple[str, dict[str, Any], str]] = [
    ("context item not a URL", {"context": [VC2_CONTEXT, "https ://x/v1"]}, "vcdm_context"),
    (
        "protected term redefined",
        {"context": [VC2_CONTEXT, {"VerifiableCredential": "https://e.example/#Bad"}]},
        "vcdm_term_redefined",
    ),
    ("id not a URL", {"id": "not a url"}, "vcdm_identifier"),
    ("name with extra members", {"name": {"@value": "x", "url": "y"}}, "vcdm_language_value"),
    ("empty subject", {"credentialSubject": {}}, "vcdm_subject"),
    ("date without offset", {"validFrom": "2026-01-01T00:00:00"}, "vcdm_validity"),
    (
        "validUntil before validFrom",
        {"validFrom": "2026-06-01T00:00:00Z", "validUntil": "2026-05-01T00:00:00Z"},
        "vcdm_validity",
    ),
    (
        "status entry without type",
        {"credentialStatus": {"id": "https://s.example/1"}},
        "vcdm_status",
    ),
    ("schema entry without id", {"credentialSchema": {"type": "JsonSchema"}}, "vcdm_schema"),
    ("evidence without type", {"evidence": [{}]}, "vcdm_evidence"),
    ("termsOfUse without type", {"termsOfUse": {"id": "did:example:t"}}, "vcdm_terms_of_use"),
    (
        "refreshService without type",
        {"refreshService": {"id": "did:example:r"}},
        "vcdm_refresh_service",
    ),
    (
        "relatedResource without digest",
        {"relatedResource": [{"id": "https://r.example/"}]},
        "vcdm_related_resource",
    ),
]


@pytest.mark.parametrize(
    ("changes", "code"), [pytest.param(c, code, id=name) for name, c, code in BROKEN]
)
def test_a_signed_credential_breaking_a_rule_fails_the_format_check(
    world: World, changes: dict[str, Any], code: str
) -> None:
    token = _signed(world.jwk, _payload(world.jwk, world.holder.did, world.now, **changes))
    report = world.verify(token)
    assert report.codes == [code]
    checks = {c.id: c.status for c in report.checks}
    assert checks["format"] == "failed"
    assert checks["signature"] == "skipped"
    with pytest.raises(DataModelError):
        formats.parse_credential_unverified(token)


def test_a_conformant_credential_with_optional_members_passes_the_format_check(
    world: World,
) -> None:
    payload = _payload(
        world.jwk,
        world.holder.did,
        world.now,
        name="Resident identity",
        description={"@value": "居民身份", "@language": "zh"},
        evidence={"type": "DocumentVerification"},
        termsOfUse=[{"type": "IssuerPolicy", "id": "https://registry.example/policy"}],
    )
    token = _signed(world.jwk, payload)
    checks = {c.id: c.status for c in world.verify(token).checks}
    assert checks["format"] == "passed"
    assert checks["signature"] == "passed"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"termsOfUse": {}}, "vcdm_terms_of_use"),
        ({"id": "not a url"}, "vcdm_identifier"),
        ({"context": [VC2_CONTEXT, 5]}, "vcdm_context"),
    ],
)
def test_a_signed_presentation_breaking_a_rule_is_refused(
    world: World, changes: dict[str, Any], code: str
) -> None:
    holder = Holder()
    credential, _ = world.jwk.issue(holder.did, now=world.now)
    payload: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder.did,
        "verifiableCredential": [formats.envelope_credential(credential)],
        "nonce": "n",
        "aud": "a",
        "iat": int(world.now.timestamp()),
    }
    for name, value in changes.items():
        payload["@context" if name == "context" else name] = value
    vp = sign(payload, SoftwareSigner(holder.key, holder_kid(holder.did)), typ="vp+jwt")
    with pytest.raises(DataModelError) as info:
        formats.parse_presentation_unverified(vp)
    assert info.value.code == code
