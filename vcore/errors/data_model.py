"""Errors of the VC Data Model 2.0 rules (:mod:`vcore.vcdm`): one class, one code per rule."""

from __future__ import annotations

from vcore.errors.base import MalformedError
from vcore.errors.formats import EnvelopeError

__all__ = [
    "DataModelError",
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
]


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


class VcdmEnvelopeError(DataModelError, EnvelopeError):
    """VCDM 2.0 §4.13.1/§4.13.2: an enveloped object has the v2 context, type, data: id.

    The same rule the formats' envelope parser enforces, so the same code:
    ``envelope_invalid`` (:class:`~vcore.errors.EnvelopeError`). ``vcdm_envelope`` is
    no longer emitted (no outside tool relied on it; DESIGN §6 names neither).
    """

    code = "envelope_invalid"
    title = "Invalid envelope"


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
