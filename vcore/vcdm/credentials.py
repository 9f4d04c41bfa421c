"""The credential check (VCDM 2.0 §4.2-§4.12, §5.3-§5.6): every rule, in order."""

from __future__ import annotations

from collections.abc import Mapping

from vcore.errors import (
    VcdmEvidenceError,
    VcdmRefreshServiceError,
    VcdmSchemaEntryError,
    VcdmStatusEntryError,
    VcdmTermsOfUseError,
    VcdmTypeError,
)
from vcore.vcdm.contexts import check_contexts
from vcore.vcdm.identifiers import check_id
from vcore.vcdm.names import check_language_values
from vcore.vcdm.parties import check_issuer, check_subjects
from vcore.vcdm.related_resources import check_related_resources
from vcore.vcdm.type_values import check_type_value, check_typed_objects
from vcore.vcdm.validity import check_validity

__all__ = [
    "check_credential",
]


def check_credential(credential: object, *, resources: Mapping[str, bytes] | None = None) -> None:
    """Check every MUST of VCDM 2.0 §4 and §5 that a credential document can break.

    Rules, in order (each error class carries its code):

    * §4.3 contexts: ``@context`` present; first item the VC 2.0 context URL; further
      items URLs or JSON-LD context objects; at most :data:`MAX_CONTEXTS`, each inline
      object at most :data:`MAX_INLINE_CONTEXT_BYTES` (``vcdm_context``); protected
      terms not redefined (``vcdm_term_redefined``, §5.2).
    * §4.4 identifiers: ``id`` of the credential and of each subject a single URL
      (``vcdm_identifier``).
    * §4.5 types: ``type`` present, terms or absolute URLs mapping to IRIs, including
      ``VerifiableCredential`` (``vcdm_type``).
    * §4.6 names and descriptions: strings or language value objects
      (``vcdm_language_value``).
    * §4.7 issuer: a URL or an object whose ``id`` is a URL (``vcdm_issuer``).
    * §4.8 subjects: an object or a non-empty array of objects, each making a claim
      (``vcdm_subject``).
    * §4.9 validity: ``validFrom`` / ``validUntil`` dateTimeStamps, ``validUntil`` not
      before ``validFrom`` (``vcdm_validity``).
    * §4.10 status: each entry has a ``type``, an ``id`` if any is a URL (``vcdm_status``).
    * §4.11 data schemas: each entry has a ``type`` and an ``id`` URL (``vcdm_schema``).
    * §4.12 proofs: each embedded ``proof`` has a ``type`` (``vcdm_type``).
    * §5.3 related resources: objects with a unique ``id`` URL and a digestSRI or
      digestMultibase of the right shape (``vcdm_related_resource``), matching the
      resource where its digest is known (:data:`PUBLISHED_DIGESTS`, or its bytes in
      ``resources``) (``vcdm_digest_mismatch``).
    * §5.4 refresh services, §5.5 terms of use, §5.6 evidence: objects with a ``type``
      (``vcdm_refresh_service``, ``vcdm_terms_of_use``, ``vcdm_evidence``).

    Args:
        credential: The unsecured credential (for ``vc+jwt``, the JWS payload).
        resources: Exact bytes of resources known locally, by URL (for §5.3 digests).

    Raises:
        DataModelError: a subclass naming the rule that failed.
    """
    if not isinstance(credential, Mapping):
        raise VcdmTypeError("a verifiable credential must be a JSON object (§4.2)")
    active = check_contexts(credential, "a verifiable credential")
    check_id(credential, "")
    if "type" not in credential:
        raise VcdmTypeError("a verifiable credential must have a type property (§4.5)")
    types = check_type_value(credential["type"], "type", active)
    if "VerifiableCredential" not in types:
        raise VcdmTypeError("type must include VerifiableCredential (§4.5)")
    check_language_values(credential, "")
    check_issuer(credential)
    check_subjects(credential)
    check_validity(credential)
    check_typed_objects(credential, "credentialStatus", active, VcdmStatusEntryError)
    check_typed_objects(
        credential, "credentialSchema", active, VcdmSchemaEntryError, id_required=True
    )
    check_typed_objects(credential, "proof", active, VcdmTypeError)
    check_related_resources(credential, resources or {})
    check_typed_objects(credential, "refreshService", active, VcdmRefreshServiceError)
    check_typed_objects(credential, "termsOfUse", active, VcdmTermsOfUseError)
    check_typed_objects(credential, "evidence", active, VcdmEvidenceError)
