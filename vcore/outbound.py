"""Outbound URL policy: which URLs and addresses the apps may fetch (SSRF guard).

Verifiers and wallets fetch DID documents, JWKS and status lists from URLs that end up
in tokens, so an attacker picks them. The policy here (DESIGN §3
``TRUSTID_ALLOW_INSECURE_HOSTS``, §4 "outbound HTTP") is pure; the apps apply it twice:
to the URL before connecting (:func:`check_url`) and to every address the host name
resolves to (:func:`check_address`), so a public name that resolves to ``127.0.0.1``
or ``169.254.169.254`` (cloud metadata, DNS rebinding) is refused as well.

* ``https`` only, except hosts on the allow list, which may also use plain ``http``;
* loopback, private, link-local, multicast, reserved and other non-global addresses are
  refused unless the host is allow-listed;
* no user info (``user@host`` confuses parsers: CVE-2021-23336-style splits), ASCII host
  names only (no IDNA homographs), URLs of at most :data:`MAX_URL_LENGTH` characters.

Allow-list entries are ``host`` (any port) or ``host:port`` (``[v6]:port`` for IPv6).

A deployment whose issuers live on an internal network (``TRUSTID_ALLOW_PRIVATE_HOSTS``,
:func:`parse_private_hosts`) lists hosts that may resolve to a non-public address but
are still reached over verified ``https`` only: their entries sit in the same set,
marked ``https://host[:port]`` (a mark a plain entry cannot carry, since plain entries
refuse ``/``), so every function taking the allow list understands both and plain
``http`` stays reserved to the insecure entries.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit, urlunsplit

from vcore.dids import did_web_to_url, parse_did_url
from vcore.errors import DIDError, OutboundURLError

__all__ = [
    "MAX_URL_LENGTH",
    "check_address",
    "check_url",
    "did_web_url",
    "host_port",
    "is_allow_listed",
    "parse_allow_list",
    "parse_private_hosts",
    "url_host_port",
]

MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")
_PRIVATE_TLS_MARK = "https://"


def _normalise_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def host_port(host: str, port: int) -> str:
    """Canonical ``host:port`` (IPv6 literals in brackets), as matched by the allow list."""
    host = _normalise_host(host)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _split_entry(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        host, sep, rest = entry[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise OutboundURLError(f"allow-list entry {entry!r} is not [v6] or [v6]:port")
        port_text = rest[1:] if rest else None
    elif entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
    else:
        host, port_text = entry, None
    port: int | None = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise OutboundURLError(f"allow-list entry {entry!r} has an invalid port")
        port = int(port_text)
    return _normalise_host(host), port


def parse_allow_list(env_value: str | None) -> frozenset[str]:
    """Parse ``TRUSTID_ALLOW_INSECURE_HOSTS`` (comma-separated ``host[:port]``).

    Returns:
        Canonical entries: ``host`` or ``host:port``, lower-case.

    Raises:
        OutboundURLError: an entry has a scheme, a path, or an invalid port.
    """
    entries: set[str] = set()
    for raw in (env_value or "").split(","):
        entry = raw.strip()
        if not entry:
            continue
        if "/" in entry or "@" in entry or any(c.isspace() for c in entry):
            raise OutboundURLError(
                f"allow-list entry {entry!r} must be host or host:port (no scheme or path)"
            )
        host, port = _split_entry(entry)
        if not host:
            raise OutboundURLError(f"allow-list entry {entry!r} has no host")
        entries.add(host if port is None else host_port(host, port))
    return frozenset(entries)


def parse_private_hosts(env_value: str | None) -> frozenset[str]:
    """Parse ``TRUSTID_ALLOW_PRIVATE_HOSTS`` (comma-separated ``host[:port]``).

    Those hosts may resolve to a loopback or private address but are reached over
    https only; add the result to the allow list.

    Raises:
        OutboundURLError: as :func:`parse_allow_list`.
    """
    return frozenset(_PRIVATE_TLS_MARK + entry for entry in parse_allow_list(env_value))


def is_allow_listed(host: str, port: int, allow_insecure_hosts: Iterable[str]) -> bool:
    """True when ``host`` (any port) or ``host:port`` is on the insecure allow list."""
    allow = frozenset(allow_insecure_hosts)
    return _normalise_host(host) in allow or host_port(host, port) in allow


def _private_tls_listed(host: str, port: int, allow: frozenset[str]) -> bool:
    """True when the host may be private but only over https (``TRUSTID_ALLOW_PRIVATE_HOSTS``)."""
    return (
        _PRIVATE_TLS_MARK + _normalise_host(host) in allow
        or _PRIVATE_TLS_MARK + host_port(host, port) in allow
    )


def _split_host_port(value: str) -> tuple[str, int]:
    host, port = _split_entry(value)
    if port is None:
        raise OutboundURLError(f"{value!r} is not host:port")
    return host, port


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError as exc:
        raise OutboundURLError(f"{text!r} is not an IP address") from exc
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 reaches 127.0.0.1: judge the embedded IPv4 address.
        return address.ipv4_mapped
    return address


def check_address(ip: str, host_port: str, allow_insecure_hosts: Iterable[str]) -> None:
    """Refuse connecting to a non-public address unless the host is allow-listed.

    Args:
        ip: The resolved address the app is about to connect to.
        host_port: The URL's ``host:port`` (from :func:`url_host_port`), matched against
            the allow list.
        allow_insecure_hosts: Entries from :func:`parse_allow_list`.

    Raises:
        OutboundURLError: loopback, private, link-local, multicast, reserved, unspecified
            or otherwise non-global address, for a host that is not allow-listed.
    """
    address = _parse_ip(ip)
    if address.is_global and not address.is_multicast:
        return
    host, port = _split_host_port(host_port)
    allow = frozenset(allow_insecure_hosts)
    # A private-TLS host's scheme was held to https by check_url before any connection.
    if is_allow_listed(host, port, allow) or _private_tls_listed(host, port, allow):
        return
    raise OutboundURLError(
        f"{host_port} resolves to the non-public address {address}; refused "
        "(an internal https host: TRUSTID_ALLOW_PRIVATE_HOSTS; development: "
        "TRUSTID_ALLOW_INSECURE_HOSTS)"
    )


def _split(url: object) -> SplitResult:
    if not isinstance(url, str) or not url:
        raise OutboundURLError("URL must be a non-empty string")
    if len(url) > MAX_URL_LENGTH:
        raise OutboundURLError(f"URL longer than {MAX_URL_LENGTH} characters")
    if not url.isascii() or _BAD_URL_CHARS.search(url) is not None:
        raise OutboundURLError("URL must be ASCII without spaces, controls or backslashes")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - property access validates the port
    except ValueError as exc:
        raise OutboundURLError(f"URL is malformed: {exc}") from exc
    return parts


def url_host_port(url: str) -> str:
    """The canonical ``host:port`` of a URL (default port filled in).

    Raises:
        OutboundURLError: not an http(s) URL with a host.
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise OutboundURLError(f"not an http(s) URL with a host: {url[:80]!r}")
    return host_port(parts.hostname, parts.port or _DEFAULT_PORTS[scheme])


