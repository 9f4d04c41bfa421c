"""Error types with stable string codes.

Every failure the core reports is a :class:`TrustIDError` carrying a ``code`` that
outside tools rely on (DESIGN §3). Third-party exceptions (PyJWT, cryptography, zlib)
are translated at the boundary with ``raise ... from exc``.

The classes live in one module per family (:mod:`~vcore.errors.base` holds the root;
``jose``, ``formats``, ``data_model``, ``data_integrity``, ``keys``, ``credential``,
``status``, ``trust``, ``presentation``, ``sd_jwt``, ``outbound``, ``qr``, ``oauth``); import them
from here.

Tree::

    TrustIDError (VCError)                   code
    ├── MalformedError                        malformed
    │   ├── TokenTooLargeError                too_large
    │   ├── HeaderNotAllowedError             header_not_allowed
    │   ├── EnvelopeError                     envelope_invalid
    │   ├── FormatNotSupportedError           format_unsupported
    │   ├── ClaimNotAllowedError              claim_not_allowed
    │   ├── DcqlQueryError                    dcql_invalid            (OpenID4VP 1.0 §6)
    │   ├── JweError                          jwe_invalid             (RFC 7516)
    │   ├── SdJwtError                        sd_jwt_invalid          (RFC 9901)
    │   │   ├── DisclosureInvalidError        sd_jwt_disclosure_invalid
    │   │   ├── DisclosureUnreferencedError   sd_jwt_disclosure_unreferenced
    │   │   ├── DisclosureDuplicateError      sd_jwt_disclosure_duplicate
    │   │   └── SdAlgUnsupportedError         sd_alg_unsupported
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
    │       ├── VcdmEnvelopeError             envelope_invalid (also an EnvelopeError) §4.13
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
    │   └── TypeMetadataIntegrityError        vct_integrity_mismatch  (SD-JWT VC vct#integrity)
    ├── PresentationError                     presentation_invalid
    │   ├── KeyBindingError                   kb_jwt_invalid          (RFC 9901 §4.3)
    │   │   ├── KeyBindingRequiredError       kb_jwt_required
    │   │   ├── KeyBindingSignatureError      kb_jwt_bad_signature
    │   │   ├── KeyBindingTimeError           kb_jwt_stale
    │   │   └── SdHashMismatchError           sd_hash_mismatch
    │   ├── NonceMismatchError                nonce_mismatch
    │   ├── AudienceMismatchError             audience_mismatch
    │   ├── HolderBindingError                holder_binding
    │   ├── NonceReusedError                  nonce_reused
    │   ├── ChallengeUnknownError             challenge_unknown
    │   └── ChallengeExpiredError             challenge_expired
    ├── TrustListError                        trust_list_invalid
    │   ├── TrustListExpiredError             trust_list_expired
    │   └── TrustListReplayError              trust_list_replayed
    ├── OutboundURLError                      url_not_allowed
    ├── ProofPurposeMismatchError             proof_purpose_mismatch
    ├── OAuthError                            (the spec's error value; OpenID4VCI, RFC 9449)
    │   ├── OAuthRequestError                 invalid_request
    │   ├── InvalidGrantError                 invalid_grant
    │   ├── UnsupportedGrantTypeError         unsupported_grant_type
    │   ├── InvalidDpopProofError             invalid_dpop_proof
    │   ├── InvalidTokenError                 invalid_token
    │   ├── InvalidCredentialRequestError     invalid_credential_request
    │   ├── UnknownCredentialConfigurationError unknown_credential_configuration
    │   ├── InvalidProofError                 invalid_proof
    │   ├── InvalidNonceError                 invalid_nonce
    │   └── CredentialRequestDeniedError      credential_request_denied
    ├── DcqlUnsatisfiedError                  dcql_unsatisfied        (OpenID4VP 1.0 §6)
    └── QRError                               qr_invalid
        ├── QRTooLargeError                   qr_too_large
        ├── UnsupportedImageError             unsupported_media
        ├── ImageTooLargeError                image_too_large
        └── NoQRFoundError                    no_qr_found
"""

from __future__ import annotations

