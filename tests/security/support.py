"""The world the verifier-side attack tests run in: the real verifier app, a fake web.

One trust-listed issuer (``did:web:registry.example``, its keys and status lists served
by :class:`~tests.verifier.support.FakeWeb`), one issuer nobody trusts (``rogue``), a
citizen. Every request the verifier makes is recorded in ``web.requests``, so a test can
assert that an attack made it fetch nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.asgi_client import AppClient
from tests.verifier.support import (
    RESIDENT,
    Clock,
    FakeWeb,
    Holder,
    Issuer,
    app_client,
    public_resolver,
    trust_document,
    write_json,
)
from vcore import jose
from vcore.keys import b64url_decode, b64url_encode
from vcore.signing import SoftwareSigner
from verifier.app import create_app
from verifier.settings import VerifierSettings

AUDIENCE = "https://verifier.example"
VC2 = "https://www.w3.org/ns/credentials/v2"


class World:
    """A verifier with its trust list, the issuers it may meet and a citizen."""

    def __init__(self, tmp_path: Path, now: datetime) -> None:
        self.clock = Clock(now)
        self.web = FakeWeb(self.clock)
        self.issuer = self.web.add(Issuer("https://registry.example"))
        self.rogue = self.web.add(Issuer("https://rogue.example"))
        self.citizen = Holder()
        self.trust_path = write_json(
            tmp_path / "trust.json", trust_document((self.issuer, [RESIDENT]))
        )
        self.app = create_app(
            VerifierSettings(
                trust_list=str(self.trust_path),
                data_dir=tmp_path / "var",
                verifier_url=AUDIENCE,
                verifier_status_max_age=0,
            ),
            transport=self.web.transport(),
            host_resolver=public_resolver,
            clock=self.clock,
        )

    @property
    def now(self) -> datetime:
        return self.clock.value

    def credential(self, **kwargs: Any) -> str:
        """A valid credential of the trusted issuer for the citizen."""
        token, _ = self.issuer.issue(self.citizen.did, now=self.now, **kwargs)
        return token

    def signed(self, payload: dict[str, Any], *, issuer: Issuer | None = None, **kw: Any) -> str:
        """Any payload, validly signed by the trusted issuer's key (or ``issuer``'s)."""
        signer = issuer or self.issuer
        return jose.sign(payload, SoftwareSigner(signer.key, signer.kid), **{"typ": "vc+jwt", **kw})

    def document(self, **changes: Any) -> dict[str, Any]:
        """A well-formed VC 2.0 document of the trusted issuer, with ``changes``."""
        document: dict[str, Any] = {
            "@context": [VC2],
            "id": "urn:uuid:3f1e2d4c-1b2a-4c3d-8e9f-0a1b2c3d4e5f",
            "type": ["VerifiableCredential", RESIDENT],
            "issuer": self.issuer.did,
            "validFrom": "2026-11-01T00:00:00Z",
            "validUntil": "2027-11-01T00:00:00Z",
            "credentialSubject": {
                "id": self.citizen.did,
                "givenName": "Mei",
                "familyName": "Chen",
            },
        }
        document.update(changes)
        return document


@contextmanager
def world_client(world: World) -> Iterator[AppClient]:
    with app_client(world.app) as client:
        yield client


def codes_of(body: dict[str, Any]) -> list[str]:
    """The problem codes of a verification result."""
    return [str(p["code"]) for p in body.get("problemDetails", [])]


def verify(client: AppClient, value: object, **kwargs: Any) -> tuple[int, list[str]]:
    """``POST /credentials/verify``: the status and the problem codes (asserting no 5xx)."""
    response = client.post("/credentials/verify", json={"verifiableCredential": value}, **kwargs)
    assert response.status_code < 500, response.text
    assert response.status_code in (200, 400), response.text
    body = response.json()
    if response.headers["content-type"].startswith("application/problem+json"):
        return response.status_code, [body["code"]]
    return response.status_code, codes_of(body)


def tamper(token: str, *, header: dict[str, Any] | None = None, **claims: Any) -> str:
    """The token with header members and claims replaced, its signature kept (now wrong)."""
    head, payload, signature = token.split(".")
    if header is not None:
        old = json.loads(b64url_decode(head))
        head = b64url_encode(json.dumps({**old, **header}).encode())
    if claims:
        body = json.loads(b64url_decode(payload))
        body.update(claims)
        payload = b64url_encode(json.dumps(body).encode())
    return f"{head}.{payload}.{signature}"


def segment(value: object) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode())