def check_url(url: str, *, allow_insecure_hosts: Iterable[str]) -> str:
    """Check a URL against the outbound policy before any connection.

    Returns:
        The normalised URL (lower-case scheme and host, no fragment).

    Raises:
        OutboundURLError: not https (or http for an allow-listed host), user info, a
            non-ASCII or malformed host, or a literal non-public IP / local name for a
            host that is not allow-listed.
    """
    allow = frozenset(allow_insecure_hosts)
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise OutboundURLError(f"scheme {scheme!r} is not allowed (https only)")
    if "@" in parts.netloc:
        raise OutboundURLError("URLs with user info are not allowed")
    host = _normalise_host(parts.hostname or "")
    if not host:
        raise OutboundURLError("URL has no host")
    port = parts.port or _DEFAULT_PORTS[scheme]
    listed = is_allow_listed(host, port, allow)
    if scheme == "http" and not listed:
        raise OutboundURLError(
            f"plain http to {host_port(host, port)} is not allowed (https only outside "
            "TRUSTID_ALLOW_INSECURE_HOSTS)"
        )
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = _parse_ip(host)
    except OutboundURLError:
        literal = None
    if literal is not None:
        check_address(str(literal), host_port(host, port), allow)
    else:
        last_label = host.rsplit(".", 1)[-1]
        # A numeric last label is an IP in disguise ("2130706433", "127.1", "0x7f.1"):
        # resolvers turn it into 127.0.0.1, so it never names a public DNS host.
        if (
            _HOST_RE.fullmatch(host) is None
            or ".." in host
            or last_label.isdigit()
            or last_label.startswith("0x")
        ):
            raise OutboundURLError(f"host {host[:80]!r} is not a valid DNS name")
        private = listed or _private_tls_listed(host, port, allow)
        if not private and (host == "localhost" or host.endswith(_LOCAL_SUFFIXES)):
            raise OutboundURLError(f"local host name {host!r} is not allowed")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def did_web_url(did: str, allow_insecure_hosts: Iterable[str]) -> str:
    """The DID document URL of a did:web DID under the outbound policy.

    Plain ``http`` is chosen only for allow-listed hosts (the development quick start);
    everything else resolves over ``https``.

    Raises:
        DIDError: not a did:web DID.
        OutboundURLError: the resulting URL is not allowed.
    """
    parsed = parse_did_url(did)
    if parsed.did.split(":")[1] != "web":
        raise DIDError(f"not a did:web DID: {did[:80]!r}")
    allow = frozenset(allow_insecure_hosts)
    https_url = did_web_to_url(parsed.did, scheme="https")
    parts = _split(https_url)
    host = parts.hostname or ""
    # Without an explicit port, plain http would connect to port 80.
    insecure = is_allow_listed(host, parts.port or _DEFAULT_PORTS["http"], allow)
    scheme = "http" if insecure else "https"
    return check_url(did_web_to_url(parsed.did, scheme=scheme), allow_insecure_hosts=allow)
