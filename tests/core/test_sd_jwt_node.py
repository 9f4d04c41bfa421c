"""TrustID's SD-JWT VC against an independent implementation (npm @sd-jwt/sd-jwt-vc 0.19).

Both ways: npm verifies what vcore issues and presents (the issuer key from a JWK Set only,
KB-JWT with its nonce, the Token Status List with @sd-jwt/jwt-status-list); vcore verifies
what npm issues and presents, and refuses the tampered variants.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.sd_jwt_node import require_sd_jwt_node, sd_jwt_node
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import did_key_for, holder_kid, resolve_offline
from vcore.formats import DisclosurePolicy, SelectiveDisclosureFormat, lookup
from vcore.jose import sign
from vcore.keys import PrivateKey, b64url_decode, b64url_encode, generate_key
from vcore.sdjwt import CompactSdJwt, join_sd_jwt, make_disclosure, present_sd_jwt
from vcore.signing import SoftwareSigner
from vcore.status import LIST_TYP, TokenStatusList, build_status_list_payload
from vcore.verify import verify_presentation_token

ISSUER = "did:web:issuer.example"
KID = f"{ISSUER}#k1"
AUD = "https://verifier.example"
LIST_URL = "https://issuer.example/statuslists/1"


@pytest.fixture(scope="module", autouse=True)
def _node() -> None:
    require_sd_jwt_node()


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {"issuer": generate_key("ES256"), "holder": generate_key("ES256")}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _jwks(keys: dict[str, PrivateKey]) -> dict[str, Any]:
    return {"keys": [{**keys["issuer"].public_key().to_jwk(), "kid": KID, "use": "sig"}]}


def _status_token(keys: dict[str, PrivateKey], values: dict[int, int]) -> str:
    statuses = TokenStatusList(131072, bits=2)
    for idx, value in values.items():
        statuses.set(idx, value)
    stamp = int(_now().timestamp())
    payload = build_status_list_payload(
        list_url=LIST_URL,
        issuer=ISSUER,
        statuses=statuses,
        issued_at=stamp,
        expires_at=stamp + 3600,
        ttl_seconds=300,
    )
    return sign(payload, SoftwareSigner(keys["issuer"], KID), typ=LIST_TYP)


def _issued(keys: dict[str, PrivateKey]) -> str:
    holder = did_key_for(keys["holder"].public_key())
    document = build_credential(
        issuer=ISSUER,
        credential_type="ResidentIdentityCredential",
        subject={
            "givenName": "Mei",
            "birthDate": "1990-01-02",
            "age_over_18": True,
            "address": {"locality": "Springfield", "country": "CN"},
        },
        holder=holder,
        credential_id=new_credential_id(),
        valid_from=_now() - timedelta(hours=1),
        valid_until=_now() + timedelta(days=30),
    )
    document["credentialStatus"] = [{"type": "status_list", "idx": 42, "uri": LIST_URL}]
    securing = lookup("dc+sd-jwt")
    assert isinstance(securing, SelectiveDisclosureFormat)
    return securing.sign_selective(
        document,
        SoftwareSigner(keys["issuer"], KID),
        policy=DisclosurePolicy(),
        vct="https://issuer.example/types/ResidentIdentityCredential",
    )


def test_npm_verifies_trustid_issuance_and_presentation(keys: dict[str, PrivateKey]) -> None:
    issued = _issued(keys)
    status = _status_token(keys, {})
    full = sd_jwt_node({"op": "verify", "sdjwt": issued, "jwks": _jwks(keys), "statusList": status})
    assert "error" not in full, full
    assert full["payload"]["address"] == {"locality": "Springfield", "country": "CN"}
    signer = SoftwareSigner(keys["holder"], holder_kid(did_key_for(keys["holder"].public_key())))
    presented = present_sd_jwt(
        issued,
        ["age_over_18", "address.locality"],
        signer=signer,
        nonce="n-7",
        audience=AUD,
        now=_now(),
    )
    answer = sd_jwt_node(
        {
            "op": "verify",
            "sdjwt": presented,
            "jwks": _jwks(keys),
            "statusList": status,
            "kb": {"nonce": "n-7", "aud": AUD},
        }
    )
    assert "error" not in answer, answer
    assert answer["payload"]["age_over_18"] is True
    assert answer["payload"]["address"] == {"locality": "Springfield"}
    assert "givenName" not in answer["payload"]
    assert "birthDate" not in answer["payload"]
    assert answer["kb"]["nonce"] == "n-7"
    # npm refuses a revoked one (value 1 at its index), from the same list format.
    revoked = sd_jwt_node(
        {
            "op": "verify",
            "sdjwt": issued,
            "jwks": _jwks(keys),
            "statusList": _status_token(keys, {42: 1}),
        }
    )
    assert "error" in revoked


def test_npm_decodes_trustid_status_lists(keys: dict[str, PrivateKey]) -> None:
    answer = sd_jwt_node(
        {
            "op": "status",
            "token": _status_token(keys, {3: 1, 4: 2, 131071: 1}),
            "indexes": [0, 3, 4, 131071],
        }
    )
    assert answer == {"bits": 2, "values": [0, 1, 2, 1]}


def _npm_issued(keys: dict[str, PrivateKey]) -> dict[str, Any]:
    holder_jwk = {k: v for k, v in keys["holder"].public_key().to_jwk().items() if k != "alg"}
    issued = sd_jwt_node(
        {
            "op": "issue",
            "holderJwk": holder_jwk,
            "claims": {
                "vct": "https://npm.example/types/Identity",
                "given_name": "Mei",
                "is_over_18": True,
                "address": {"locality": "Springfield", "country": "CN"},
            },
            "frame": {"_sd": ["given_name", "is_over_18", "address"]},
        }
    )
    assert "error" not in issued, issued
    return issued


def _npm_presented(keys: dict[str, PrivateKey], sdjwt: str, nonce: str) -> str:
    private = {k: v for k, v in keys["holder"].to_jwk().items() if k != "alg"}
    answer = sd_jwt_node(
        {
            "op": "present",
            "sdjwt": sdjwt,
            "presentationFrame": {"is_over_18": True},
            "holderPrivateJwk": private,
            "nonce": nonce,
            "aud": AUD,
            "iat": int(_now().timestamp()),
        }
    )
    assert "error" not in answer, answer
    return str(answer["sdjwt"])


def _verify(presented: str, nonce: str = "n-9") -> Any:
    def no_status(url: str) -> Any:
        raise AssertionError(f"no status list to fetch: {url}")

    return verify_presentation_token(
        presented,
        nonce=nonce,
        audience=AUD,
        trust=None,
        key_for=resolve_offline,
        status_for=no_status,
        now=_now(),
    )


def test_trustid_verifies_npm_presentations_and_refuses_tampered_ones(
    keys: dict[str, PrivateKey],
) -> None:
    issued = _npm_issued(keys)
    presented = _npm_presented(keys, issued["sdjwt"], "n-9")
    report = _verify(presented)
    assert report.verified, report.problems
    disclosure = report.credentials[0].disclosure
    assert disclosure is not None
    assert disclosure["disclosed"] == {"is_over_18": True}
    codes = lambda r: [p.code for p in r.problems]  # noqa: E731
    assert "nonce_mismatch" in codes(_verify(presented, nonce="other"))
    parts = CompactSdJwt.parse(presented)
    stray = make_disclosure("given_name", "Mallory")
    forged = join_sd_jwt(parts.jwt, [*parts.disclosures, stray], parts.kb_jwt or "")
    assert not _verify(forged).verified
    head, payload, signature = parts.jwt.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["is_over_18"] = True
    claims["given_name"] = "Mallory"
    changed = ".".join([head, b64url_encode(json.dumps(claims).encode()), signature])
    tampered = join_sd_jwt(changed, parts.disclosures, parts.kb_jwt or "")
    assert not _verify(tampered).verified
    other_key = _npm_presented({**keys, "holder": generate_key("ES256")}, issued["sdjwt"], "n-9")
    assert "kb_jwt_bad_signature" in codes(_verify(other_key))
