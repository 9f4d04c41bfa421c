"""Error types with stable string codes.

Every failure the core reports is a :class:`TrustIDError` carrying a ``code`` that
outside tools rely on (DESIGN §3). Third-party exceptions (PyJWT, cryptography, zlib)
are translated at the boundary with ``raise ... from exc``.

Tree::

    TrustIDError (VCError)                   code
    ├── MalformedError                        malformed
    │   ├── TokenTooLargeError                too_large
    │   ├── HeaderNotAllowedError             header_not_allowed
    │   ├── EnvelopeError                     envelope_invalid
    │   ├── FormatNotSupportedError           format_unsupported
    │   ├── ClaimNotAllowedError              claim_not_allowed
    │   ├── DataIntegrityError                proof_invalid
    │   │   ├── CryptosuiteUnsupportedError   cryptosuite_unsupported
    │   │   ├── ContextNotAllowedError        context_not_allowed
    │   │   └── JSONLDError                   jsonld_invalid
    │   │       └── UndefinedTermError        jsonld_undefined_term
    │   └── DataModelError                    vcdm_invalid   (VCDM 2.0, vcore.vcdm)
    │       ├── VcdmContextError              vcdm_context            §4.3
    │       ├── VcdmTermRedefinedError        vcdm_term_redefined     §4.3, §5.2
    │       ├── VcdmIdentifierError           vcdm_identifier         §4.4
    │       ├── VcdmTypeError                 vcdm_type               §4.5
    │       ├── VcdmLanguageValueError        vcdm_language_value     §4.6, §11.1
    │       ├── VcdmIssuerError               vcdm_issuer             §4.7
    │       ├── VcdmSubjectError              vcdm_subject            §4.8
    │       ├── VcdmValidityError             vcdm_validity           §4.9
    │       ├── VcdmStatusEntryError          vcdm_status             §4.10
    │       ├── VcdmSchemaEntryError          vcdm_schema             §4.11
    │       ├── VcdmEnvelopeError             vcdm_envelope           §4.13.1, §4.13.2
    │       ├── VcdmHolderError               vcdm_holder             §4.13
    │       ├── VcdmVerifiableCredentialError vcdm_verifiable_credential §4.13
    │       ├── VcdmRelatedResourceError      vcdm_related_resource   §5.3
    │       │   └── VcdmRelatedResourceDigestError vcdm_digest_mismatch §5.3
    │       ├── VcdmRefreshServiceError       vcdm_refresh_service    §5.4
    │       ├── VcdmTermsOfUseError           vcdm_terms_of_use       §5.5
    │       └── VcdmEvidenceError             vcdm_evidence           §5.6
    ├── AlgorithmNotAllowedError              alg_not_allowed
    ├── BadSignatureError                     bad_signature
    ├── UnknownKeyError                       unknown_key
    ├── InvalidKeyError                       invalid_key
    │   └── WeakKeyError                      weak_key
    ├── DIDError                              did_invalid
    ├── UntrustedIssuerError                  untrusted_issuer
    ├── TypeNotAccreditedError                type_not_accredited
    ├── IssuerMismatchError                   issuer_mismatch
    ├── ExpiredError                          expired
    │   └── ProofExpiredError                 proof_expired
    ├── NotYetValidError                      not_yet_valid
    │   └── ProofNotYetValidError             proof_not_yet_valid
    ├── RevokedError                          revoked
    ├── SuspendedError                        suspended
    ├── StatusUnavailableError                status_unavailable
    ├── StatusListError                       status_list_invalid
    ├── StatusRequiredError                   status_required
    ├── SchemaInvalidError                    schema_invalid
    ├── PresentationError                     presentation_invalid
    │   ├── NonceMismatchError                nonce_mismatch
    │   ├── AudienceMismatchError             audience_mismatch
    │   ├── HolderBindingError                holder_binding
    │   └── NonceReusedError                  nonce_reused
    ├── TrustListError                        trust_list_invalid
    │   ├── TrustListExpiredError             trust_list_expired
    │   └── TrustListReplayError              trust_list_replayed
    ├── OutboundURLError                      url_not_allowed
    ├── ProofPurposeMismatchError             proof_purpose_mismatch
    └── QRError                               qr_invalid
        ├── QRTooLargeError                   qr_too_large
        ├── UnsupportedImageError             unsupported_media
        ├── ImageTooLargeError                image_too_large
        └── NoQRFoundError                    no_qr_found
"""

from __future__ import annotations

