"""The issuer (VCDM 2.0 §4.7) and the credential subjects (§4.8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vcore.errors import VcdmIdentifierError, VcdmIssuerError, VcdmSubjectError
from vcore.vcdm.identifiers import as_list, is_url
from vcore.vcdm.names import check_language_values

__all__ = [
    "check_issuer",
    "check_subjects",
    "issuer_id_of",
]


def issuer_id_of(credential: Mapping[str, Any]) -> str:
    """The issuer URL of a credential already checked by :func:`check_credential`."""
    issuer = credential["issuer"]
    return str(issuer["id"] if isinstance(issuer, Mapping) else issuer)


def check_issuer(credential: Mapping[str, Any]) -> None:
    """§4.7: ``issuer`` is a URL or an object whose ``id`` is a URL."""
    if "issuer" not in credential:
        raise VcdmIssuerError("a verifiable credential must have an issuer property (§4.7)")
    issuer = credential["issuer"]
    if isinstance(issuer, Mapping):
        if not is_url(issuer.get("id")):
            raise VcdmIssuerError("issuer.id must be a URL (§4.7)")
        check_language_values(issuer, "issuer")
    elif not is_url(issuer):
        raise VcdmIssuerError("issuer must be a URL or an object whose id is a URL (§4.7)")


def check_subjects(credential: Mapping[str, Any]) -> None:
    """§4.8: ``credentialSubject`` is one or more objects, each making a claim."""
    if "credentialSubject" not in credential:
        raise VcdmSubjectError("a verifiable credential must have a credentialSubject (§4.8)")
    value = credential["credentialSubject"]
    subjects = as_list(value)
    if not subjects:
        raise VcdmSubjectError("credentialSubject must be one or more objects (§4.8)")
    for number, subject in enumerate(subjects):
        where = (
            "credentialSubject" if not isinstance(value, list) else f"credentialSubject[{number}]"
        )
        if not isinstance(subject, Mapping):
            raise VcdmSubjectError(f"{where} must be an object (§4.8)")
        if not subject:
            raise VcdmSubjectError(f"{where} must make at least one claim (§4.8)")
        if "id" in subject and not is_url(subject["id"]):
            raise VcdmIdentifierError(f"{where}.id must be a single URL (§4.4)")
