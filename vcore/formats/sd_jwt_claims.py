"""What an SD-JWT credential discloses.

The per-claim policy of a type file (``x-trustid-disclosure``), the claims a credential
withholds, and the credential type a ``vct`` names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vcore.dids import did_web_to_url
from vcore.errors import TrustIDError
from vcore.sdjwt import Selective

__all__ = [
    "DisclosureMode",
    "DisclosurePolicy",
    "did_web_base_url",
    "mark_claims",
    "type_name_of_vct",
    "withheld_claims",
]


class DisclosureMode(StrEnum):
    """How a claim appears in an SD-JWT credential (``x-trustid-disclosure``)."""

    ALWAYS = "always"
    SELECTIVE = "selective"
    NEVER = "never"


@dataclass(frozen=True)
class DisclosurePolicy:
    """Per-claim disclosure modes; unlisted claims get :attr:`default`.

    Attributes:
        modes: Claim name -> mode (top-level subject claims).
        default: The mode of a claim not in :attr:`modes`.
    """

    modes: Mapping[str, DisclosureMode] = field(default_factory=dict)
    default: DisclosureMode = DisclosureMode.SELECTIVE

    def mode(self, name: str) -> DisclosureMode:
        """The mode of ``name``."""
        return self.modes.get(name, self.default)


_ALL_SELECTIVE = DisclosurePolicy()


def mark_claims(claims: Mapping[str, Any], policy: DisclosurePolicy) -> dict[str, Any]:
    """Wrap the claims the policy makes selective in :class:`~vcore.sdjwt.Selective`.

    An object claim is disclosable as a whole and each member on its own (an address can
    be shown without the street); arrays are disclosed whole.
    """
    out: dict[str, Any] = {}
    for name, value in claims.items():
        mode = policy.mode(name)
        if mode is DisclosureMode.NEVER:
            continue
        if mode is DisclosureMode.ALWAYS:
            out[name] = value
        elif isinstance(value, Mapping):
            out[name] = Selective({k: Selective(v) for k, v in value.items()})
        else:
            out[name] = Selective(value)
    return out


def _metadata_paths(
    type_metadata: Mapping[str, Any], *, include_never: bool = False
) -> list[tuple[str, ...]]:
    claims = type_metadata.get("claims")
    paths: list[tuple[str, ...]] = []
    for claim in claims if isinstance(claims, list) else []:
        path = claim.get("path") if isinstance(claim, Mapping) else None
        if (
            isinstance(path, list)
            and path
            and all(isinstance(p, str) for p in path)
            and (include_never or claim.get("sd") != "never")
        ):
            paths.append(tuple(path))
    return paths


def withheld_claims(
    disclosed: Mapping[str, Any],
    type_metadata: Mapping[str, Any] | None,
    *,
    include_never: bool = False,
) -> list[str]:
    """Dotted names of the type's claims (Type Metadata ``claims[].path``) not disclosed.

    A member of a withheld object is not listed again (``address``, not also
    ``address.locality``). Claims the metadata marks ``sd: never`` (never issued in an
    SD-JWT) are left out unless ``include_never``.
    """
    if type_metadata is None:
        return []
    withheld: list[str] = []
    for path in _metadata_paths(type_metadata, include_never=include_never):
        node: Any = disclosed
        for depth, part in enumerate(path):
            if not isinstance(node, Mapping) or part not in node:
                name = ".".join(path[: depth + 1])
                parents = {".".join(path[:i]) for i in range(1, depth + 1)}
                if name not in withheld and not parents.intersection(withheld):
                    withheld.append(name)
                break
            node = node[part]
    return withheld


def did_web_base_url(did: str, *, scheme: str = "https") -> str:
    """The base URL a did:web DID names (``did:web:host:path`` -> ``https://host/path``).

    Raises:
        DIDError: not a did:web DID.
    """
    document = did_web_to_url(did, scheme=scheme)
    return document.removesuffix("/.well-known/did.json").removesuffix("/did.json")


def type_name_of_vct(vct: str, issuer: str) -> str:
    """The credential type a ``vct`` names (see the module docstring)."""
    if issuer.startswith("did:web:"):
        for scheme in ("https", "http"):
            try:
                base = did_web_base_url(issuer, scheme=scheme) + "/types/"
            except TrustIDError:
                return vct
            name = vct.removeprefix(base)
            if name != vct and name and "/" not in name and "#" not in name:
                return name
    return vct
