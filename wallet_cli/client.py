"""HTTP to issuers and verifiers, under the outbound policy (DESIGN §4 "outbound HTTP").

Credentials name the URLs the wallet fetches (did:web documents, status lists), so a
hostile credential could point the wallet at the user's router or a cloud metadata
address. Every URL passes :func:`vcore.outbound.check_url`, and every address a host
name resolves to passes :func:`vcore.outbound.check_address` *in the connection itself*
(:class:`trustid_http.outbound.GuardedTransport` connects only to an address it checked), so DNS rebinding
between the check and the connection gains nothing. No redirects, no proxies from the
environment, connect 2 s / read 5 s, and every body is read against a size bound.
"""

from __future__ import annotations

from typing import Any

import httpx

from trustid_http.outbound import DEFAULT_TIMEOUT, GuardedTransport, OutboundRefused, sync_client
from vcore.errors import MalformedError
from vcore.jsontext import loads_strict
from vcore.outbound import check_url, did_web_url
from wallet_cli.errors import NetworkError

__all__ = [
    "MAX_CREDENTIAL_BODY",
    "MAX_DID_DOCUMENT",
    "MAX_ISSUER_METADATA",
    "MAX_STATUS_LIST",
    "MAX_TYPE_METADATA",
    "MAX_VERIFIER_RESPONSE",
    "WalletClient",
    "guarded_http_client",
]

MAX_DID_DOCUMENT = 100 * 1024
MAX_ISSUER_METADATA = 100 * 1024
MAX_STATUS_LIST = 1024 * 1024
MAX_TYPE_METADATA = 256 * 1024
MAX_CREDENTIAL_BODY = 64 * 1024
MAX_VERIFIER_RESPONSE = 1024 * 1024
_TIMEOUT = DEFAULT_TIMEOUT
_USER_AGENT = "trustid-wallet/0.1"


def guarded_http_client(allow_insecure_hosts: frozenset[str]) -> httpx.Client:
    """An httpx client whose connections go only to addresses the policy allows."""
    # httpx's TLS context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR when set), as before.
    transport = GuardedTransport(allow_insecure_hosts, ssl_context=httpx.create_ssl_context())
    return sync_client(
        allow_insecure_hosts, user_agent=_USER_AGENT, transport=transport, timeout=_TIMEOUT
    )


