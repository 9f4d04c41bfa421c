"""Verification reports: check ids, checks, problems, and the explained results.

Every step of the pipeline is reported as a :class:`Check` (``passed``/``failed``/
``skipped``) with a plain-language detail that counter staff can read; failures also
become :class:`Problem` entries with the stable codes of DESIGN §3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from vcore.clock import format_datetime
from vcore.errors import TrustIDError
from vcore.status.mechanism import StatusPurpose
from vcore.trust_list import TrustEntry

__all__ = [
    "CHECK_IDS",
    "Check",
    "CheckId",
    "CheckStatus",
    "PresentationReport",
    "Problem",
    "StatusPurpose",
    "VerificationReport",
    "status_check_id",
]


class CheckStatus(StrEnum):
    """The outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class CheckId(StrEnum):
    """Every check id a report can carry (the README lists the credential ones).

    Credential checks, in pipeline order: ``format``, ``trust``, ``issuer_match``,
    ``key``, ``signature``, ``validity``, ``status.revocation``, ``status.suspension``,
    ``schema``, and ``holder_binding`` inside a presentation. Presentation checks:
    ``format``, ``signature``, ``nonce``, ``audience``, ``freshness``, ``holder_key``,
    ``presentation`` (a reused nonce is a failed ``nonce`` check), and
    ``presentation.credentials`` (``skipped``: no credential presented, a holder proof).
    """

    FORMAT = "format"
    TRUST = "trust"
    ISSUER_MATCH = "issuer_match"
    KEY = "key"
    SIGNATURE = "signature"
    VALIDITY = "validity"
    STATUS_REVOCATION = "status.revocation"
    STATUS_SUSPENSION = "status.suspension"
    SCHEMA = "schema"
    HOLDER_BINDING = "holder_binding"
    # presentation-level
    NONCE = "nonce"
    AUDIENCE = "audience"
    FRESHNESS = "freshness"
    HOLDER_KEY = "holder_key"
    PRESENTATION = "presentation"
    CREDENTIALS = "presentation.credentials"


CHECK_IDS: tuple[CheckId, ...] = (
    CheckId.FORMAT,
    CheckId.TRUST,
    CheckId.ISSUER_MATCH,
    CheckId.KEY,
    CheckId.SIGNATURE,
    CheckId.VALIDITY,
    CheckId.STATUS_REVOCATION,
    CheckId.STATUS_SUSPENSION,
    CheckId.SCHEMA,
)
"""Credential check ids in pipeline order (``status.*`` appear once per status entry)."""

_STATUS_CHECK = {
    StatusPurpose.REVOCATION: CheckId.STATUS_REVOCATION,
    StatusPurpose.SUSPENSION: CheckId.STATUS_SUSPENSION,
}


def status_check_id(purpose: StatusPurpose) -> CheckId:
    """The check id of a status purpose the pipeline decides.

    Raises:
        KeyError: a purpose without a verdict (``refresh``, ``message``).
    """
    return _STATUS_CHECK[purpose]


