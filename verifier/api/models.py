"""Wire models of the verification endpoints (DESIGN §3, W3C VC-API)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChallengeResponse",
    "PresentationOptions",
    "VerifyBatchRequest",
    "VerifyCredentialRequest",
    "VerifyPresentationRequest",
]

MAX_BATCH = 1000


class VerifyCredentialRequest(BaseModel):
    """``{"verifiableCredential": <enveloped object or compact JWT>, "options": {}}``.

    ``options.includeEvidence: true`` adds the evidence bundle to the result;
    ``options.requireKeyBinding: true`` refuses an SD-JWT without KB-JWT
    (``kb_jwt_required``); ``options.maxStatusAge`` (seconds) bounds the status list age.
    """

    model_config = ConfigDict(extra="ignore")

    verifiableCredential: dict[str, Any] | str  # noqa: N815 - VC-API member name
    options: dict[str, Any] = Field(default_factory=dict)


class PresentationOptions(BaseModel):
    """``challenge`` is the nonce; ``domain`` the audience (default: this verifier)."""

    model_config = ConfigDict(extra="ignore")

    challenge: str = Field(min_length=1, max_length=512)
    domain: str | None = Field(default=None, min_length=1, max_length=2048)


class VerifyPresentationRequest(BaseModel):
    """``{"verifiablePresentation": ..., "options": {"challenge", "domain"}}``."""

    model_config = ConfigDict(extra="ignore")

    verifiablePresentation: dict[str, Any] | str  # noqa: N815 - VC-API member name
    options: PresentationOptions


class VerifyBatchRequest(BaseModel):
    """``{"items": [{"verifiableCredential": ...}, ...]}``, up to 1,000 items.

    Items are checked one by one, so one malformed item gets its own failed result
    instead of failing the whole batch. ``options.includeEvidence: true`` adds one
    evidence bundle for the whole batch; ``options.requireKeyBinding`` and
    ``options.maxStatusAge`` apply to every item as on ``/credentials/verify``.
    """

    model_config = ConfigDict(extra="ignore")

    items: list[Any] = Field(min_length=1, max_length=MAX_BATCH)
    options: dict[str, Any] = Field(default_factory=dict)


class ChallengeResponse(BaseModel):
    """A fresh single-use challenge bound to the caller, and the domain to address the
    presentation to; ``expiresAt`` (RFC 3339) and ``expiresIn`` (seconds) say how long
    it stays open."""

    challenge: str
    domain: str
    expiresAt: str  # noqa: N815 - JSON member name
    expiresIn: int  # noqa: N815 - JSON member name
