"""Errors of Data Integrity proofs and their JSON-LD processing."""

from __future__ import annotations

from vcore.errors.base import MalformedError, TrustIDError

__all__ = [
    "ContextNotAllowedError",
    "CryptosuiteUnsupportedError",
    "DataIntegrityError",
    "JSONLDError",
    "ProofPurposeMismatchError",
    "UndefinedTermError",
]


class DataIntegrityError(MalformedError):
    """A Data Integrity proof or document cannot be processed (PROOF_VERIFICATION_ERROR)."""

    code = "proof_invalid"
    title = "Invalid Data Integrity proof"


class CryptosuiteUnsupportedError(DataIntegrityError):
    """The proof's ``type``/``cryptosuite`` is not one this verifier implements."""

    code = "cryptosuite_unsupported"
    title = "Cryptosuite not supported"


class ContextNotAllowedError(DataIntegrityError):
    """A JSON-LD ``@context`` outside the bundled, hash-pinned set (never fetched)."""

    code = "context_not_allowed"
    title = "JSON-LD context not allowed"


class JSONLDError(DataIntegrityError):
    """JSON-LD processing of the document failed (expansion, toRdf, canonicalization)."""

    code = "jsonld_invalid"
    title = "Invalid JSON-LD"


class UndefinedTermError(JSONLDError):
    """JSON-LD would drop a term or IRI silently (jsonld.js "safe mode" refuses it too)."""

    code = "jsonld_undefined_term"
    title = "JSON-LD term not defined by the contexts"


class ProofPurposeMismatchError(TrustIDError):
    """The proof's ``proofPurpose`` is not the one the verifier expects (VC-DI §4.4)."""

    code = "proof_purpose_mismatch"
    title = "Proof purpose does not match"
