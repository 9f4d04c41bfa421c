"""Credential Issuer Metadata (OpenID4VCI 1.0 §12.2) and OAuth AS metadata (RFC 8414).

One credential configuration per (type, format). What a format contributes (``vct`` or
``credential_definition``, the binding methods) comes from its :class:`ConfigurationProfile`
in :data:`PROFILES`, keyed by the format's registry key; nothing else here names a format.
Display data (``display``, ``credential_metadata``) is given per locale by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from vcore.errors import MalformedError
from vcore.oid4vci.offers import PRE_AUTHORIZED_GRANT

__all__ = [
    "AS_METADATA_PATH",
    "ISSUER_METADATA_JWT_TYP",
    "ISSUER_METADATA_PATH",
    "PROFILES",
    "ConfigurationProfile",
    "CredentialTypeDescription",
    "IssuerEndpoints",
    "LocalisedDisplay",
    "build_authorization_server_metadata",
    "build_issuer_metadata",
    "configuration_id",
    "parse_issuer_endpoints",
    "well_known_url",
]

ISSUER_METADATA_PATH = "/.well-known/openid-credential-issuer"
AS_METADATA_PATH = "/.well-known/oauth-authorization-server"
ISSUER_METADATA_JWT_TYP = "openidvci-issuer-metadata+jwt"
"""``typ`` of signed metadata (§12.2.3), served for ``Accept: application/jwt``."""


@dataclass(frozen=True)
class LocalisedDisplay:
    """A name (and description, claim labels by dotted path) in one locale (BCP 47)."""

    locale: str
    name: str
    description: str | None = None
    claim_labels: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``display`` entry (§12.2.4)."""
        value: dict[str, Any] = {"name": self.name, "locale": self.locale}
        if self.description:
            value["description"] = self.description
        return value


@dataclass(frozen=True)
class CredentialTypeDescription:
    """A credential type as the issuer publishes it: names, ``vct``, claim paths."""

    name: str
    vct: str
    display: tuple[LocalisedDisplay, ...]
    claims: tuple[tuple[str, ...], ...] = ()


class ConfigurationProfile(Protocol):
    """What one credential format adds to a credential configuration."""

    @property
    def fmt(self) -> str:
        """The ``format`` value (also the registry key)."""
        ...

    @property
    def suffix(self) -> str:
        """Appended to the type name in the configuration id."""
        ...

    @property
    def binding_methods(self) -> tuple[str, ...]:
        """``cryptographic_binding_methods_supported``."""
        ...

    def members(self, ctype: CredentialTypeDescription) -> dict[str, Any]:
        """The format-specific members (§A)."""
        ...


@dataclass(frozen=True)
class _SdJwtVcProfile:
    """IETF SD-JWT VC (§A.3): the ``vct``; bound to a ``cnf.jwk``."""

    fmt: str = "dc+sd-jwt"
    suffix: str = "sd_jwt"
    binding_methods: tuple[str, ...] = ("jwk",)

    def members(self, ctype: CredentialTypeDescription) -> dict[str, Any]:
        return {"vct": ctype.vct}


@dataclass(frozen=True)
class _JwtVcJsonProfile:
    """VC-JWT 1.1 (§A.1.1): the type list; bound to ``credentialSubject.id`` (a DID)."""

    fmt: str = "jwt_vc_json"
    suffix: str = "jwt_vc_json"
    binding_methods: tuple[str, ...] = ("did:key", "did:jwk")

    def members(self, ctype: CredentialTypeDescription) -> dict[str, Any]:
        return {"credential_definition": {"type": ["VerifiableCredential", ctype.name]}}


PROFILES: Mapping[str, ConfigurationProfile] = {
    p.fmt: p for p in (_SdJwtVcProfile(), _JwtVcJsonProfile())
}
"""The formats offered over OpenID4VCI, by registry key."""


def configuration_id(type_name: str, profile: ConfigurationProfile) -> str:
    """The credential configuration id of a (type, format) pair."""
    return f"{type_name}_{profile.suffix}"


