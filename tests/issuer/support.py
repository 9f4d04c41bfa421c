"""Issuer test support: the real app over a real database (SQLite file or PostgreSQL).

Requests go through the whole ASGI stack (middleware, routing, handlers) with the
in-process client of ``tests.asgi_client``.
"""

from __future__ import annotations

import base64
import gzip
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from issuer.app import create_app
from issuer.credential_types import load_types
from issuer.service import IssuerServices, open_services
from issuer.settings import IssuerSettings
from issuer.storage import tables
from tests.asgi_client import AppClient, open_app_client
from vcore.dids import did_jwk_for, did_key_for
from vcore.formats import unwrap_credential
from vcore.keys import b64url_encode, generate_key

EXAMPLES = {name: t.examples[0] for name, t in load_types().items()}
RESIDENT = "ResidentIdentityCredential"
LICENCE = "DrivingLicenceCredential"
DEGREE = "UniversityDegreeCredential"


class MutableClock:
    """A clock tests can move forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self.value = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **kwargs: float) -> None:
        self.value += timedelta(**kwargs)


@dataclass(frozen=True)
class AgencyKey:
    agency_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def new_holder(kind: str = "key") -> str:
    key = generate_key("ES256")
    return did_key_for(key.public_key()) if kind == "key" else did_jwk_for(key.public_key())


def issue_body(
    type_name: str = RESIDENT,
    holder: str | None = None,
    *,
    options: dict[str, Any] | None = None,
    **claims: Any,
) -> dict[str, Any]:
    subject = {"id": holder or new_holder(), **EXAMPLES[type_name], **claims}
    body: dict[str, Any] = {
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", type_name],
            "credentialSubject": subject,
        }
    }
    if options is not None:
        body["options"] = options
    return body


def token_of(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return unwrap_credential(response.json()["verifiableCredential"])


def decode_bitstring(encoded_list: str) -> bytes:
    """Independent W3C Bitstring decoder: multibase 'u' + base64url, GZIP."""
    assert encoded_list.startswith("u")
    text = encoded_list[1:]
    return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def bit_at(bitstring: bytes, index: int) -> int:
    """MSB-first: index 0 is the most significant bit of byte 0."""
    return (bitstring[index // 8] >> (7 - index % 8)) & 1


@dataclass
class Harness:
    """A running issuer app and handles on its database."""

    services: IssuerServices
    client: AppClient
    settings: IssuerSettings
    agencies: dict[str, AgencyKey] = field(default_factory=dict)

    def agency(self, name: str, types: list[str]) -> AgencyKey:
        created = self.services.agencies.create(name, types)
        key = AgencyKey(created.agency_id, created.api_key)
        self.agencies[name] = key
        return key

    def issue(
        self,
        agency: AgencyKey,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.client.post(
            "/credentials/issue",
            json=body if body is not None else issue_body(),
            headers={**agency.headers, **(headers or {})},
        )

    def change(
        self,
        agency: AgencyKey,
        credential_id: str,
        purpose: str,
        status: bool,
        reason: str | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "credentialId": credential_id,
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": purpose},
            "status": status,
        }
        if reason is not None:
            body["reason"] = reason
        return self.client.post("/credentials/status", json=body, headers=agency.headers)

    def count(self, table: type[tables.Base]) -> int:
        with self.services.ctx.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(table)) or 0)

    def counts(self) -> dict[str, int]:
        return {
            t.__tablename__: self.count(t)
            for t in (
                tables.CredentialRecord,
                tables.StatusEntry,
                tables.StatusChange,
                tables.IdempotencyKey,
                tables.Agency,
            )
        }


def make_settings(
    tmp_path: Path, database_url: str | None = None, **overrides: Any
) -> IssuerSettings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "database_url": database_url,
        "issuer_url": "http://issuer.test:8100",
        "master_key": b64url_encode(secrets.token_bytes(32)),
        "types_dir": None,
        **overrides,
    }
    return IssuerSettings(**values)


@contextmanager
def running_issuer(
    settings: IssuerSettings, clock: Callable[[], datetime] | None = None
) -> Iterator[Harness]:
    services = open_services(settings, clock=clock) if clock else open_services(settings)
    app = create_app(settings, services=services)
    try:
        with open_app_client(app, "http://issuer.test:8100") as client:
            yield Harness(services, client, settings)
    finally:
        services.close()