@dataclass(frozen=True)
class Check:
    """One step of the pipeline and its outcome.

    Attributes:
        id: Step id (a :class:`CheckId`).
        status: ``passed``, ``failed`` or ``skipped``.
        detail: What was checked or what went wrong, in plain language.
        code: The stable error code when ``failed``.
    """

    id: CheckId
    status: CheckStatus
    detail: str
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form: ``{"id", "status", "detail"[, "code"]}``."""
        out: dict[str, Any] = {
            "id": self.id.value,
            "status": self.status.value,
            "detail": self.detail,
        }
        if self.code is not None:
            out["code"] = self.code
        return out


@dataclass(frozen=True)
class Problem:
    """A failure as reported to API clients (RFC 9457-like ``{code, title, detail}``)."""

    code: str
    title: str
    detail: str

    @classmethod
    def from_error(cls, error: TrustIDError) -> Problem:
        """The problem for an error."""
        return cls(code=error.code, title=error.title, detail=error.detail)

    def to_json(self) -> dict[str, str]:
        """JSON form."""
        return {"code": self.code, "title": self.title, "detail": self.detail}


def problems_of(checks: Iterable[Check], titles: Mapping[str, str]) -> list[Problem]:
    """One problem per failed check, titled by its code."""
    return [
        Problem(code=c.code or "error", title=titles.get(c.code or "", "Failed"), detail=c.detail)
        for c in checks
        if c.status is CheckStatus.FAILED
    ]


@dataclass(frozen=True)
class VerificationReport:
    """The explained result of verifying one credential.

    Attributes:
        verified: True only when no check failed.
        checks: Every step, in order.
        problems: One entry per failed check.
        warnings: Things staff should know even when verified (stale status, no status).
        credential: The normalised VC 2.0 view, once its signature verified; else None.
        format: The format's registry key (``vc+jwt``, ``jwt_vc_json``...) when it parsed.
        issuer: The trust-list entry of the issuer, when it was trusted.
        status_as_of: When the oldest status list used was fetched from the issuer.
        status_fresh_until: When the first list used passes its ``ttl`` (``statusFreshUntil``;
            the counter page turns amber after it).
        disclosure: For a selectively disclosed credential (SD-JWT), ``disclosed`` (the
            claims shown) and ``withheld`` (claim names not shown); added to
            ``credential`` in the JSON form with ``format`` (DESIGN §6).
    """

    verified: bool
    checks: list[Check]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    format: str | None = None
    issuer: TrustEntry | None = None
    status_as_of: datetime | None = None
    status_fresh_until: datetime | None = None
    disclosure: dict[str, Any] | None = None

    @property
    def codes(self) -> list[str]:
        """The codes of the failed checks, in order."""
        return [p.code for p in self.problems]

    def to_json(self) -> dict[str, Any]:
        """The DESIGN §3 response body (``problemDetails`` only when not verified)."""
        out: dict[str, Any] = {
            "verified": self.verified,
            "checks": [c.to_json() for c in self.checks],
            "warnings": list(self.warnings),
        }
        if self.credential is not None:
            out["credential"] = self.credential
            if self.disclosure is not None:
                out["credential"] = {**self.credential, "format": self.format, **self.disclosure}
        if self.format is not None:
            out["format"] = self.format
        if self.issuer is not None:
            out["issuer"] = {"id": self.issuer.id, "name": self.issuer.name}
        if self.status_as_of is not None:
            out["statusAsOf"] = format_datetime(self.status_as_of)
        if self.status_fresh_until is not None:
            out["statusFreshUntil"] = format_datetime(self.status_fresh_until)
        if not self.verified:
            out["problemDetails"] = [p.to_json() for p in self.problems]
        return out


@dataclass(frozen=True)
class PresentationReport:
    """The explained result of verifying a presentation and every credential in it.

    Attributes:
        verified: True only when the presentation and every credential verified.
        checks: Presentation-level steps (format, signature, nonce, audience, freshness).
        credentials: One report per credential, in order (holder binding included).
        problems: Presentation-level problems, then each failing credential's.
        warnings: Presentation and credential warnings.
        holder: The holder (a DID or URL) when the presentation parsed.
        holder_proof_only: True when it verified as a presentation of no credential (a
            holder proof, DID authentication): it proves who answered the challenge, and
            vouches for no claim (JSON ``holderProofOnly``; UIs must not show it as a
            credential's VALID).
    """

    verified: bool
    checks: list[Check]
    credentials: list[VerificationReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    holder: str | None = None
    holder_proof_only: bool = False

    @property
    def codes(self) -> list[str]:
        """The codes of all problems, in order."""
        return [p.code for p in self.problems]

    def to_json(self) -> dict[str, Any]:
        """Response body: like a credential report, with ``credentials`` per item."""
        out: dict[str, Any] = {
            "verified": self.verified,
            "checks": [c.to_json() for c in self.checks],
            "warnings": list(self.warnings),
            "credentials": [r.to_json() for r in self.credentials],
            "holderProofOnly": self.holder_proof_only,
        }
        if self.holder is not None:
            out["holder"] = self.holder
        if not self.verified:
            out["problemDetails"] = [p.to_json() for p in self.problems]
        return out


class Steps:
    """Accumulates checks; after a failure, remaining fail-fast steps become skipped.

    Internal to :mod:`vcore.verify` (plans carry one; reports copy its checks).
    """

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.titles: dict[str, str] = {}
        self.failed = False

    def passed(self, check_id: CheckId, detail: str) -> None:
        """Record a passed check."""
        self.checks.append(Check(check_id, CheckStatus.PASSED, detail))

    def fail(self, check_id: CheckId, error: TrustIDError) -> None:
        """Record a failed check (and remember the code's title)."""
        self.failed = True
        self.titles[error.code] = error.title
        self.checks.append(Check(check_id, CheckStatus.FAILED, error.detail, error.code))

    def skip(self, check_id: CheckId, detail: str) -> None:
        """Record a skipped check."""
        self.checks.append(Check(check_id, CheckStatus.SKIPPED, detail))

    def skip_rest(self, check_ids: Iterable[CheckId]) -> None:
        """Skip every remaining fail-fast step after a failure."""
        for check_id in check_ids:
            self.skip(check_id, "not checked because an earlier check failed")

    def copy(self) -> Steps:
        """An independent copy (so one plan can be decided again)."""
        copy = Steps()
        copy.checks = list(self.checks)
        copy.titles = dict(self.titles)
        copy.failed = self.failed
        return copy
