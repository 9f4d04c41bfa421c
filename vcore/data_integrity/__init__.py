"""W3C Verifiable Credential Data Integrity 1.0: verify ``DataIntegrityProof`` documents.

Pure: canonicalization, hashing and signature checks only. Verification methods come
from a caller-supplied :data:`MethodResolver` (did:key is resolved offline by
:func:`resolve_did_key_method`; did:web documents are the app's to fetch and are read
with :func:`method_from_document`). JSON-LD contexts come only from the bundled,
hash-pinned set in :mod:`vcore.data_integrity.contexts`; nothing is ever fetched.

Modules: ``contexts`` (bundled contexts, the document loader), ``canonical`` (RDFC-1.0
via pyld in safe mode, JCS via rfc8785), ``multikey`` (keys, multibase), ``methods``
(verification methods, did:key documents), ``cryptosuites`` (the four suites and their
registry), ``proofs`` (parse unverified, verify).
"""

from vcore.data_integrity.contexts import PINNED_CONTEXTS, check_contexts
from vcore.data_integrity.cryptosuites import Cryptosuite, cryptosuite_for, cryptosuites
from vcore.data_integrity.methods import (
    MethodResolver,
    ProofPurpose,
    VerificationMethod,
    did_key_document,
    method_from_document,
    resolve_did_key_method,
)
from vcore.data_integrity.multikey import Curve, MultikeyPublicKey, public_key_from_multibase
from vcore.data_integrity.proofs import (
    UnverifiedProof,
    UnverifiedSecuredDocument,
    VerifiedDocument,
    parse_unverified,
    verify_proof,
)

__all__ = [
    "PINNED_CONTEXTS",
    "Cryptosuite",
    "Curve",
    "MethodResolver",
    "MultikeyPublicKey",
    "ProofPurpose",
    "UnverifiedProof",
    "UnverifiedSecuredDocument",
    "VerificationMethod",
    "VerifiedDocument",
    "check_contexts",
    "cryptosuite_for",
    "cryptosuites",
    "did_key_document",
    "method_from_document",
    "parse_unverified",
    "public_key_from_multibase",
    "resolve_did_key_method",
    "verify_proof",
]
