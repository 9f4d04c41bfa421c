"""Credential and presentation formats behind one protocol each, and their registry.

* :mod:`vcore.formats.protocols`: :class:`CredentialFormat`, :class:`PresentationFormat`
  (the seams; read their docstrings before adding a format).
* :mod:`vcore.formats.secured`: :class:`SecuredCredential`, :class:`SecuredPresentation`
  (the format-neutral, unverified views).
* :mod:`vcore.formats.registry`: register / lookup by key or media type / detect.
* :mod:`vcore.formats.envelope`: the ``Enveloped*`` rules (VC 2.0 §4.13).
* :mod:`vcore.formats.vc_jwt`: ``vc+jwt`` and ``jwt_vc_json``;
  :mod:`vcore.formats.vp_jwt`: ``vp+jwt`` and ``jwt_vp_json``.
* :mod:`vcore.formats.sd_jwt_vc`: ``dc+sd-jwt`` and ``vc+sd-jwt``, over :mod:`vcore.sdjwt`
  (policy and naming in ``sd_jwt_claims``, the first look in ``sd_jwt_peek``);
  :mod:`vcore.formats.sd_jwt_presentation`: the SD-JWT + KB-JWT presentation.
* :mod:`vcore.formats.jwt_times`: ``exp`` / ``nbf`` / ``iat`` of every JWT-secured format.
* :mod:`vcore.formats.api`: the safe entry points (parse, sign, envelope, present).

Importing this package registers every built-in format. A format in its own package
(``vcore/data_integrity/``) registers itself on import and is imported here, at the end.
"""

from __future__ import annotations

from vcore.formats.api import (
    VerifiedPresentation,
    envelope_credential,
    envelope_presentation,
    parse_credential_unverified,
    parse_presentation_unverified,
    sign_credential,
    unwrap_credential,
    unwrap_presentation,
    verify_presentation,
)
from vcore.formats.envelope import EnvelopeKind
from vcore.formats.protocols import CredentialFormat, HolderKeyResolver, PresentationFormat
from vcore.formats.registry import (
    CREDENTIAL_FORMATS,
    PRESENTATION_FORMATS,
    Detected,
    detect,
    detect_presentation,
    lookup,
    lookup_media_type,
    lookup_presentation,
    register_credential_format,
    register_presentation_format,
)
from vcore.formats.sd_jwt_vc import (
    DisclosureMode,
    DisclosurePolicy,
    SdJwtCredential,
    SelectiveDisclosureFormat,
)
from vcore.formats.secured import Recognition, SecuredCredential, SecuredPresentation
from vcore.formats.vc_jwt import JwtCredential
from vcore.formats.vp_jwt import build_presentation

__all__ = [
    "CREDENTIAL_FORMATS",
    "PRESENTATION_FORMATS",
    "CredentialFormat",
    "Detected",
    "DisclosureMode",
    "DisclosurePolicy",
    "EnvelopeKind",
    "HolderKeyResolver",
    "JwtCredential",
    "PresentationFormat",
    "Recognition",
    "SdJwtCredential",
    "SecuredCredential",
    "SecuredPresentation",
    "SelectiveDisclosureFormat",
    "VerifiedPresentation",
    "build_presentation",
    "detect",
    "detect_presentation",
    "envelope_credential",
    "envelope_presentation",
    "lookup",
    "lookup_media_type",
    "lookup_presentation",
    "parse_credential_unverified",
    "parse_presentation_unverified",
    "register_credential_format",
    "register_presentation_format",
    "sign_credential",
    "unwrap_credential",
    "unwrap_presentation",
    "verify_presentation",
]

# Formats in packages of their own register themselves when imported; last, because they
# import the registry above.
import vcore.data_integrity.formats  # noqa: F401  (registers ldp_vc and ldp_vp)
