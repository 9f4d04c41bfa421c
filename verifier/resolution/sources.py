"""What the service asks of resolvers, online (cached, fetched) or offline (a bundle)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from vcore.keys import PublicKey
from vcore.verify import StatusListSnapshot
from verifier.resolution.evidence import EvidenceBundle

__all__ = ["KeySource", "SchemaSource", "Sources", "StatusListSource"]


class KeySource(Protocol):
    """Issuer keys by ``kid``."""

    async def key_for(self, kid: str, *, evidence: EvidenceBundle | None = None) -> PublicKey:
        """The key; what it came from goes into ``evidence``.

        Raises:
            TrustIDError: no usable key.
        """
        ...


class StatusListSource(Protocol):
    """Verified status lists by URL."""

    async def get(
        self,
        url: str,
        issuer: str,
        *,
        evidence: EvidenceBundle | None = None,
        max_age: timedelta | None = None,
    ) -> StatusListSnapshot:
        """The list at ``url`` for a credential of ``issuer``; recorded in ``evidence``.

        ``max_age``: the oldest copy acceptable (``options.maxStatusAge``), if any.

        Raises:
            TrustIDError: refused or unavailable.
        """
        ...


class SchemaSource(Protocol):
    """Credential schemas by URL."""

    async def get(
        self, url: str, issuer: str, *, evidence: EvidenceBundle | None = None
    ) -> Mapping[str, Any] | None:
        """The schema, or None when none is fetched for it; recorded in ``evidence``.

        Raises:
            TrustIDError: it could not be had.
        """
        ...

    def integrity(self, url: str) -> frozenset[str]:
        """The SRI tokens of the bytes behind the last :meth:`get` of ``url``."""
        ...


@dataclass(frozen=True)
class Sources:
    """The three sources a verification gathers from."""

    keys: KeySource
    status_lists: StatusListSource
    schemas: SchemaSource
