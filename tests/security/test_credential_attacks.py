"""Attacks with credentials (issue 9, campaign group "credentials"), one test per attack.

Through the real verifier app: hostile dates and numbers in validly signed tokens are a
refusal with a code (never a 500) and never sink the other items of a batch; untrusted
issuers, unaccredited types and forged tokens make the verifier fetch nothing but what
the decision needs; URLs a credential names are fetched only once its signature holds,
and never from an internal address.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.asgi_client import AppClient
from tests.security.support import World, codes_of, tamper, verify, world_client
from vcore.formats import envelope_credential


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> World:
    return World(tmp_path, fixed_now)


@pytest.fixture
def client(world: World) -> Iterator[AppClient]:
    with world_client(world) as c:
        yield c


def _hosts(world: World) -> set[str]:
    return {r.url.host for r in world.web.requests}


HOSTILE_DATES = [
    "9999-12-31T23:59:59-23:59",  # year 10000 in UTC
    "0001-01-01T00:00:00+23:59",  # year 0 in UTC
    "9999-12-31T23:59:59Z",  # the last representable second: any arithmetic overflows
    "0001-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-11-23T25:00:00Z",
    "2026-11-23T12:00:00",  # no timezone
    "+02026-11-23T12:00:00Z",
    "\uff12\uff10\uff12\uff16-11-23T12:00:00Z",  # fullwidth digits
]


@pytest.mark.parametrize("member", ["validFrom", "validUntil"])
@pytest.mark.parametrize("value", HOSTILE_DATES)
def test_hostile_date_in_a_signed_credential_is_a_coded_refusal(
    world: World, client: AppClient, member: str, value: str
) -> None:
    token = world.signed(world.document(**{member: value}))
    status, codes = verify(client, token)
    if status == 200:
        # Only the far-but-valid ends may verify, and only where they make sense.
        assert (member, value) in {
            ("validUntil", "9999-12-31T23:59:59Z"),
            ("validFrom", "0001-01-01T00:00:00Z"),
        }
    else:
        assert codes, (member, value)
        assert codes == ["vcdm_validity"], (member, value)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", [10**30, -(10**30), 1e308, True, "1790000000", None, [1]])
def test_hostile_numeric_date_claim_is_a_coded_refusal(
    world: World, client: AppClient, claim: str, value: Any
) -> None:
    token = world.signed({**world.document(), claim: value})
    status, codes = verify(client, token)
    # Found by this campaign: a malformed iat was ignored (the token verified).
    assert (status, codes) == (400, ["malformed"]), (claim, value)


def test_one_hostile_item_never_fails_the_rest_of_a_batch(world: World, client: AppClient) -> None:
    good = world.credential(with_status=False)
    items: list[Any] = [
        good,
        world.signed(world.document(validUntil="9999-12-31T23:59:59-23:59")),
        world.signed({**world.document(), "exp": 10**30}),
        "eyJhbGciOiJub25lIn0.e30.",
        {"verifiableCredential": 12},
        None,
        ["nested", ["list"]],
        "x" * 10_000,
        {"verifiableCredential": envelope_credential(good)},
        {"verifiableCredential": good},
    ]
    response = client.post("/credentials/verify/batch", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(items)
    verified = [r["verified"] for r in results]
    assert verified == [True, False, False, False, False, False, False, False, True, True]
    for result in results:
        if not result["verified"]:
            assert codes_of(result), result


def test_untrusted_issuer_is_refused_and_its_keys_never_fetched(
    world: World, client: AppClient
) -> None:
    token = world.signed(world.document(issuer=world.rogue.did), issuer=world.rogue)
    assert verify(client, token) == (400, ["untrusted_issuer"])
    assert "rogue.example" not in _hosts(world)


def test_type_the_issuer_is_not_listed_for_is_refused(world: World, client: AppClient) -> None:
    token = world.credential(credential_type="DrivingLicenceCredential", with_status=False)
    status, codes = verify(client, token)
    assert (status, codes[0]) == (400, "type_not_accredited")
    assert world.web.requests == []


def test_expired_credential_is_refused(world: World, client: AppClient) -> None:
    token = world.credential(
        valid_from=world.now - timedelta(days=30), valid_until=world.now - timedelta(days=1)
    )
    assert verify(client, token)[1][0] == "expired"


def test_credential_valid_only_from_tomorrow_is_refused(world: World, client: AppClient) -> None:
    token = world.credential(valid_from=world.now + timedelta(days=1))
    assert verify(client, token) == (400, ["not_yet_valid"])


def test_exp_claim_before_valid_until_wins(world: World, client: AppClient) -> None:
    token = world.signed({**world.document(), "exp": int(world.now.timestamp()) - 3600})
    assert verify(client, token) == (400, ["expired"])


def test_vc_claim_smuggled_into_a_vc_jwt_is_refused(world: World, client: AppClient) -> None:
    token = world.signed({**world.document(), "vc": world.document(issuer="did:web:evil")})
    assert verify(client, token)[1] == ["claim_not_allowed"]


def test_vc_jwt_1_1_whose_iss_differs_from_the_vc_issuer_is_refused(
    world: World, client: AppClient
) -> None:
    vc = world.document(issuer=world.rogue.did)
    payload = {"iss": world.issuer.did, "vc": vc, "nbf": int(world.now.timestamp()) - 60}
    token = world.signed(payload, typ="JWT")
    status, codes = verify(client, token)
    assert status == 400
    assert codes == ["issuer_mismatch"]
    assert "rogue.example" not in _hosts(world)


def _status_entry(url: str, index: Any = "7", purpose: str = "revocation") -> dict[str, Any]:
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": index,
        "statusListCredential": url,
    }


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/status",
        "https://127.0.0.1/status",
        "https://[::1]/status",
        "https://10.0.0.1/status",
        "file:///etc/passwd",
    ],
)
def test_status_list_at_an_internal_address_is_never_fetched(
    world: World, client: AppClient, url: str
) -> None:
    token = world.signed(world.document(credentialStatus=[_status_entry(url)]))
    status, codes = verify(client, token)
    assert status == 400
    assert codes == ["status_unavailable"]
    assert [str(r.url) for r in world.web.requests] == [
        "https://registry.example/.well-known/did.json"
    ]


def test_forged_credential_makes_the_verifier_fetch_only_the_issuers_key(
    world: World, client: AppClient
) -> None:
    victim = "https://victim.example/admin?drop=all"
    document = world.document(
        credentialStatus=[_status_entry(victim)],
        credentialSchema=[{"id": "https://victim.example/schema", "type": "JsonSchema"}],
    )
    forged = tamper(world.signed(document), givenName="x")
    assert verify(client, forged) == (400, ["bad_signature"])
    assert "victim.example" not in _hosts(world)


def test_schema_at_an_internal_address_is_never_fetched(world: World, client: AppClient) -> None:
    token = world.signed(
        world.document(credentialSchema={"id": "http://10.1.2.3/schema", "type": "JsonSchema"})
    )
    response = client.post("/credentials/verify", json={"verifiableCredential": token})
    # A schema is advisory here (DESIGN §3: a schema that cannot be had is a warning):
    # what matters is that the internal address is never asked and nothing is "passed".
    checks = {c["id"]: c["status"] for c in response.json()["checks"]}
    assert checks["schema"] != "passed"
    assert "10.1.2.3" not in _hosts(world)


def test_remote_json_ld_context_is_never_fetched(world: World, client: AppClient) -> None:
    token = world.signed(
        world.document(
            **{
                "@context": [
                    "https://www.w3.org/ns/credentials/v2",
                    "https://evil.example/context.jsonld",
                ]
            }
        )
    )
    verify(client, token)
    assert "evil.example" not in _hosts(world)


@pytest.mark.parametrize("index", ["-1", "4294967296", "0x10", " 7", "7.0", "\u0667", 7, "1e3"])
def test_malformed_status_index_is_refused(world: World, client: AppClient, index: Any) -> None:
    url = world.issuer.status_list("revocation").url
    token = world.signed(world.document(credentialStatus=[_status_entry(url, index)]))
    status, codes = verify(client, token)
    assert status == 400
    assert codes[0] in ("vcdm_status", "status_list_invalid", "malformed"), codes


def test_status_index_beyond_the_end_of_the_list_is_refused(
    world: World, client: AppClient
) -> None:
    url = world.issuer.status_list("revocation").url
    token = world.signed(world.document(credentialStatus=[_status_entry(url, "131072")]))
    assert verify(client, token)[1][0] == "status_list_invalid"


def test_revocation_entry_pointing_at_the_suspension_list_is_refused(
    world: World, client: AppClient
) -> None:
    url = world.issuer.status_list("suspension").url
    token = world.signed(world.document(credentialStatus=[_status_entry(url, "7", "revocation")]))
    assert verify(client, token)[1][0] == "status_list_invalid"


def test_many_status_entries_cannot_fan_out_fetches(world: World, client: AppClient) -> None:
    entries = [_status_entry(f"https://fan{i}.example/list") for i in range(64)]
    token = world.signed(world.document(credentialStatus=entries))
    status, codes = verify(client, token)
    assert status == 400
    assert codes
    assert len(world.web.requests) <= 17, [str(r.url) for r in world.web.requests]


@pytest.mark.parametrize(
    "envelope",
    [
        "data:application/vc+jwt;base64,{t}",
        "data:application/vc+jwt;charset=utf-8,{t}",
        "data:text/html,{t}",
    ],
)
def test_envelope_with_parameters_or_a_foreign_media_type_is_refused(
    world: World, client: AppClient, envelope: str
) -> None:
    value = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": envelope.format(t=world.credential()),
    }
    status, codes = verify(client, value)
    assert status == 400
    assert codes[0] in ("envelope_invalid", "format_unsupported"), codes
    assert world.web.requests == []


def test_deeply_nested_subject_is_refused_within_its_budget(
    world: World, client: AppClient
) -> None:
    from vcore.keys import b64url_encode

    token = world.credential(with_status=False)
    head, _, signature = token.split(".")
    deep = '{"a":' * 1_000 + "1" + "}" * 1_000
    payload = b64url_encode(f'{{"credentialSubject":{deep}}}'.encode())
    started = time.monotonic()
    status, codes = verify(client, f"{head}.{payload}.{signature}")
    assert time.monotonic() - started < 2.0
    assert (status, codes) == (400, ["malformed"])