__all__ = [
    "AlgorithmNotAllowedError",
    "AudienceMismatchError",
    "BadSignatureError",
    "ClaimNotAllowedError",
    "ContextNotAllowedError",
    "CryptosuiteUnsupportedError",
    "DIDError",
    "DataIntegrityError",
    "DataModelError",
    "EnvelopeError",
    "ExpiredError",
    "FormatNotSupportedError",
    "HeaderNotAllowedError",
    "HolderBindingError",
    "ImageTooLargeError",
    "InvalidKeyError",
    "IssuerMismatchError",
    "JSONLDError",
    "MalformedError",
    "NoQRFoundError",
    "NonceMismatchError",
    "NonceReusedError",
    "NotYetValidError",
    "OutboundURLError",
    "PresentationError",
    "ProofExpiredError",
    "ProofNotYetValidError",
    "ProofPurposeMismatchError",
    "QRError",
    "QRTooLargeError",
    "RevokedError",
    "SchemaInvalidError",
    "StatusListError",
    "StatusRequiredError",
    "StatusUnavailableError",
    "SuspendedError",
    "TokenTooLargeError",
    "TrustIDError",
    "TrustListError",
    "TrustListExpiredError",
    "TrustListReplayError",
    "TypeNotAccreditedError",
    "UndefinedTermError",
    "UnknownKeyError",
    "UnsupportedImageError",
    "UntrustedIssuerError",
    "VCError",
    "VcdmContextError",
    "VcdmEnvelopeError",
    "VcdmEvidenceError",
    "VcdmHolderError",
    "VcdmIdentifierError",
    "VcdmIssuerError",
    "VcdmLanguageValueError",
    "VcdmRefreshServiceError",
    "VcdmRelatedResourceDigestError",
    "VcdmRelatedResourceError",
    "VcdmSchemaEntryError",
    "VcdmStatusEntryError",
    "VcdmSubjectError",
    "VcdmTermRedefinedError",
    "VcdmTermsOfUseError",
    "VcdmTypeError",
    "VcdmValidityError",
    "VcdmVerifiableCredentialError",
    "WeakKeyError",
]


class TrustIDError(Exception):
    """Root of every TrustID error.

    Attributes:
        code: Stable machine-readable code (DESIGN §3), never reworded.
        title: Short human title for the code, suitable for a problem+json ``title``.
        detail: What exactly went wrong, in plain words.
    """

    code: str = "error"
    title: str = "Error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.title
        super().__init__(self.detail)


VCError = TrustIDError


class MalformedError(TrustIDError):
    """The input is not a well-formed token, credential or document."""

    code = "malformed"
    title = "Malformed input"


class TokenTooLargeError(MalformedError):
    """The token exceeds the size limit (DESIGN §4)."""

    code = "too_large"
    title = "Too large"


class HeaderNotAllowedError(MalformedError):
    """The JOSE header carries a parameter we refuse (jku, x5u, jwk, x5c, crit)."""

    code = "header_not_allowed"
    title = "JOSE header parameter not allowed"


class EnvelopeError(MalformedError):
    """An ``EnvelopedVerifiableCredential``/``Presentation`` breaks VC 2.0 §4.13.

    It must carry the v2 ``@context`` and an ``id`` that is a ``data:`` URL of a
    registered media type.
    """

    code = "envelope_invalid"
    title = "Invalid envelope"


class FormatNotSupportedError(MalformedError):
    """No registered format handles this media type or value (or it is verify-only)."""

    code = "format_unsupported"
    title = "Format not supported"


class ClaimNotAllowedError(MalformedError):
    """A claim the format forbids is present (a ``vc``/``vp`` claim in a ``vc+jwt``).

    VC-JOSE-COSE §3.1.1: the payload is the credential itself; the VC-JWT 1.1 wrapper
    claims would let one token read as two different credentials.
    """

    code = "claim_not_allowed"
    title = "Claim not allowed"


class DataModelError(MalformedError):
    """The document breaks a rule of the VC Data Model 2.0 (:mod:`vcore.vcdm`).

    Each subclass is one rule; its code names it and its docstring cites the section.
    """

    code = "vcdm_invalid"
    title = "Not a conformant VC Data Model 2.0 document"


class VcdmContextError(DataModelError):
    """VCDM 2.0 §4.3: ``@context`` starts with the VC 2.0 URL; then URLs or contexts."""

    code = "vcdm_context"
    title = "Invalid @context"


class VcdmTermRedefinedError(DataModelError):
    """VCDM 2.0 §4.3, §5.2: a context redefines a protected term (JSON-LD 1.1 §4.1.11)."""

    code = "vcdm_term_redefined"
    title = "Protected term redefined"


class VcdmIdentifierError(DataModelError):
    """VCDM 2.0 §4.4: an ``id`` is a single URL."""

    code = "vcdm_identifier"
    title = "Invalid identifier"


class VcdmTypeError(DataModelError):
    """VCDM 2.0 §4.5: ``type`` is present, terms or URLs, with the required base type."""

    code = "vcdm_type"
    title = "Invalid type"


