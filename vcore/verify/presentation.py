"""The presentation pipeline: holder signature and replay checks, then each credential.

The presentation format comes from the registry (``vp+jwt``, ``jwt_vp_json``, or a
registered Data Integrity presentation); every credential inside is planned with
:func:`vcore.verify.plan_credential` and decided with holder binding.

A presentation that holds no credential is a *holder proof* (DID authentication): it is
verified on its own checks (holder signature, challenge, audience, freshness), its
``presentation.credentials`` check is ``skipped`` ("no credential presented") and the
report says ``holderProofOnly``: it proves who answered the challenge, not any claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from vcore.dids import parse_did_url
from vcore.errors import (
    ExpiredError,
    HolderBindingError,
    MalformedError,
    NotYetValidError,
    PresentationError,
    TrustIDError,
)
from vcore.formats.registry import detect_presentation
from vcore.formats.secured import SecuredPresentation
from vcore.formats.vp_jwt import offline_holder_key
from vcore.keys import PublicKey
from vcore.trust_list import TrustList
from vcore.verify.credential import decide_credential, gather, plan_credential
from vcore.verify.evidence import KeyResolver, Material, SchemaResolver, StatusResolver
from vcore.verify.plan import CredentialPlan
from vcore.verify.report import Check, CheckId, CheckStatus, PresentationReport, Problem

__all__ = [
    "NO_CREDENTIAL",
    "PresentationPlan",
    "decide_presentation",
    "did_needs_document",
    "plan_presentation",
    "verify_presentation_token",
]


@dataclass(frozen=True)
class PresentationPlan:
    """Phase 1 of a presentation: holder signature, nonce, audience and time checked.

    Attributes:
        checks: Presentation-level checks.
        holder: The holder (a DID or URL), when known.
        nonce: The nonce the presentation carried, once it verified (for single use).
        credentials: One plan per credential inside.
        problems: Presentation-level problems.
        holder_key_needed: The holder's key id when it needs a document (a did:web
            holder) that the caller did not give: the plan failed (fail closed) and the
            app may fetch that key and plan again with ``holder_keys``.
    """

    checks: list[Check]
    holder: str | None = None
    nonce: str | None = None
    credentials: tuple[CredentialPlan, ...] = ()
    problems: tuple[Problem, ...] = ()
    holder_key_needed: str | None = None

    @property
    def failed(self) -> bool:
        """True when the presentation itself failed."""
        return bool(self.problems)

    @property
    def holder_proof_only(self) -> bool:
        """True for a presentation that verified as such and holds no credential."""
        return not self.failed and not self.credentials

    def with_failure(self, check_id: CheckId | str, error: TrustIDError) -> PresentationPlan:
        """The plan with one more failed presentation-level check (e.g. nonce reused)."""
        return PresentationPlan(
            checks=[
                *self.checks,
                Check(CheckId(check_id), CheckStatus.FAILED, error.detail, error.code),
            ],
            holder=self.holder,
            nonce=self.nonce,
            credentials=self.credentials,
            problems=(*self.problems, Problem.from_error(error)),
        )


_PRESENTATION_CHECK = {
    "nonce_mismatch": CheckId.NONCE,
    "audience_mismatch": CheckId.AUDIENCE,
    "holder_binding": CheckId.HOLDER_KEY,
    "expired": CheckId.FRESHNESS,
    "not_yet_valid": CheckId.FRESHNESS,
    "kb_jwt_stale": CheckId.FRESHNESS,
    "kb_jwt_bad_signature": CheckId.SIGNATURE,
}


class _HolderKeyNeededError(HolderBindingError):
    """A did:web holder's key, not given: the plan fails closed until it is fetched."""

    def __init__(self, kid: str) -> None:
        super().__init__("the holder's key (a did:web DID document) has not been resolved")
        self.kid = kid


def did_needs_document(did: str) -> bool:
    """Whether a holder DID's keys come from a fetched document (did:web) not the DID itself."""
    return did.startswith("did:web:")


NO_CREDENTIAL = "no credential presented: a holder proof only"
"""The ``presentation.credentials`` detail (and warning) of a holder proof."""


def _dated(parsed: SecuredPresentation) -> bool:
    """Whether the presentation carries an issuance time (JWT ``iat``/``nbf``, DI ``created``)."""
    claims = parsed.claims
    return "iat" in claims or "nbf" in claims or "created" in parsed.header


def _failed_check(exc: TrustIDError) -> CheckId:
    if isinstance(exc, PresentationError | ExpiredError | NotYetValidError):
        return _PRESENTATION_CHECK.get(exc.code, CheckId.PRESENTATION)
    return CheckId.FORMAT if isinstance(exc, MalformedError) else CheckId.SIGNATURE


