"""Attacks with presentations (issue 9, campaign group "presentations"), one per attack.

Through the real verifier app with a challenge from ``POST /challenges``. Challenge
binding, burning and replay are in ``test_challenge_attacks.py``; here the presentation
itself is the attack: the wrong audience, nonce or holder key, a stale or future one,
forged or foreign credentials inside, presentations inside presentations. Each is
refused with its code, and a refused one leaves the citizen's challenge usable.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.asgi_client import AppClient
from tests.security.support import AUDIENCE, World, codes_of, segment, tamper, world_client
from tests.verifier.support import Holder
from vcore import jose
from vcore.dids import holder_kid
from vcore.formats import build_presentation, envelope_credential
from vcore.signing import SoftwareSigner


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> World:
    return World(tmp_path, fixed_now)


@pytest.fixture
def client(world: World) -> Iterator[AppClient]:
    with world_client(world) as c:
        yield c


def _challenge(client: AppClient) -> str:
    response = client.post("/challenges")
    assert response.status_code == 200, response.text
    return str(response.json()["challenge"])


def _present(client: AppClient, vp: object, challenge: str | None) -> tuple[int, list[str]]:
    options: dict[str, Any] = {} if challenge is None else {"challenge": challenge}
    response = client.post(
        "/presentations/verify", json={"verifiablePresentation": vp, "options": options}
    )
    assert response.status_code < 500, response.text
    body = response.json()
    if response.headers["content-type"].startswith("application/problem+json"):
        return response.status_code, [body["code"]]
    return response.status_code, codes_of(body)


def _vp(world: World, nonce: str, *, holder: Holder | None = None, **kwargs: Any) -> str:
    holder = holder or world.citizen
    credentials = kwargs.pop("credentials", None) or [world.credential(with_status=False)]
    return build_presentation(
        credentials,
        holder.key,
        holder.did,
        audience=kwargs.pop("audience", AUDIENCE),
        nonce=nonce,
        now=kwargs.pop("now", world.now),
    )


def _still_open(world: World, client: AppClient, challenge: str) -> None:
    assert _present(client, _vp(world, challenge), challenge) == (200, [])


def test_presentation_for_another_verifier_is_refused(world: World, client: AppClient) -> None:
    challenge = _challenge(client)
    vp = _vp(world, challenge, audience="https://other-verifier.example")
    assert _present(client, vp, challenge) == (400, ["audience_mismatch"])
    _still_open(world, client, challenge)


def test_presentation_answering_another_nonce_is_refused(world: World, client: AppClient) -> None:
    challenge = _challenge(client)
    other = _challenge(client)
    status, codes = _present(client, _vp(world, other), challenge)
    assert (status, codes) == (400, ["nonce_mismatch"])
    _still_open(world, client, challenge)


def test_presentation_without_a_challenge_option_is_refused(
    world: World, client: AppClient
) -> None:
    status, codes = _present(client, _vp(world, "anything"), None)
    assert status in (400, 422)
    assert codes[0] in ("invalid_request", "challenge_unknown", "nonce_mismatch")


def test_presentation_signed_by_a_key_that_is_not_the_holders(
    world: World, client: AppClient
) -> None:
    challenge = _challenge(client)
    vp = _vp(world, challenge)
    impostor = Holder()
    head, payload, _ = vp.split(".")
    resigned = jose.sign(
        jose.decode_unverified(vp).payload,
        SoftwareSigner(impostor.key, holder_kid(world.citizen.did)),
        typ="vp+jwt",
    )
    del head, payload
    status, codes = _present(client, resigned, challenge)
    assert status == 400
    assert codes[0] in ("bad_signature", "holder_binding", "presentation_invalid")
    _still_open(world, client, challenge)


def test_presentation_older_than_five_minutes_is_refused(world: World, client: AppClient) -> None:
    challenge = _challenge(client)
    vp = _vp(world, challenge, now=world.now - timedelta(minutes=10))
    status, codes = _present(client, vp, challenge)
    assert status == 400
    assert codes[0] in ("expired", "presentation_invalid")
    _still_open(world, client, challenge)


def test_presentation_dated_in_the_future_is_refused(world: World, client: AppClient) -> None:
    challenge = _challenge(client)
    vp = _vp(world, challenge, now=world.now + timedelta(minutes=10))
    status, codes = _present(client, vp, challenge)
    assert status == 400
    assert codes[0] in ("not_yet_valid", "presentation_invalid")


def test_forged_credential_inside_a_genuine_presentation_is_refused(
    world: World, client: AppClient
) -> None:
    challenge = _challenge(client)
    forged = tamper(world.credential(with_status=False), givenName="Somebody Else")
    status, codes = _present(client, _vp(world, challenge, credentials=[forged]), challenge)
    assert status == 400
    assert "bad_signature" in codes
    _still_open(world, client, challenge)


def test_credential_of_an_untrusted_issuer_inside_a_presentation_is_refused(
    world: World, client: AppClient
) -> None:
    challenge = _challenge(client)
    rogue, _ = world.rogue.issue(world.citizen.did, now=world.now, with_status=False)
    status, codes = _present(client, _vp(world, challenge, credentials=[rogue]), challenge)
    assert status == 400
    assert "untrusted_issuer" in codes
    assert not any("rogue.example" in str(r.url) for r in world.web.requests)


def test_one_bad_credential_among_good_ones_fails_the_presentation(
    world: World, client: AppClient
) -> None:
    challenge = _challenge(client)
    good = world.credential(with_status=False)
    expired = world.credential(
        with_status=False,
        valid_from=world.now - timedelta(days=9),
        valid_until=world.now - timedelta(days=1),
    )
    status, codes = _present(client, _vp(world, challenge, credentials=[good, expired]), challenge)
    assert status == 400
    assert "expired" in codes


def test_presentation_nested_inside_a_presentation_is_refused(
    world: World, client: AppClient
) -> None:
    challenge = _challenge(client)
    inner = _vp(world, challenge)
    outer_payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": world.citizen.did,
        "verifiableCredential": [
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": "EnvelopedVerifiablePresentation",
                "id": f"data:application/vp+jwt,{inner}",
            }
        ],
        "nonce": challenge,
        "aud": AUDIENCE,
        "iat": int(world.now.timestamp()),
    }
    outer = jose.sign(
        outer_payload,
        SoftwareSigner(world.citizen.key, holder_kid(world.citizen.did)),
        typ="vp+jwt",
    )
    status, codes = _present(client, outer, challenge)
    assert status == 400
    assert codes
    _still_open(world, client, challenge)


def test_presentation_with_no_credentials_is_refused(world: World, client: AppClient) -> None:
    challenge = _challenge(client)
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": world.citizen.did,
        "verifiableCredential": [],
        "nonce": challenge,
        "aud": AUDIENCE,
        "iat": int(world.now.timestamp()),
    }
    vp = jose.sign(
        payload, SoftwareSigner(world.citizen.key, holder_kid(world.citizen.did)), typ="vp+jwt"
    )
    status, codes = _present(client, vp, challenge)
    assert status == 400
    assert codes
    _still_open(world, client, challenge)


def test_holder_at_an_internal_did_web_is_never_fetched(world: World, client: AppClient) -> None:
    challenge = _challenge(client)
    holder = "did:web:169.254.169.254"
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [envelope_credential(world.credential(with_status=False))],
        "nonce": challenge,
        "aud": AUDIENCE,
        "iat": int(world.now.timestamp()),
    }
    vp = jose.sign(payload, SoftwareSigner(world.citizen.key, f"{holder}#k"), typ="vp+jwt")
    status, codes = _present(client, vp, challenge)
    assert status == 400
    assert codes
    assert not any("169.254" in str(r.url) for r in world.web.requests)


def test_unsigned_presentation_is_refused(world: World, client: AppClient) -> None:
    challenge = _challenge(client)
    payload = jose.decode_unverified(_vp(world, challenge)).payload
    forged = f"{segment({'alg': 'none', 'typ': 'vp+jwt'})}.{segment(payload)}."
    status, codes = _present(client, forged, challenge)
    assert status == 400
    assert codes[0] in ("alg_not_allowed", "malformed")
    _still_open(world, client, challenge)


def test_credential_submitted_as_a_presentation_is_refused(world: World, client: AppClient) -> None:
    challenge = _challenge(client)
    status, codes = _present(client, world.credential(with_status=False), challenge)
    assert status == 400
    assert codes[0] in ("malformed", "format_unsupported", "presentation_invalid")
    _still_open(world, client, challenge)


def test_presentation_over_the_size_limit_is_refused(world: World, client: AppClient) -> None:
    challenge = _challenge(client)
    many = [world.credential(with_status=False) for _ in range(60)]
    status, codes = _present(client, _vp(world, challenge, credentials=many), challenge)
    assert status in (400, 413)
    assert codes[0] in ("too_large", "malformed")


@pytest.mark.parametrize("nbf", [True, "1790000000", 10**30, -1, None, "future"])
def test_presentation_with_a_malformed_or_future_nbf_is_refused(
    world: World, client: AppClient, nbf: object
) -> None:
    challenge = _challenge(client)
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": world.citizen.did,
        "verifiableCredential": [envelope_credential(world.credential(with_status=False))],
        "nonce": challenge,
        "aud": AUDIENCE,
        "iat": int(world.now.timestamp()),
        "nbf": int((world.now + timedelta(hours=1)).timestamp()) if nbf == "future" else nbf,
    }
    vp = jose.sign(
        payload, SoftwareSigner(world.citizen.key, holder_kid(world.citizen.did)), typ="vp+jwt"
    )
    status, codes = _present(client, vp, challenge)
    assert status == 400
    assert codes[0] in ("malformed", "not_yet_valid", "presentation_invalid")
    _still_open(world, client, challenge)
