"""The wallet's checks of an OpenID4VP request (wallet_cli.answering.check_request), against
a fake verifier behind httpx.MockTransport: a good signed request passes; an unsigned or
wrongly signed request object, another client id, a response_uri that does not belong to
the client id, an expired request and an unsigned request from a non-development host are
refused, and nothing is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.wallet_cli.conftest import WalletRunner, assert_one_line_error
from vcore.dcql import Preset, preset_query
from vcore.dids import build_did_document
from vcore.errors import OutboundURLError
from vcore.keys import PrivateKey, generate_key
from vcore.openid4vp import build_request_link, sign_request_object, unsigned_request_object
from vcore.signing import SoftwareSigner
from wallet_cli.answering import check_request
from wallet_cli.client import WalletClient
from wallet_cli.errors import InputError, VerificationError
from wallet_cli.resolution import Resolver

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DID = "did:web:verifier.test"
CLIENT_ID = f"decentralized_identifier:{DID}"
REQUEST_URI = "https://verifier.test/request-objects/r1"
RESPONSE_URI = "https://verifier.test/responses/r1"


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "response_uri": RESPONSE_URI,
        "nonce": "n-1",
        "state": "s-1",
        "dcql_query": preset_query(Preset.AGE_OVER_18, ["https://issuer.test"]).to_json(),
        "client_metadata": {"client_name": "Counter 3"},
        "aud": "https://self-issued.me/v2",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
    }
    claims.update(changes)
    return claims


class FakeVerifier:
    def __init__(self) -> None:
        self.key = generate_key("ES256")
        self.kid = f"{DID}#{self.key.public_key().thumbprint()}"
        self.request_object = ""
        self.posts: list[httpx.Request] = []

    def sign(self, claims: dict[str, Any], key: PrivateKey | None = None, kid: str = "") -> str:
        return sign_request_object(claims, SoftwareSigner(key or self.key, kid or self.kid))

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts.append(request)
            return httpx.Response(200, json={})
        if request.url.path == "/.well-known/did.json":
            return httpx.Response(200, json=build_did_document(DID, [self.key.public_key()]))
        if request.url.path == "/request-objects/r1":
            return httpx.Response(200, text=self.request_object)
        return httpx.Response(404)


@pytest.fixture
def verifier() -> FakeVerifier:
    return FakeVerifier()


@pytest.fixture
def check(verifier: FakeVerifier) -> Callable[..., Any]:
    def run(link: str = build_request_link(CLIENT_ID, REQUEST_URI), allow: str = "") -> Any:
        hosts = frozenset(h for h in allow.split(",") if h)
        client = WalletClient(
            hosts, http=httpx.Client(transport=httpx.MockTransport(verifier.handler))
        )
        with client, Resolver(lambda: client, {}, NOW) as resolver:
            return check_request(link, client, resolver, allow=hosts, now=NOW)

    return run


def test_a_signed_request_passes_and_says_who_asks(
    verifier: FakeVerifier, check: Callable[..., Any]
) -> None:
    verifier.request_object = verifier.sign(_claims())
    checked = check()
    assert checked.signed
    assert checked.who == f"Counter 3 ({DID}, signature checked)"
    assert checked.nonce == "n-1"
    assert [c.id for c in checked.query.credentials] == ["age"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda v: unsigned_request_object(_claims()), "signature does not verify"),
        (lambda v: v.sign(_claims(), key=generate_key("ES256")), "signature does not verify"),
        (
            lambda v: v.sign(_claims(), kid="did:web:other.test#k"),
            "not signed by a key of the DID",
        ),
        (
            lambda v: v.sign(_claims(client_id="decentralized_identifier:did:web:x.test")),
            "another client_id",
        ),
        (
            lambda v: v.sign(_claims(response_uri="https://evil.test/responses/r1")),
            "response_uri does not belong",
        ),
        (
            lambda v: v.sign(_claims(response_uri="http://verifier.test/responses/r1")),
            "plain http",
        ),
        (lambda v: v.sign(_claims(exp=int(NOW.timestamp()) - 1)), "expired"),
        (lambda v: v.sign(_claims(response_type="code")), "vp_token"),
        (lambda v: v.sign(_claims(response_mode="fragment")), "response_mode"),
        (lambda v: v.sign(_claims(dcql_query={"credentials": []})), "DCQL query is invalid"),
        (lambda v: v.sign(_claims(nonce="")), "no nonce"),
    ],
)
def test_bad_requests_are_refused(
    verifier: FakeVerifier,
    check: Callable[..., Any],
    make: Callable[[FakeVerifier], str],
    message: str,
) -> None:
    verifier.request_object = make(verifier)
    with pytest.raises(Exception, match=message):
        check()
    assert verifier.posts == []


def test_unsigned_redirect_uri_requests_only_for_development_hosts(
    verifier: FakeVerifier, check: Callable[..., Any]
) -> None:
    uri = "http://127.0.0.1:8200/responses/r1"
    client_id = f"redirect_uri:{uri}"
    verifier.request_object = unsigned_request_object(
        _claims(client_id=client_id, response_uri=uri)
    )
    link = build_request_link(client_id, "http://127.0.0.1:8200/request-objects/r1")
    checked = check(link, allow="127.0.0.1:8200")
    assert not checked.signed
    assert "unsigned development request" in checked.who
    with pytest.raises(OutboundURLError):
        check(link)  # http to a host not on the development list
    other = unsigned_request_object(_claims(client_id=client_id, response_uri=uri + "x"))
    verifier.request_object = other
    with pytest.raises(VerificationError, match="does not belong"):
        check(link, allow="127.0.0.1:8200")


@pytest.mark.parametrize(
    "link",
    [
        "openid4vp://?client_id=x509_san_dns:verifier.test&request_uri=https://verifier.test/r",
        f"openid4vp://?client_id={CLIENT_ID}",
        "openid4vp://?request_uri=https://verifier.test/r",
        "not a link",
    ],
)
def test_links_that_are_not_requests(check: Callable[..., Any], link: str) -> None:
    with pytest.raises(InputError):
        check(link)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((), "one of them"),
        (("openid4vp://?client_id=x&request_uri=y", "--qr", "x.png"), "one of them"),
        (("not a link",), "not an OpenID4VP request"),
        (("--qr", "missing.png"), "cannot read"),
    ],
)
def test_answer_cli_bad_input_is_one_line_and_exit_2(
    wallet: WalletRunner, args: tuple[str, ...], fragment: str
) -> None:
    assert_one_line_error(wallet("answer", *args), 2, fragment)
