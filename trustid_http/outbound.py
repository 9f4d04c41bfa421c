"""Outbound HTTP under the SSRF policy, for the verifier (async) and the wallet (sync).

Credentials and trust lists name the URLs the apps fetch (did:web documents, JWKS,
status lists, schemas), so an attacker picks them. :mod:`vcore.outbound` holds the pure
policy; this module applies it *inside the connection*: the transports here own an
httpcore connection pool whose network backend resolves the host itself, checks every
address with :func:`vcore.outbound.check_address`, and connects only to an address it
checked, so DNS rebinding between a check and the connect gains nothing.

httpx takes no network backend, so :class:`AsyncGuardedTransport` and
:class:`GuardedTransport` are transports of their own (httpx's public
``AsyncBaseTransport`` / ``BaseTransport``) around an httpcore pool; nothing here
touches an httpx private attribute. httpcore errors are mapped to the matching public
httpx exception; a connection the policy refuses raises :class:`OutboundRefused` (an
``httpx.ConnectError``) that carries the :class:`vcore.errors.OutboundURLError`.

The clients from :func:`async_client` and :func:`sync_client` follow no redirects, take
no proxy or other setting from the environment, and time out (connect 2 s, read 5 s).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypedDict

import anyio
import certifi
import httpcore
import httpx

from vcore.errors import OutboundURLError
from vcore.outbound import check_address, host_port

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "READ_TIMEOUT",
    "AsyncGuardedTransport",
    "GuardedTransport",
    "HostResolver",
    "OutboundRefused",
    "SyncHostResolver",
    "async_client",
    "default_ssl_context",
    "resolve_host",
    "resolve_host_sync",
    "sync_client",
]

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 5.0
DEFAULT_TIMEOUT = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
_MAX_CONNECTIONS = 100
_MAX_KEEPALIVE = 20
_KEEPALIVE_EXPIRY = 5.0

HostResolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port)`` -> IP addresses (async); injectable so tests need no DNS."""
SyncHostResolver = Callable[[str, int], list[str]]
"""``(host, port)`` -> IP addresses (blocking); injectable so tests need no DNS."""


async def resolve_host(host: str, port: int) -> list[str]:
    """Resolve a host name to its addresses (all families), without blocking the loop."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_host_sync(host: str, port: int) -> list[str]:
    """Resolve a host name to its addresses (all families)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def default_ssl_context(extra_ca_file: str | Path | None = None) -> ssl.SSLContext:
    """Verified TLS against the certifi bundle (no CA settings from the environment).

    ``extra_ca_file`` (PEM) adds the CA certificates of an internal or test CA to the
    public ones; verification itself never changes.

    Raises:
        OSError, ssl.SSLError: the file is unreadable or holds no PEM certificate.
    """
    context = ssl.create_default_context(cafile=certifi.where())
    if extra_ca_file is not None:
        context.load_verify_locations(cafile=str(extra_ca_file))
    return context


class OutboundRefused(httpx.ConnectError):
    """A connection refused by the outbound policy at connect time.

    Attributes:
        error: The policy's refusal (its ``detail`` is this exception's message).
    """

    def __init__(self, error: OutboundURLError, *, request: httpx.Request | None = None) -> None:
        super().__init__(error.detail, request=request)
        self.error = error


class _Refused(httpcore.ConnectError):
    """Raised by the network backends; the transports turn it into OutboundRefused."""

    def __init__(self, error: OutboundURLError) -> None:
        super().__init__(error.detail)
        self.error = error


@contextmanager
def _resolving(host: str) -> Iterator[None]:
    """A failed name lookup is a connect error (as httpcore's own backends report it)."""
    try:
        yield
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc


def _checked_addresses(host: str, port: int, addresses: list[str], allow: frozenset[str]) -> None:
    if not addresses:
        raise httpcore.ConnectError(f"{host} has no address")
    for address in addresses:
        # Every one of them: a name with one private address among public ones is
        # refused (the OS could pick it, or a rebinding attacker could rotate onto it).
        try:
            check_address(address, host_port(host, port), allow)
        except OutboundURLError as exc:
            raise _Refused(exc) from exc


class _AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, allow: frozenset[str], resolver: HostResolver) -> None:
        self._allow = allow
        self._resolve = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with _resolving(host):
            addresses = await self._resolve(host, port)
        _checked_addresses(host, port, addresses, self._allow)
        error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None  # noqa: S101 - addresses is non-empty
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, allow: frozenset[str], resolver: SyncHostResolver) -> None:
        self._allow = allow
        self._resolve = resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        with _resolving(host):
            addresses = self._resolve(host, port)
        _checked_addresses(host, port, addresses, self._allow)
        error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None  # noqa: S101 - addresses is non-empty
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# Most specific first: the first match wins.
_ERROR_MAP: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _mapped_errors(request: httpx.Request | None = None) -> Iterator[None]:
    try:
        yield
    except _Refused as exc:
        raise OutboundRefused(exc.error, request=request) from exc
    except Exception as exc:
        for source, target in _ERROR_MAP:
            if isinstance(exc, source):
                raise target(str(exc), request=request) from exc
        raise


