"""Issuer keys and status lists for :mod:`vcore.verify`, online or from the cache.

did:key/did:jwk issuers resolve offline. did:web issuers resolve through their DID
document (fetched under the outbound policy); every key that verified a credential is
kept in the vault so ``--offline`` can check against it later. Status lists are fetched
and signature-checked with their issuer's key; offline, status is "unavailable", never
guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from vcore.clock import format_datetime
from vcore.dids import is_offline_did, key_from_did_document, parse_did_url, resolve_offline
from vcore.errors import MalformedError, StatusUnavailableError, TrustIDError, UnknownKeyError
from vcore.formats import SecuredCredential
from vcore.integrity import check_integrity, integrity_of
from vcore.jsontext import loads_strict
from vcore.keys import PublicKey, public_key_from_jwk
from vcore.outbound import did_web_url, url_host_port
from vcore.verify import StatusListSnapshot, read_list_unverified, verify_list
from wallet_cli.client import WalletClient
from wallet_cli.errors import NetworkError, WalletError
from wallet_cli.records import IssuerKeyRecord, metadata_display_name

__all__ = ["Resolver"]


class Resolver:
    """Key and status-list resolution for one command run.

    Args:
        client: Makes the HTTP client on first need (did:jwk/did:key issuers need none);
            None for ``--offline`` (cached keys only, no status).
        cache: The vault's cached issuer keys (read only here; see :attr:`fetched`).
        now: The command's instant.

    Attributes:
        fetched: Issuer keys resolved online in this run, to cache once they verified.
    """

    def __init__(
        self,
        client: Callable[[], WalletClient] | None,
        cache: dict[str, IssuerKeyRecord],
        now: datetime,
    ) -> None:
        self._make_client = client
        self._client: WalletClient | None = None
        self._cache = cache
        self._now = now
        self._documents: dict[str, dict[str, object]] = {}
        self.fetched: dict[str, IssuerKeyRecord] = {}

    @property
    def offline(self) -> bool:
        return self._make_client is None

    def _http(self) -> WalletClient | None:
        if self._client is None and self._make_client is not None:
            self._client = self._make_client()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Resolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def key_for(self, kid: str) -> PublicKey:
        """The public key named by ``kid``.

        Raises:
            UnknownKeyError, DIDError, InvalidKeyError: no usable key.
            NetworkError, OutboundURLError: the issuer could not be asked.
        """
        did = parse_did_url(kid).did
        if is_offline_did(did):
            return resolve_offline(kid)
        client = self._http()
        if client is None:
            cached = self._cache.get(kid)
            if cached is None:
                raise UnknownKeyError(
                    f"the key {kid[:80]} is not in this wallet's cache; run once without "
                    "--offline to fetch it from the issuer"
                )
            return public_key_from_jwk(cached.jwk)
        document = self._documents.get(did)
        if document is None:
            document = client.fetch_did_document(did)
            self._documents[did] = document
        key = key_from_did_document(document, kid)
        self.fetched[kid] = IssuerKeyRecord(jwk=key.to_jwk(), fetched_at=format_datetime(self._now))
        return key

    def issuer_display_name(self, did: str) -> str | None:
        """A did:web issuer's self-declared name from its OpenID4VCI metadata, or None.

        Only online and only for did:web. The name is cosmetic, so every failure
        (refused URL, unreachable, too large, not JSON, no name) is silent.
        """
        if not did.startswith("did:web:"):
            return None
        client = self._http()
        if client is None:
            return None
        try:
            metadata = client.fetch_issuer_metadata(did)
        except (WalletError, TrustIDError):
            return None
        return metadata_display_name(metadata)

    def type_metadata(self, view: SecuredCredential) -> tuple[dict[str, Any] | None, str | None]:
        """A credential's Type Metadata (SD-JWT VC ``vct``), and a note when it was refused.

        Online only, and only from the did:web issuer's own host (as the verifier does).
        The bytes must match a signed ``vct#integrity``. Cosmetic otherwise: it only names
        the claims a type has that this credential lacks, so failing is a note, never an
        error.
        """
        url = view.type_metadata_url
        client = self._http() if url is not None else None
        if url is None or client is None or not view.issuer.startswith("did:web:"):
            return None, None
        try:
            home = url_host_port(did_web_url(view.issuer, client.allow))
            if url_host_port(client.check_url(url)) != home:
                return None, None
            body = client.fetch_type_metadata(url)
            metadata = loads_strict(body)
            if not isinstance(metadata, dict):
                raise MalformedError("not a JSON object")
            if view.type_metadata_integrity is not None:
                check_integrity(view.type_metadata_integrity, integrity_of(body))
        except (WalletError, TrustIDError) as exc:
            reason = exc.message if isinstance(exc, WalletError) else exc.detail
            return None, f"the credential type's metadata was not kept: {reason}"
        return metadata, None

    def status_for(self, url: str) -> StatusListSnapshot:
        """A signature-checked status list; any failure is ``status_unavailable``.

        Raises:
            TrustIDError: the list could not be had or did not verify.
        """
        client = self._http()
        if client is None:
            raise StatusUnavailableError("offline: the status was not checked")
        try:
            token = client.fetch_status_list(url)
            unverified = read_list_unverified(token)
            key = self.key_for(unverified.kid)
        except NetworkError as exc:
            raise StatusUnavailableError(exc.message) from exc
        except TrustIDError as exc:
            raise StatusUnavailableError(
                f"the status list could not be used: {exc.detail}"
            ) from exc
        return verify_list(unverified, key=key, list_url=url, fetched_at=self._now)
