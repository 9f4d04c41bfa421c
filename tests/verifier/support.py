"""Test builders for the verifier: issuers, status lists, a fake web, an in-process client.

Everything here is real code paths with locally generated keys; only the network is
replaced (``httpx.MockTransport`` routes, a fake name resolver), never the logic.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.asgi_client import AppClient, open_app_client
from vcore.clock import format_datetime
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import build_did_document, did_jwk_for, did_key_for, did_web_from_url, holder_kid
from vcore.formats import sign_credential
from vcore.jose import sign
from vcore.keys import PrivateKey, generate_key
from vcore.signing import SoftwareSigner
from vcore.status import BitstringStatusList, build_status_entry, build_status_list_credential

PUBLIC_IP = "93.184.216.34"
RESIDENT = "ResidentIdentityCredential"
RESIDENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "givenName": {"type": "string", "minLength": 1},
        "familyName": {"type": "string", "minLength": 1},
        "birthDate": {"type": "string", "format": "date"},
    },
    "required": ["givenName", "familyName"],
    "additionalProperties": False,
}


@dataclass
class Holder:
    """A citizen's holder key and did:key."""

    key: PrivateKey = field(default_factory=generate_key)

    @property
    def did(self) -> str:
        return did_key_for(self.key.public_key())


@dataclass
class StatusListState:
    """One status list an issuer publishes."""

    url: str
    purpose: str
    bits: BitstringStatusList = field(default_factory=BitstringStatusList)
    ttl_ms: int | None = 300_000
    valid_for: timedelta | None = timedelta(hours=24)


_SHARED_HOST = "https://status.example"
"""Where an issuer without a web origin (did:jwk) publishes its status lists and schemas."""


class Issuer:
    """A test issuer: did:web at a base URL, or did:jwk; signs credentials and lists."""

    def __init__(self, base_url: str | None = "https://issuer.example", *, alg: str = "ES256"):
        self.key = generate_key(alg)
        self.base_url = base_url
        if base_url is None:
            self.did = did_jwk_for(self.key.public_key())
            self.kid = holder_kid(self.did)
        else:
            self.did = did_web_from_url(base_url)
            self.kid = f"{self.did}#{self.key.public_key().thumbprint()}"
        self.lists: dict[str, StatusListState] = {}
        self._next_index = 0

    def did_document(self) -> dict[str, Any]:
        return build_did_document(self.did, [self.key.public_key()])

    def status_list(self, purpose: str, number: int = 1) -> StatusListState:
        base = self.base_url or _SHARED_HOST
        url = f"{base}/status-lists/{purpose[:3]}{number}"
        return self.lists.setdefault(url, StatusListState(url=url, purpose=purpose))

    def list_token(self, url: str, now: datetime) -> str:
        state = self.lists[url]
        payload = build_status_list_credential(
            list_id=url,
            issuer=self.did,
            purpose=state.purpose,
            encoded_list=state.bits.encode(),
            valid_from=format_datetime(now - timedelta(minutes=1)),
            valid_until=None if state.valid_for is None else format_datetime(now + state.valid_for),
            ttl_ms=state.ttl_ms,
        )
        return sign(payload, SoftwareSigner(self.key, self.kid), typ="vc+jwt")

    def issue(
        self,
        holder: str,
        *,
        now: datetime,
        credential_type: str = RESIDENT,
        subject: Mapping[str, Any] | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        with_status: bool = True,
        schema: bool = False,
        fmt: str = "vc+jwt",
        index: int | None = None,
    ) -> tuple[str, int]:
        """Sign a credential; returns (token, status index)."""
        if index is None:
            self._next_index += 1
            index = self._next_index * 7
        status = []
        if with_status:
            for purpose in ("revocation", "suspension"):
                state = self.status_list(purpose)
                status.append(build_status_entry(list_url=state.url, index=index, purpose=purpose))
        credential = build_credential(
            issuer=self.did,
            credential_type=credential_type,
            subject=subject or {"givenName": "Mei", "familyName": "Chen"},
            holder=holder,
            credential_id=new_credential_id(),
            valid_from=valid_from or now - timedelta(days=1),
            valid_until=valid_until if valid_until is not None else now + timedelta(days=365),
            status=status,
            schema=(
                {
                    "id": f"{self.base_url or _SHARED_HOST}/schemas/{credential_type}",
                    "type": "JsonSchema",
                }
                if schema
                else None
            ),
        )
        return sign_credential(credential, SoftwareSigner(self.key, self.kid), fmt=fmt), index

    def set_status(self, purpose: str, index: int, value: bool) -> None:
        self.status_list(purpose).bits.set(index, 1 if value else 0)


