"""A test-only Data Integrity signer (the services verify Data Integrity, they never sign it).

Signs with vcore's own hashing (``HashThenSignSuite.hash_data``), so it proves nothing about
interoperability on its own: the Node counterparty (di_node.py) does that. It lets the
fuzz tests start from valid documents without Node.
"""

from __future__ import annotations

import copy
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from vcore.data_integrity.cryptosuites import cryptosuite_for
from vcore.data_integrity.multikey import Curve, MultikeyPublicKey, multibase_encode

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


def generate(curve: Curve) -> tuple[PrivateKey, MultikeyPublicKey, str]:
    """A fresh key, its Multikey and its did:key method id."""
    private: PrivateKey
    if curve is Curve.ED25519:
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        private = ec.generate_private_key(ec.SECP256R1() if curve is Curve.P256 else ec.SECP384R1())
    public = MultikeyPublicKey(curve, private.public_key())
    did = f"did:key:{public.multibase}"
    return private, public, f"{did}#{public.multibase}"


def sign(
    document: dict[str, Any], private: PrivateKey, method_id: str, suite: str, **proof: Any
) -> dict[str, Any]:
    """``document`` with a DataIntegrityProof of ``suite`` made with ``private``."""
    options: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": suite,
        "created": "2026-01-01T00:00:00Z",
        "verificationMethod": method_id,
        "proofPurpose": "assertionMethod",
        **proof,
    }
    if "jcs" in suite and "@context" in document:
        options["@context"] = document["@context"]
    if isinstance(private, ed25519.Ed25519PrivateKey):
        curve = Curve.ED25519
    else:
        curve = Curve.P256 if isinstance(private.curve, ec.SECP256R1) else Curve.P384
    _, data = cryptosuite_for(suite).hash_data(document, options, curve)
    if isinstance(private, ed25519.Ed25519PrivateKey):
        signature = private.sign(data)
    else:
        size = 32 if curve is Curve.P256 else 48
        digest = hashes.SHA256() if curve is Curve.P256 else hashes.SHA384()
        r, s = decode_dss_signature(private.sign(data, ec.ECDSA(digest)))
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return {
        **copy.deepcopy(document),
        "proof": {**options, "proofValue": multibase_encode(signature)},
    }