def plan_presentation(
    token: object,
    *,
    nonce: str,
    audience: str,
    trust: TrustList | None,
    now: datetime,
    require_issued_at: bool = True,
    holder_keys: Mapping[str, PublicKey | TrustIDError] | None = None,
) -> PresentationPlan:
    """Phase 1 for a presentation: holder signature and replay protections, then credentials.

    Every credential inside is planned with :func:`plan_credential`. Holder keys are
    resolved offline (did:key, did:jwk), so this needs no network; a did:web holder's key
    comes from ``holder_keys`` (fetched by the app, see
    :attr:`PresentationPlan.holder_key_needed`).

    Args:
        token: The presentation (compact JWS, data URL, envelope or secured document).
        nonce: The challenge the presentation must answer.
        audience: The domain it must be addressed to.
        trust: The trust list for the credentials inside.
        now: The decision instant.
        require_issued_at: False only when the caller owns the challenge (see
            :meth:`vcore.formats.protocols.PresentationFormat.verify`).
        holder_keys: Holder keys (or the error that stood for one) by key id, for
            holders whose DID needs a document.
    """
    parsed: SecuredPresentation | None = None

    def key_for(kid: str) -> PublicKey:
        did = parse_did_url(kid).did
        if holder_keys is not None and kid in holder_keys:
            found = holder_keys[kid]
            if isinstance(found, TrustIDError):
                raise found
            return found
        if did_needs_document(did):
            raise _HolderKeyNeededError(kid)
        return offline_holder_key(kid)

    try:
        detected = detect_presentation(token)
        fmt = detected.format
        parsed = fmt.parse_unverified(detected.value)
        fmt.verify(
            parsed,
            nonce=nonce,
            audience=audience,
            now=now,
            key_for=key_for,
            require_issued_at=require_issued_at,
        )
    except TrustIDError as exc:
        return PresentationPlan(
            checks=[Check(_failed_check(exc), CheckStatus.FAILED, exc.detail, exc.code)],
            holder=None if parsed is None else parsed.holder,
            problems=(Problem.from_error(exc),),
            holder_key_needed=exc.kid if isinstance(exc, _HolderKeyNeededError) else None,
        )
    count = len(parsed.credentials)
    freshness = (
        "made within the last 5 minutes"
        if require_issued_at or _dated(parsed)
        else "undated: fresh by the caller's own challenge"
    )
    checks = [
        Check(CheckId.FORMAT, CheckStatus.PASSED, f"a presentation of {count} credential(s)"),
        Check(CheckId.SIGNATURE, CheckStatus.PASSED, "signed by the holder's own key"),
        Check(CheckId.NONCE, CheckStatus.PASSED, "the nonce matches the challenge"),
        Check(CheckId.AUDIENCE, CheckStatus.PASSED, f"addressed to {audience}"),
        Check(CheckId.FRESHNESS, CheckStatus.PASSED, freshness),
        Check(CheckId.CREDENTIALS, CheckStatus.PASSED, f"{count} credential(s) presented")
        if count
        else Check(CheckId.CREDENTIALS, CheckStatus.SKIPPED, NO_CREDENTIAL),
    ]
    plans = tuple(plan_credential(item, trust=trust, now=now) for item in parsed.credentials)
    return PresentationPlan(checks=checks, holder=parsed.holder, nonce=nonce, credentials=plans)


def decide_presentation(
    plan: PresentationPlan, material: Material, *, now: datetime
) -> PresentationReport:
    """Phase 2 for a presentation: decide every credential, with holder binding."""
    # A presentation that failed (replayed, wrong nonce...) vouches for nothing: its
    # credentials are not decided, so nothing is fetched or shown for them.
    reports = (
        []
        if plan.failed
        else [decide_credential(p, material, now=now, holder=plan.holder) for p in plan.credentials]
    )
    problems = list(plan.problems)
    warnings: list[str] = [NO_CREDENTIAL] if plan.holder_proof_only else []
    for position, report in enumerate(reports):
        problems.extend(
            Problem(p.code, p.title, f"credential {position + 1}: {p.detail}")
            for p in report.problems
        )
        warnings.extend(f"credential {position + 1}: {w}" for w in report.warnings)
    return PresentationReport(
        # A holder proof verifies on its own checks; it vouches for no claim, and the
        # report says so (holderProofOnly), so no one reads it as a credential's VALID.
        verified=not problems and (bool(reports) or plan.holder_proof_only),
        checks=list(plan.checks),
        credentials=reports,
        problems=problems,
        warnings=warnings,
        holder=plan.holder,
        holder_proof_only=plan.holder_proof_only,
    )


def verify_presentation_token(
    token: object,
    *,
    nonce: str,
    audience: str,
    trust: TrustList | None,
    key_for: KeyResolver,
    status_for: StatusResolver,
    schema_for: SchemaResolver | None = None,
    now: datetime,
    require_issued_at: bool = True,
) -> PresentationReport:
    """Verify a presentation and each credential in it with synchronous resolvers.

    Nonce single use is the caller's (it needs storage): see
    :meth:`PresentationPlan.with_failure` with :class:`~vcore.errors.NonceReusedError`.
    """
    plan = plan_presentation(
        token,
        nonce=nonce,
        audience=audience,
        trust=trust,
        now=now,
        require_issued_at=require_issued_at,
    )
    material = gather(
        plan.credentials, key_for=key_for, status_for=status_for, schema_for=schema_for
    )
    return decide_presentation(plan, material, now=now)
