"""Attacks on status lists (issue 9, campaign group "status lists"), one test per attack.

The credential is genuine (signed by the trust-listed issuer, with a revocation entry);
what the verifier fetches at its ``statusListCredential`` URL is the attack. Whatever
is served, the verifier must not report the credential as good unless a valid, signed,
current list of the right issuer, purpose and URL says so: otherwise the status check
fails closed (``status_unavailable``) or names the defect (``status_list_invalid``).
The W3C and IETF vectors (valid and invalid encodings) run in
``tests/core/test_status_list_vectors.py``.
"""

from __future__ import annotations

import base64
import gzip
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.asgi_client import AppClient
from tests.security.support import World, segment, tamper, verify, world_client
from vcore import jose
from vcore.clock import format_datetime
from vcore.signing import SoftwareSigner
from vcore.status import build_status_list_credential

RevocationCase = tuple[str, str]


@pytest.fixture
def world(tmp_path: Path, fixed_now: datetime) -> World:
    return World(tmp_path, fixed_now)


@pytest.fixture
def client(world: World) -> Iterator[AppClient]:
    with world_client(world) as c:
        yield c


def _credential(world: World) -> tuple[str, str]:
    """A genuine credential with status entries; the revocation list URL."""
    token = world.credential()
    return token, world.issuer.status_list("revocation").url


def _list_payload(world: World, url: str, **changes: Any) -> dict[str, Any]:
    state = world.issuer.lists[url]
    payload = build_status_list_credential(
        list_id=url,
        issuer=world.issuer.did,
        purpose=state.purpose,
        encoded_list=state.bits.encode(),
        valid_from=format_datetime(world.now - timedelta(minutes=5)),
        valid_until=format_datetime(world.now + timedelta(hours=24)),
        ttl_ms=300_000,
    )
    payload.update(changes)
    return payload


def _serve(world: World, url: str, answer: Callable[[httpx.Request], httpx.Response]) -> None:
    world.web.extra[url] = answer


def _serve_token(world: World, url: str, token: str) -> None:
    _serve(
        world,
        url,
        lambda _r: httpx.Response(200, text=token, headers={"Content-Type": "application/vc+jwt"}),
    )


def _revocation_code(client: AppClient, token: str) -> tuple[int, list[str]]:
    return verify(client, token)


def test_revoked_credential_is_refused(world: World, client: AppClient) -> None:
    token, _ = _credential(world)
    world.issuer.set_status("revocation", 7, True)
    assert verify(client, token) == (400, ["revoked"])


def test_list_published_under_another_url_cannot_be_substituted(
    world: World, client: AppClient
) -> None:
    token, url = _credential(world)
    other = world.issuer.status_list("revocation", 2).url  # a clean list of the same issuer
    _serve_token(world, url, world.signed(_list_payload(world, other), typ="vc+jwt"))
    world.issuer.lists[other] = world.issuer.lists[url]
    assert verify(client, token) == (400, ["status_unavailable"])


