"""Data Integrity as registered formats: ``ldp_vc`` (credentials) and ``ldp_vp`` (presentations).

A Data Integrity document is secured in place (a JSON object with ``proof``), so neither
format has an envelope media type; the registry recognises them by a
``DataIntegrityProof`` whose ``cryptosuite`` is registered (:mod:`.cryptosuites`).

Credentials (``ldp_vc``, verify only; DESIGN §6):

* ``parse_unverified``: ``@context`` starts with VC 2.0 and every context is bundled
  (``context_not_allowed`` otherwise, before anything else is read), one proof, and the
  normalised VC 2.0 view (``issuer`` as its id, ``type`` as a list);
* ``issuer_key_id``: the proof's ``verificationMethod``, which must be a DID URL of the
  issuer DID itself (:func:`vcore.formats.binding.issuer_key_id`): the app resolves it
  with its usual DID resolution (did:key offline, did:web through its guarded fetch),
  listed under ``assertionMethod``;
* ``verify_signature``: :func:`~.proofs.verify_proof_signature` with ``assertionMethod``;
* ``check_times``: the proof's ``created`` / ``expires``.

Presentations (``ldp_vp``): ``proofPurpose`` ``authentication``, ``challenge`` = the
verifier's nonce, ``domain`` = its audience, signed by a verification method of the
``holder`` (the holder is the signer's DID when the presentation names none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from vcore.credentials import VC2_CONTEXT
from vcore.data_integrity.contexts import check_contexts
from vcore.data_integrity.methods import ProofPurpose, VerificationMethod
from vcore.data_integrity.multikey import Curve, MultikeyPublicKey
from vcore.data_integrity.proofs import (
    check_proof_times,
    parse_unverified,
    verify_proof_signature,
)
from vcore.dids import parse_did_url
from vcore.errors import (
    AlgorithmNotAllowedError,
    FormatNotSupportedError,
    HolderBindingError,
    MalformedError,
    TrustIDError,
)
from vcore.formats.binding import check_subject_is_holder, issuer_key_id
from vcore.formats.protocols import HolderKeyResolver
from vcore.formats.registry import (
    detect,
    register_credential_format,
    register_presentation_format,
)
from vcore.formats.secured import Recognition, SecuredCredential, SecuredPresentation
from vcore.jsontext import dumps_compact
from vcore.keys import PublicKey
from vcore.presentations import MAX_PRESENTATION_SIZE, check_freshness, presented_credentials
from vcore.signing import Signer
from vcore.vcdm import check_credential, check_presentation

__all__ = [
    "LDP_VC",
    "LDP_VP",
    "DataIntegrityCredentialFormat",
    "DataIntegrityPresentation",
    "DataIntegrityPresentationFormat",
    "multikey_of",
]

_MAX_CREDENTIAL = 256 * 1024  # a JSON-LD credential; RDFC of more is a denial of service


def multikey_of(key: PublicKey) -> MultikeyPublicKey:
    """The app-resolved key as a Multikey (its curve decides the cryptosuite fit).

    Raises:
        AlgorithmNotAllowedError: not an Ed25519, P-256 or P-384 key.
    """
    raw = key.key
    if isinstance(raw, ed25519.Ed25519PublicKey):
        return MultikeyPublicKey(Curve.ED25519, raw)
    if isinstance(raw, ec.EllipticCurvePublicKey):
        if isinstance(raw.curve, ec.SECP256R1):
            return MultikeyPublicKey(Curve.P256, raw)
        if isinstance(raw.curve, ec.SECP384R1):
            return MultikeyPublicKey(Curve.P384, raw)
    raise AlgorithmNotAllowedError(
        "Data Integrity cryptosuites here take Ed25519, P-256 or P-384 keys only"
    )


def _resolved(key: PublicKey, controller: str) -> Any:
    def resolve(method_id: str, purpose: ProofPurpose) -> VerificationMethod:
        del purpose  # the app's resolver checked the relationship when it fetched the key
        return VerificationMethod(id=method_id, controller=controller, key=multikey_of(key))

    return resolve


def _recognise(value: object, kind: str) -> Recognition:
    if not isinstance(value, Mapping) or "proof" not in value:
        return Recognition.NO
    proofs = value["proof"] if isinstance(value["proof"], list) else [value["proof"]]
    types = value.get("type")
    types = types if isinstance(types, list) else [types]
    if kind not in types:
        return Recognition.NO
    for proof in proofs:
        if isinstance(proof, Mapping) and proof.get("type") == "DataIntegrityProof":
            return Recognition.CERTAIN
    return Recognition.NO


def _check_context(document: Mapping[str, Any]) -> None:
    contexts = document.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first != VC2_CONTEXT:
        raise MalformedError(f"@context must start with {VC2_CONTEXT}")
    check_contexts(document)


def _id_of(value: object, what: str) -> str:
    if isinstance(value, Mapping):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise MalformedError(f"{what} must be a URL string or an object with an id")
    return value


def _token(value: Mapping[str, Any], limit: int) -> str:
    token = dumps_compact(dict(value))
    if len(token) > limit:
        raise MalformedError(f"a Data Integrity document may be at most {limit} bytes")
    return token


@dataclass(frozen=True)
class DataIntegrityPresentation(SecuredPresentation):
    """A :class:`SecuredPresentation` secured with a Data Integrity proof.

    Attributes:
        secured: The presentation exactly as received (with its ``proof``).
    """

    secured: Mapping[str, Any] | None = None


class DataIntegrityCredentialFormat:
    """``ldp_vc``: a VC 2.0 credential secured with a ``DataIntegrityProof`` (verify only)."""

    key = "ldp_vc"
    media_types: tuple[str, ...] = ()

    def recognise(self, value: object) -> Recognition:
        """Certain for a ``VerifiableCredential`` object with a ``DataIntegrityProof``."""
        return _recognise(value, "VerifiableCredential")

    def parse_unverified(self, value: object) -> SecuredCredential:
        """Read the credential and its proof, checking no signature.

        Raises:
            MalformedError: not a VC 2.0 credential with one Data Integrity proof;
                ``context_not_allowed`` for a context outside the bundled set.
        """
        if not isinstance(value, Mapping):
            raise MalformedError("a Data Integrity credential is a JSON object")
        token = _token(value, _MAX_CREDENTIAL)
        _check_context(value)
        secured = parse_unverified(value)
        # The VCDM 2.0 rules on the document (vcore.vcdm); the code names the rule.
        check_credential(value)
        credential = dict(secured.unsecured)
        credential["issuer"] = _id_of(credential.get("issuer"), "issuer")
        types = credential.get("type")
        credential["type"] = [types] if isinstance(types, str) else types
        if (
            not isinstance(credential["type"], list)
            or "VerifiableCredential" not in credential["type"]
        ):
            raise MalformedError("type must include VerifiableCredential")
        subject = credential.get("credentialSubject")
        subjects = subject if isinstance(subject, list) else [subject]
        if not subjects or not all(isinstance(s, Mapping) for s in subjects):
            raise MalformedError(
                "credentialSubject must be an object or a non-empty list of objects"
            )
        proof = secured.proof
        return SecuredCredential(
            format=self.key,
            credential=credential,
            token=token,
            key_id=proof.verification_method,
            alg=proof.cryptosuite or proof.type,
            header=dict(proof.options),
            claims=dict(secured.unsecured),
            secured=dict(value),
        )

    def issuer_key_id(self, credential: SecuredCredential) -> str:
        """The ``verificationMethod``, a DID URL of the issuer's own DID.

        Raises:
            IssuerMismatchError: a method of another DID.
            UnknownKeyError: not a DID URL with a fragment.
        """
        return issuer_key_id(credential.issuer, credential.key_id)

    def verify_signature(self, credential: SecuredCredential, key: PublicKey) -> None:
        """Verify the proof (purpose ``assertionMethod``) with the resolved key.

        Raises:
            AlgorithmNotAllowedError: the key's curve does not fit the cryptosuite.
            BadSignatureError: the proof does not verify.
            MalformedError: proof, context or JSON-LD problems (with their codes).
            ProofPurposeMismatchError: not an ``assertionMethod`` proof.
        """
        controller = parse_did_url(credential.key_id).did
        verify_proof_signature(
            credential.secured,
            resolve_method=_resolved(key, controller),
            purpose=ProofPurpose.ASSERTION_METHOD,
        )

    def check_times(self, credential: SecuredCredential, now: datetime) -> None:
        """The proof's ``created`` (not in the future) and ``expires`` (not past).

        Raises:
            ProofExpiredError, ProofNotYetValidError: outside the proof's window.
        """
        check_proof_times(parse_unverified(credential.secured).proof, now)

    def check_holder_binding(self, credential: SecuredCredential, holder: str) -> None:
        """The subject id must be the presenting holder.

        Raises:
            HolderBindingError, DIDError.
        """
        check_subject_is_holder(credential, holder)

    def sign(self, credential: Mapping[str, Any], signer: Signer) -> str:
        """Not offered: the services verify Data Integrity credentials, they issue JWTs.

        Raises:
            FormatNotSupportedError: always.
        """
        raise FormatNotSupportedError("ldp_vc is verify-only here; issue vc+jwt or jwt_vc_json")


class DataIntegrityPresentationFormat:
    """``ldp_vp``: a VC 2.0 presentation secured with a ``DataIntegrityProof``."""

    key = "ldp_vp"
    media_types: tuple[str, ...] = ()

    def recognise(self, value: object) -> Recognition:
        """Certain for a ``VerifiablePresentation`` object with a ``DataIntegrityProof``."""
        return _recognise(value, "VerifiablePresentation")

    def parse_unverified(self, value: object) -> SecuredPresentation:
        """Read the presentation, its proof and the credentials inside, checking no signature.

        Raises:
            MalformedError: not a VC 2.0 presentation with one Data Integrity proof, an
                empty ``verifiableCredential`` list, or a credential no registered format
                reads (no ``verifiableCredential`` at all is a holder proof).
        """
        if not isinstance(value, Mapping):
            raise MalformedError("a Data Integrity presentation is a JSON object")
        token = _token(value, MAX_PRESENTATION_SIZE)
        _check_context(value)
        secured = parse_unverified(value)
        # The VCDM 2.0 rules for presentations (vcore.vcdm, §4.13); the code names the rule.
        check_presentation(value)
        proof = secured.proof
        holder_value = secured.unsecured.get("holder")
        if holder_value is None:
            try:
                holder = parse_did_url(proof.verification_method).did
            except TrustIDError as exc:
                raise MalformedError("presentation names no holder and no DID signed it") from exc
        else:
            holder = _id_of(holder_value, "holder")
        items = presented_credentials(secured.unsecured.get("verifiableCredential"))
        for item in items:  # none: a holder proof
            detect(item)  # refuse unreadable items with the presentation
        return DataIntegrityPresentation(
            format=self.key,
            holder=holder,
            credentials=items,
            token=token,
            key_id=proof.verification_method,
            alg=proof.cryptosuite or proof.type,
            header=dict(proof.options),
            claims=dict(secured.unsecured),
            presentation={**secured.unsecured, "holder": holder},
            secured=dict(value),
        )

    def verify(
        self,
        presentation: SecuredPresentation,
        *,
        nonce: str,
        audience: str,
        now: datetime,
        key_for: HolderKeyResolver,
        require_issued_at: bool = True,
    ) -> dict[str, Any]:
        """Holder's method, proof purpose, challenge, domain, freshness, then the signature.

        The proof's ``created`` is optional in Data Integrity: when present it is held to
        the replay window; ``require_issued_at`` does not make it mandatory (the
        challenge, single-use or the caller's, carries freshness then).

        Raises:
            HolderBindingError: not signed by a verification method of the holder.
            ProofPurposeMismatchError: not an ``authentication`` proof.
            NonceMismatchError, AudienceMismatchError: challenge or domain mismatch.
            ExpiredError, NotYetValidError: made outside the accepted window.
            AlgorithmNotAllowedError, BadSignatureError, MalformedError: proof problems.
        """
        del require_issued_at  # see above: ``created`` stays optional
        secured = getattr(presentation, "secured", None)
        method_id = presentation.key_id
        if not isinstance(secured, Mapping) or method_id is None:
            raise MalformedError("not a Data Integrity presentation")
        if parse_did_url(method_id).did != presentation.holder:
            raise HolderBindingError("presentation is not signed by the holder's own key")
        proof = parse_unverified(secured).proof
        check_proof_times(proof, now)
        if proof.created is not None:
            check_freshness(proof.created, now)
        key = key_for(method_id)
        verified = verify_proof_signature(
            secured,
            resolve_method=_resolved(key, presentation.holder),
            purpose=ProofPurpose.AUTHENTICATION,
            challenge=nonce,
            domain=audience,
        )
        return dict(verified.document)


LDP_VC = register_credential_format(DataIntegrityCredentialFormat())
"""The registered ``ldp_vc`` format."""
LDP_VP = register_presentation_format(DataIntegrityPresentationFormat())
"""The registered ``ldp_vp`` format."""
