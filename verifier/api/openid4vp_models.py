"""Wire models of the OpenID4VP endpoints (DESIGN §6 "OpenID4VP 1.0 (verifier)")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vcore.dcql import Preset

__all__ = [
    "PresentationRequestCreateRequest",
    "PresentationRequestCreateResponse",
    "PresentationRequestStateResponse",
]


class PresentationRequestCreateRequest(BaseModel):
    """A DCQL query (OpenID4VP 1.0 §6), or a named preset; exactly one of them.

    ``responseMode``: ``direct_post.jwt`` (default: the answer is encrypted to a key of
    this request) or ``direct_post``. ``clientIdPrefix``: ``decentralized_identifier``
    (default: a request object signed with the verifier's did:web key) or
    ``redirect_uri`` (development only: unsigned).
    """

    model_config = ConfigDict(extra="forbid")

    dcql_query: dict[str, Any] | None = None
    preset: Preset | None = None
    responseMode: Literal["direct_post", "direct_post.jwt"] = "direct_post.jwt"  # noqa: N815
    clientIdPrefix: Literal["decentralized_identifier", "redirect_uri"] = (  # noqa: N815
        "decentralized_identifier"
    )


class PresentationRequestCreateResponse(BaseModel):
    """The new request: its id, the ``openid4vp://`` link (show it as a QR code), the
    request object's URL and the expiry (5 minutes)."""

    id: str
    request: str = Field(description="openid4vp://?client_id=...&request_uri=...")
    requestUri: str  # noqa: N815
    expiresAt: str  # noqa: N815


class PresentationRequestStateResponse(BaseModel):
    """``pending`` until the wallet answers (or ``expired``); then ``verified`` or ``failed``
    with ``result``: ``verified``, ``claims`` (only the requested ones, by credential query
    id), the per-presentation reports and ``problemDetails``."""

    id: str
    state: Literal["pending", "verified", "failed", "expired"]
    expiresAt: str  # noqa: N815
    dcqlQuery: dict[str, Any]  # noqa: N815
    result: dict[str, Any] | None = None
