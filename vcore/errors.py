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
    │   └── ClaimNotAllowedError              claim_not_allowed
    ├── AlgorithmNotAllowedError              alg_not_allowed
    ├── BadSignatureError                     bad_signature
    ├── UnknownKeyError                       unknown_key
    ├── InvalidKeyError                       invalid_key
    ├── DIDError                              did_invalid
    ├── UntrustedIssuerError                  untrusted_issuer
    ├── TypeNotAccreditedError                type_not_accredited
    ├── IssuerMismatchError                   issuer_mismatch
    ├── ExpiredError                          expired
    ├── NotYetValidError                      not_yet_valid
    ├── RevokedError                          revoked
    ├── SuspendedError                        suspended
    ├── StatusUnavailableError                status_unavailable
    ├── StatusListError                       status_list_invalid
    ├── SchemaInvalidError                    schema_invalid
    ├── PresentationError                     presentation_invalid
    │   ├── NonceMismatchError                nonce_mismatch
    │   ├── AudienceMismatchError             audience_mismatch
    │   ├── HolderBindingError                holder_binding
    │   └── NonceReusedError                  nonce_reused
    ├── TrustListError                        trust_list_invalid
    ├── OutboundURLError                      url_not_allowed
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
    "DIDError",
    "EnvelopeError",
    "ExpiredError",
    "FormatNotSupportedError",
    "HeaderNotAllowedError",
    "HolderBindingError",
    "ImageTooLargeError",
    "InvalidKeyError",
    "IssuerMismatchError",
    "MalformedError",
    "NoQRFoundError",
    "NonceMismatchError",
    "NonceReusedError",
    "NotYetValidError",
    "OutboundURLError",
    "PresentationError",
    "QRError",
    "QRTooLargeError",
    "RevokedError",
    "SchemaInvalidError",
    "StatusListError",
    "StatusUnavailableError",
    "SuspendedError",
    "TokenTooLargeError",
    "TrustIDError",
    "TrustListError",
    "TypeNotAccreditedError",
    "UnknownKeyError",
    "UnsupportedImageError",
    "UntrustedIssuerError",
    "VCError",
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
