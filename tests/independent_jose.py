"""Credentials signed without TrustID's signing code: joserfc (Python) and node ``jose``.

Each independent issuer is a did:jwk (or did:key) whose private key lives only in the
other library; the payload is built with ``json`` here. TrustID code is used only to
spell a did:key (its encoder is checked against the did:key spec's vectors).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey, RSAKey

from vcore.dids import did_key_for
from vcore.keys import public_key_from_jwk

NODE_DIR = Path(__file__).resolve().parent / "node"
VC2 = "https://www.w3.org/ns/credentials/v2"
RESIDENT = "ResidentIdentityCredential"
# The algorithms of issue 7 §3 that TrustID itself never signs with in the services.
INDEPENDENT_ALGS = ["ES384", "ES512", "ES256K", "PS256", "RS256", "ES256", "EdDSA"]
_JOSERFC_KEYS = {
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "ES256K": ("EC", "secp256k1"),
    "EdDSA": ("OKP", "Ed25519"),
    "PS256": ("RSA", 2048),
    "RS256": ("RSA", 2048),
}
_PUBLIC_MEMBERS = {
    "EC": ("kty", "crv", "x", "y"),
    "OKP": ("kty", "crv", "x"),
    "RSA": ("kty", "n", "e"),
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def did_jwk(public_jwk: dict[str, Any], alg: str) -> str:
    """did:jwk of a public JWK: only the public members; RSA keys keep ``alg`` (the pin)."""
    members = {k: public_jwk[k] for k in _PUBLIC_MEMBERS[public_jwk["kty"]]}
    if public_jwk["kty"] == "RSA":
        members["alg"] = alg
    return "did:jwk:" + b64url(json.dumps(members, separators=(",", ":")).encode())


def credential_payload(issuer: str, holder: str, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "@context": [VC2],
        "id": "urn:uuid:3f1e2d4c-1b2a-4c3d-8e9f-0a1b2c3d4e5f",
        "type": ["VerifiableCredential", RESIDENT],
        "issuer": issuer,
        "validFrom": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "validUntil": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {"id": holder, "givenName": "Lan", "familyName": "Zhou"},
        **extra,
    }


@dataclass
class IndependentIssuer:
    """A did:jwk / did:key issuer whose key only joserfc holds."""

    alg: str
    key: ECKey | OKPKey | RSAKey
    did: str
    kid: str

    @property
    def public_jwk(self) -> dict[str, Any]:
        return dict(self.key.as_dict(private=False))

    def sign(self, payload: dict[str, Any], **header: Any) -> str:
        """Sign as a vc+jwt; ``header`` overrides members (None drops one)."""
        merged = {"alg": self.alg, "typ": "vc+jwt", "cty": "vc", "kid": self.kid, **header}
        protected = {k: v for k, v in merged.items() if v is not None}
        return jws.serialize_compact(
            protected, json.dumps(payload), self.key, algorithms=[protected["alg"]]
        )

    def credential(self, holder: str, **extra: Any) -> str:
        return self.sign(credential_payload(self.did, holder, **extra))


def joserfc_issuer(alg: str, *, did_method: str = "jwk") -> IndependentIssuer:
    kty, param = _JOSERFC_KEYS[alg]
    key: ECKey | OKPKey | RSAKey
    if kty == "EC":
        key = ECKey.generate_key(str(param))
    elif kty == "OKP":
        key = OKPKey.generate_key(str(param))
    else:
        key = RSAKey.generate_key(int(param))
    public = dict(key.as_dict(private=False))
    if did_method == "jwk":
        did = did_jwk(public, alg)
        return IndependentIssuer(alg, key, did, f"{did}#0")
    did = did_key_for(public_key_from_jwk({**public, "alg": alg}))
    return IndependentIssuer(alg, key, did, f"{did}#{did.split(':')[2]}")


def tampered(token: str) -> str:
    """The same signature over a payload with one claim changed."""
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["credentialSubject"]["familyName"] = "Mallory"
    return f"{head}.{b64url(json.dumps(claims).encode())}.{signature}"


def relabelled(token: str, **header: Any) -> str:
    """The same payload and signature under a changed protected header."""
    head, payload, signature = token.split(".")
    fields = {**json.loads(base64.urlsafe_b64decode(head + "==")), **header}
    return f"{b64url(json.dumps(fields).encode())}.{payload}.{signature}"


# -- node jose ------------------------------------------------------------------------------


def node_available() -> bool:
    return shutil.which("node") is not None and (NODE_DIR / "node_modules" / "jose").is_dir()


def require_node() -> None:
    if not node_available():
        pytest.skip(
            "node or tests/node/node_modules is absent: run `npm ci` in tests/node "
            "(scripts/test.sh does when node exists)"
        )


def node_sign(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sign with tests/node/jose_sign.mjs: each item {alg, payload_for: {holder, extra}}.

    The script makes a key pair per item, the did:jwk, and signs; returns per item
    ``{alg, did, kid, jwk, token}``.
    """
    result = subprocess.run(
        ["node", str(NODE_DIR / "jose_sign.mjs")],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=NODE_DIR,
    )
    assert result.returncode == 0, result.stderr
    signed: list[dict[str, Any]] = json.loads(result.stdout)
    return signed