def _core_request(request: httpx.Request) -> httpcore.Request:
    return httpcore.Request(
        method=request.method,
        url=httpcore.URL(
            scheme=request.url.raw_scheme,
            host=request.url.raw_host,
            port=request.url.port,
            target=request.url.raw_path,
        ),
        headers=request.headers.raw,
        content=request.stream,
        extensions=request.extensions,
    )


class _AsyncStream(httpx.AsyncByteStream):
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors():
            async for part in self._inner:
                yield part

    async def aclose(self) -> None:
        with _mapped_errors():
            await self._inner.aclose()


class _SyncStream(httpx.SyncByteStream):
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        with _mapped_errors():
            yield from self._inner

    def close(self) -> None:
        with _mapped_errors():
            self._inner.close()


class _PoolSettings(TypedDict):
    ssl_context: ssl.SSLContext
    max_connections: int
    max_keepalive_connections: int
    keepalive_expiry: float
    retries: int


def _pool_settings(ssl_context: ssl.SSLContext | None) -> _PoolSettings:
    """What both pools share: TLS, bounds, keep-alive, no retries (the backend differs)."""
    return _PoolSettings(
        ssl_context=ssl_context or default_ssl_context(),
        max_connections=_MAX_CONNECTIONS,
        max_keepalive_connections=_MAX_KEEPALIVE,
        keepalive_expiry=_KEEPALIVE_EXPIRY,
        retries=0,
    )


def _httpx_response(
    response: httpcore.Response, stream: httpx.AsyncByteStream | httpx.SyncByteStream
) -> httpx.Response:
    return httpx.Response(
        status_code=response.status,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
    )


class AsyncGuardedTransport(httpx.AsyncBaseTransport):
    """An async transport that connects only to addresses the outbound policy allows.

    Args:
        allow: Parsed ``TRUSTID_ALLOW_INSECURE_HOSTS`` (:func:`vcore.outbound.parse_allow_list`).
        resolver: Name resolution (tests pass a fake one).
        ssl_context: TLS settings; :func:`default_ssl_context` by default.
    """

    def __init__(
        self,
        allow: frozenset[str],
        resolver: HostResolver = resolve_host,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            **_pool_settings(ssl_context), network_backend=_AsyncGuardedBackend(allow, resolver)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the guarded pool (httpx errors, as httpx's own)."""
        with _mapped_errors(request):
            response = await self._pool.handle_async_request(_core_request(request))
        return _httpx_response(response, _AsyncStream(response.stream))

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()


class GuardedTransport(httpx.BaseTransport):
    """The blocking twin of :class:`AsyncGuardedTransport` (the wallet's)."""

    def __init__(
        self,
        allow: frozenset[str],
        resolver: SyncHostResolver = resolve_host_sync,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            **_pool_settings(ssl_context), network_backend=_GuardedBackend(allow, resolver)
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the guarded pool (httpx errors, as httpx's own)."""
        with _mapped_errors(request):
            response = self._pool.handle_request(_core_request(request))
        return _httpx_response(response, _SyncStream(response.stream))

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.close()


class _ClientSettings(TypedDict):
    timeout: httpx.Timeout
    follow_redirects: bool
    trust_env: bool
    headers: dict[str, str]


def _client_settings(user_agent: str, timeout: httpx.Timeout) -> _ClientSettings:
    """What both clients share: timeouts, no redirects, nothing from the environment."""
    return _ClientSettings(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": user_agent},
    )


def async_client(
    allow: frozenset[str],
    *,
    user_agent: str,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """An async client: guarded transport, short timeouts, no redirects, no proxies.

    Args:
        allow: Parsed ``TRUSTID_ALLOW_INSECURE_HOSTS``.
        user_agent: The ``User-Agent`` header.
        transport: Replaces the guarded transport (tests pass an ``httpx.MockTransport``).
        timeout: Connect / read timeouts.
        ssl_context: TLS of the guarded transport; :func:`default_ssl_context` by default.
    """
    return httpx.AsyncClient(
        transport=transport or AsyncGuardedTransport(allow, ssl_context=ssl_context),
        **_client_settings(user_agent, timeout),
    )


def sync_client(
    allow: frozenset[str],
    *,
    user_agent: str,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
) -> httpx.Client:
    """The blocking twin of :func:`async_client`."""
    return httpx.Client(
        transport=transport or GuardedTransport(allow),
        **_client_settings(user_agent, timeout),
    )
