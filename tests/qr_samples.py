"""A realistic signed resident credential, and a presentation of it, for the QR tests.

Shared by tests/core/test_qr.py (text forms, planning) and tests/verifier/test_qr_image.py
(images). bench/bench_qr.py keeps its own copy: it runs as a script
(``.venv/bin/python bench/bench_qr.py``), where ``tests`` is not importable.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vcore.credentials import build_credential
from vcore.dids import did_jwk_for, did_key_for
from vcore.formats import build_presentation, sign_credential
from vcore.keys import generate_key
from vcore.signing import SoftwareSigner
from vcore.status import build_status_entry

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
ISSUER = "did:web:registry.city.gov.example"
SCHEMA_ID = "https://registry.city.gov.example/schemas/ResidentIdentityCredential"


def sample_credential(
    *,
    alg: str = "ES256",
    fmt: str = "vc+jwt",
    jwk_holder: bool = False,
    schema_id: str = SCHEMA_ID,
) -> str:
    """A resident credential as a city registry signs it: five claims, a revocation entry,
    a schema; a fresh issuer key (``alg``) and a fresh holder (did:key, or did:jwk)."""
    issuer_key, holder_key = generate_key(alg), generate_key()
    holder = (did_jwk_for if jwk_holder else did_key_for)(holder_key.public_key())
    credential = build_credential(
        issuer=ISSUER,
        credential_type="ResidentIdentityCredential",
        subject={
            "givenName": "Mei",
            "familyName": "Zhang",
            "birthDate": "1990-04-12",
            "residentNumber": "110101199004120021",
            "address": {"locality": "Dongcheng", "region": "Beijing", "country": "CN"},
        },
        holder=holder,
        credential_id="urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
        valid_from=NOW,
        valid_until=NOW + timedelta(days=3650),
        status=[
            build_status_entry(
                list_url="https://registry.city.gov.example/status-lists/3",
                index=94567,
                purpose="revocation",
            )
        ],
        schema={"id": schema_id, "type": "JsonSchema"},
    )
    kid = f"{ISSUER}#{issuer_key.public_key().thumbprint()}"
    return sign_credential(credential, SoftwareSigner(issuer_key, kid), fmt=fmt)


def sample_presentation(credential: str) -> str:
    """A presentation of ``credential`` for a verifier's challenge, by a fresh holder key."""
    holder_key = generate_key()
    holder = did_key_for(holder_key.public_key())
    return build_presentation(
        [credential],
        holder_key,
        holder,
        audience="https://verifier.city.gov.example",
        nonce="n-0S6_WzA2Mj",
        now=NOW,
    )
