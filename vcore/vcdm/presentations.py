"""Presentations (VCDM 2.0 §4.13) and enveloped objects (§4.13.1, §4.13.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcore.errors import (
    VcdmEnvelopeError,
    VcdmHolderError,
    VcdmTermsOfUseError,
    VcdmTypeError,
    VcdmVerifiableCredentialError,
)
from vcore.vcdm.contexts import VC2_CONTEXT, check_contexts
from vcore.vcdm.credentials import check_credential
from vcore.vcdm.identifiers import as_list, check_id, is_url
from vcore.vcdm.names import check_language_values
from vcore.vcdm.type_values import check_type_value, check_typed_objects

__all__ = [
    "check_envelope",
    "check_presentation",
]


def check_envelope(value: object, kind: str = "EnvelopedVerifiableCredential") -> str:
    """Check an enveloped credential or presentation object (§4.13.1, §4.13.2).

    The object's ``@context`` starts with the VC 2.0 context, its ``type`` is ``kind``
    and its ``id`` is a ``data:`` URL (RFC 2397). Which media types are registered is
    the formats' business; this returns the ``id`` for them.

    Raises:
        VcdmEnvelopeError: any of those rules broken.
    """
    if not isinstance(value, Mapping):
        raise VcdmEnvelopeError(f"an {kind} must be an object (§4.13)")
    contexts = as_list(value.get("@context"))
    if not contexts or contexts[0] != VC2_CONTEXT:
        raise VcdmEnvelopeError(f"the @context of an {kind} must start with {VC2_CONTEXT}")
    if as_list(value.get("type")) != [kind]:
        raise VcdmEnvelopeError(f"the type of an enveloped object must be {kind}")
    data_url = value.get("id")
    if (
        not isinstance(data_url, str)
        or not data_url.lower().startswith("data:")
        or "," not in data_url
    ):
        raise VcdmEnvelopeError(f"the id of an {kind} must be a data: URL (RFC 2397)")
    return data_url


def _check_holder(presentation: Mapping[str, Any]) -> None:
    if "holder" not in presentation:
        return
    holder = presentation["holder"]
    if isinstance(holder, Mapping):
        if not is_url(holder.get("id")):
            raise VcdmHolderError("holder.id must be a URL (§4.13)")
        check_language_values(holder, "holder")
    elif not is_url(holder):
        raise VcdmHolderError("holder must be a URL or an object whose id is a URL (§4.13)")


def _check_presented_credentials(
    presentation: Mapping[str, Any], resources: Mapping[str, bytes] | None
) -> None:
    if "verifiableCredential" not in presentation:
        return
    entries = as_list(presentation["verifiableCredential"])
    for number, entry in enumerate(entries):
        where = f"verifiableCredential[{number}]"
        if not isinstance(entry, Mapping):
            raise VcdmVerifiableCredentialError(
                f"{where} must be a verifiable credential or an enveloped credential object, "
                "not a string, number or URL (§4.13)"
            )
        if "EnvelopedVerifiableCredential" in as_list(entry.get("type")):
            try:
                check_envelope(entry)
            except VcdmEnvelopeError as exc:
                raise VcdmVerifiableCredentialError(f"{where}: {exc.detail}") from exc
            continue
        if "type" not in entry:
            raise VcdmVerifiableCredentialError(f"{where} has no type (§4.5, §4.13)")
        check_credential(entry, resources=resources)


def check_presentation(
    presentation: object, *, resources: Mapping[str, bytes] | None = None
) -> None:
    """Check the VCDM 2.0 rules of a verifiable presentation (§4.13).

    ``@context`` as for credentials (``vcdm_context``, ``vcdm_term_redefined``); ``id``
    a URL (``vcdm_identifier``); ``type`` includes ``VerifiablePresentation``
    (``vcdm_type``); ``holder`` a URL or an object with an ``id`` URL (``vcdm_holder``);
    each ``verifiableCredential`` an object: an embedded credential (checked in full) or
    an enveloped credential (:func:`check_envelope`) (``vcdm_verifiable_credential``);
    ``termsOfUse`` and ``proof`` entries typed.

    Raises:
        DataModelError: a subclass naming the rule that failed.
    """
    if not isinstance(presentation, Mapping):
        raise VcdmTypeError("a verifiable presentation must be a JSON object (§4.13)")
    active = check_contexts(presentation, "a verifiable presentation")
    check_id(presentation, "")
    if "type" not in presentation:
        raise VcdmTypeError("a verifiable presentation must have a type property (§4.13)")
    types = check_type_value(presentation["type"], "type", active)
    if "VerifiablePresentation" not in types:
        raise VcdmTypeError("type must include VerifiablePresentation (§4.13)")
    _check_holder(presentation)
    _check_presented_credentials(presentation, resources)
    check_typed_objects(presentation, "termsOfUse", active, VcdmTermsOfUseError)
    check_typed_objects(presentation, "proof", active, VcdmTypeError)
