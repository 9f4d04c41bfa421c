"""Data Integrity proofs: read them unverified, then verify them (VC-DI 1.0 §2.1, §4.4).

:func:`parse_unverified` reads a secured document and its ``proof`` without checking
anything cryptographic (the result says ``Unverified``); :func:`verify_proof` runs the
Verify Proof algorithm of VC-DI §4.4 in this order, so nothing is resolved for a proof
that fails a cheap check (:func:`check_proof_times` and :func:`verify_proof_signature`
are its two halves, for pipelines that check times in a step of their own):

0. ``created`` is not in the future and ``expires`` not in the past (60 s leeway);
1. every ``@context`` is in the bundled set (``context_not_allowed``), JCS included;
2. the proof has ``type``, ``cryptosuite``, ``verificationMethod``, ``proofPurpose``
   and a multibase base58btc ``proofValue`` (PROOF_VERIFICATION_ERROR otherwise);
3. ``proofPurpose`` is the expected one (``assertionMethod`` for credentials,
   ``authentication`` for presentations);
4. ``domain`` and ``challenge`` match what the verifier asked for (INVALID_DOMAIN_ERROR,
   INVALID_CHALLENGE_ERROR; reported as ``audience_mismatch`` / ``nonce_mismatch`` like
   the other presentation formats);
5. the cryptosuite is registered; the verification method is resolved for the purpose;
   the cryptosuite verifies the signature over the canonical forms.

One proof per document: a proof set or chain (a list of proofs) is refused unless it
holds a single proof, because accepting "one of several" proofs would need a policy for
which signer counts (VC-DI §4.5 leaves it to the application).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vcore.data_integrity.contexts import check_contexts
from vcore.data_integrity.cryptosuites import cryptosuite_for
from vcore.data_integrity.methods import MethodResolver, ProofPurpose, VerificationMethod
from vcore.data_integrity.multikey import multibase_decode
from vcore.errors import (
    AudienceMismatchError,
    CryptosuiteUnsupportedError,
    DataIntegrityError,
    MalformedError,
    NonceMismatchError,
    ProofExpiredError,
    ProofNotYetValidError,
    ProofPurposeMismatchError,
)

__all__ = [
    "DEFAULT_PROOF_LEEWAY",
    "UnverifiedProof",
    "UnverifiedSecuredDocument",
    "VerifiedDocument",
    "check_proof_times",
    "parse_unverified",
    "verify_proof",
    "verify_proof_signature",
]

DEFAULT_PROOF_LEEWAY = timedelta(seconds=60)
"""Clock skew allowed for ``created`` and ``expires``."""

_XSD_DATETIME = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"
)
_MAX_TEXT = 2048


def _datetime(value: object, name: str) -> datetime | None:
    """An xsd:dateTime (XMLSCHEMA11-2 §3.3.7); without a timezone it is read as UTC."""
    if value is None:
        return None
    if not isinstance(value, str) or not _XSD_DATETIME.fullmatch(value):
        raise DataIntegrityError(f"proof {name} is not an XML Schema dateTime")
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise DataIntegrityError(f"proof {name} is not an XML Schema dateTime") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _required(proof: Mapping[str, Any], name: str) -> str:
    value = proof.get(name)
    if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
        raise DataIntegrityError(f"proof {name} must be a non-empty string")
    return value


def _optional(proof: Mapping[str, Any], name: str) -> str | None:
    return None if proof.get(name) is None else _required(proof, name)


@dataclass(frozen=True)
class UnverifiedProof:
    """A proof as written, before anything about it is checked.

    Attributes:
        type: ``type`` (``DataIntegrityProof`` for the suites here).
        cryptosuite: ``cryptosuite``.
        verification_method: ``verificationMethod`` (a URL).
        proof_purpose: ``proofPurpose`` as written.
        created: ``created``, if any.
        expires: ``expires``, if any.
        challenge: ``challenge``, if any.
        domain: ``domain`` as a tuple (a single string becomes one entry).
        proof_value: The decoded ``proofValue`` bytes.
        options: The proof without ``proofValue`` (the proof options that are hashed).
    """

    type: str
    cryptosuite: str | None
    verification_method: str
    proof_purpose: str
    created: datetime | None
    expires: datetime | None
    challenge: str | None
    domain: tuple[str, ...]
    proof_value: bytes
    options: Mapping[str, Any]


@dataclass(frozen=True)
class UnverifiedSecuredDocument:
    """A secured document split into the document and its proof, nothing checked yet.

    Attributes:
        unsecured: The document without ``proof``.
        proof: The one proof.
    """

    unsecured: Mapping[str, Any]
    proof: UnverifiedProof


@dataclass(frozen=True)
class VerifiedDocument:
    """A document whose proof verified.

    Attributes:
        document: The verified document without ``proof`` (for JCS with a proof
            ``@context``, the ``@context`` that was signed).
        proof: The proof that verified.
        method: The verification method whose key verified it.
    """

    document: Mapping[str, Any]
    proof: UnverifiedProof
    method: VerificationMethod


def _parse_proof(proof: Mapping[str, Any]) -> UnverifiedProof:
    proof_type = _required(proof, "type")
    method = _required(proof, "verificationMethod")
    purpose = _required(proof, "proofPurpose")
    cryptosuite = _optional(proof, "cryptosuite")
    domain = proof.get("domain")
    if domain is None:
        domains: tuple[str, ...] = ()
    elif isinstance(domain, str) and domain:
        domains = (domain,)
    elif isinstance(domain, list) and domain and all(isinstance(d, str) and d for d in domain):
        domains = tuple(domain)
    else:
        raise DataIntegrityError("proof domain must be a string or a list of strings")
    try:
        value = multibase_decode(proof.get("proofValue"), what="proofValue")
    except MalformedError as exc:
        raise DataIntegrityError(exc.detail) from exc
    return UnverifiedProof(
        type=proof_type,
        cryptosuite=cryptosuite,
        verification_method=method,
        proof_purpose=purpose,
        created=_datetime(proof.get("created"), "created"),
        expires=_datetime(proof.get("expires"), "expires"),
        challenge=_optional(proof, "challenge"),
        domain=domains,
        proof_value=value,
        options={k: v for k, v in proof.items() if k != "proofValue"},
    )


def parse_unverified(document: object) -> UnverifiedSecuredDocument:
    """Split a secured document into the document and its proof, checking no signature.

    Raises:
        DataIntegrityError: not an object with one proof object, or a malformed proof.
    """
    if not isinstance(document, Mapping):
        raise DataIntegrityError("a Data Integrity secured document must be a JSON object")
    proof = document.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise DataIntegrityError(
                "proof sets and chains are not accepted: the document must carry one proof"
            )
        proof = proof[0]
    if not isinstance(proof, Mapping):
        raise DataIntegrityError("the document has no proof object")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return UnverifiedSecuredDocument(unsecured=unsecured, proof=_parse_proof(proof))


def check_proof_times(
    proof: UnverifiedProof, now: datetime, leeway: timedelta = DEFAULT_PROOF_LEEWAY
) -> None:
    """``created`` not in the future and ``expires`` not in the past (VC-DI §2.1).

    Raises:
        ProofNotYetValidError: created after ``now`` + ``leeway``.
        ProofExpiredError: expired before ``now`` - ``leeway``.
    """
    if proof.created is not None and proof.created > now + leeway:
        raise ProofNotYetValidError("the proof was created in the future")
    if proof.expires is not None and proof.expires < now - leeway:
        raise ProofExpiredError("the proof has expired")


def verify_proof_signature(
    document: object,
    *,
    resolve_method: MethodResolver,
    purpose: ProofPurpose,
    challenge: str | None = None,
    domain: str | list[str] | None = None,
) -> VerifiedDocument:
    """:func:`verify_proof` without the time checks, for pipelines that run them apart.

    A caller must also run :func:`check_proof_times` (as the ``ldp_vc`` format's
    ``check_times`` does); the arguments and errors are those of :func:`verify_proof`.
    """
    secured = parse_unverified(document)
    # Every suite, JCS too: what a JCS document means still comes from its contexts, and a
    # context appended after signing would pass the JCS prefix rule (VC-DI §2.4.1).
    check_contexts(document)
    proof = secured.proof
    if proof.proof_purpose != purpose.value:
        raise ProofPurposeMismatchError(
            f"proofPurpose is {proof.proof_purpose[:40]!r}, expected {purpose.value!r}"
        )
    if domain is not None:
        expected = {domain} if isinstance(domain, str) else set(domain)
        if set(proof.domain) != expected:
            raise AudienceMismatchError("the proof's domain is not this verifier's domain")
    if challenge is not None and proof.challenge != challenge:
        raise NonceMismatchError("the proof's challenge is not the challenge that was issued")
    if proof.type != "DataIntegrityProof":
        raise CryptosuiteUnsupportedError(
            f"proof type {proof.type[:60]!r} is not supported (only DataIntegrityProof)"
        )
    suite = cryptosuite_for(proof.cryptosuite)
    method = resolve_method(proof.verification_method, purpose)
    if method.id != proof.verification_method:
        raise DataIntegrityError("the resolver returned another verification method")
    verified = suite.verify_proof(secured.unsecured, proof.options, proof.proof_value, method.key)
    return VerifiedDocument(document=verified, proof=proof, method=method)


def verify_proof(
    document: object,
    *,
    resolve_method: MethodResolver,
    purpose: ProofPurpose,
    now: datetime,
    challenge: str | None = None,
    domain: str | list[str] | None = None,
    leeway: timedelta = DEFAULT_PROOF_LEEWAY,
) -> VerifiedDocument:
    """Verify the Data Integrity proof of a secured document (VC-DI 1.0 §4.4).

    Args:
        document: The secured document (a JSON object with ``proof``).
        resolve_method: Gives the verification method for ``(URL, purpose)``; must check
            that the method is listed under that relationship of its controller.
        purpose: The expected ``proofPurpose``.
        now: The current time (aware).
        challenge: The challenge the verifier issued, if any; then the proof must carry
            exactly it.
        domain: The domain(s) the verifier expects, if any; then the proof's domain set
            must be the same set.
        leeway: Clock skew allowed for ``created`` / ``expires``.

    Raises:
        DataIntegrityError: a malformed proof (and its subclasses: purpose, times,
            cryptosuite, contexts, JSON-LD).
        NonceMismatchError: the challenge does not match.
        AudienceMismatchError: the domain does not match.
        UnknownKeyError, DIDError, InvalidKeyError: from resolving the method.
        AlgorithmNotAllowedError: the key's curve does not fit the cryptosuite.
        BadSignatureError: the signature does not verify.
    """
    check_proof_times(parse_unverified(document).proof, now, leeway)
    return verify_proof_signature(
        document, resolve_method=resolve_method, purpose=purpose, challenge=challenge, domain=domain
    )
