"""Resolvers (verifier.resolution): caches, conditional requests, stale-if-error, SSRF.

The network is an ``httpx.MockTransport`` (``FakeWeb``) and names resolve through a
fake resolver; everything else is the real code. One test drives the real guarded
transport against a real loopback HTTP server.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from tests.verifier.support import (
    RESIDENT,
    Clock,
    FakeWeb,
    Holder,
    Issuer,
    public_resolver,
    resolver_map,
    trust_document,
)
from trustid_http.outbound import HostResolver
from vcore.errors import (
    OutboundURLError,
    StatusUnavailableError,
    UnknownKeyError,
    UntrustedIssuerError,
)
from vcore.outbound import parse_allow_list
from vcore.trust_list import parse_trust_list
from verifier.resolution import (
    Fetcher,
    KeyResolver,
    SchemaResolver,
    StatusListResolver,
    TrustListSource,
    build_http_client,
    clamp_status_ttl,
)

T = TypeVar("T")


def run(fn: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(fn)


class Rig:
    """Resolvers wired to a FakeWeb, for one trusted did:web issuer."""

    def __init__(
        self,
        now: datetime,
        *,
        max_age: timedelta | None = None,
        resolver: HostResolver = public_resolver,
        allow: str = "",
    ) -> None:
        self.clock = Clock(now)
        self.web = FakeWeb(self.clock)
        self.issuer = self.web.add(Issuer("https://registry.example"))
        self.trust = parse_trust_list(trust_document((self.issuer, [RESIDENT])))
        self.allow = parse_allow_list(allow)
        self.transport: httpx.AsyncBaseTransport = self.web.transport()
        self.resolver = resolver
        self.max_age = max_age

    def build(self) -> tuple[KeyResolver, StatusListResolver, SchemaResolver, httpx.AsyncClient]:
        client = build_http_client(self.allow, transport=self.transport)
        fetcher = Fetcher(client, allow=self.allow, resolver=self.resolver)
        keys = KeyResolver(fetcher, lambda: self.trust, clock=self.clock)
        lists = StatusListResolver(
            fetcher, keys, lambda: self.trust, max_age=self.max_age, clock=self.clock
        )
        return keys, lists, SchemaResolver(fetcher, clock=self.clock), client

    @property
    def rev_url(self) -> str:
        return self.issuer.status_list("revocation").url


@pytest.fixture
def rig(fixed_now: datetime) -> Rig:
    return Rig(fixed_now)


# ---------------------------------------------------------------------------- keys


def test_did_document_is_cached_for_five_minutes(rig: Rig) -> None:
    async def scenario() -> None:
        keys, _, _, client = rig.build()
        async with client:
            for _ in range(3):
                await keys.key_for(rig.issuer.kid)
            assert rig.web.count("did.json") == 1
            rig.clock.advance(minutes=5, seconds=1)
            await keys.key_for(rig.issuer.kid)
            assert rig.web.count("did.json") == 2

    run(scenario)


def test_untrusted_did_web_is_never_fetched(rig: Rig) -> None:
    async def scenario() -> None:
        keys, _, _, client = rig.build()
        async with client:
            with pytest.raises(UntrustedIssuerError):
                await keys.key_for("did:web:evil.example#k1")
        assert rig.web.requests == []

    run(scenario)


def test_offline_dids_need_no_request(rig: Rig) -> None:
    async def scenario() -> None:
        keys, _, _, client = rig.build()
        holder = Holder()
        async with client:
            key = await keys.key_for(holder.did + "#" + holder.did.split(":")[2])
        assert key.to_jwk() == holder.key.public_key().to_jwk()
        assert rig.web.requests == []

    run(scenario)


def test_jwks_fallback_when_there_is_no_did_document(rig: Rig) -> None:
    jwk = {**rig.issuer.key.public_key().to_jwk(), "kid": rig.issuer.kid, "use": "sig"}
    rig.web.extra["https://registry.example/.well-known/did.json"] = lambda r: httpx.Response(404)
    rig.web.extra["https://registry.example/.well-known/jwks.json"] = lambda r: httpx.Response(
        200, json={"keys": [jwk]}
    )

    async def scenario() -> None:
        keys, _, _, client = rig.build()
        async with client:
            key = await keys.key_for(rig.issuer.kid)
        assert key.to_jwk() == rig.issuer.key.public_key().to_jwk()

    run(scenario)


def test_rotated_key_is_refetched_but_not_for_every_random_kid(rig: Rig) -> None:
    async def scenario() -> None:
        keys, _, _, client = rig.build()
        async with client:
            await keys.key_for(rig.issuer.kid)
            with pytest.raises(UnknownKeyError):
                await keys.key_for(f"{rig.issuer.did}#random")
            assert rig.web.count("did.json") == 1  # within 30 s: no refetch
            old_kid = rig.issuer.kid
            from vcore.keys import generate_key

            rig.issuer.key = generate_key()
            rig.issuer.kid = f"{rig.issuer.did}#{rig.issuer.key.public_key().thumbprint()}"
            rig.clock.advance(seconds=31)
            await keys.key_for(rig.issuer.kid)
            assert rig.web.count("did.json") == 2
            with pytest.raises(UnknownKeyError):
                await keys.key_for(old_kid)

    run(scenario)


def test_redirects_are_not_followed(rig: Rig) -> None:
    rig.web.extra["https://registry.example/.well-known/did.json"] = lambda r: httpx.Response(
        302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )

    async def scenario() -> None:
        keys, _, _, client = rig.build()
        async with client:
            with pytest.raises(UnknownKeyError, match="redirect"):
                await keys.key_for(rig.issuer.kid)
        assert [str(r.url) for r in rig.web.requests] == [
            "https://registry.example/.well-known/did.json"
        ]

    run(scenario)


def test_oversized_did_document_is_refused(rig: Rig) -> None:
    document = {**rig.issuer.did_document(), "padding": "x" * 200_000}
    body = json.dumps(document).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 8192):
            yield body[i : i + 8192]

    def chunked(request: httpx.Request) -> httpx.Response:
        # No Content-Length: the streamed size must be counted.
        return httpx.Response(200, content=chunks())

    rig.web.extra["https://registry.example/.well-known/did.json"] = chunked

    async def scenario() -> None:
        keys, _, _, client = rig.build()
        async with client:
            with pytest.raises(UnknownKeyError, match="larger than 102400 bytes"):
                await keys.key_for(rig.issuer.kid)

    run(scenario)


def test_private_address_is_refused_before_any_request(fixed_now: datetime) -> None:
    rig = Rig(fixed_now, resolver=resolver_map({"registry.example": "10.0.0.5"}))

    async def scenario() -> None:
        keys, _, _, client = rig.build()
        async with client:
            with pytest.raises(UnknownKeyError, match=r"non-public address 10\.0\.0\.5"):
                await keys.key_for(rig.issuer.kid)
        assert rig.web.requests == []

    run(scenario)


def test_failures_are_cached_briefly(fixed_now: datetime) -> None:
    rig = Rig(fixed_now)
    rig.web.down.add("registry.example")

    async def scenario() -> None:
        keys, _, _, client = rig.build()
        async with client:
            for _ in range(3):
                with pytest.raises(UnknownKeyError, match="could not be reached"):
                    await keys.key_for(rig.issuer.kid)
            assert len(rig.web.requests) == 1
            rig.web.down.clear()
            rig.clock.advance(seconds=31)
            await keys.key_for(rig.issuer.kid)

    run(scenario)


# ---------------------------------------------------------------------- status lists


@pytest.mark.parametrize(
    ("ttl", "max_age", "fresh"),
    [
        (None, None, timedelta(seconds=300)),
        (timedelta(seconds=1), None, timedelta(seconds=60)),
        (timedelta(hours=10), None, timedelta(hours=1)),
        (timedelta(seconds=300), timedelta(seconds=30), timedelta(seconds=30)),
        (timedelta(seconds=300), timedelta(0), timedelta(0)),
    ],
)
def test_ttl_clamp(ttl: timedelta | None, max_age: timedelta | None, fresh: timedelta) -> None:
    assert clamp_status_ttl(ttl, max_age) == fresh


def test_status_list_honours_clamped_ttl_and_revalidates_with_etag(rig: Rig) -> None:
    rig.issuer.status_list("revocation").ttl_ms = 1_000  # 1 s: clamped up to 60 s

    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            first = await lists.get(rig.rev_url, rig.issuer.did)
            rig.clock.advance(seconds=59)
            assert await lists.get(rig.rev_url, rig.issuer.did) is first
            assert rig.web.count("/status-lists/") == 1
            rig.clock.advance(seconds=2)
            again = await lists.get(rig.rev_url, rig.issuer.did)
        requests = [r for r in rig.web.requests if "/status-lists/" in str(r.url)]
        assert len(requests) == 2
        assert requests[1].headers["if-none-match"].startswith('"')
        assert again.fetched_at == rig.clock.value  # 304 confirms the copy is current
        assert again.payload == first.payload

    run(scenario)


def test_long_ttl_is_capped_at_one_hour(rig: Rig) -> None:
    rig.issuer.status_list("revocation").ttl_ms = 10 * 3600 * 1000

    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            await lists.get(rig.rev_url, rig.issuer.did)
            rig.clock.advance(minutes=59)
            await lists.get(rig.rev_url, rig.issuer.did)
            assert rig.web.count("/status-lists/") == 1
            rig.clock.advance(minutes=2)
            await lists.get(rig.rev_url, rig.issuer.did)
            assert rig.web.count("/status-lists/") == 2

    run(scenario)


def test_max_age_zero_always_refetches_and_sees_a_revocation(fixed_now: datetime) -> None:
    rig = Rig(fixed_now, max_age=timedelta(0))

    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            await lists.get(rig.rev_url, rig.issuer.did)
            await lists.get(rig.rev_url, rig.issuer.did)
            rig.issuer.set_status("revocation", 5, True)
            changed = await lists.get(rig.rev_url, rig.issuer.did)
        assert rig.web.count("/status-lists/") == 3
        from vcore.status import read_status_list_credential

        bits = read_status_list_credential(
            changed.payload, expected_purpose="revocation", list_url=rig.rev_url
        )
        assert bits.get(5) == 1

    run(scenario)


def test_stale_if_error_for_1_hour_by_default_then_fail_closed(rig: Rig) -> None:
    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            fresh = await lists.get(rig.rev_url, rig.issuer.did)
            assert not fresh.stale
            rig.web.down.add("registry.example")
            rig.clock.advance(minutes=50)
            stale = await lists.get(rig.rev_url, rig.issuer.did)
            assert stale.stale
            assert stale.fetched_at == fresh.fetched_at
            rig.clock.advance(minutes=10, seconds=1)
            with pytest.raises(StatusUnavailableError, match="older than 1 h"):
                await lists.get(rig.rev_url, rig.issuer.did)

    run(scenario)


def test_stale_if_error_at_its_24_hour_maximum(rig: Rig) -> None:
    async def scenario() -> None:
        _, lists, _, client = rig.build()
        lists = StatusListResolver(
            lists._fetcher, lists._keys, lambda: rig.trust, max_age=None,
            stale_if_error=timedelta(hours=24), clock=rig.clock,
        )  # fmt: skip
        async with client:
            fresh = await lists.get(rig.rev_url, rig.issuer.did)
            rig.web.down.add("registry.example")
            rig.clock.advance(hours=23, minutes=59)
            assert (await lists.get(rig.rev_url, rig.issuer.did)).fetched_at == fresh.fetched_at
            rig.clock.advance(minutes=2)
            with pytest.raises(StatusUnavailableError, match="older than 24 h"):
                await lists.get(rig.rev_url, rig.issuer.did)
        with pytest.raises(ValueError, match="24 hours"):
            StatusListResolver(
                lists._fetcher, lists._keys, lambda: rig.trust, max_age=None,
                stale_if_error=timedelta(hours=25),
            )  # fmt: skip

    run(scenario)


def test_unreachable_without_cache_is_status_unavailable(rig: Rig) -> None:
    rig.web.down.add("registry.example")

    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            with pytest.raises(StatusUnavailableError, match="could not be fetched"):
                await lists.get(rig.rev_url, rig.issuer.did)

    run(scenario)


def test_concurrent_requests_share_one_fetch(rig: Rig) -> None:
    inner = rig.web.handler

    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.05)
        return inner(request)

    rig.transport = httpx.MockTransport(slow)

    async def scenario() -> None:
        _, lists, _, client = rig.build()
        results: list[Any] = []

        async def one() -> None:
            results.append(await lists.get(rig.rev_url, rig.issuer.did))

        async with client, anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(one)
        assert len(results) == 20
        assert rig.web.count("/status-lists/") == 1
        assert rig.web.count("did.json") == 1
        assert lists.shared_fetches == 19

    run(scenario)


def test_status_url_on_another_host_is_never_requested(rig: Rig) -> None:
    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            for url in (
                "https://attacker.example/list",
                "http://169.254.169.254/latest/meta-data/",
                "https://registry.example.attacker.example/list",
            ):
                with pytest.raises(OutboundURLError):
                    await lists.get(url, rig.issuer.did)
        assert rig.web.requests == []

    run(scenario)


def test_status_list_with_a_bad_signature_is_not_used(rig: Rig) -> None:
    def forged(request: httpx.Request) -> httpx.Response:
        token = rig.issuer.list_token(rig.rev_url, rig.clock.value)
        head, payload, _sig = token.split(".")
        other = rig.issuer.list_token(rig.issuer.status_list("suspension").url, rig.clock.value)
        return httpx.Response(200, text=f"{head}.{payload}.{other.split('.')[2]}")

    rig.web.extra[rig.rev_url] = forged

    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            with pytest.raises(StatusUnavailableError, match="signature"):
                await lists.get(rig.rev_url, rig.issuer.did)

    run(scenario)


def test_status_list_too_large_is_refused(rig: Rig) -> None:
    rig.web.extra[rig.rev_url] = lambda r: httpx.Response(200, content=b"a" * (1024 * 1024 + 1))

    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            with pytest.raises(StatusUnavailableError, match="larger than"):
                await lists.get(rig.rev_url, rig.issuer.did)

    run(scenario)


# --------------------------------------------------------------------------- schemas


def test_schemas_only_from_the_issuers_host(rig: Rig) -> None:
    rig.web.schemas[RESIDENT] = {"type": "object"}

    async def scenario() -> None:
        _, _, schemas, client = rig.build()
        async with client:
            url = f"https://registry.example/schemas/{RESIDENT}"
            assert await schemas.get(url, rig.issuer.did) == {"type": "object"}
            assert await schemas.get(url, rig.issuer.did) == {"type": "object"}
            assert await schemas.get("https://elsewhere.example/s.json", rig.issuer.did) is None
            assert await schemas.get(url, "did:jwk:abc") is None
        assert rig.web.count("/schemas/") == 1
        assert len(rig.web.requests) == 1

    run(scenario)


# ------------------------------------------------------------------------ trust list


def test_trust_list_file_is_reloaded_when_it_changes(tmp_path: Path, fixed_now: datetime) -> None:
    clock = Clock(fixed_now)
    first, second = Issuer(None), Issuer(None)
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(trust_document((first, [RESIDENT]))))

    async def scenario() -> None:
        source = TrustListSource(str(path), anchor=None, fetcher=None, clock=clock)
        await source.load()
        assert source.current().is_listed(first.did)
        path.write_text(json.dumps(trust_document((first, [RESIDENT]), (second, [RESIDENT]))))
        os.utime(path, ns=(1, 10**18))
        await source.maybe_reload()  # not due yet (checked at most once a second)
        assert not source.current().is_listed(second.did)
        clock.advance(seconds=2)
        await source.maybe_reload()
        assert source.current().is_listed(second.did)
        path.write_text("{broken")
        os.utime(path, ns=(1, 2 * 10**18))
        clock.advance(seconds=2)
        await source.maybe_reload()
        assert source.current().is_listed(second.did)  # last good list kept
        assert source.last_error is not None

    run(scenario)


def test_trust_list_from_url_uses_the_outbound_policy(fixed_now: datetime) -> None:
    issuer = Issuer(None)
    served = {"count": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        served["count"] += 1
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200, json=trust_document((issuer, [RESIDENT])), headers={"ETag": '"v1"'}
        )

    async def scenario() -> None:
        clock = Clock(fixed_now)
        client = build_http_client(frozenset(), transport=httpx.MockTransport(handler))
        fetcher = Fetcher(client, allow=frozenset(), resolver=public_resolver)
        async with client:
            source = TrustListSource(
                "https://trust.example/list.json", anchor=None, fetcher=fetcher, clock=clock
            )
            assert (await source.load()).is_listed(issuer.did)
            clock.advance(seconds=61)
            await source.maybe_reload()
            assert served["count"] == 2
            assert source.current().is_listed(issuer.did)
            bad = TrustListSource("http://trust.example/list.json", anchor=None, fetcher=fetcher)
            with pytest.raises(OutboundURLError):
                await bad.load()

    run(scenario)


def test_compressed_responses_are_refused(rig: Rig) -> None:
    """A gzip body could inflate past the size cap inside one chunk (decompression bomb)."""
    import gzip

    bomb = gzip.compress(b"{" + b" " * 5_000_000 + b"}")
    rig.web.extra["https://registry.example/.well-known/did.json"] = lambda r: httpx.Response(
        200, content=bomb, headers={"Content-Encoding": "gzip"}
    )

    async def scenario() -> None:
        keys, _, _, client = rig.build()
        async with client:
            with pytest.raises(UnknownKeyError, match="gzip-encoded body"):
                await keys.key_for(rig.issuer.kid)
        assert rig.web.requests[0].headers["accept-encoding"] == "identity"

    run(scenario)


def test_unreachable_issuer_is_retried_at_most_every_30_seconds(rig: Rig) -> None:
    async def scenario() -> None:
        keys, lists, _, client = rig.build()
        async with client:
            await lists.get(rig.rev_url, rig.issuer.did)
            rig.web.down.add("registry.example")
            rig.clock.advance(minutes=10)
            tries = len(rig.web.requests)
            for _ in range(5):
                assert (await lists.get(rig.rev_url, rig.issuer.did)).stale
            assert len(rig.web.requests) == tries + 1
            rig.clock.advance(seconds=31)
            assert (await lists.get(rig.rev_url, rig.issuer.did)).stale
            assert len(rig.web.requests) == tries + 2
            # The DID document is kept too while the issuer is down.
            rig.clock.advance(minutes=10)
            assert (await keys.key_for(rig.issuer.kid)).to_jwk() == (
                rig.issuer.key.public_key().to_jwk()
            )

    run(scenario)


def test_unavailable_list_without_copy_is_not_refetched_for_30_seconds(rig: Rig) -> None:
    rig.web.down.add("registry.example")

    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            for _ in range(3):
                with pytest.raises(StatusUnavailableError):
                    await lists.get(rig.rev_url, rig.issuer.did)
            assert len(rig.web.requests) == 1
            rig.web.down.clear()
            rig.clock.advance(seconds=31)
            assert not (await lists.get(rig.rev_url, rig.issuer.did)).stale

    run(scenario)


def test_a_copy_near_its_valid_until_is_fetched_whole(rig: Rig) -> None:
    """No If-None-Match within an hour of validUntil: a 304 would keep an expiring copy."""
    rig.issuer.status_list("revocation").valid_for = timedelta(minutes=90)

    async def scenario() -> None:
        _, lists, _, client = rig.build()
        async with client:
            await lists.get(rig.rev_url, rig.issuer.did)
            rig.clock.advance(minutes=6)
            await lists.get(rig.rev_url, rig.issuer.did)  # 84 min left: revalidate
            rig.clock.advance(minutes=30)
            await lists.get(rig.rev_url, rig.issuer.did)  # 54 min left: fetch whole
        sent = [
            r.headers.get("if-none-match")
            for r in rig.web.requests
            if "/status-lists/" in str(r.url)
        ]
        assert sent[0] is None
        assert sent[1] is not None
        assert sent[2] is None

    run(scenario)
