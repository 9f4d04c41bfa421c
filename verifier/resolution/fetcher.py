"""GET under the outbound policy: address checks, size caps, no redirects, a deadline.

The connection itself goes through :class:`trustid_http.outbound.AsyncGuardedTransport`,
which checks the addresses again at connect time (DNS rebinding gains nothing).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx

from trustid_http.outbound import HostResolver, async_client, default_ssl_context, resolve_host
from vcore.outbound import check_address, check_url, url_host_port
from verifier.errors import FetchFailedError, FetchFailure

__all__ = [
    "TOTAL_TIMEOUT",
    "USER_AGENT",
    "EventSink",
    "Fetched",
    "Fetcher",
    "build_http_client",
    "no_events",
]

TOTAL_TIMEOUT = 10.0
USER_AGENT = "TrustID-Verifier/0.1"

EventSink = Callable[[str, str], None]
"""``(cache or fetch kind, event)`` -> None; the app counts these in Prometheus."""


def no_events(kind: str, event: str) -> None:
    """An :data:`EventSink` that drops every event."""
    return None


def build_http_client(
    allow: frozenset[str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    ca_file: Path | None = None,
) -> httpx.AsyncClient:
    """The outbound client: guarded transport, short timeouts, no redirects, no proxies;
    ``ca_file`` (``TRUSTID_CA_FILE``) adds CA certificates to the public ones."""
    context = default_ssl_context(ca_file) if ca_file is not None else None
    return async_client(allow, user_agent=USER_AGENT, transport=transport, ssl_context=context)


@dataclass(frozen=True)
class Fetched:
    """A response body read within the limits."""

    status: int
    body: bytes
    etag: str | None
    url: str


class Fetcher:
    """GET with the outbound policy, size cap, no redirects and an overall deadline."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow: frozenset[str],
        resolver: HostResolver = resolve_host,
        events: EventSink = no_events,
    ) -> None:
        self.client = client
        self.allow = allow
        self._resolve = resolver
        self._events = events

    async def check(self, url: str) -> str:
        """Apply the URL policy and the address policy to ``url``; return it normalised.

        Raises:
            OutboundURLError: refused by policy.
            FetchFailedError: the host does not resolve.
        """
        url = check_url(url, allow_insecure_hosts=self.allow)
        parts = httpx.URL(url)
        if _is_ip(parts.host):
            return url
        try:
            addresses = await self._resolve(parts.host, parts.port or _default_port(parts.scheme))
        except OSError as exc:
            raise FetchFailedError(
                f"cannot resolve {parts.host}: {exc}", url=url, reason=FetchFailure.UNRESOLVABLE
            ) from exc
        for address in addresses:
            check_address(address, url_host_port(url), self.allow)
        return url

    async def get(
        self,
        url: str,
        *,
        kind: str,
        max_bytes: int,
        accept: str,
        etag: str | None = None,
    ) -> Fetched:
        """Fetch ``url``.

        Returns:
            200 with the body, or 304 (empty body) when ``etag`` still matches.

        Raises:
            OutboundURLError: refused by policy.
            FetchFailedError: network error, timeout, redirect, other status, or oversize.
        """
        headers = {"Accept": accept, "Accept-Encoding": "identity"}
        if etag is not None:
            headers["If-None-Match"] = etag
        try:
            with anyio.fail_after(TOTAL_TIMEOUT):
                url = await self.check(url)
                return await self._get(url, kind, headers, max_bytes)
        except TimeoutError as exc:
            self._events(kind, "timeout")
            raise FetchFailedError(
                f"{url} did not answer within {TOTAL_TIMEOUT:.0f} s",
                url=url,
                reason=FetchFailure.TIMEOUT,
            ) from exc
        except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL) as exc:
            self._events(kind, "error")
            raise FetchFailedError(
                f"{url} could not be reached ({type(exc).__name__})",
                url=url,
                reason=FetchFailure.UNREACHABLE,
            ) from exc

    async def _get(self, url: str, kind: str, headers: dict[str, str], max_bytes: int) -> Fetched:
        async with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304 and "If-None-Match" in headers:
                self._events(kind, "not_modified")
                return Fetched(304, b"", response.headers.get("etag"), url)
            if response.is_redirect:
                self._events(kind, "refused")
                raise FetchFailedError(
                    f"{url} answered with a redirect, which is not followed",
                    url=url,
                    reason=FetchFailure.REDIRECT,
                    status=response.status_code,
                )
            if response.status_code != 200:
                self._events(kind, f"http_{response.status_code // 100}xx")
                raise FetchFailedError(
                    f"{url} answered HTTP {response.status_code}",
                    url=url,
                    reason=FetchFailure.HTTP_STATUS,
                    status=response.status_code,
                )
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                # We ask for identity: a compressed body could inflate far past the cap
                # inside one chunk before we get to count it (decompression bomb).
                self._events(kind, "refused")
                raise FetchFailedError(
                    f"{url} sent a {encoding}-encoded body; not accepted",
                    url=url,
                    reason=FetchFailure.COMPRESSED,
                )
            too_large = FetchFailedError(
                f"{url} is larger than {max_bytes} bytes", url=url, reason=FetchFailure.TOO_LARGE
            )
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                self._events(kind, "too_large")
                raise too_large
            body = bytearray()
            async for chunk in response.aiter_bytes():  # identity only (checked above)
                body += chunk
                if len(body) > max_bytes:
                    self._events(kind, "too_large")
                    raise too_large
            self._events(kind, "ok")
            return Fetched(200, bytes(body), response.headers.get("etag"), url)


def _default_port(scheme: str) -> int:
    return 80 if scheme == "http" else 443


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True
