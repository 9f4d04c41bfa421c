"""Receipt checks and status refresh against a did:web issuer served by httpx.MockTransport,
and the outbound guard on a real socket."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from trustid_http.outbound import GuardedTransport, OutboundRefused
from vcore.clock import format_datetime
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import build_did_document, did_web_from_url
from vcore.errors import OutboundURLError
from vcore.formats import sign_credential
from vcore.jose import sign
from vcore.keys import PrivateKey, generate_key
from vcore.signing import SoftwareSigner
from vcore.status import BitstringStatusList, build_status_entry, build_status_list_credential
from wallet_cli.client import WalletClient
from wallet_cli.errors import NetworkError, VerificationError
from wallet_cli.receiving import accept_credential, refresh_status
from wallet_cli.records import NAME_SELF_DECLARED, CredentialRecord, IssuerKeyRecord
from wallet_cli.resolution import Resolver

ORIGIN = "https://registry.city.example"
HOLDER = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"


class WebIssuer:
    """A did:web issuer with a revocation list, answering through a MockTransport."""

    def __init__(self) -> None:
        self.key: PrivateKey = generate_key("ES256")
        self.did = did_web_from_url(ORIGIN)
        self.kid = f"{self.did}#{self.key.public_key().thumbprint()}"
        self.bits = BitstringStatusList()
        self.list_url = f"{ORIGIN}/status-lists/1"
        self.up = True
        self.requests: list[str] = []
        self.list_signer: PrivateKey | None = None
        self.metadata: Any = None  # served at /.well-known/openid-credential-issuer if set

    def issue(self, holder: str, index: int = 7) -> str:
        now = datetime.now(UTC).replace(microsecond=0)
        credential = build_credential(
            issuer=self.did,
            credential_type="ResidentIdentityCredential",
            subject={"givenName": "Mei", "familyName": "Chen"},
            holder=holder,
            credential_id=new_credential_id(),
            valid_from=now - timedelta(hours=1),
            valid_until=now + timedelta(days=30),
            status=[build_status_entry(list_url=self.list_url, index=index, purpose="revocation")],
        )
        return sign_credential(credential, SoftwareSigner(self.key, self.kid))

    def _status_list(self) -> str:
        now = datetime.now(UTC).replace(microsecond=0)
        payload = build_status_list_credential(
            list_id=self.list_url,
            issuer=self.did,
            purpose="revocation",
            encoded_list=self.bits.encode(),
            valid_from=format_datetime(now - timedelta(minutes=1)),
        )
        signer = self.list_signer or self.key
        kid = f"{self.did}#{signer.public_key().thumbprint()}"
        return sign(payload, SoftwareSigner(signer, kid), typ="vc+jwt")

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/.well-known/did.json":
            return httpx.Response(200, json=build_did_document(self.did, [self.key.public_key()]))
        if request.url.path == "/.well-known/openid-credential-issuer" and self.metadata:
            if isinstance(self.metadata, httpx.Response):
                return self.metadata
            return httpx.Response(200, json=self.metadata)
        if request.url.path == "/status-lists/1":
            return httpx.Response(
                200, text=self._status_list(), headers={"Content-Type": "application/vc+jwt"}
            )
        return httpx.Response(404)

    def client(self) -> WalletClient:
        return WalletClient(
            frozenset(), http=httpx.Client(transport=httpx.MockTransport(self.handle))
        )


@pytest.fixture
def web_issuer() -> WebIssuer:
    return WebIssuer()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _accept(issuer: WebIssuer, token: str, now: datetime, **kw: Any) -> Any:
    with issuer.client() as client:
        resolver = Resolver(lambda: client, {}, now)
        acceptance = accept_credential(token, holder_did=HOLDER, resolver=resolver, now=now, **kw)
    return acceptance, resolver


def test_online_receipt_checks_signature_and_status(web_issuer: WebIssuer, now: datetime) -> None:
    acceptance, resolver = _accept(web_issuer, web_issuer.issue(HOLDER), now)
    record = acceptance.record
    assert acceptance.warnings == []
    assert record.status.revocation is False
    assert record.status.checked_at == format_datetime(now)
    assert record.issuer_name == "registry.city.example"
    assert list(resolver.fetched) == [web_issuer.kid]
    assert f"{ORIGIN}/.well-known/did.json" in web_issuer.requests


def test_revoked_at_receipt_is_stored_with_a_warning(web_issuer: WebIssuer, now: datetime) -> None:
    web_issuer.bits.set(7, 1)
    acceptance, _ = _accept(web_issuer, web_issuer.issue(HOLDER), now)
    assert acceptance.record.status.revocation is True
    assert any("revoked" in w for w in acceptance.warnings)


def test_status_refresh_sees_revocation_then_keeps_last_known_when_down(
    web_issuer: WebIssuer, now: datetime
) -> None:
    acceptance, _ = _accept(web_issuer, web_issuer.issue(HOLDER), now)
    record = acceptance.record
    later = now + timedelta(minutes=10)
    web_issuer.bits.set(7, 1)
    with web_issuer.client() as client:
        record.status = refresh_status(
            record, resolver=Resolver(lambda: client, {}, later), now=later
        )
    assert record.status.revocation is True
    assert record.status.checked_at == format_datetime(later)
    assert record.status.error is None
    web_issuer.up = False
    much_later = later + timedelta(hours=1)
    with web_issuer.client() as client:
        status = refresh_status(
            record, resolver=Resolver(lambda: client, {}, much_later), now=much_later
        )
    assert status.revocation is True  # last known
    assert status.checked_at == format_datetime(later)  # and as of when it was known
    assert status.error is not None
    assert "registry.city.example" in status.error


def test_status_list_signed_by_another_key_is_not_believed(
    web_issuer: WebIssuer, now: datetime
) -> None:
    web_issuer.list_signer = generate_key("ES256")  # not in the DID document
    acceptance, _ = _accept(web_issuer, web_issuer.issue(HOLDER), now)
    assert acceptance.record.status.revocation is None
    assert acceptance.record.status.checked_at is None
    assert any("status not checked" in w for w in acceptance.warnings)


def test_offline_uses_only_cached_keys(web_issuer: WebIssuer, now: datetime) -> None:
    token = web_issuer.issue(HOLDER)
    with pytest.raises(VerificationError, match="not in this wallet's cache"):
        accept_credential(token, holder_did=HOLDER, resolver=Resolver(None, {}, now), now=now)
    _, online = _accept(web_issuer, web_issuer.issue(HOLDER), now)
    cache: dict[str, IssuerKeyRecord] = dict(online.fetched)
    acceptance = accept_credential(
        token, holder_did=HOLDER, resolver=Resolver(None, cache, now), now=now
    )
    assert acceptance.record.status.checked_at is None
    assert any("offline" in w for w in acceptance.warnings)


def test_unreachable_issuer_is_a_network_error_and_nothing_is_accepted(
    web_issuer: WebIssuer, now: datetime
) -> None:
    web_issuer.up = False
    with pytest.raises(NetworkError, match=r"registry\.city\.example"):
        _accept(web_issuer, web_issuer.issue(HOLDER), now)


def test_signature_by_a_key_missing_from_the_did_document_is_refused(
    web_issuer: WebIssuer, now: datetime
) -> None:
    token = web_issuer.issue(HOLDER)
    web_issuer.key = generate_key("ES256")  # the issuer rotated; the old key is gone
    with pytest.raises(VerificationError, match="not stored"):
        _accept(web_issuer, token, now)


def test_credential_for_another_holder(web_issuer: WebIssuer, now: datetime) -> None:
    other = "did:key:zDnaeWgbpcUat3VPa1GN6k4Hzk4gU2fwBUL3e1Q5bmPgNtMSV"
    token = web_issuer.issue(other)
    with pytest.raises(VerificationError, match="--accept-unbound"):
        _accept(web_issuer, token, now)
    acceptance, _ = _accept(web_issuer, token, now, accept_unbound=True)
    assert any("cannot present" in w for w in acceptance.warnings)


def test_private_did_web_host_is_refused_before_any_request(now: datetime) -> None:
    key = generate_key("ES256")
    did = "did:web:169.254.169.254"
    credential = build_credential(
        issuer=did,
        credential_type="ResidentIdentityCredential",
        subject={"givenName": "X"},
        holder=HOLDER,
        credential_id=new_credential_id(),
        valid_from=now,
        valid_until=None,
    )
    token = sign_credential(
        credential, SoftwareSigner(key, f"{did}#{key.public_key().thumbprint()}")
    )
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    http = httpx.Client(transport=httpx.MockTransport(record))
    with pytest.raises(VerificationError, match="non-public address"):
        accept_credential(
            token,
            holder_did=HOLDER,
            resolver=Resolver(lambda: WalletClient(frozenset(), http=http), {}, now),
            now=now,
        )
    assert seen == []


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def test_guard_refuses_loopback_unless_allow_listed(listener: int) -> None:
    for host in ("127.0.0.1", "localhost"):
        with httpx.Client(transport=GuardedTransport(frozenset()), timeout=2) as http:
            with pytest.raises(OutboundRefused, match="non-public address") as caught:
                http.get(f"http://{host}:{listener}/")
            assert isinstance(caught.value.error, OutboundURLError)
    # Allow-listed, the connection is made: the listener never answers, so the read times out.
    allowed = frozenset({f"127.0.0.1:{listener}"})
    with (
        httpx.Client(transport=GuardedTransport(allowed), timeout=0.5) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.get(f"http://127.0.0.1:{listener}/")


def test_client_refuses_plain_http_and_big_bodies() -> None:
    client = WalletClient(
        frozenset(),
        http=httpx.Client(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 200_000))
        ),
    )
    with pytest.raises(OutboundURLError, match="plain http"):
        client.fetch_credential("http://issuer.example/c/1")
    with pytest.raises(NetworkError, match="more than"):
        client.fetch_credential("https://issuer.example/c/1")


def test_client_refuses_compressed_bodies() -> None:
    def gzipped(request: httpx.Request) -> httpx.Response:
        assert request.headers["Accept-Encoding"] == "identity"
        body = gzip.compress(b"0" * 1_000_000)
        return httpx.Response(200, content=body, headers={"Content-Encoding": "gzip"})

    client = WalletClient(frozenset(), http=httpx.Client(transport=httpx.MockTransport(gzipped)))
    with pytest.raises(NetworkError, match="gzip-compressed"):
        client.fetch_status_list("https://issuer.example/status-lists/1")


# -- the issuer's self-declared name (OpenID4VCI metadata) ---------------------------------

METADATA_URL = f"{ORIGIN}/.well-known/openid-credential-issuer"


def _metadata(name: Any = "Beijing Resident Registry", **extra: Any) -> dict[str, Any]:
    return {
        "credential_issuer": ORIGIN,
        "display": [{"name": name, "locale": "en"}],
        "credential_configurations_supported": {},
        **extra,
    }


def test_receipt_stores_the_issuers_self_declared_name(
    web_issuer: WebIssuer, now: datetime
) -> None:
    web_issuer.metadata = _metadata()
    acceptance, _ = _accept(web_issuer, web_issuer.issue(HOLDER), now)
    record = acceptance.record
    assert record.issuer_name == "Beijing Resident Registry"
    assert record.issuer_name_source == NAME_SELF_DECLARED
    assert METADATA_URL in web_issuer.requests
    assert acceptance.warnings == []
    # It survives the vault's round trip.
    assert CredentialRecord.from_json(record.to_json()).issuer_name_source == NAME_SELF_DECLARED


def test_self_declared_name_is_made_printable_and_short(
    web_issuer: WebIssuer, now: datetime
) -> None:
    web_issuer.metadata = _metadata("Registry\x1b[2J\n  of\tBeijing" + "x" * 300)
    record = _accept(web_issuer, web_issuer.issue(HOLDER), now)[0].record
    assert record.issuer_name is not None
    # ESC removed, line break and tab folded into single spaces (wallet_cli.terminal.clean).
    assert record.issuer_name.startswith("Registry[2J of Beijingxxx")
    assert len(record.issuer_name) == 120


@pytest.mark.parametrize(
    "metadata",
    [
        None,  # 404
        httpx.Response(500),
        httpx.Response(200, text="not json"),
        httpx.Response(200, json=["a list"]),
        httpx.Response(200, content=b"{" + b" " * 200_000 + b"}"),  # over the size limit
        _metadata(credential_issuer="https://elsewhere.example"),
        _metadata(name=42),
        _metadata(name="   "),
        {"credential_issuer": ORIGIN, "display": "Registry"},
        {"credential_issuer": ORIGIN},
    ],
    ids=lambda m: repr(m)[:40],
)
def test_metadata_failure_still_receives_with_the_host_name(
    web_issuer: WebIssuer, now: datetime, metadata: Any
) -> None:
    web_issuer.metadata = metadata
    acceptance, _ = _accept(web_issuer, web_issuer.issue(HOLDER), now)
    assert acceptance.record.issuer_name == "registry.city.example"
    # Only a verifier's trust list makes a name trusted; the host alone is unvouched too.
    assert acceptance.record.issuer_name_source == NAME_SELF_DECLARED
    assert acceptance.warnings == []
    assert METADATA_URL in web_issuer.requests


def test_metadata_connection_failure_still_receives(web_issuer: WebIssuer, now: datetime) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-credential-issuer":
            raise httpx.ConnectError("connection refused", request=request)
        return web_issuer.handle(request)

    client = WalletClient(frozenset(), http=httpx.Client(transport=httpx.MockTransport(handle)))
    with client:
        resolver = Resolver(lambda: client, {}, now)
        acceptance = accept_credential(
            web_issuer.issue(HOLDER), holder_did=HOLDER, resolver=resolver, now=now
        )
    assert acceptance.record.issuer_name == "registry.city.example"


def test_metadata_of_a_did_web_with_a_path() -> None:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=_metadata(credential_issuer=f"{ORIGIN}/agency/"))

    with WalletClient(
        frozenset(), http=httpx.Client(transport=httpx.MockTransport(handle))
    ) as client:
        metadata = client.fetch_issuer_metadata(did_web_from_url(f"{ORIGIN}/agency"))
    assert seen == [f"{ORIGIN}/agency/.well-known/openid-credential-issuer"]
    assert metadata["display"][0]["name"] == "Beijing Resident Registry"


def test_metadata_url_is_under_the_outbound_policy(now: datetime) -> None:
    def handle(request: httpx.Request) -> httpx.Response:  # pragma: no cover - never reached
        raise AssertionError("the policy should refuse before any request")

    with WalletClient(
        frozenset(), http=httpx.Client(transport=httpx.MockTransport(handle))
    ) as client:
        with pytest.raises(OutboundURLError):
            client.fetch_issuer_metadata("did:web:127.0.0.1%3A8100")
        # ...and receipt would just go without the name.
        assert (
            Resolver(lambda: client, {}, now).issuer_display_name("did:web:127.0.0.1%3A8100")
            is None
        )


def test_offline_receipt_fetches_no_metadata(web_issuer: WebIssuer, now: datetime) -> None:
    web_issuer.metadata = _metadata()
    resolver = Resolver(None, {}, now)
    assert resolver.issuer_display_name(web_issuer.did) is None
    assert web_issuer.requests == []
