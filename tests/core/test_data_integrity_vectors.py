"""The vc-di-eddsa and vc-di-ecdsa specs' own test vectors (valid and tampered).

The vectors are the specs' data (w3c/vc-di-eddsa and w3c/vc-di-ecdsa ``TestVectors/``), not
copied into this repo: they are read from the team's shared vector set
(``shared/vectors/w3c-vc-di-eddsa/TestVectors``, ``shared/vectors/w3c-vc-di-ecdsa/TestVectors``)
or from ``TRUSTID_DI_VECTORS`` (a folder holding those two), and the tests skip with a
message where neither is present.
"""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_VECTORS
from vcore.data_integrity import ProofPurpose, resolve_did_key_method, verify_proof
from vcore.data_integrity.canonical import canonicalize_jcs, canonicalize_rdfc
from vcore.errors import TrustIDError

NOW = datetime(2024, 6, 1, tzinfo=UTC)  # after every vector's `created`

# (spec folder, vector file, canonical document file, canonical proof config file)
VALID = [
    ("eddsa", "eddsa-rdfc-2022/signedDataInt.json", "canonDocDataInt.txt", "proofCanonDataInt.txt"),
    ("eddsa", "eddsa-jcs-2022/signedJCS.json", "canonDocJCS.txt", "proofCanonJCS.txt"),
    (
        "ecdsa",
        "ecdsa-rdfc-2019-p256/signedECDSAP256.json",
        "canonDocECDSAP256.txt",
        "proofCanonECDSAP256.txt",
    ),
    (
        "ecdsa",
        "ecdsa-rdfc-2019-p384/signedECDSAP384.json",
        "canonDocECDSAP384.txt",
        "proofCanonECDSAP384.txt",
    ),
    (
        "ecdsa",
        "ecdsa-jcs-2019-p256/signedJCSECDSAP256.json",
        "canonDocJCSECDSAP256.txt",
        "proofCanonJCSECDSAP256.txt",
    ),
    (
        "ecdsa",
        "ecdsa-jcs-2019-p384/signedJCSECDSAP384.json",
        "canonDocJCSECDSAP384.txt",
        "proofCanonJCSECDSAP384.txt",
    ),
]
# the "employ" vectors use https://w3id.org/citizenship/v4rc1, outside the bundled set
OUTSIDE_SET = [
    ("eddsa", "eddsa-rdfc-2022/employ/signedDataInt.json"),
    ("ecdsa", "ecdsa-rdfc-2019-p256/employ/signedECDSAP256.json"),
    ("ecdsa", "ecdsa-rdfc-2019-p384/employ/signedECDSAP384.json"),
]


def _root(spec: str) -> Path:
    candidates = [SHARED_VECTORS / f"w3c-vc-di-{spec}" / "TestVectors"]
    if os.environ.get("TRUSTID_DI_VECTORS"):
        candidates.insert(
            0, Path(os.environ["TRUSTID_DI_VECTORS"]) / f"w3c-vc-di-{spec}" / "TestVectors"
        )
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    pytest.skip(
        f"the vc-di-{spec} spec vectors are not here: put w3c/vc-di-{spec} TestVectors/ in "
        f"shared/vectors/w3c-vc-di-{spec}/ or point TRUSTID_DI_VECTORS at a folder holding it"
    )


def _load(spec: str, name: str) -> Any:
    return json.loads((_root(spec) / name).read_text(encoding="utf-8"))


def _verify(document: object) -> Any:
    return verify_proof(
        document,
        resolve_method=resolve_did_key_method,
        purpose=ProofPurpose.ASSERTION_METHOD,
        now=NOW,
    )


@pytest.mark.parametrize(("spec", "name", "canon_doc", "canon_proof"), VALID)
def test_spec_vector_verifies_and_canonical_forms_match(
    spec: str, name: str, canon_doc: str, canon_proof: str
) -> None:
    signed = _load(spec, name)
    folder = _root(spec) / Path(name).parent
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    config = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    if "rdfc" in name:
        assert canonicalize_rdfc(unsecured).decode() == (folder / canon_doc).read_text(
            encoding="utf-8"
        )
        config["@context"] = unsecured["@context"]
        assert canonicalize_rdfc(config).decode() == (folder / canon_proof).read_text(
            encoding="utf-8"
        )
    else:
        assert (
            canonicalize_jcs(unsecured).decode()
            == (folder / canon_doc).read_text(encoding="utf-8").strip()
        )
        assert (
            canonicalize_jcs(config).decode()
            == (folder / canon_proof).read_text(encoding="utf-8").strip()
        )
    assert _verify(signed).document == unsecured


@pytest.mark.parametrize(("spec", "name", "canon_doc", "canon_proof"), VALID)
def test_tampered_spec_vector_is_refused(
    spec: str, name: str, canon_doc: str, canon_proof: str
) -> None:
    signed = _load(spec, name)
    claim = copy.deepcopy(signed)
    claim["credentialSubject"]["alumniOf"] = "The School of Forgery"
    created = copy.deepcopy(signed)
    created["proof"]["created"] = "2023-02-24T23:36:39Z"
    for tampered in (claim, created):
        with pytest.raises(TrustIDError) as caught:
            _verify(tampered)
        assert caught.value.code == "bad_signature"


@pytest.mark.parametrize(("spec", "name"), OUTSIDE_SET)
def test_spec_vector_with_unbundled_context_is_refused(spec: str, name: str) -> None:
    with pytest.raises(TrustIDError) as caught:
        _verify(_load(spec, name))
    assert caught.value.code == "context_not_allowed"