def test_list_signed_by_an_untrusted_issuer_is_refused(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    payload = _list_payload(world, url, issuer=world.rogue.did)
    _serve_token(world, url, world.signed(payload, issuer=world.rogue))
    status, codes = verify(client, token)
    assert status == 400
    assert codes == ["status_unavailable"]


def test_list_claiming_the_issuer_but_signed_by_another_key_is_refused(
    world: World, client: AppClient
) -> None:
    token, url = _credential(world)
    forged = tamper(
        world.signed(_list_payload(world, url), issuer=world.rogue),
        header={"kid": world.issuer.kid},
    )
    _serve_token(world, url, forged)
    status, codes = verify(client, token)
    assert status == 400
    assert codes == ["status_unavailable"]


def test_unsigned_alg_none_list_is_refused(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    forged = f"{segment({'alg': 'none', 'typ': 'vc+jwt'})}.{segment(_list_payload(world, url))}."
    _serve_token(world, url, forged)
    status, codes = verify(client, token)
    assert status == 400
    assert codes == ["status_unavailable"]


def test_expired_list_with_no_fresh_copy_fails_closed(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    stale = _list_payload(world, url, validUntil=format_datetime(world.now - timedelta(hours=1)))
    _serve_token(world, url, world.signed(stale))
    assert verify(client, token) == (400, ["status_unavailable"])


def test_list_whose_jwt_exp_has_passed_fails_closed(world: World, client: AppClient) -> None:
    """Found by this campaign: a vc+jwt list's ``exp`` was ignored (a credential's is not)."""
    token, url = _credential(world)
    payload = _list_payload(world, url, exp=int((world.now - timedelta(hours=1)).timestamp()))
    _serve_token(world, url, world.signed(payload))
    assert verify(client, token) == (400, ["status_unavailable"])


def test_list_whose_jwt_nbf_is_ahead_is_refused(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    payload = _list_payload(world, url, nbf=int((world.now + timedelta(days=1)).timestamp()))
    _serve_token(world, url, world.signed(payload))
    assert verify(client, token) == (400, ["status_list_invalid"])


@pytest.mark.parametrize("value", ["1790000000", True, 10**30, -(10**30), 1e308, None])
def test_list_with_a_malformed_exp_is_refused(world: World, client: AppClient, value: Any) -> None:
    """Found by this campaign: a malformed ``exp`` in a list was silently ignored."""
    token, url = _credential(world)
    _serve_token(world, url, world.signed(_list_payload(world, url, exp=value)))
    assert verify(client, token) == (400, ["status_list_invalid"])


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("validUntil", "9999-12-31T23:59:59-23:59"),
        ("validUntil", "0001-01-01T00:00:00+23:59"),
        ("validFrom", "9999-12-31T23:59:59-23:59"),
        ("validUntil", 1e308),
        ("validFrom", ["2026-01-01T00:00:00Z"]),
    ],
)
def test_list_with_hostile_dates_is_a_coded_refusal(
    world: World, client: AppClient, member: str, value: Any
) -> None:
    token, url = _credential(world)
    _serve_token(world, url, world.signed(_list_payload(world, url, **{member: value})))
    assert verify(client, token) == (400, ["status_list_invalid"])


def _encoded(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_gzip_bomb_in_the_list_is_refused_within_its_budget(
    world: World, client: AppClient
) -> None:
    token, url = _credential(world)
    bomb = gzip.compress(bytes(200 * 1024 * 1024), compresslevel=9, mtime=0)  # 200 MiB of zeros
    payload = _list_payload(world, url)
    payload["credentialSubject"]["encodedList"] = _encoded(bomb)
    _serve_token(world, url, world.signed(payload))
    started = time.monotonic()
    status, codes = verify(client, token)
    assert time.monotonic() - started < 3.0
    assert (status, codes[0]) == (400, "status_list_invalid")


def test_list_shorter_than_the_spec_minimum_is_refused(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    payload = _list_payload(world, url)
    payload["credentialSubject"]["encodedList"] = _encoded(gzip.compress(bytes(16), mtime=0))
    _serve_token(world, url, world.signed(payload))
    assert verify(client, token)[1][0] == "status_list_invalid"


def test_list_that_is_not_gzip_is_refused(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    payload = _list_payload(world, url)
    payload["credentialSubject"]["encodedList"] = _encoded(bytes(16384))
    _serve_token(world, url, world.signed(payload))
    assert verify(client, token)[1][0] == "status_list_invalid"


def test_list_of_the_other_purpose_is_refused(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    payload = _list_payload(world, url)
    payload["credentialSubject"]["statusPurpose"] = "suspension"
    _serve_token(world, url, world.signed(payload))
    assert verify(client, token)[1][0] == "status_list_invalid"


def test_a_credential_that_is_not_a_status_list_is_refused(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    _serve_token(world, url, world.signed(world.document(id=url)))
    assert verify(client, token) == (400, ["status_unavailable"])


@pytest.mark.parametrize("answer", [500, 503, 404, 403])
def test_list_server_error_fails_closed(world: World, client: AppClient, answer: int) -> None:
    token, url = _credential(world)
    _serve(world, url, lambda _r: httpx.Response(answer, text="down"))
    assert verify(client, token) == (400, ["status_unavailable"])


def test_unreachable_list_host_fails_closed(world: World, client: AppClient) -> None:
    token, _ = _credential(world)
    world.web.down.add("registry.example")
    status, codes = verify(client, token)
    assert status == 400
    assert codes[0] in ("status_unavailable", "unknown_key")


def test_redirect_to_an_internal_address_is_not_followed(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    _serve(
        world,
        url,
        lambda _r: httpx.Response(302, headers={"Location": "http://169.254.169.254/list"}),
    )
    assert verify(client, token) == (400, ["status_unavailable"])
    assert not any("169.254" in str(r.url) for r in world.web.requests)


def test_list_over_the_size_cap_is_refused(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    _serve(world, url, lambda _r: httpx.Response(200, content=b"e" * (2 * 1024 * 1024)))
    assert verify(client, token) == (400, ["status_unavailable"])


def test_304_to_a_request_without_an_etag_is_not_a_list(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    _serve(world, url, lambda _r: httpx.Response(304))
    assert verify(client, token) == (400, ["status_unavailable"])


def test_html_error_page_instead_of_a_list_fails_closed(world: World, client: AppClient) -> None:
    token, url = _credential(world)
    _serve(
        world,
        url,
        lambda _r: httpx.Response(
            200, text="<html>ok</html>", headers={"Content-Type": "text/html"}
        ),
    )
    status, codes = verify(client, token)
    assert status == 400
    assert codes == ["status_unavailable"]


def test_revocation_hidden_by_a_list_of_the_wrong_issuer_still_fails(
    world: World, client: AppClient
) -> None:
    """The rogue serves an all-clear list under its own (valid) signature and DID."""
    token, url = _credential(world)
    world.issuer.set_status("revocation", 7, True)
    clean = _list_payload(world, url, issuer=world.rogue.did)
    clean["credentialSubject"]["encodedList"] = _encoded(gzip.compress(bytes(16384), mtime=0))
    _serve_token(
        world, url, jose.sign(clean, SoftwareSigner(world.rogue.key, world.rogue.kid), typ="vc+jwt")
    )
    status, codes = verify(client, token)
    assert status == 400
    assert codes == ["status_unavailable"]
