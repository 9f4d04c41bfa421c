"""The issuer's OpenID4VCI metadata: its credential configurations with display data.

Display names and claim labels come from each type file's ``x-trustid-display``, read by
:func:`issuer.service.type_metadata.localised_displays` (the Type Metadata uses the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from issuer.credential_types import CredentialType
from issuer.service.context import IssuerContext
from issuer.service.keys import SigningKeyService
from issuer.service.type_metadata import localised_displays
from vcore.clock import to_timestamp
from vcore.jose import sign
from vcore.oid4vci import (
    ISSUER_METADATA_JWT_TYP,
    PROFILES,
    PROOF_ALGS,
    CredentialTypeDescription,
    LocalisedDisplay,
    build_authorization_server_metadata,
    build_issuer_metadata,
    configuration_id,
)

__all__ = [
    "SIGNING_ALGS",
    "authorization_server_metadata",
    "configuration_of",
    "describe_type",
    "issuer_metadata",
    "signed_issuer_metadata",
]

SIGNING_ALGS = ("ES256", "EdDSA")
"""What the issuer signs credentials with (DESIGN §6)."""


def _claim_paths(ctype: CredentialType) -> tuple[tuple[str, ...], ...]:
    paths: list[tuple[str, ...]] = []
    for name, schema in ctype.schema.get("properties", {}).items():
        if name == "id":
            continue
        paths.append((name,))
        members = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(members, Mapping):
            paths.extend((name, member) for member in members)
    paths.extend((f"age_over_{age}",) for age in ctype.derived_ages)
    return tuple(paths)


def describe_type(ctype: CredentialType, vct: str) -> CredentialTypeDescription:
    """The type's names and claim labels per locale, from ``x-trustid-display``."""
    return CredentialTypeDescription(
        ctype.name, vct, localised_displays(ctype), _claim_paths(ctype)
    )


def configuration_of(ctx: IssuerContext) -> dict[str, tuple[str, str]]:
    """Every configuration id this issuer offers -> (type name, format key)."""
    return {
        configuration_id(name, profile): (name, fmt)
        for name, ctype in ctx.types.items()
        if not ctype.is_open
        for fmt, profile in PROFILES.items()
    }


def issuer_metadata(ctx: IssuerContext) -> dict[str, Any]:
    """The Credential Issuer Metadata document (OpenID4VCI 1.0 §12.2)."""
    settings = ctx.settings
    return build_issuer_metadata(
        ctx.issuer_url,
        display=(
            LocalisedDisplay("en", settings.issuer_name),
            LocalisedDisplay("zh-Hans", settings.issuer_name_zh),
        ),
        types=[
            describe_type(ctype, ctx.type_url(name))
            for name, ctype in ctx.types.items()
            if not ctype.is_open
        ],
        signing_algs=SIGNING_ALGS,
        proof_algs=PROOF_ALGS,
        batch_size=settings.batch_size,
    )


def signed_issuer_metadata(ctx: IssuerContext, keys: SigningKeyService) -> str:
    """The metadata as a JWT (§12.2.3): ``sub`` the issuer, signed by its active key (whose
    ``kid`` its DID document and JWKS publish), valid for a day."""
    with ctx.session() as session, session.begin():
        key = keys.active(session)
    now = ctx.clock()
    claims = {
        **issuer_metadata(ctx),
        "sub": ctx.issuer_url,
        "iss": ctx.issuer_url,
        "iat": to_timestamp(now),
        "exp": to_timestamp(now + timedelta(days=1)),
    }
    return sign(claims, key.signer, typ=ISSUER_METADATA_JWT_TYP)


def authorization_server_metadata(ctx: IssuerContext) -> dict[str, Any]:
    """RFC 8414 metadata: the issuer is its own authorization server (token endpoint)."""
    return build_authorization_server_metadata(ctx.issuer_url, dpop_algs=PROOF_ALGS)
