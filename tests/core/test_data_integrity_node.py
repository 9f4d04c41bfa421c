"""Data Integrity credentials and presentations signed by Digital Bazaar's cryptosuites.

One Node run per module signs everything (fresh keys each run); vcore verifies the
results, and refuses tampered ones with stable codes.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.core.di_node import node_sign
from vcore.data_integrity import (
    ProofPurpose,
    VerificationMethod,
    method_from_document,
    resolve_did_key_method,
    verify_proof,
)
from vcore.errors import TrustIDError

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
WEB_DID = "did:web:issuer.example"

# (suite, key name): every cryptosuite with every curve it takes.
CASES = [
    ("eddsa-rdfc-2022", "ed"),
    ("eddsa-jcs-2022", "ed"),
    ("ecdsa-rdfc-2019", "p256"),
    ("ecdsa-rdfc-2019", "p384"),
    ("ecdsa-jcs-2019", "p256"),
    ("ecdsa-jcs-2019", "p384"),
]
KEYS = [
    {"name": "ed", "curve": "Ed25519", "controller": "did:key"},
    {"name": "p256", "curve": "P-256", "controller": "did:key"},
    {"name": "p384", "curve": "P-384", "controller": "did:key"},
    {"name": "ed2", "curve": "Ed25519", "controller": "did:key"},
    {"name": "web384", "curve": "P-384", "controller": WEB_DID},
    {"name": "webed", "curve": "Ed25519", "controller": WEB_DID},
]


def _credential(subject: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "@context": [V2, EXAMPLES],
        "id": "urn:uuid:6a1d7f0e-2b7c-4b53-9a43-3a4c1f1f2b10",
        "type": ["VerifiableCredential", "ExampleIdentityCredential"],
        "issuer": "$CONTROLLER",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": subject
        or {"id": "did:example:holder", "name": "Li Wei", "birthDate": "1990-05-01"},
    }


def _presentation() -> dict[str, Any]:
    return {"@context": [V2], "type": ["VerifiablePresentation"], "holder": "$CONTROLLER"}


@pytest.fixture(scope="module")
def signed() -> dict[str, Any]:
    jobs: list[dict[str, Any]] = []
    names: list[str] = []
    for suite, key in CASES:
        jobs.append({"key": key, "suite": suite, "kind": "credential", "document": _credential()})
        names.append(f"vc:{suite}:{key}")
        jobs.append(
            {
                "key": key,
                "suite": suite,
                "kind": "presentation",
                "challenge": "c-123",
                "domain": "https://verifier.example",
                "document": _presentation(),
            }
        )
        names.append(f"vp:{suite}:{key}")
    for suite, key in [("ecdsa-rdfc-2019", "web384"), ("eddsa-jcs-2022", "webed")]:
        jobs.append({"key": key, "suite": suite, "kind": "credential", "document": _credential()})
        names.append(f"vc:{suite}:{key}")
    # canonical N-Quads escaping: tab/newline agree with RDFC-1.0; a backspace does not
    for name, text in [("tabs", 'a\tb\nc\r"d\\'), ("backspace", "a\bb")]:
        jobs.append(
            {
                "key": "ed",
                "suite": "eddsa-rdfc-2022",
                "kind": "credential",
                "document": _credential({"id": "did:example:holder", "name": text}),
            }
        )
        names.append(f"escape:{name}")
    out = node_sign(KEYS, jobs)
    return {
        "keys": out["keys"],
        **{n: r["signed"] for n, r in zip(names, out["results"], strict=True)},
    }


def _now() -> datetime:
    """Read at each check: Node stamps `created` when the fixture runs, maybe minutes after import."""
    return datetime.now(UTC)


def _web_document(keys: dict[str, Any]) -> dict[str, Any]:
    methods = [
        {
            "id": keys[name]["id"],
            "type": "Multikey",
            "controller": WEB_DID,
            "publicKeyMultibase": keys[name]["publicKeyMultibase"],
        }
        for name in ("web384", "webed")
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": WEB_DID,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def _verify_vc(document: object, resolver: Any = resolve_did_key_method) -> Any:
    return verify_proof(
        document, resolve_method=resolver, purpose=ProofPurpose.ASSERTION_METHOD, now=_now()
    )


def _verify_vp(
    document: object,
    challenge: str | None = "c-123",
    domain: str | None = "https://verifier.example",
) -> Any:
    return verify_proof(
        document,
        resolve_method=resolve_did_key_method,
        purpose=ProofPurpose.AUTHENTICATION,
        now=_now(),
        challenge=challenge,
        domain=domain,
    )


def _code(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(TrustIDError) as caught:
        call(*args, **kwargs)
    return caught.value.code


@pytest.mark.parametrize(("suite", "key"), CASES)
def test_node_credential_verifies(signed: dict[str, Any], suite: str, key: str) -> None:
    document = signed[f"vc:{suite}:{key}"]
    assert document["proof"]["cryptosuite"] == suite
    result = _verify_vc(document)
    assert result.method.id == signed["keys"][key]["id"]
    assert result.document["credentialSubject"]["name"] == "Li Wei"
    assert "proof" not in result.document


@pytest.mark.parametrize(("suite", "key"), CASES)
def test_node_presentation_verifies_with_challenge_and_domain(
    signed: dict[str, Any], suite: str, key: str
) -> None:
    result = _verify_vp(signed[f"vp:{suite}:{key}"])
    assert result.proof.challenge == "c-123"
    assert result.method.controller == signed["keys"][key]["controller"]


@pytest.mark.parametrize(
    ("suite", "key"), [("ecdsa-rdfc-2019", "web384"), ("eddsa-jcs-2022", "webed")]
)
def test_node_credential_verifies_with_did_web_document(
    signed: dict[str, Any], suite: str, key: str
) -> None:
    document = _web_document(signed["keys"])

    def resolver(method_id: str, purpose: ProofPurpose) -> VerificationMethod:
        return method_from_document(document, method_id, purpose)

    assert _verify_vc(signed[f"vc:{suite}:{key}"], resolver).method.controller == WEB_DID
    # the same method, no longer listed under assertionMethod: refused
    document["assertionMethod"] = []
    assert _code(_verify_vc, signed[f"vc:{suite}:{key}"], resolver) == "unknown_key"


def _tampered(document: dict[str, Any], change: str, keys: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(document)
    if change == "claim":
        out["credentialSubject"]["name"] = "Li Wen"
    elif change == "added claim":
        out["credentialSubject"]["nationality"] = "X"
    elif change == "issuer":
        out["issuer"] = "did:example:other"
    elif change == "proof created":
        out["proof"]["created"] = "2026-01-02T00:00:00Z"
    elif change == "proof value":
        value = out["proof"]["proofValue"]
        out["proof"]["proofValue"] = value[:-3] + ("111" if value[-3:] != "111" else "222")
    elif change == "wrong key":
        other = (
            keys["ed2"]
            if document["proof"]["cryptosuite"].startswith("eddsa")
            else (
                keys["p384"]
                if keys["p256"]["id"] == document["proof"]["verificationMethod"]
                else keys["p256"]
            )
        )
        out["proof"]["verificationMethod"] = other["id"]
    elif change == "wrong curve":
        other = keys["p256"] if document["proof"]["cryptosuite"].startswith("eddsa") else keys["ed"]
        out["proof"]["verificationMethod"] = other["id"]
    elif change == "cryptosuite":
        suite = document["proof"]["cryptosuite"]
        out["proof"]["cryptosuite"] = (
            suite.replace("rdfc", "jcs") if "rdfc" in suite else suite.replace("jcs", "rdfc")
        )
    elif change == "context outside the set":
        out["@context"] = [*out["@context"], "https://contexts.example/evil/v1"]
    elif change == "proof purpose":
        out["proof"]["proofPurpose"] = "authentication"
    return out


TAMPERING = {
    "claim": "bad_signature",
    "added claim": "bad_signature",
    "issuer": "bad_signature",
    "proof created": "bad_signature",
    "proof value": "bad_signature",
    "wrong key": "bad_signature",
    "wrong curve": "alg_not_allowed",
    "cryptosuite": "bad_signature",
    "context outside the set": "context_not_allowed",
    "proof purpose": "proof_purpose_mismatch",
}


@pytest.mark.parametrize(("suite", "key"), CASES)
@pytest.mark.parametrize("change", sorted(TAMPERING))
def test_tampered_node_credential_is_refused(
    signed: dict[str, Any], suite: str, key: str, change: str
) -> None:
    document = signed[f"vc:{suite}:{key}"]
    tampered = _tampered(document, change, signed["keys"])
    assert tampered != document
    assert _code(_verify_vc, tampered) == TAMPERING[change]


@pytest.mark.parametrize(("suite", "key"), CASES)
def test_presentation_bindings_are_enforced(signed: dict[str, Any], suite: str, key: str) -> None:
    document = signed[f"vp:{suite}:{key}"]
    assert _code(_verify_vp, document, challenge="c-999") == "nonce_mismatch"
    assert _code(_verify_vp, document, domain="https://other.example") == "audience_mismatch"
    assert _code(_verify_vc, document) == "proof_purpose_mismatch"
    forged = copy.deepcopy(document)
    forged["proof"]["challenge"] = "c-999"  # the verifier's new challenge, pasted in
    assert _code(_verify_vp, forged, challenge="c-999") == "bad_signature"
    # a credential proof (assertionMethod) is no presentation proof
    assert _code(_verify_vp, signed[f"vc:{suite}:{key}"]) == "proof_purpose_mismatch"


def test_proof_times_are_checked(signed: dict[str, Any]) -> None:
    document = signed["vc:eddsa-rdfc-2022:ed"]
    created = datetime.fromisoformat(document["proof"]["created"].replace("Z", "+00:00"))
    early = created.replace(year=created.year - 1)
    assert (
        _code(
            verify_proof,
            document,
            resolve_method=resolve_did_key_method,
            purpose=ProofPurpose.ASSERTION_METHOD,
            now=early,
        )
        == "proof_not_yet_valid"
    )


def test_literal_escaping_agrees_with_rdfc_or_is_refused(signed: dict[str, Any]) -> None:
    assert (
        _verify_vc(signed["escape:tabs"]).document["credentialSubject"]["name"] == 'a\tb\nc\r"d\\'
    )
    assert _code(_verify_vc, signed["escape:backspace"]) == "jsonld_invalid"


@pytest.mark.parametrize(
    ("vp_suite", "vc_suite"),
    [("eddsa-rdfc-2022", "ecdsa-rdfc-2019"), ("ecdsa-jcs-2019", "eddsa-jcs-2022")],
)
def test_presentation_with_an_embedded_credential(vp_suite: str, vc_suite: str) -> None:
    holder_curve = "Ed25519" if vp_suite.startswith("eddsa") else "P-256"
    issuer_curve = "Ed25519" if vc_suite.startswith("eddsa") else "P-384"
    credential = _credential({"id": "$DID:holder", "name": "Li Wei"})
    presentation = {**_presentation(), "verifiableCredential": ["$RESULT:0"]}
    out = node_sign(
        [
            {"name": "holder", "curve": holder_curve, "controller": "did:key"},
            {"name": "issuer", "curve": issuer_curve, "controller": "did:key"},
        ],
        [
            {"key": "issuer", "suite": vc_suite, "kind": "credential", "document": credential},
            {
                "key": "holder",
                "suite": vp_suite,
                "kind": "presentation",
                "challenge": "c-123",
                "domain": "https://verifier.example",
                "document": presentation,
            },
        ],
    )
    vp = out["results"][1]["signed"]
    verified = _verify_vp(vp)
    inner = verified.document["verifiableCredential"][0]
    assert inner["credentialSubject"]["id"] == out["keys"]["holder"]["controller"]
    assert _verify_vc(inner).method.controller == out["keys"]["issuer"]["controller"]
    # swapping the credential inside breaks the holder's signature
    swapped = copy.deepcopy(vp)
    swapped["verifiableCredential"][0]["credentialSubject"]["name"] = "Li Wen"
    assert _code(_verify_vp, swapped) == "bad_signature"
