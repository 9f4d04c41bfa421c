"""Named DCQL queries for the counter (``identity``, ``age_over_18``, ``driving_licence``).

Each asks for SD-JWT VCs (``dc+sd-jwt``) of the project's types, whose ``vct`` is
``<issuer URL>/types/<TypeName>`` (DESIGN §6): the caller passes the base URLs of the
issuers it trusts, and the query accepts the type from any of them. Only the claims the
task needs are asked for: ``age_over_18`` asks for that one derived boolean, never the
birth date. ``identity`` also asks for the ``portrait`` the clerk compares with the
person, through two claim sets (with the portrait first, then without it), so an
identity credential issued without a photo still answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from vcore.dcql.query import ClaimsQuery, CredentialQuery, DcqlQuery

__all__ = ["Preset", "preset_query"]

_IDENTITY = "ResidentIdentityCredential"
_LICENCE = "DrivingLicenceCredential"
_SD_JWT_VC = "dc+sd-jwt"


class Preset(StrEnum):
    """The named requests of ``POST /presentation-requests``."""

    IDENTITY = "identity"
    """Name, birth date, resident number and, when the credential has one, the portrait."""
    AGE_OVER_18 = "age_over_18"
    """Only whether the holder is over 18, from an identity card or a driving licence."""
    DRIVING_LICENCE = "driving_licence"
    """Name, licence number, categories and expiry of a driving licence."""


def _vcts(type_name: str, issuer_urls: Sequence[str]) -> list[str]:
    return [f"{url.rstrip('/')}/types/{type_name}" for url in issuer_urls]


def _claims(*names: str) -> tuple[ClaimsQuery, ...]:
    return tuple(ClaimsQuery(path=(name,)) for name in names)


_IDENTITY_CLAIMS = ("givenName", "familyName", "birthDate", "residentNumber")
_PORTRAIT = "portrait"


def _identity_claims() -> tuple[ClaimsQuery, ...]:
    return tuple(ClaimsQuery(id=name, path=(name,)) for name in (*_IDENTITY_CLAIMS, _PORTRAIT))


def preset_query(preset: Preset, issuer_urls: Sequence[str]) -> DcqlQuery:
    """The DCQL query of ``preset`` for credentials from ``issuer_urls``.

    Raises:
        ValueError: no issuer URL (a query must name at least one ``vct``).
    """
    if not issuer_urls:
        raise ValueError("a preset needs at least one issuer URL")
    if preset is Preset.IDENTITY:
        credentials: tuple[CredentialQuery, ...] = (
            CredentialQuery(
                id="identity",
                format=_SD_JWT_VC,
                meta={"vct_values": _vcts(_IDENTITY, issuer_urls)},
                claims=_identity_claims(),
                # Preference order (DCQL §6.4.1): the wallet answers with the first it can.
                claim_sets=((*_IDENTITY_CLAIMS, _PORTRAIT), _IDENTITY_CLAIMS),
            ),
        )
    elif preset is Preset.AGE_OVER_18:
        credentials = (
            CredentialQuery(
                id="age",
                format=_SD_JWT_VC,
                meta={
                    "vct_values": [
                        *_vcts(_IDENTITY, issuer_urls),
                        *_vcts(_LICENCE, issuer_urls),
                    ]
                },
                claims=_claims("age_over_18"),
            ),
        )
    else:
        credentials = (
            CredentialQuery(
                id="licence",
                format=_SD_JWT_VC,
                meta={"vct_values": _vcts(_LICENCE, issuer_urls)},
                claims=_claims(
                    "givenName", "familyName", "licenceNumber", "categories", "expiryDate"
                ),
            ),
        )
    return DcqlQuery(credentials=credentials)