def trust_document(*entries: tuple[Issuer, Sequence[str]] | dict[str, Any]) -> dict[str, Any]:
    """A DESIGN §3 trust list JSON for issuers and their types."""
    issuers = []
    for entry in entries:
        if isinstance(entry, dict):
            issuers.append(entry)
        else:
            issuer, types = entry
            issuers.append(
                {"id": issuer.did, "name": f"Registry {issuer.did[-6:]}", "types": list(types)}
            )
    return {"issuers": issuers}


class FakeWeb:
    """An ``httpx.MockTransport`` world: issuers' did.json, status lists, schemas.

    Records every request so tests can assert what was (not) fetched.
    """

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.issuers: list[Issuer] = []
        self.requests: list[httpx.Request] = []
        self.extra: dict[str, Callable[[httpx.Request], httpx.Response]] = {}
        self.down: set[str] = set()
        self.schemas: dict[str, dict[str, Any]] = {}

    def add(self, issuer: Issuer) -> Issuer:
        self.issuers.append(issuer)
        return issuer

    def count(self, path_part: str) -> int:
        return sum(1 for r in self.requests if path_part in str(r.url))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        host = request.url.host
        if host in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if url in self.extra:
            return self.extra[url](request)
        for issuer in self.issuers:
            if issuer.base_url is None and url in issuer.lists:
                return self._list(issuer, url, request)
            if issuer.base_url is None or not url.startswith(issuer.base_url):
                continue
            path = url[len(issuer.base_url) :]
            if path == "/.well-known/did.json":
                return httpx.Response(200, json=issuer.did_document())
            if url in issuer.lists:
                return self._list(issuer, url, request)
            if path.startswith("/schemas/"):
                schema = self.schemas.get(path.removeprefix("/schemas/"))
                if schema is not None:
                    return httpx.Response(200, json=schema)
        return httpx.Response(404, text="not found")

    def _list(self, issuer: Issuer, url: str, request: httpx.Request) -> httpx.Response:
        state = issuer.lists[url]
        etag = '"' + hashlib.sha256(state.bits.to_bytes()).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        token = issuer.list_token(url, self.now())
        return httpx.Response(
            200, text=token, headers={"ETag": etag, "Content-Type": "application/vc+jwt"}
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


async def public_resolver(host: str, port: int) -> list[str]:
    """Every name resolves to one public address (tests never touch DNS)."""
    return [PUBLIC_IP]


def resolver_map(mapping: Mapping[str, str]) -> Callable[[str, int], Any]:
    async def resolve(host: str, port: int) -> list[str]:
        return [mapping.get(host, PUBLIC_IP)]

    return resolve


class Clock:
    """A settable clock."""

    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **kwargs: float) -> None:
        self.value += timedelta(**kwargs)


def app_client(app: FastAPI) -> AbstractContextManager[AppClient]:
    """Run ``app``'s lifespan and yield an in-process client for it."""
    return open_app_client(app, "http://verifier.test")


def write_json(path: Any, value: object) -> Any:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def holder_proof(
    holder: Holder,
    *,
    audience: str,
    nonce: str,
    now: datetime | None,
    credentials: Sequence[object] | None = None,
) -> str:
    """A ``vp+jwt`` with no credential (a holder proof), signed by ``holder``.

    ``now=None`` leaves out ``iat`` (an undated presentation); ``credentials`` set puts
    that exact ``verifiableCredential`` value in (say ``[]``, which must be refused).
    """
    payload: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.did,
        "nonce": nonce,
        "aud": audience,
    }
    if credentials is not None:
        payload["verifiableCredential"] = list(credentials)
    if now is not None:
        payload["iat"] = int(now.timestamp())
    return sign(payload, SoftwareSigner(holder.key, holder_kid(holder.did)), typ="vp+jwt")


def undated_presentation(
    tokens: Sequence[str], holder: Holder, *, audience: str, nonce: str
) -> str:
    """A ``vp+jwt`` of credential tokens without ``iat`` (what VC-API callers may send)."""
    payload: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.did,
        "verifiableCredential": [
            {
                "@context": "https://www.w3.org/ns/credentials/v2",
                "type": "EnvelopedVerifiableCredential",
                "id": f"data:application/vc+jwt,{token}",
            }
            for token in tokens
        ],
        "nonce": nonce,
        "aud": audience,
    }
    return sign(payload, SoftwareSigner(holder.key, holder_kid(holder.did)), typ="vp+jwt")