class VcdmLanguageValueError(DataModelError):
    """VCDM 2.0 §4.6, §11.1: ``name``/``description`` strings or language value objects."""

    code = "vcdm_language_value"
    title = "Invalid name or description"


class VcdmIssuerError(DataModelError):
    """VCDM 2.0 §4.7: ``issuer`` is a URL or an object whose ``id`` is a URL."""

    code = "vcdm_issuer"
    title = "Invalid issuer"


class VcdmSubjectError(DataModelError):
    """VCDM 2.0 §4.8: ``credentialSubject`` is one or more objects, each with a claim."""

    code = "vcdm_subject"
    title = "Invalid credentialSubject"


class VcdmValidityError(DataModelError):
    """VCDM 2.0 §4.9: dateTimeStamps, and ``validUntil`` not before ``validFrom``."""

    code = "vcdm_validity"
    title = "Invalid validity period"


class VcdmStatusEntryError(DataModelError):
    """VCDM 2.0 §4.10: each ``credentialStatus`` has a ``type`` and, if any, a URL ``id``."""

    code = "vcdm_status"
    title = "Invalid credentialStatus"


class VcdmSchemaEntryError(DataModelError):
    """VCDM 2.0 §4.11: each ``credentialSchema`` has a ``type`` and an ``id`` URL."""

    code = "vcdm_schema"
    title = "Invalid credentialSchema"


class VcdmEnvelopeError(DataModelError):
    """VCDM 2.0 §4.13.1/§4.13.2: an enveloped object has the v2 context, type, data: id."""

    code = "vcdm_envelope"
    title = "Invalid enveloped credential or presentation"


class VcdmHolderError(DataModelError):
    """VCDM 2.0 §4.13: ``holder`` is a URL or an object whose ``id`` is a URL."""

    code = "vcdm_holder"
    title = "Invalid holder"


class VcdmVerifiableCredentialError(DataModelError):
    """VCDM 2.0 §4.13: each ``verifiableCredential`` of a presentation is an object."""

    code = "vcdm_verifiable_credential"
    title = "Invalid verifiableCredential entry"


class VcdmRelatedResourceError(DataModelError):
    """VCDM 2.0 §5.3: related resources have a unique URL ``id`` and a digest."""

    code = "vcdm_related_resource"
    title = "Invalid relatedResource"


class VcdmRelatedResourceDigestError(VcdmRelatedResourceError):
    """VCDM 2.0 §5.3: the digest does not match the resource."""

    code = "vcdm_digest_mismatch"
    title = "Related resource digest mismatch"


class VcdmRefreshServiceError(DataModelError):
    """VCDM 2.0 §5.4: each ``refreshService`` specifies its ``type``."""

    code = "vcdm_refresh_service"
    title = "Invalid refreshService"


class VcdmTermsOfUseError(DataModelError):
    """VCDM 2.0 §5.5: each ``termsOfUse`` specifies its ``type``."""

    code = "vcdm_terms_of_use"
    title = "Invalid termsOfUse"


class VcdmEvidenceError(DataModelError):
    """VCDM 2.0 §5.6: each ``evidence`` specifies its ``type``."""

    code = "vcdm_evidence"
    title = "Invalid evidence"


class AlgorithmNotAllowedError(TrustIDError):
    """The ``alg`` is not allowed, or differs from the key's pinned algorithm."""

    code = "alg_not_allowed"
    title = "Algorithm not allowed"


class BadSignatureError(TrustIDError):
    """The signature does not verify with the resolved key."""

    code = "bad_signature"
    title = "Signature does not verify"


class UnknownKeyError(TrustIDError):
    """No key matching the ``kid`` could be found for the issuer."""

    code = "unknown_key"
    title = "Unknown signing key"


class InvalidKeyError(TrustIDError):
    """A key (JWK, multibase, PEM) is malformed or of an unsupported type."""

    code = "invalid_key"
    title = "Invalid key"


class WeakKeyError(InvalidKeyError):
    """The key is too weak to trust (an RSA modulus below 2048 bits, RFC 7518 §3.3)."""

    code = "weak_key"
    title = "Key too weak"


class DIDError(TrustIDError):
    """A DID or DID document is malformed or unsupported."""

    code = "did_invalid"
    title = "Invalid DID"


class UntrustedIssuerError(TrustIDError):
    """The issuer is not on the trust list (or its entry is not valid now)."""

    code = "untrusted_issuer"
    title = "Issuer not trusted"


class TypeNotAccreditedError(TrustIDError):
    """The issuer is trusted but not accredited for this credential type."""

    code = "type_not_accredited"
    title = "Issuer not accredited for this credential type"


class IssuerMismatchError(TrustIDError):
    """The ``kid`` DID, ``iss`` and ``issuer`` do not name the same issuer."""

    code = "issuer_mismatch"
    title = "Issuer mismatch"


