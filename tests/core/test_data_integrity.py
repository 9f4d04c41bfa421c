"""vcore.data_integrity without Node: contexts, safe-mode JSON-LD, Multikey, methods, proofs."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from vcore.data_integrity import (
    ProofPurpose,
    did_key_document,
    method_from_document,
    parse_unverified,
    resolve_did_key_method,
    verify_proof,
)
from vcore.data_integrity.canonical import (
    MAX_BLANK_NODES,
    canonicalize_jcs,
    canonicalize_rdfc,
    expand_safe,
)
from vcore.data_integrity.contexts import (
    CREDENTIALS_V2,
    PINNED_CONTEXTS,
    bundled_context,
    check_contexts,
    document_loader,
)
from vcore.data_integrity.multikey import (
    Curve,
    MultikeyPublicKey,
    multibase_decode,
    multibase_encode,
    public_key_from_jwk,
    public_key_from_multibase,
)
from vcore.errors import TrustIDError

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _code(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(TrustIDError) as caught:
        call(*args, **kwargs)
    return caught.value.code


# -- contexts ----------------------------------------------------------------------------


def test_manifest_matches_the_pins_and_the_bytes() -> None:
    folder = resources.files("vcore.data_integrity").joinpath("contexts")
    manifest = json.loads(folder.joinpath("manifest.json").read_text(encoding="utf-8"))
    listed = {e["url"]: (e["file"], e["sha256"]) for e in manifest["contexts"]}
    assert listed == dict(PINNED_CONTEXTS)
    for name, digest in PINNED_CONTEXTS.values():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest
    assert all(e["source"] for e in manifest["contexts"])


def test_loader_serves_only_bundled_contexts() -> None:
    assert document_loader(CREDENTIALS_V2)["document"]["@context"]["@protected"] is True
    bundled_context(CREDENTIALS_V2)["@context"].clear()  # a copy: the bundle is unchanged
    assert bundled_context(CREDENTIALS_V2)["@context"]
    for url in [
        "https://www.w3.org/2018/credentials/v1",
        "http://www.w3.org/ns/credentials/v2",
        "",
    ]:
        assert _code(document_loader, url) == "context_not_allowed"


def test_nested_and_scoped_contexts_are_checked_too() -> None:
    check_contexts({"@context": [CREDENTIALS_V2, {"x": "https://x.example/x"}]})
    nested = {"@context": CREDENTIALS_V2, "a": {"@context": "https://evil.example/c"}}
    assert _code(check_contexts, nested) == "context_not_allowed"
    inline = {"@context": [CREDENTIALS_V2, {"@context": "https://evil.example/c"}]}
    assert _code(check_contexts, inline) == "context_not_allowed"
    assert _code(check_contexts, {"@context": 5}) == "context_not_allowed"
    # a scoped context inside an inline one is fetched by pyld through the loader: refused
    scoped = {
        "@context": [
            CREDENTIALS_V2,
            {"T": {"@id": "https://x.example/T", "@context": "https://evil.example/c"}},
        ],
        "type": "T",
    }
    assert _code(expand_safe, scoped) == "context_not_allowed"


# -- safe mode ---------------------------------------------------------------------------

DI = "https://w3id.org/security/data-integrity/v2"


def test_undefined_term_is_refused_not_dropped() -> None:
    # the Data Integrity context has no @vocab: `nickname` would vanish from the RDF
    assert _code(canonicalize_rdfc, {"@context": DI, "id": "urn:x:1", "nickname": "x"}) == (
        "jsonld_undefined_term"
    )


def test_relative_iris_are_refused() -> None:
    base = {"@context": [CREDENTIALS_V2], "type": ["VerifiableCredential"]}
    assert _code(canonicalize_rdfc, {**base, "id": "relative/id"}) == "jsonld_undefined_term"
    assert _code(canonicalize_rdfc, {**base, "issuer": "not-a-url"}) == "jsonld_undefined_term"
    ok = canonicalize_rdfc({**base, "id": "urn:uuid:1", "issuer": "did:example:1"})
    assert b"<did:example:1>" in ok


def test_vc_v2_has_no_vocab_so_undefined_terms_need_an_opt_in_context() -> None:
    # VCDM 2.0 final dropped the base context's @vocab (§5.2): undefined terms are refused
    doc = {"@context": [CREDENTIALS_V2], "id": "urn:x:1", "nickname": "x"}
    assert _code(canonicalize_rdfc, doc) == "jsonld_undefined_term"
    opt_in = {
        **doc,
        "@context": [CREDENTIALS_V2, "https://www.w3.org/ns/credentials/undefined-terms/v2"],
    }
    assert b"https://www.w3.org/ns/credentials/undefined-term#nickname" in canonicalize_rdfc(opt_in)


def test_too_many_blank_nodes_are_refused() -> None:
    doc = {
        "@context": [CREDENTIALS_V2, "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:x:1",
        "items": [{"n": i} for i in range(MAX_BLANK_NODES + 1)],
    }
    assert _code(canonicalize_rdfc, doc) == "jsonld_invalid"


def test_jsonld_errors_get_a_code() -> None:
    assert _code(canonicalize_rdfc, {"@context": [CREDENTIALS_V2], "@id": 5}) == "jsonld_invalid"
    assert _code(canonicalize_rdfc, {"@context": [CREDENTIALS_V2, {"id": "x"}]}) == "jsonld_invalid"


def test_jcs_is_rfc8785() -> None:
    assert canonicalize_jcs({"b": [1.0, "é"], "a": 1e21}) == '{"a":1e+21,"b":[1,"é"]}'.encode()
    assert _code(canonicalize_jcs, {"a": float("nan")}) == "malformed"


# -- Multikey ----------------------------------------------------------------------------


def test_multikey_round_trips_for_each_curve() -> None:
    keys = [
        MultikeyPublicKey(Curve.ED25519, ed25519.Ed25519PrivateKey.generate().public_key()),
        MultikeyPublicKey(Curve.P256, ec.generate_private_key(ec.SECP256R1()).public_key()),
        MultikeyPublicKey(Curve.P384, ec.generate_private_key(ec.SECP384R1()).public_key()),
    ]
    for key, prefix in zip(keys, ["z6Mk", "zDn", "z82"], strict=True):
        assert key.multibase.startswith(prefix)
        assert public_key_from_multibase(key.multibase) == key or (
            public_key_from_multibase(key.multibase).multibase == key.multibase
        )


def test_spec_multikeys_decode() -> None:
    # vc-di-eddsa §2.1.1 and vc-di-ecdsa §2.1.1 examples
    assert (
        public_key_from_multibase("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2").curve
        is Curve.ED25519
    )
    assert (
        public_key_from_multibase("zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv").curve
        is Curve.P256
    )


@pytest.mark.parametrize(
    "value",
    [
        "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",  # secp256k1-pub: not allowed
        "uAe0B",  # base64url multibase
        "z6Mk0OIl",  # outside the base58 alphabet
        multibase_encode(b"\xed\x01" + bytes(31)),  # Ed25519 key one byte short
        multibase_encode(b"\x80\x24" + b"\x02" + b"\xff" * 32),  # x beyond the field prime
        multibase_encode(b"\x80\x24" + b"\x04" + bytes(64)),  # uncompressed form
        5,
    ],
)
def test_bad_multikeys_are_refused(value: object) -> None:
    assert _code(public_key_from_multibase, value) == "invalid_key"


def test_jwk_methods() -> None:
    key = ec.generate_private_key(ec.SECP384R1()).public_key()
    numbers = key.public_numbers()
    import base64

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(48, "big")).rstrip(b"=").decode()

    jwk = {"kty": "EC", "crv": "P-384", "x": b64(numbers.x), "y": b64(numbers.y)}
    assert public_key_from_jwk(jwk).curve is Curve.P384
    assert _code(public_key_from_jwk, {**jwk, "d": "AA"}) == "invalid_key"
    assert _code(public_key_from_jwk, {**jwk, "crv": "P-521"}) == "invalid_key"
    assert _code(public_key_from_jwk, {**jwk, "y": b64(numbers.y + 1)}) == "invalid_key"


def test_multibase_decoding_keeps_leading_zeros() -> None:
    assert multibase_decode(multibase_encode(b"\0\0\x01")) == b"\0\0\x01"


# -- verification methods ----------------------------------------------------------------

ED = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_did_key_document_and_method() -> None:
    did = f"did:key:{ED}"
    doc = did_key_document(did)
    assert doc["assertionMethod"] == [f"{did}#{ED}"]
    method = resolve_did_key_method(f"{did}#{ED}", ProofPurpose.AUTHENTICATION)
    assert method.controller == did
    assert (
        _code(resolve_did_key_method, f"{did}#key-1", ProofPurpose.ASSERTION_METHOD)
        == "unknown_key"
    )
    assert _code(resolve_did_key_method, f"{did}", ProofPurpose.ASSERTION_METHOD) == "unknown_key"
    assert _code(resolve_did_key_method, "did:web:x.example#k", ProofPurpose.ASSERTION_METHOD) == (
        "unknown_key"
    )
    assert _code(did_key_document, "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme") == (
        "invalid_key"
    )


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "did:web:a.example",
        "verificationMethod": [
            {
                "id": "#k1",
                "type": "Multikey",
                "controller": "did:web:a.example",
                "publicKeyMultibase": ED,
            }
        ],
        "assertionMethod": ["#k1"],
        "authentication": [
            {
                "id": "did:web:a.example#k2",
                "type": "Multikey",
                "controller": "did:web:a.example",
                "publicKeyMultibase": ED,
            }
        ],
    }
    doc.update(changes)
    return doc


def test_method_from_document_checks_relationship_id_and_controller() -> None:
    assert (
        method_from_document(
            _doc(), "did:web:a.example#k1", ProofPurpose.ASSERTION_METHOD
        ).key.curve
        is Curve.ED25519
    )
    assert method_from_document(
        _doc(), "did:web:a.example#k2", ProofPurpose.AUTHENTICATION
    ).id.endswith("#k2")
    cases = [
        (_doc(), "did:web:a.example#k1", ProofPurpose.AUTHENTICATION, "unknown_key"),
        (_doc(), "did:web:a.example#k2", ProofPurpose.ASSERTION_METHOD, "unknown_key"),
        (
            _doc(id="did:web:b.example"),
            "did:web:a.example#k1",
            ProofPurpose.ASSERTION_METHOD,
            "did_invalid",
        ),
        (
            _doc(
                verificationMethod=[
                    {
                        "id": "#k1",
                        "type": "Multikey",
                        "controller": "did:web:evil.example",
                        "publicKeyMultibase": ED,
                    }
                ]
            ),
            "did:web:a.example#k1",
            ProofPurpose.ASSERTION_METHOD,
            "did_invalid",
        ),
        (
            _doc(
                verificationMethod=[
                    {
                        "id": "#k1",
                        "type": "Ed25519VerificationKey2020",
                        "controller": "did:web:a.example",
                        "publicKeyMultibase": ED,
                    }
                ]
            ),
            "did:web:a.example#k1",
            ProofPurpose.ASSERTION_METHOD,
            "invalid_key",
        ),
        ([], "did:web:a.example#k1", ProofPurpose.ASSERTION_METHOD, "did_invalid"),
    ]
    for document, method_id, purpose, code in cases:
        assert _code(method_from_document, document, method_id, purpose) == code, (
            method_id,
            purpose,
        )


# -- proofs ------------------------------------------------------------------------------


def _proof(**changes: Any) -> dict[str, Any]:
    proof: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "verificationMethod": f"did:key:{ED}#{ED}",
        "proofPurpose": "assertionMethod",
        "proofValue": "z" + "2" * 80,
    }
    proof.update(changes)
    return {k: v for k, v in proof.items() if v is not None}


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"@context": [CREDENTIALS_V2]},
        {"proof": "z123"},
        {"proof": [_proof(), _proof()]},
        {"proof": _proof(type=None)},
        {"proof": _proof(verificationMethod=None)},
        {"proof": _proof(proofPurpose=None)},
        {"proof": _proof(proofValue="uAAAA")},
        {"proof": _proof(proofValue=None)},
        {"proof": _proof(created="yesterday")},
        {"proof": _proof(expires="2026-13-01T00:00:00Z")},
        {"proof": _proof(domain=[])},
        {"proof": _proof(challenge=5)},
    ],
)
def test_malformed_proofs_are_refused(document: object) -> None:
    assert _code(parse_unverified, document) == "proof_invalid"


def _verify(document: object, **kwargs: Any) -> Any:
    return verify_proof(
        document,
        resolve_method=resolve_did_key_method,
        purpose=kwargs.pop("purpose", ProofPurpose.ASSERTION_METHOD),
        now=NOW,
        **kwargs,
    )


def test_cheap_checks_come_before_the_key() -> None:
    def no_resolver(method_id: str, purpose: ProofPurpose) -> Any:
        raise AssertionError("resolved a key for a proof that fails a cheap check")

    def verify(proof: dict[str, Any], **kwargs: Any) -> str:
        document = {"@context": [CREDENTIALS_V2], "proof": proof}
        return _code(
            verify_proof,
            document,
            resolve_method=no_resolver,
            purpose=kwargs.pop("purpose", ProofPurpose.ASSERTION_METHOD),
            now=NOW,
            **kwargs,
        )

    assert verify(_proof(type="Ed25519Signature2020")) == "cryptosuite_unsupported"
    assert verify(_proof(cryptosuite="bbs-2023")) == "cryptosuite_unsupported"
    assert verify(_proof(cryptosuite=None)) == "cryptosuite_unsupported"
    assert verify(_proof(proofPurpose="authentication")) == "proof_purpose_mismatch"
    assert verify(_proof(expires="2026-11-23T11:58:00Z")) == "proof_expired"
    assert verify(_proof(created="2026-11-23T12:02:00Z")) == "proof_not_yet_valid"
    auth = _proof(proofPurpose="authentication", challenge="a", domain=["x", "y"])
    assert verify(auth, purpose=ProofPurpose.AUTHENTICATION, challenge="b") == "nonce_mismatch"
    assert verify(auth, purpose=ProofPurpose.AUTHENTICATION, challenge="a", domain="x") == (
        "audience_mismatch"
    )
    no_challenge = _proof(proofPurpose="authentication")
    assert (
        verify(no_challenge, purpose=ProofPurpose.AUTHENTICATION, challenge="a") == "nonce_mismatch"
    )
    outside = {"@context": [CREDENTIALS_V2, "https://evil.example/v1"], "proof": _proof()}
    assert _code(_verify, outside) == "context_not_allowed"


def test_created_without_timezone_is_read_as_utc() -> None:
    assert parse_unverified(
        {"proof": _proof(created="2026-01-01T00:00:00")}
    ).proof.created == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("curve", list(Curve))
def test_did_web_multikey_methods_resolve_through_the_dids_module(curve: Curve) -> None:
    # the verifier resolves issuer keys with vcore.dids.key_from_did_document
    from tests.core.di_signer import generate
    from vcore.data_integrity.formats import multikey_of
    from vcore.dids import key_from_did_document

    _, public, _ = generate(curve)
    did = "did:web:issuer.example"
    method = {
        "id": f"{did}#k1",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": public.multibase,
    }
    document = {"id": did, "verificationMethod": [method], "assertionMethod": [f"{did}#k1"]}
    assert multikey_of(key_from_did_document(document, f"{did}#k1")).multibase == public.multibase
    assert (
        _code(key_from_did_document, {**document, "assertionMethod": []}, f"{did}#k1")
        == "unknown_key"
    )
