"""A simulated issuer on a mock transport, and the app factories the server benchmarks run.

The verifier under test is the real app (``verifier.app.create_app``); only its network is
replaced: an ``httpx.MockTransport`` answers the issuer's DID document, its two signed
131,072-entry status lists and its JSON Schema, with no latency, so a benchmark measures
the verifier and not a network. Factories read their configuration from the environment
(``BENCH_DIR``), so uvicorn and granian can import them by name (``--factory``).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from vcore.clock import format_datetime, system_clock
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import build_did_document, did_key_for, did_web_from_url
from vcore.formats import sign_credential
from vcore.jose import sign
from vcore.keys import generate_key, private_key_from_jwk
from vcore.signing import SoftwareSigner
from vcore.status import BitstringStatusList, build_status_entry, build_status_list_credential

BASE = "https://registry.example"
TYPE = "ResidentIdentityCredential"
SCHEMA: dict[str, Any] = {
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


class SimulatedIssuer:
    """A did:web issuer with two status lists and a schema, answered from memory."""

    def __init__(self, key_jwk: dict[str, Any] | None = None) -> None:
        self.key = private_key_from_jwk(key_jwk) if key_jwk else generate_key()
        self.did = did_web_from_url(BASE)
        self.kid = f"{self.did}#{self.key.public_key().thumbprint()}"
        self.signer = SoftwareSigner(self.key, self.kid)
        self.lists: dict[str, str] = {}
        self.holder = did_key_for(generate_key().public_key())

    def list_token(self, purpose: str, number: int) -> str:
        """The signed list ``<purpose><number>`` (131,072 entries, every 98th set)."""
        url = f"{BASE}/status-lists/{purpose}{number}"
        token = self.lists.get(url)
        if token is None:
            now = system_clock()
            bits = BitstringStatusList()
            for index in range(0, 131_072, 98):
                bits.set(index, 1)
            payload = build_status_list_credential(
                list_id=url,
                issuer=self.did,
                purpose=purpose,
                encoded_list=bits.encode(),
                valid_from=format_datetime(now - timedelta(minutes=1)),
                valid_until=format_datetime(now + timedelta(hours=24)),
            )
            token = self.lists[url] = sign(payload, self.signer, typ="vc+jwt")
        return token

    def credential(self, index: int, *, schema: bool = False, list_number: int = 0) -> str:
        now = system_clock()
        status = [
            build_status_entry(
                list_url=f"{BASE}/status-lists/{p}{list_number}", index=index, purpose=p
            )
            for p in ("revocation", "suspension")
        ]
        credential = build_credential(
            issuer=self.did,
            credential_type=TYPE,
            subject={"givenName": "Mei", "familyName": "Chen", "birthDate": "1990-03-14"},
            holder=self.holder,
            credential_id=new_credential_id(),
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=365),
            status=status,
            schema={"id": f"{BASE}/schemas/{TYPE}", "type": "JsonSchema"} if schema else None,
        )
        return sign_credential(credential, self.signer)

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == f"{BASE}/.well-known/did.json":
            return httpx.Response(200, json=build_did_document(self.did, [self.key.public_key()]))
        if url == f"{BASE}/schemas/{TYPE}":
            return httpx.Response(200, json=SCHEMA)
        prefix = f"{BASE}/status-lists/"
        if not url.startswith(prefix):
            return httpx.Response(404)
        name = url.removeprefix(prefix)
        purpose = name.rstrip("0123456789")
        if purpose not in ("revocation", "suspension") or purpose == name:
            return httpx.Response(404)
        token = self.list_token(purpose, int(name.removeprefix(purpose)))
        etag = '"' + hashlib.sha256(token.encode()).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(200, text=token, headers={"ETag": etag})


async def public_resolver(host: str, port: int) -> list[str]:
    """Every name resolves to one public address (the mock transport never connects)."""
    return ["93.184.216.34"]


def prepare(directory: Path) -> SimulatedIssuer:
    """Write the issuer key and trust list under ``directory``; returns the issuer."""
    issuer = SimulatedIssuer()
    (directory / "issuer.jwk").write_text(json.dumps(issuer.key.to_jwk()))
    trust = {"issuers": [{"id": issuer.did, "name": "Registry", "types": [TYPE]}]}
    (directory / "trust.json").write_text(json.dumps(trust))
    return issuer


def verifier_app() -> FastAPI:
    """The real verifier app for ``BENCH_DIR`` (factory for uvicorn / granian)."""
    from verifier.app import create_app
    from verifier.settings import VerifierSettings

    directory = Path(os.environ["BENCH_DIR"])
    issuer = SimulatedIssuer(json.loads((directory / "issuer.jwk").read_text()))
    settings = VerifierSettings(trust_list=str(directory / "trust.json"), data_dir=directory)
    return create_app(
        settings, transport=httpx.MockTransport(issuer.handle), host_resolver=public_resolver
    )


def hello_app() -> FastAPI:
    """The bare FastAPI hello app: the baseline of the server stack."""
    app = FastAPI()

    @app.get("/")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.post("/")
    async def hello_post() -> dict[str, str]:
        return {"hello": "world"}

    return app
