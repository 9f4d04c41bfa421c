"""Verification benchmark: one batch of N credentials vs N single verifications.

Run: .venv/bin/python bench/bench_verify.py [N] [latency_ms]

Both sides run the real verifier service (plan, fetch, decide) in one process, against a
simulated issuer (did:web DID document and two signed 131,072-entry status lists behind
an ``httpx.MockTransport`` that waits ``latency_ms`` per request, default 5 ms, as a
nearby issuer or CDN would). Measured side by side in one run:

* with ``TRUSTID_VERIFIER_STATUS_MAX_AGE=0`` (always revalidate): each single request
  revalidates both status lists; a batch does it once for all N;
* with the default cache (list ttl 300 s): only the first request fetches, so the ratio
  shows what batching saves in per-request overhead alone.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import anyio
import httpx

from vcore.clock import format_datetime, system_clock
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import build_did_document, did_key_for, did_web_from_url
from vcore.formats import sign_credential
from vcore.jose import sign
from vcore.keys import generate_key
from vcore.signing import SoftwareSigner
from vcore.status import BitstringStatusList, build_status_entry, build_status_list_credential
from verifier.metrics import VerifierMetrics
from verifier.resolution import (
    Fetcher,
    KeyResolver,
    SchemaResolver,
    StatusListResolver,
    TrustListSource,
    build_http_client,
)
from verifier.service import VerifierService
from verifier.storage import make_engine

BASE = "https://registry.example"
TYPE = "ResidentIdentityCredential"


class SimulatedIssuer:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.key = generate_key()
        self.did = did_web_from_url(BASE)
        self.kid = f"{self.did}#{self.key.public_key().thumbprint()}"
        self.requests = 0
        now = system_clock()
        self.lists: dict[str, str] = {}
        for purpose in ("revocation", "suspension"):
            url = f"{BASE}/status-lists/{purpose}"
            bits = BitstringStatusList()
            for index in range(0, 131_072, 98):  # revoked credentials at even indexes
                bits.set(index, 1)
            payload = build_status_list_credential(
                list_id=url,
                issuer=self.did,
                purpose=purpose,
                encoded_list=bits.encode(),
                valid_from=format_datetime(now),
                valid_until=format_datetime(now + timedelta(hours=24)),
            )
            self.lists[url] = sign(payload, SoftwareSigner(self.key, self.kid), typ="vc+jwt")

    def credential(self, index: int) -> str:
        now = system_clock()
        status = [
            build_status_entry(list_url=f"{BASE}/status-lists/{p}", index=index, purpose=p)
            for p in ("revocation", "suspension")
        ]
        credential = build_credential(
            issuer=self.did,
            credential_type=TYPE,
            subject={"givenName": "Mei", "familyName": "Chen", "birthDate": "1990-03-14"},
            holder=did_key_for(generate_key().public_key()),
            credential_id=new_credential_id(),
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=365),
            status=status,
        )
        return sign_credential(credential, SoftwareSigner(self.key, self.kid))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        await anyio.sleep(self.latency)
        url = str(request.url)
        if url == f"{BASE}/.well-known/did.json":
            return httpx.Response(200, json=build_did_document(self.did, [self.key.public_key()]))
        token = self.lists.get(url)
        if token is None:
            return httpx.Response(404)
        etag = '"' + hashlib.sha256(token.encode()).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(200, text=token, headers={"ETag": etag})


async def _public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


async def build_service(
    issuer: SimulatedIssuer, max_age: timedelta | None, data: Path
) -> VerifierService:
    trust = {"issuers": [{"id": issuer.did, "name": "Registry", "types": [TYPE]}]}
    (data / "trust.json").write_text(json.dumps(trust))
    client = build_http_client(frozenset(), transport=httpx.MockTransport(issuer.handle))
    fetcher = Fetcher(client, allow=frozenset(), resolver=_public)
    source = TrustListSource(str(data / "trust.json"), anchor=None, fetcher=None)
    await source.load()
    keys = KeyResolver(fetcher, source.current)
    return VerifierService(
        trust_source=source,
        keys=keys,
        status_lists=StatusListResolver(fetcher, keys, source.current, max_age=max_age),
        schemas=SchemaResolver(fetcher),
        engine=make_engine(f"sqlite:///{data / 'bench.db'}"),
        metrics=VerifierMetrics(),
        audience="https://verifier.example",
    )


async def _timed(fn: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


async def compare(n: int, latency: float, max_age: timedelta | None, label: str) -> None:
    issuer = SimulatedIssuer(latency)
    tokens = [issuer.credential(i * 2 + 1) for i in range(n)]  # odd: not revoked
    with tempfile.TemporaryDirectory() as tmp:
        singles = await build_service(issuer, max_age, Path(tmp))
        batch = await build_service(issuer, max_age, Path(tmp))
        # Warm both (DID document, first list fetch) so the comparison is steady state.
        await singles.verify_credential(tokens[0])
        await batch.verify_batch(tokens[:1])

        async def run_singles() -> None:
            for token in tokens:
                report = await singles.verify_credential(token)
                assert report.verified, report.problems

        async def run_batch() -> None:
            reports = await batch.verify_batch(tokens)
            assert all(r.verified for r in reports)

        before = issuer.requests
        single_time = await _timed(run_singles)
        single_requests = issuer.requests - before
        before = issuer.requests
        batch_time = await _timed(run_batch)
        batch_requests = issuer.requests - before
    print(
        f"{label:<34} N={n:<5} singles {single_time * 1000:8.1f} ms ({single_requests:4} requests)"
        f"  batch {batch_time * 1000:8.1f} ms ({batch_requests:3} requests)"
        f"  ratio {single_time / batch_time:5.1f}x"
    )


async def main(n: int, latency_ms: float) -> None:
    latency = latency_ms / 1000
    print(f"verifying {n} credentials of one issuer, simulated latency {latency_ms:g} ms/request")
    await compare(n, latency, timedelta(0), "STATUS_MAX_AGE=0 (always revalidate)")
    await compare(n, latency, None, "default cache (ttl 300 s)")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    anyio.run(main, count, delay)
