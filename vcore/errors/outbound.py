"""The error of the outbound-fetch (SSRF) policy."""

from __future__ import annotations

from vcore.errors.base import TrustIDError

__all__ = [
    "OutboundURLError",
]


class OutboundURLError(TrustIDError):
    """A URL or address may not be fetched (SSRF policy: scheme, host, private address)."""

    code = "url_not_allowed"
    title = "URL not allowed"
