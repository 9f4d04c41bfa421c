"""Resolvers that answer only from an :class:`EvidenceBundle`: no network at all.

They have the online resolvers' signatures, so the service decides the same way: keys
come from the recorded DID documents (did:jwk/did:key need none), status-list tokens
are verified again with those keys, schemas are the recorded ones. What the bundle does
not hold is unavailable, exactly as an unreachable issuer would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vcore.errors import StatusUnavailableError, TrustIDError, UnknownKeyError
from vcore.keys import PublicKey
from vcore.trust_list import TrustList, load_trust_list
from vcore.verify import StatusListSnapshot
from verifier.resolution.evidence import DocumentEvidence, EvidenceBundle
from verifier.resolution.keys import key_from_source, resolve_key
from verifier.resolution.schemas import schema_in
from verifier.resolution.status_lists import verify_list_token

__all__ = [
    "BundleKeys",
    "BundleSchemas",
    "BundleStatusLists",
    "trust_list_from_bundle",
]


def trust_list_from_bundle(bundle: EvidenceBundle, *, anchor: PublicKey | None) -> TrustList:
    """The bundle's trust list, checked again (signed lists with ``anchor``, at load time).

    Raises:
        TrustListError: unusable, or signed and ``anchor`` does not verify it.
    """
    evidence = bundle.trust_list
    if evidence is None:
        return TrustList()
    return load_trust_list(evidence.document, anchor=anchor, now=evidence.fetched_at)


class BundleKeys:
    """Issuer keys from the bundle's DID documents."""

    def __init__(self, bundle: EvidenceBundle, trust: TrustList) -> None:
        self._bundle = bundle
        self._trust = trust

    async def key_and_document(self, kid: str) -> tuple[PublicKey | None, DocumentEvidence | None]:
        """As :meth:`verifier.resolution.keys.KeyResolver.key_and_document`, from the bundle.

        Raises:
            UntrustedIssuerError, DIDError: as online.
            UnknownKeyError: the bundle holds no document of that DID.
        """
        key, did = resolve_key(kid, self._trust)
        if key is not None:
            return key, None
        document = self._bundle.documents.get(did)
        if document is None:
            raise UnknownKeyError(f"the evidence bundle holds no DID document of {did}")
        return None, document

    async def key_for(self, kid: str, *, evidence: EvidenceBundle | None = None) -> PublicKey:
        """The key for ``kid`` (see :meth:`key_and_document`)."""
        return await key_from_source(self, kid, evidence=evidence)


class BundleStatusLists:
    """Status lists from the bundle's tokens, verified again."""

    def __init__(self, bundle: EvidenceBundle, trust: TrustList, keys: BundleKeys) -> None:
        self._bundle = bundle
        self._trust = trust
        self._keys = keys

    async def get(
        self,
        url: str,
        issuer: str,
        *,
        evidence: EvidenceBundle | None = None,
        max_age: timedelta | None = None,
    ) -> StatusListSnapshot:
        """The recorded status list at ``url`` (``issuer`` is checked at decision).

        ``max_age`` is not applied again: the recorded decision already did.

        Raises:
            TrustIDError: the error recorded for it.
            StatusUnavailableError: not in the bundle, or its token does not verify.
        """
        recorded = self._bundle.status_lists.get(url)
        if recorded is None:
            raise StatusUnavailableError(f"the evidence bundle holds no status list {url}")
        if recorded.error is not None:
            raise recorded.error
        if recorded.token is None:
            raise StatusUnavailableError(f"the evidence bundle holds no token for {url}")
        try:
            snapshot, _ = await verify_list_token(
                recorded.token,
                url=url,
                fetched_at=recorded.fetched_at,
                trust=self._trust,
                keys=self._keys,
            )
        except TrustIDError as exc:
            raise StatusUnavailableError(
                f"the status list in the evidence bundle is unusable ({exc.detail})"
            ) from exc
        return snapshot.with_stale(recorded.stale)


class BundleSchemas:
    """Schemas from the bundle."""

    def __init__(self, bundle: EvidenceBundle) -> None:
        self._bundle = bundle

    async def get(
        self, url: str, issuer: str, *, evidence: EvidenceBundle | None = None
    ) -> Mapping[str, Any] | None:
        """The recorded schema at ``url``, None when none was fetched for it.

        Raises:
            TrustIDError: the error recorded for it.
        """
        recorded = self._bundle.schemas.get(url)
        return None if recorded is None else schema_in(recorded)

    def integrity(self, url: str) -> frozenset[str]:
        """The recorded SRI tokens of ``url`` (empty for a bundle made without them)."""
        recorded = self._bundle.schemas.get(url)
        return frozenset() if recorded is None else recorded.integrity
