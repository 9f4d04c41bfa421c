"""Issuer use cases. Each owns its transactions (``with session.begin():``)."""

from issuer.service.bootstrap import IssuerServices, open_services
from issuer.service.context import IssuerContext, Principal
from issuer.service.issuance import IssueCommand, IssuedCredential

__all__ = [
    "IssueCommand",
    "IssuedCredential",
    "IssuerContext",
    "IssuerServices",
    "Principal",
    "open_services",
]
