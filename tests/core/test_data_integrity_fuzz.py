"""Hypothesis over the Data Integrity parser and verifier: only coded errors, never a crash."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.di_signer import generate, sign
from vcore.data_integrity import (
    ProofPurpose,
    parse_unverified,
    resolve_did_key_method,
    verify_proof,
)
from vcore.data_integrity.multikey import Curve
from vcore.errors import TrustIDError

NOW = datetime(2026, 6, 1, tzinfo=UTC)
V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"

_KEYS = {curve: generate(curve) for curve in Curve}
_BASE = {
    "@context": [V2, EXAMPLES],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:1", "name": "x"},
}
SIGNED = {
    suite: sign(
        {**_BASE, "issuer": _KEYS[curve][2].split("#")[0]}, _KEYS[curve][0], _KEYS[curve][2], suite
    )
    for suite, curve in [
        ("eddsa-rdfc-2022", Curve.ED25519),
        ("eddsa-jcs-2022", Curve.ED25519),
        ("ecdsa-rdfc-2019", Curve.P384),
        ("ecdsa-jcs-2019", Curve.P256),
    ]
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = [
    "@context",
    "type",
    "issuer",
    "credentialSubject",
    "proof",
    "id",
    "name",
    "@id",
    "@type",
    "@graph",
]
PROOF_KEYS = [
    "type",
    "cryptosuite",
    "verificationMethod",
    "proofPurpose",
    "proofValue",
    "created",
    "expires",
    "challenge",
    "domain",
    "@context",
]


def _verify(document: object) -> None:
    codes: list[str] = []
    try:
        verify_proof(
            document,
            resolve_method=resolve_did_key_method,
            purpose=ProofPurpose.ASSERTION_METHOD,
            now=NOW,
        )
    except TrustIDError as exc:
        codes.append(exc.code)
    assert "error" not in codes


def test_fixtures_verify() -> None:
    for document in SIGNED.values():
        verify_proof(
            document,
            resolve_method=resolve_did_key_method,
            purpose=ProofPurpose.ASSERTION_METHOD,
            now=NOW,
        )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SIGNED)), st.sampled_from(KEYS), json_values)
def test_mutated_documents_fail_with_codes(suite: str, key: str, value: Any) -> None:
    document = copy.deepcopy(SIGNED[suite])
    document[key] = value
    _verify(document)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SIGNED)), st.sampled_from(PROOF_KEYS), json_values)
def test_mutated_proofs_fail_with_codes(suite: str, key: str, value: Any) -> None:
    document = copy.deepcopy(SIGNED[suite])
    document["proof"][key] = value
    _verify(document)


@settings(max_examples=120, deadline=None)
@given(json_values)
def test_arbitrary_json_is_refused_with_a_code(value: Any) -> None:
    codes: list[str] = []
    try:
        parse_unverified(value)
    except TrustIDError as exc:
        codes.append(exc.code)
    assert "" not in codes
    _verify(value)
    _verify({"@context": [V2], "proof": value})


def test_serialised_round_trip_keeps_verifying() -> None:
    for document in SIGNED.values():
        _verify(json.loads(json.dumps(document)))