from vcore.errors.base import (
    MalformedError,
    TrustIDError,
    VCError,
)
from vcore.errors.credential import (
    ExpiredError,
    NotYetValidError,
    ProofExpiredError,
    ProofNotYetValidError,
    SchemaInvalidError,
    TypeMetadataIntegrityError,
)
from vcore.errors.data_integrity import (
    ContextNotAllowedError,
    CryptosuiteUnsupportedError,
    DataIntegrityError,
    JSONLDError,
    ProofPurposeMismatchError,
    UndefinedTermError,
)
from vcore.errors.data_model import (
    DataModelError,
    VcdmContextError,
    VcdmEnvelopeError,
    VcdmEvidenceError,
    VcdmHolderError,
    VcdmIdentifierError,
    VcdmIssuerError,
    VcdmLanguageValueError,
    VcdmRefreshServiceError,
    VcdmRelatedResourceDigestError,
    VcdmRelatedResourceError,
    VcdmSchemaEntryError,
    VcdmStatusEntryError,
    VcdmSubjectError,
    VcdmTermRedefinedError,
    VcdmTermsOfUseError,
    VcdmTypeError,
    VcdmValidityError,
    VcdmVerifiableCredentialError,
)
from vcore.errors.dcql import DcqlQueryError, DcqlUnsatisfiedError, JweError
from vcore.errors.formats import (
    EnvelopeError,
    FormatNotSupportedError,
)
from vcore.errors.jose import (
    AlgorithmNotAllowedError,
    BadSignatureError,
    ClaimNotAllowedError,
    HeaderNotAllowedError,
    TokenTooLargeError,
)
from vcore.errors.keys import (
    DIDError,
    InvalidKeyError,
    UnknownKeyError,
    WeakKeyError,
)
from vcore.errors.oauth import (
    CredentialRequestDeniedError,
    InvalidCredentialRequestError,
    InvalidDpopProofError,
    InvalidGrantError,
    InvalidNonceError,
    InvalidProofError,
    InvalidTokenError,
    OAuthError,
    OAuthRequestError,
    UnknownCredentialConfigurationError,
    UnsupportedGrantTypeError,
)
from vcore.errors.outbound import (
    OutboundURLError,
)
from vcore.errors.presentation import (
    AudienceMismatchError,
    ChallengeExpiredError,
    ChallengeUnknownError,
    HolderBindingError,
    NonceMismatchError,
    NonceReusedError,
    PresentationError,
)
from vcore.errors.qr import (
    ImageTooLargeError,
    NoQRFoundError,
    QRError,
    QRTooLargeError,
    UnsupportedImageError,
)
from vcore.errors.sd_jwt import (
    DisclosureDuplicateError,
    DisclosureInvalidError,
    DisclosureUnreferencedError,
    KeyBindingError,
    KeyBindingRequiredError,
    KeyBindingSignatureError,
    KeyBindingTimeError,
    SdAlgUnsupportedError,
    SdHashMismatchError,
    SdJwtError,
)
from vcore.errors.status import (
    RevokedError,
    StatusListError,
    StatusRequiredError,
    StatusUnavailableError,
    SuspendedError,
)
from vcore.errors.trust import (
    IssuerMismatchError,
    TrustListError,
    TrustListExpiredError,
    TrustListReplayError,
    TypeNotAccreditedError,
    UntrustedIssuerError,
)

__all__ = [
    "AlgorithmNotAllowedError",
    "AudienceMismatchError",
    "BadSignatureError",
    "ChallengeExpiredError",
    "ChallengeUnknownError",
    "ClaimNotAllowedError",
    "ContextNotAllowedError",
    "CredentialRequestDeniedError",
    "CryptosuiteUnsupportedError",
    "DIDError",
    "DataIntegrityError",
    "DataModelError",
    "DcqlQueryError",
    "DcqlUnsatisfiedError",
    "DisclosureDuplicateError",
    "DisclosureInvalidError",
    "DisclosureUnreferencedError",
    "EnvelopeError",
    "ExpiredError",
    "FormatNotSupportedError",
    "HeaderNotAllowedError",
    "HolderBindingError",
    "ImageTooLargeError",
    "InvalidCredentialRequestError",
    "InvalidDpopProofError",
    "InvalidGrantError",
    "InvalidKeyError",
    "InvalidNonceError",
    "InvalidProofError",
    "InvalidTokenError",
    "IssuerMismatchError",
    "JSONLDError",
    "JweError",
    "KeyBindingError",
    "KeyBindingRequiredError",
    "KeyBindingSignatureError",
    "KeyBindingTimeError",
    "MalformedError",
    "NoQRFoundError",
    "NonceMismatchError",
    "NonceReusedError",
    "NotYetValidError",
    "OAuthError",
    "OAuthRequestError",
    "OutboundURLError",
    "PresentationError",
    "ProofExpiredError",
    "ProofNotYetValidError",
    "ProofPurposeMismatchError",
    "QRError",
    "QRTooLargeError",
    "RevokedError",
    "SchemaInvalidError",
    "SdAlgUnsupportedError",
    "SdHashMismatchError",
    "SdJwtError",
    "StatusListError",
    "StatusRequiredError",
    "StatusUnavailableError",
    "SuspendedError",
    "TokenTooLargeError",
    "TrustIDError",
    "TrustListError",
    "TrustListExpiredError",
    "TrustListReplayError",
    "TypeMetadataIntegrityError",
    "TypeNotAccreditedError",
    "UndefinedTermError",
    "UnknownCredentialConfigurationError",
    "UnknownKeyError",
    "UnsupportedGrantTypeError",
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