def _claims(ctype: CredentialTypeDescription) -> list[dict[str, Any]]:
    claims = []
    for path in ctype.claims:
        dotted = ".".join(path)
        display = [
            {"name": d.claim_labels[dotted], "locale": d.locale}
            for d in ctype.display
            if dotted in d.claim_labels
        ]
        claims.append({"path": list(path), **({"display": display} if display else {})})
    return claims


def build_issuer_metadata(
    issuer: str,
    *,
    display: Sequence[LocalisedDisplay],
    types: Sequence[CredentialTypeDescription],
    signing_algs: Sequence[str],
    proof_algs: Sequence[str],
    batch_size: int,
    profiles: Sequence[ConfigurationProfile] = tuple(PROFILES.values()),
) -> dict[str, Any]:
    """The Credential Issuer Metadata document (§12.2.4); the issuer is its own AS."""
    configurations: dict[str, Any] = {}
    for ctype in types:
        for profile in profiles:
            configurations[configuration_id(ctype.name, profile)] = {
                "format": profile.fmt,
                **profile.members(ctype),
                "cryptographic_binding_methods_supported": list(profile.binding_methods),
                "credential_signing_alg_values_supported": list(signing_algs),
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": list(proof_algs)}
                },
                "credential_metadata": {
                    "display": [d.to_json() for d in ctype.display],
                    "claims": _claims(ctype),
                },
            }
    return {
        "credential_issuer": issuer,
        "credential_endpoint": f"{issuer}/credential",
        "nonce_endpoint": f"{issuer}/nonce",
        "batch_credential_issuance": {"batch_size": batch_size},
        "display": [d.to_json() for d in display],
        "credential_configurations_supported": configurations,
    }


def build_authorization_server_metadata(issuer: str, *, dpop_algs: Sequence[str]) -> dict[str, Any]:
    """RFC 8414 metadata of the issuer as its own authorization server (token only)."""
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
        "dpop_signing_alg_values_supported": list(dpop_algs),
    }


def well_known_url(identifier: str, well_known_path: str) -> str:
    """Where an identifier's metadata lives (RFC 8414 §3.1, OpenID4VCI 1.0 §12.2.2).

    The well-known path goes before any path of the identifier.
    """
    parts = urlsplit(identifier)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, well_known_path + path, "", ""))


@dataclass(frozen=True)
class IssuerEndpoints:
    """What a wallet needs from an issuer's metadata for the pre-authorized flow."""

    credential_issuer: str
    credential_endpoint: str
    nonce_endpoint: str | None
    authorization_servers: tuple[str, ...]
    configurations: Mapping[str, Mapping[str, Any]]
    batch_size: int
    display: tuple[Mapping[str, Any], ...]


def parse_issuer_endpoints(metadata: object, *, expected_issuer: str) -> IssuerEndpoints:
    """Read Credential Issuer Metadata, checked to name ``expected_issuer`` (§12.2.2).

    Raises:
        MalformedError: not an object, another issuer, or missing endpoints.
    """
    if not isinstance(metadata, dict):
        raise MalformedError("the issuer metadata is not a JSON object")
    issuer = metadata.get("credential_issuer")
    if not isinstance(issuer, str) or issuer.rstrip("/") != expected_issuer.rstrip("/"):
        raise MalformedError("the issuer metadata names another credential_issuer")
    endpoint = metadata.get("credential_endpoint")
    if not isinstance(endpoint, str):
        raise MalformedError("the issuer metadata has no credential_endpoint")
    nonce = metadata.get("nonce_endpoint")
    servers = metadata.get("authorization_servers") or [issuer]
    configurations = metadata.get("credential_configurations_supported")
    if not isinstance(configurations, dict):
        raise MalformedError("the issuer metadata has no credential_configurations_supported")
    batch = metadata.get("batch_credential_issuance")
    size = batch.get("batch_size") if isinstance(batch, dict) else 1
    display = metadata.get("display")
    return IssuerEndpoints(
        credential_issuer=issuer,
        credential_endpoint=endpoint,
        nonce_endpoint=nonce if isinstance(nonce, str) else None,
        authorization_servers=tuple(s for s in servers if isinstance(s, str)),
        configurations={k: v for k, v in configurations.items() if isinstance(v, dict)},
        batch_size=size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else 1,
        display=tuple(d for d in display if isinstance(d, dict))
        if isinstance(display, list)
        else (),
    )
