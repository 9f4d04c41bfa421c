"""Outbound URL policy (vcore.outbound): the SSRF guard's pure decisions."""

from __future__ import annotations

import pytest

from vcore.errors import DIDError, OutboundURLError
from vcore.outbound import check_address, check_url, did_web_url, parse_allow_list, url_host_port

ALLOW = parse_allow_list("127.0.0.1:8100, localhost, [::1]:9000")


def test_parse_allow_list() -> None:
    assert frozenset({"127.0.0.1:8100", "localhost", "[::1]:9000"}) == ALLOW
    assert parse_allow_list("") == frozenset()
    assert parse_allow_list(None) == frozenset()
    assert parse_allow_list(" Example.ORG ,") == frozenset({"example.org"})


@pytest.mark.parametrize(
    "entry", ["http://127.0.0.1:8100", "host/path", "host:port", "host:0", "u@h", "[::1"]
)
def test_parse_allow_list_refuses_junk(entry: str) -> None:
    with pytest.raises(OutboundURLError):
        parse_allow_list(entry)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://issuer.example/status/1", "https://issuer.example/status/1"),
        ("HTTPS://Issuer.Example:8443/a?b=1#frag", "https://issuer.example:8443/a?b=1"),
        (
            "http://127.0.0.1:8100/.well-known/did.json",
            "http://127.0.0.1:8100/.well-known/did.json",
        ),
        ("http://localhost:5000/x", "http://localhost:5000/x"),
        ("https://8.8.8.8/x", "https://8.8.8.8/x"),
    ],
)
def test_allowed_urls(url: str, expected: str) -> None:
    assert check_url(url, allow_insecure_hosts=ALLOW) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://issuer.example/",  # plain http to a public host
        "ftp://issuer.example/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "https://user:pw@issuer.example/",
        "https://issuer.example@127.0.0.1/",
        "https://127.0.0.1:8101/",  # loopback, port not allow-listed
        "https://10.1.2.3/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[::ffff:169.254.169.254]/",
        "https://[fe80::1]/",
        "https://0.0.0.0/",
        "https://2130706433/",  # 127.0.0.1 as one decimal number
        "https://0x7f.1/",
        "https://127.1/",
        "https://metadata.google.internal/",
        "https://printer.local/",
        "https://ex ample.com/",
        "https://exämple.com/",
        "https://issuer.example\\@evil.example/",
        "https://" + "a" * 2100 + ".example/",
    ],
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(OutboundURLError) as info:
        check_url(url, allow_insecure_hosts=ALLOW)
    assert info.value.code == "url_not_allowed"


@pytest.mark.parametrize(
    ("ip", "host_port", "allowed"),
    [
        ("93.184.216.34", "issuer.example:443", True),
        ("127.0.0.1", "issuer.example:443", False),  # DNS rebinding to loopback
        ("10.0.0.8", "issuer.example:443", False),
        ("100.64.0.1", "issuer.example:443", False),  # carrier-grade NAT
        ("224.0.0.1", "issuer.example:443", False),
        ("::1", "issuer.example:443", False),
        ("::ffff:10.0.0.1", "issuer.example:443", False),
        ("fd00::1", "issuer.example:443", False),
        ("127.0.0.1", "127.0.0.1:8100", True),
        ("127.0.0.1", "localhost:1234", True),
        ("::1", "[::1]:9000", True),
        ("::1", "[::1]:9001", False),
    ],
)
def test_check_address(ip: str, host_port: str, allowed: bool) -> None:
    if allowed:
        check_address(ip, host_port, ALLOW)
    else:
        with pytest.raises(OutboundURLError, match="non-public"):
            check_address(ip, host_port, ALLOW)


def test_did_web_url_uses_http_only_for_allow_listed_hosts() -> None:
    assert (
        did_web_url("did:web:127.0.0.1%3A8100", ALLOW)
        == "http://127.0.0.1:8100/.well-known/did.json"
    )
    assert (
        did_web_url("did:web:registry.example", ALLOW)
        == "https://registry.example/.well-known/did.json"
    )
    assert (
        did_web_url("did:web:registry.example:agencies:housing", ALLOW)
        == "https://registry.example/agencies/housing/did.json"
    )
    with pytest.raises(OutboundURLError):
        did_web_url("did:web:127.0.0.1%3A9999", ALLOW)
    with pytest.raises(DIDError):
        did_web_url("did:key:z6Mkabc", ALLOW)


def test_url_host_port() -> None:
    assert url_host_port("https://Issuer.example/x") == "issuer.example:443"
    assert url_host_port("http://127.0.0.1:8100/x") == "127.0.0.1:8100"
    assert url_host_port("https://[::1]:9000/") == "[::1]:9000"


def test_punycode_names_are_ordinary_hosts() -> None:
    # IDNA names arrive as ASCII punycode; raw Unicode hosts are refused (homographs).
    assert check_url("https://xn--80ak6aa92e.com/ok", allow_insecure_hosts=ALLOW)
