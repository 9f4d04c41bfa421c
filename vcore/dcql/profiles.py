"""What DCQL means for each credential format it names (OpenID4VP 1.0 Appendix B).

A profile checks a credential query's ``meta`` and answers, for a parsed (not
necessarily verified) credential, whether it fits that ``meta`` and where its claims sit
for claims path pointers. Profiles are looked up by the query's ``format``, which for
the formats here is also the credential format's registry key: ``dc+sd-jwt`` (SD-JWT
VC: ``meta.vct_values``; paths into the SD-JWT's processed payload, B.3.5) and
``jwt_vc_json`` (W3C VC as a JWT: ``meta.type_values``; paths into the ``vc`` object,
B.1.1). A query for another format is read, and matches no credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from vcore.errors import DcqlQueryError
from vcore.formats import SdJwtCredential, SecuredCredential

__all__ = [
    "DcqlFormatProfile",
    "JwtVcJsonProfile",
    "SdJwtVcProfile",
    "profile_for",
    "register_profile",
    "supported_formats",
]


class DcqlFormatProfile(Protocol):
    """DCQL for one credential format."""

    format: str

    def check_meta(self, meta: Mapping[str, Any], where: str) -> None:
        """Raise :class:`DcqlQueryError` when ``meta`` is not valid for this format."""

    def meta_matches(self, meta: Mapping[str, Any], credential: SecuredCredential) -> bool:
        """Whether ``credential`` is of a type ``meta`` asks for."""

    def claims_of(self, credential: SecuredCredential) -> Mapping[str, Any]:
        """The JSON claims path pointers are applied to."""


def _strings(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value)


class SdJwtVcProfile:
    """``dc+sd-jwt``: the ``vct`` must be one of ``meta.vct_values``."""

    format = "dc+sd-jwt"

    def check_meta(self, meta: Mapping[str, Any], where: str) -> None:
        """See :meth:`DcqlFormatProfile.check_meta`."""
        unknown = sorted(k for k in meta if k != "vct_values")
        if unknown:
            raise DcqlQueryError(f"{where}: unknown member {unknown[0]!r}")
        if not _strings(meta.get("vct_values")):
            raise DcqlQueryError(f"{where}.vct_values: a non-empty array of strings is required")

    def meta_matches(self, meta: Mapping[str, Any], credential: SecuredCredential) -> bool:
        """See :meth:`DcqlFormatProfile.meta_matches`."""
        return self.claims_of(credential).get("vct") in meta.get("vct_values", ())

    def claims_of(self, credential: SecuredCredential) -> Mapping[str, Any]:
        """The SD-JWT's processed payload (``vct``, ``iss`` and the disclosed claims)."""
        if isinstance(credential, SdJwtCredential) and credential.sd_jwt is not None:
            return credential.sd_jwt.claims
        return credential.claims


class JwtVcJsonProfile:
    """``jwt_vc_json``: the ``type`` must include every type of one ``meta.type_values`` entry."""

    format = "jwt_vc_json"

    def check_meta(self, meta: Mapping[str, Any], where: str) -> None:
        """See :meth:`DcqlFormatProfile.check_meta`."""
        unknown = sorted(k for k in meta if k != "type_values")
        if unknown:
            raise DcqlQueryError(f"{where}: unknown member {unknown[0]!r}")
        values = meta.get("type_values")
        if not isinstance(values, list) or not values or not all(_strings(v) for v in values):
            raise DcqlQueryError(
                f"{where}.type_values: a non-empty array of non-empty string arrays is required"
            )

    def meta_matches(self, meta: Mapping[str, Any], credential: SecuredCredential) -> bool:
        """See :meth:`DcqlFormatProfile.meta_matches`."""
        types = set(credential.types)
        return any(set(option) <= types for option in meta.get("type_values", ()))

    def claims_of(self, credential: SecuredCredential) -> Mapping[str, Any]:
        """The ``vc`` object of the JWT (the VC 1.1 document), else the normalised one."""
        vc = credential.claims.get("vc")
        return vc if isinstance(vc, Mapping) else credential.credential


_PROFILES: dict[str, DcqlFormatProfile] = {}


def register_profile(profile: DcqlFormatProfile) -> DcqlFormatProfile:
    """Add a format's DCQL profile (keyed by its DCQL format identifier)."""
    _PROFILES[profile.format] = profile
    return profile


def profile_for(fmt: str) -> DcqlFormatProfile | None:
    """The profile of a DCQL format identifier, or None for a format not handled here."""
    return _PROFILES.get(fmt)


def supported_formats() -> tuple[str, ...]:
    """The DCQL format identifiers with a profile."""
    return tuple(_PROFILES)


register_profile(SdJwtVcProfile())
register_profile(JwtVcJsonProfile())