class WalletClient:
    """The wallet's only network I/O.

    Args:
        allow_insecure_hosts: Parsed ``TRUSTID_ALLOW_INSECURE_HOSTS``.
        http: An httpx client (tests pass one with ``MockTransport``); by default a
            :func:`guarded_http_client`.
    """

    def __init__(
        self, allow_insecure_hosts: frozenset[str], http: httpx.Client | None = None
    ) -> None:
        self._allow = allow_insecure_hosts
        self._http = http if http is not None else guarded_http_client(allow_insecure_hosts)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WalletClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def allow(self) -> frozenset[str]:
        """The hosts allowed over plain http / private addresses (tests, local issuers)."""
        return self._allow

    @property
    def allow_insecure_hosts(self) -> frozenset[str]:
        """``TRUSTID_ALLOW_INSECURE_HOSTS`` as parsed (the same set as ``allow``)."""
        return self._allow

    def check_url(self, url: str) -> str:
        """The URL normalised, if the policy allows it.

        Raises:
            OutboundURLError: not allowed.
        """
        return check_url(url, allow_insecure_hosts=self._allow)

    def _send(
        self, method: str, url: str, limit: int, **kwargs: Any
    ) -> tuple[httpx.Response, bytes]:
        url = self.check_url(url)
        host = httpx.URL(url).host
        headers = {**kwargs.pop("headers", {}), "Accept-Encoding": "identity"}
        try:
            with self._http.stream(method, url, headers=headers, **kwargs) as response:
                encoding = response.headers.get("Content-Encoding", "identity").lower()
                if encoding != "identity":
                    # A compressed body could inflate far past the limit in one chunk.
                    raise NetworkError(f"{host} sent a {encoding}-compressed body; refused")
                body = bytearray()
                for chunk in response.iter_bytes():  # identity: no decoder runs
                    body += chunk
                    if len(body) > limit:
                        raise NetworkError(f"{host} sent more than {limit:,} bytes; refused")
                return response, bytes(body)
        except OutboundRefused as exc:
            raise exc.error from None
        except httpx.TimeoutException:
            raise NetworkError(f"{host} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach {host}: {exc}") from None

    def _get(self, url: str, limit: int, accept: str) -> bytes:
        response, body = self._send("GET", url, limit, headers={"Accept": accept})
        if response.status_code != 200:
            raise NetworkError(
                f"{response.url.host} answered {response.status_code} for {response.url.path}"
            )
        return body

    def fetch_did_document(self, did: str) -> dict[str, Any]:
        """GET a did:web DID document (no redirects, at most 100 KiB).

        Raises:
            OutboundURLError: the DID's URL is not allowed.
            NetworkError: unreachable, not 200, too large.
            MalformedError: not a JSON object.
        """
        url = did_web_url(did, self._allow)
        document = loads_strict(self._get(url, MAX_DID_DOCUMENT, "application/json"))
        if not isinstance(document, dict):
            raise MalformedError("the DID document is not a JSON object")
        return document

    def fetch_issuer_metadata(self, did: str) -> dict[str, Any]:
        """GET a did:web issuer's OpenID4VCI metadata (``<base URL>/.well-known/
        openid-credential-issuer``, at most 100 KiB), checked to name that base URL.

        The base URL is the one the DID document came from, without ``/.well-known/did.json``
        (or ``/did.json`` for a DID with a path).

        Raises:
            DIDError: not a did:web DID.
            OutboundURLError, NetworkError: as for :meth:`fetch_did_document`.
            MalformedError: not a JSON object, or ``credential_issuer`` is another URL.
        """
        document_url = did_web_url(did, self._allow)
        base = document_url.removesuffix("/did.json").removesuffix("/.well-known")
        url = f"{base}/.well-known/openid-credential-issuer"
        metadata = loads_strict(self._get(url, MAX_ISSUER_METADATA, "application/json"))
        if not isinstance(metadata, dict):
            raise MalformedError("the issuer metadata is not a JSON object")
        declared = metadata.get("credential_issuer")
        if not isinstance(declared, str) or declared.rstrip("/") != base:
            raise MalformedError("the issuer metadata names another credential_issuer")
        return metadata

    def exchange(
        self,
        method: str,
        url: str,
        *,
        limit: int = MAX_CREDENTIAL_BODY * 4,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[int, Any, httpx.Headers]:
        """A protocol request (OpenID4VCI): the status, the JSON body (None if not JSON),
        and the headers, whatever the status; the caller reads the spec's error body.

        Raises:
            OutboundURLError, NetworkError: as for :meth:`fetch_did_document`.
        """
        sent = {"Accept": "application/json", **(headers or {})}
        response, body = self._send(method, url, limit, headers=sent, **kwargs)
        try:
            value = loads_strict(body) if body else None
        except MalformedError:
            value = None
        return response.status_code, value, response.headers

    def fetch_status_list(self, url: str) -> str:
        """GET a status list credential (a compact JWS).

        Raises:
            OutboundURLError, NetworkError: as for :meth:`fetch_did_document`.
        """
        body = self._get(
            url, MAX_STATUS_LIST, "application/vc+jwt, application/statuslist+jwt, application/jwt"
        )
        return body.decode("ascii", errors="replace").strip()

    def fetch_type_metadata(self, url: str) -> bytes:
        """GET SD-JWT VC Type Metadata (a ``vct`` URL, at most 256 KiB), the raw bytes
        (``vct#integrity`` is a digest of exactly them).

        Raises:
            OutboundURLError, NetworkError: as for :meth:`fetch_did_document`.
        """
        return self._get(url, MAX_TYPE_METADATA, "application/json")

    def fetch_credential(self, url: str) -> str:
        """GET a credential an issuer offers at a URL: a JWT or a VC-API JSON body."""
        body = self._get(url, MAX_CREDENTIAL_BODY, "application/vc+jwt, application/json")
        return body.decode("utf-8", errors="replace")

    def fetch_request_object(self, url: str) -> str:
        """GET an OpenID4VP request object (``application/oauth-authz-req+jwt``, <= 64 KiB).

        Raises:
            OutboundURLError, NetworkError: as for :meth:`fetch_did_document`.
        """
        response, body = self._send(
            "GET", url, MAX_CREDENTIAL_BODY, headers={"Accept": "application/oauth-authz-req+jwt"}
        )
        if response.status_code != 200:
            try:
                error = loads_strict(body)
            except MalformedError:
                error = None
            said = error.get("error_description") if isinstance(error, dict) else None
            raise NetworkError(
                f"{response.url.host} answered {response.status_code} for the request"
                + (f": {said}" if isinstance(said, str) else "")
            )
        return body.decode("ascii", errors="replace").strip()

    def post_authorization_response(
        self, url: str, form: dict[str, str]
    ) -> tuple[int, dict[str, Any] | None]:
        """POST an OpenID4VP response (form-encoded) and return the status and JSON body.

        Raises:
            OutboundURLError, NetworkError: the URL is refused or the verifier unreachable.
        """
        response, body = self._send(
            "POST",
            url,
            MAX_VERIFIER_RESPONSE,
            data=form,
            headers={"Accept": "application/json"},
        )
        try:
            answer = loads_strict(body) if body else {}
        except MalformedError:
            answer = None
        return response.status_code, answer if isinstance(answer, dict) else None

    def verify_credential(
        self, verifier: str, credential: dict[str, Any], api_key: str | None
    ) -> dict[str, Any]:
        """POST ``/credentials/verify`` and return the verifier's report (200 or 400 body).

        Raises:
            NetworkError: unreachable, refused (401/403/429...), or not a report.
        """
        base = verifier.rstrip("/")
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        response, body = self._send(
            "POST",
            f"{base}/credentials/verify",
            MAX_VERIFIER_RESPONSE,
            json={"verifiableCredential": credential, "options": {}},
            headers=headers,
        )
        try:
            report = loads_strict(body)
        except MalformedError:
            report = None
        if response.status_code in (200, 400) and isinstance(report, dict) and "verified" in report:
            return report
        detail = report.get("detail") if isinstance(report, dict) else None
        raise NetworkError(
            f"the verifier answered {response.status_code}"
            + (f": {detail}" if isinstance(detail, str) else "")
        )