class ExpiredError(TrustIDError):
    """The credential or token is past its validity window."""

    code = "expired"
    title = "Expired"


class NotYetValidError(TrustIDError):
    """The credential or token is not yet valid."""

    code = "not_yet_valid"
    title = "Not yet valid"


class RevokedError(TrustIDError):
    """The revocation bit is set."""

    code = "revoked"
    title = "Revoked"


class SuspendedError(TrustIDError):
    """The suspension bit is set."""

    code = "suspended"
    title = "Suspended"


class StatusUnavailableError(TrustIDError):
    """The status list could not be obtained and no fresh-enough copy is cached."""

    code = "status_unavailable"
    title = "Status unavailable"


class StatusListError(TrustIDError):
    """A status list or status entry is malformed."""

    code = "status_list_invalid"
    title = "Invalid status list"


class StatusRequiredError(TrustIDError):
    """The credential's type requires a status entry and the credential has none.

    Types are marked in the trust list (``statusRequired``); a credential forged with a
    leaked key and without a status entry, which could never be revoked, looks like this.
    """

    code = "status_required"
    title = "Status entry required"


class SchemaInvalidError(TrustIDError):
    """Claims do not satisfy the credential type's JSON Schema."""

    code = "schema_invalid"
    title = "Claims do not match the schema"


class PresentationError(TrustIDError):
    """A presentation is not acceptable."""

    code = "presentation_invalid"
    title = "Invalid presentation"


class NonceMismatchError(PresentationError):
    """The presentation's nonce is not the expected challenge."""

    code = "nonce_mismatch"
    title = "Nonce does not match"


class AudienceMismatchError(PresentationError):
    """The presentation's audience is not this verifier."""

    code = "audience_mismatch"
    title = "Audience does not match"


class HolderBindingError(PresentationError):
    """The presentation is not signed by the key the credential is bound to."""

    code = "holder_binding"
    title = "Holder binding failed"


class NonceReusedError(PresentationError):
    """The presentation's nonce was already used (replay within its lifetime)."""

    code = "nonce_reused"
    title = "Nonce already used"


class TrustListError(TrustIDError):
    """The trust list is malformed or its signature does not verify."""

    code = "trust_list_invalid"
    title = "Invalid trust list"


class TrustListExpiredError(TrustListError):
    """The trust list in force is past its ``validUntil`` / ``exp``.

    Every issuer is untrusted until a valid list replaces it (fail closed).
    """

    code = "trust_list_expired"
    title = "Trust list expired"


class TrustListReplayError(TrustListError):
    """A reloaded list is older than the one in force (a replay); the current one stays.

    Older: a lower ``sequence``, none while the list in force has one, or an earlier ``iat``.
    """

    code = "trust_list_replayed"
    title = "Older trust list refused"


class OutboundURLError(TrustIDError):
    """A URL or address may not be fetched (SSRF policy: scheme, host, private address)."""

    code = "url_not_allowed"
    title = "URL not allowed"


class QRError(TrustIDError):
    """A QR payload or image cannot be used."""

    code = "qr_invalid"
    title = "Invalid QR code"


class QRTooLargeError(QRError):
    """The payload does not fit in a single QR code."""

    code = "qr_too_large"
    title = "Does not fit in a QR code"


class UnsupportedImageError(QRError):
    """The uploaded file is not a PNG or JPEG image (judged by its magic bytes)."""

    code = "unsupported_media"
    title = "Unsupported image type"


class ImageTooLargeError(QRError):
    """The image exceeds the byte or pixel limit (DESIGN §4: 5 MiB, 16 Mpx)."""

    code = "image_too_large"
    title = "Image too large"


class NoQRFoundError(QRError):
    """No readable QR code was found in the image."""

    code = "no_qr_found"
    title = "No QR code found"


class DataIntegrityError(MalformedError):
    """A Data Integrity proof or document cannot be processed (PROOF_VERIFICATION_ERROR)."""

    code = "proof_invalid"
    title = "Invalid Data Integrity proof"


class CryptosuiteUnsupportedError(DataIntegrityError):
    """The proof's ``type``/``cryptosuite`` is not one this verifier implements."""

    code = "cryptosuite_unsupported"
    title = "Cryptosuite not supported"


class ProofPurposeMismatchError(TrustIDError):
    """The proof's ``proofPurpose`` is not the one the verifier expects (VC-DI §4.4)."""

    code = "proof_purpose_mismatch"
    title = "Proof purpose does not match"


class ProofExpiredError(ExpiredError):
    """The proof's ``expires`` is in the past (VC-DI §2.1)."""

    code = "proof_expired"
    title = "Proof expired"


class ProofNotYetValidError(NotYetValidError):
    """The proof's ``created`` is in the future, beyond the clock leeway."""

    code = "proof_not_yet_valid"
    title = "Proof created in the future"


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
