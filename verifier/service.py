"""Verification use cases: plan (pure), fetch what the plans need (shared), decide (pure).

A batch plans every item first, then fetches each distinct key, status list and schema
once, concurrently, and decides every item with the same material: a thousand
credentials of one issuer cost one DID document and two status lists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import anyio
import anyio.to_thread
from sqlalchemy import Engine

from vcore.clock import Clock, system_clock
from vcore.errors import (
    ChallengeExpiredError,
    ChallengeUnknownError,
    NonceReusedError,
    TrustIDError,
)
from vcore.keys import PublicKey
from vcore.verify import (
    CredentialPlan,
    Material,
    PresentationPlan,
    PresentationReport,
    VerificationReport,
    decide_credential,
    decide_presentation,
    plan_credential,
    plan_presentation,
    verify_signatures,
)
from verifier.challenges import (
    ANONYMOUS,
    CHALLENGE_LIFETIME,
    ChallengePolicy,
    ChallengeStore,
    ChallengeUse,
)
from verifier.errors import EvidenceError, InvalidRequestError
from verifier.metrics import VerifierMetrics
from verifier.qr_pool import QRDecoderPool, default_pool
from verifier.resolution import (
    BundleKeys,
    BundleSchemas,
    BundleStatusLists,
    EvidenceBundle,
    KeyResolver,
    SchemaResolver,
    Sources,
    StatusListResolver,
    TrustListSource,
    trust_list_from_bundle,
)

__all__ = [
    "NONCE_LIFETIME",
    "OFF_LOOP_BATCH",
    "QRInput",
    "VerifierService",
    "gather",
    "report_status",
    "verify_credential_offline",
]

OFF_LOOP_BATCH = 16
"""Batches larger than this are planned and decided in a worker thread."""

NONCE_LIFETIME = CHALLENGE_LIFETIME
"""An issued challenge is open for 5 minutes (as long as a presentation is fresh)."""

Report = VerificationReport | PresentationReport


@dataclass(frozen=True)
class QRInput:
    """What the counter sent to ``/verify/qr``: an image or the scanned text."""

    image: bytes | None = None
    content_type: str | None = None
    text: str | None = None
    challenge: str | None = None
    domain: str | None = None
    caller: str = ANONYMOUS
    challenge_policy: ChallengePolicy = ChallengePolicy.SERVER
    on_decoded: Callable[[float], None] | None = None
    """Told the seconds a worker spent decoding the image (the rate limit counts them)."""


class VerifierService:
    """Verifies credentials, presentations, batches and QR codes."""

    def __init__(
        self,
        *,
        trust_source: TrustListSource,
        keys: KeyResolver,
        status_lists: StatusListResolver,
        schemas: SchemaResolver,
        engine: Engine,
        metrics: VerifierMetrics,
        audience: str,
        clock: Clock = system_clock,
        challenges: ChallengeStore | None = None,
        qr_decoder: QRDecoderPool | None = None,
        require_key_binding: bool = False,
    ) -> None:
        self.trust_source = trust_source
        self.keys = keys
        self.status_lists = status_lists
        self.schemas = schemas
        self.engine = engine
        self.metrics = metrics
        self.audience = audience
        self.clock = clock
        self.challenges = challenges or ChallengeStore(engine, clock=clock)
        self.qr_decoder = qr_decoder or default_pool()
        # Configuration, never the token: with it, bare credentials are refused.
        self.require_key_binding = require_key_binding

    # ------------------------------------------------------------------ credentials

    async def verify_credential(
        self,
        value: object,
        *,
        kind: str = "credential",
        evidence: EvidenceBundle | None = None,
        max_status_age: timedelta | None = None,
        require_key_binding: bool = False,
    ) -> VerificationReport:
        """Verify one credential (compact token, data URL or enveloped object).

        Args:
            value: The credential.
            kind: The metrics label.
            evidence: When given, everything the decision used is recorded into it.
            max_status_age: The oldest status list copy acceptable (else
                ``status_unavailable``); ``options.maxStatusAge``.
            require_key_binding: The request's ``options.requireKeyBinding`` (the
                configuration may require it anyway).
        """
        started = time.perf_counter()
        await self.trust_source.maybe_reload()
        now = self.clock()
        self._start_evidence(evidence, now)
        plan = plan_credential(
            value,
            trust=self.trust_source.current(),
            now=now,
            require_key_binding=require_key_binding or self.require_key_binding,
        )
        material = await self.gather([plan], evidence=evidence, max_status_age=max_status_age)
        report = decide_credential(plan, material, now=now)
        self.metrics.record(kind, report.verified, report.codes, time.perf_counter() - started)
        return report

    async def verify_batch(
        self,
        values: Sequence[object],
        *,
        evidence: EvidenceBundle | None = None,
        max_status_age: timedelta | None = None,
        require_key_binding: bool = False,
    ) -> list[VerificationReport]:
        """Verify many credentials with one fetch per distinct key, list and schema.

        Planning and deciding a large batch is CPU work of seconds: it runs in a worker
        thread so the event loop keeps answering other requests meanwhile.
        ``require_key_binding`` (the request's ``options.requireKeyBinding``, or the
        configuration) applies to every item, as in :meth:`verify_credential`.
        """
        started = time.perf_counter()
        await self.trust_source.maybe_reload()
        now = self.clock()
        self._start_evidence(evidence, now)
        trust = self.trust_source.current()

        key_binding = require_key_binding or self.require_key_binding

        def plan_all() -> list[CredentialPlan]:
            return [
                plan_credential(value, trust=trust, now=now, require_key_binding=key_binding)
                for value in values
            ]

        off_loop = len(values) > OFF_LOOP_BATCH
        plans = await anyio.to_thread.run_sync(plan_all) if off_loop else plan_all()
        material = await self.gather(plans, evidence=evidence, max_status_age=max_status_age)

        def decide_all() -> list[VerificationReport]:
            return [decide_credential(plan, material, now=now) for plan in plans]

        reports = await anyio.to_thread.run_sync(decide_all) if off_loop else decide_all()
        elapsed = time.perf_counter() - started
        for report in reports:
            self.metrics.record("batch_item", report.verified, report.codes, None)
        self.metrics.latency.labels("batch").observe(elapsed)
        return reports

    def _start_evidence(self, evidence: EvidenceBundle | None, now: datetime) -> None:
        if evidence is not None:
            evidence.verified_at = now
            evidence.trust_list = self.trust_source.evidence()

    # ---------------------------------------------------------------- presentations

    async def verify_presentation(
        self,
        value: object,
        *,
        challenge: str,
        domain: str | None,
        caller: str,
        kind: str = "presentation",
        challenge_policy: ChallengePolicy = ChallengePolicy.SERVER,
    ) -> PresentationReport:
        """Verify a presentation: holder signature, challenge, audience, and every
        credential inside with holder binding.

        The presentation must answer ``challenge`` and be addressed to ``domain`` (by
        default this verifier's audience), whatever the policy. Under the ``server``
        policy the challenge must have been issued (``POST /challenges``) to ``caller``
        and be open; it is checked before anything is fetched and consumed only once
        the whole presentation verified, so a junk presentation cannot burn a citizen's
        challenge. Under the ``caller`` policy the caller owns the challenge (VC-API):
        single use is its business, and an undated JWT presentation is fresh by that
        challenge; a challenge this verifier did issue to the caller stays single-use.
        """
        started = time.perf_counter()
        await self.trust_source.maybe_reload()
        now = self.clock()
        caller_owned = challenge_policy.caller_owned
        trust = self.trust_source.current()

        def plan_with(holder_keys: dict[str, PublicKey | TrustIDError] | None) -> PresentationPlan:
            return plan_presentation(
                value,
                nonce=challenge,
                audience=domain or self.audience,
                trust=trust,
                now=now,
                require_issued_at=not caller_owned,
                holder_keys=holder_keys,
            )

        plan = plan_with(None)
        verdict: tuple[TrustIDError | None, bool] | None = None
        if plan.holder_key_needed is not None:
            # A did:web holder: fetch its document only for an answer to an open challenge.
            verdict = await self._challenge_verdict(challenge, caller, caller_owned=caller_owned)
            if verdict[0] is None:
                kid = plan.holder_key_needed
                key: PublicKey | TrustIDError
                try:
                    key = await self.keys.holder_key(kid)
                except TrustIDError as exc:
                    key = exc
                plan = plan_with({kid: key})
            else:
                plan = PresentationPlan(checks=[], holder=plan.holder).with_failure(
                    "nonce", verdict[0]
                )
        issued_here = False
        if not plan.failed:
            if verdict is None:
                verdict = await self._challenge_verdict(
                    challenge, caller, caller_owned=caller_owned
                )
            error, issued_here = verdict
            if error is not None:
                plan = plan.with_failure("nonce", error)
        material = Material() if plan.failed else await self.gather(plan.credentials)
        report = decide_presentation(plan, material, now=now)
        if report.verified and issued_here:
            fresh = await anyio.to_thread.run_sync(self.challenges.consume, challenge, caller)
            if not fresh:
                plan = plan.with_failure(
                    "nonce",
                    NonceReusedError(
                        "this presentation's challenge was already used; ask for a new one"
                    ),
                )
                report = decide_presentation(plan, Material(), now=now)
        self.metrics.record(kind, report.verified, report.codes, time.perf_counter() - started)
        return report

    async def verify_bound_presentation(
        self, value: object, *, nonce: str, audience: str, kind: str = "openid4vp"
    ) -> PresentationReport:
        """Verify a presentation bound to a nonce and audience this verifier chose itself
        (an OpenID4VP request's): no challenge store, the request is single use instead.

        Everything else is :meth:`verify_presentation`'s pipeline: holder signature or
        KB-JWT, nonce, audience, freshness, and every credential (format, trust list,
        accreditation, signature, validity, status, schema, holder binding).
        """
        started = time.perf_counter()
        await self.trust_source.maybe_reload()
        now = self.clock()
        trust = self.trust_source.current()

        def plan_with(holder_keys: dict[str, PublicKey | TrustIDError] | None) -> PresentationPlan:
            return plan_presentation(
                value,
                nonce=nonce,
                audience=audience,
                trust=trust,
                now=now,
                require_issued_at=True,
                holder_keys=holder_keys,
            )

        plan = plan_with(None)
        if plan.holder_key_needed is not None:
            kid = plan.holder_key_needed
            key: PublicKey | TrustIDError
            try:
                key = await self.keys.holder_key(kid)
            except TrustIDError as exc:
                key = exc
            plan = plan_with({kid: key})
        material = Material() if plan.failed else await self.gather(plan.credentials)
        report = decide_presentation(plan, material, now=now)
        self.metrics.record(kind, report.verified, report.codes, time.perf_counter() - started)
        return report

    async def _challenge_verdict(
        self, challenge: str, caller: str, *, caller_owned: bool
    ) -> tuple[TrustIDError | None, bool]:
        """Whether the challenge may be answered: ``(error or None, issued by us)``.

        A challenge this verifier issued must be the caller's and open; under the
        ``caller`` policy one it never issued is the caller's own (it tracks its use).
        """
        use = await anyio.to_thread.run_sync(self.challenges.check, challenge, caller)
        if use == ChallengeUse.OK:
            return None, True
        if caller_owned and use == ChallengeUse.UNKNOWN:
            return None, False
        if use == ChallengeUse.EXPIRED:
            return ChallengeExpiredError("the challenge expired; ask for a new one"), False
        if use == ChallengeUse.USED:
            return (
                NonceReusedError(
                    "this presentation's challenge was already used; ask for a new one"
                ),
                False,
            )
        return (
            ChallengeUnknownError(
                "this challenge was not issued to you by this verifier; ask for one "
                "with POST /challenges"
            ),
            False,
        )

    # ------------------------------------------------------------------------- QR

    async def verify_qr(self, qr: QRInput) -> Report:
        """Decode a QR image or text and verify what it holds.

        Raises:
            QRError: the image or text holds no usable token (a problem, not a verdict).
            InvalidRequestError: neither image nor text, or a presentation without challenge.
        """
        # Imported here: the QR modules (zxing-cpp, PIL) are only needed by this route.
        from vcore.qr import classify_token, decode_qr_text

        if qr.image is not None:
            # In a killable worker process with a time budget (verifier.qr_pool).
            text = await self.qr_decoder.decode(qr.image, qr.content_type, meter=qr.on_decoded)
        elif qr.text is not None and qr.text.strip():
            text = qr.text
        else:
            raise InvalidRequestError("send a QR image as 'file' or its text as 'text'")
        token = decode_qr_text(text)
        kind: Literal["credential", "presentation"] = classify_token(token)
        if kind == "presentation":
            if not qr.challenge:
                raise InvalidRequestError(
                    "this QR code holds a presentation: send the challenge it was made for"
                )
            return await self.verify_presentation(
                token,
                challenge=qr.challenge,
                domain=qr.domain,
                caller=qr.caller,
                kind="qr",
                challenge_policy=qr.challenge_policy,
            )
        return await self.verify_credential(token, kind="qr")

    # ----------------------------------------------------------------- fetching

    async def gather(
        self,
        plans: Sequence[CredentialPlan],
        *,
        evidence: EvidenceBundle | None = None,
        max_status_age: timedelta | None = None,
    ) -> Material:
        """Fetch what the plans need (see :func:`gather`) from the online resolvers."""
        sources = Sources(self.keys, self.status_lists, self.schemas)
        return await gather(plans, sources, evidence=evidence, max_status_age=max_status_age)


async def gather(
    plans: Sequence[CredentialPlan],
    sources: Sources,
    *,
    evidence: EvidenceBundle | None = None,
    max_status_age: timedelta | None = None,
) -> Material:
    """Fetch what the plans need, each distinct thing once, concurrently, in two rounds.

    Round 1 resolves the keys of the (trusted) issuers. Round 2 fetches status lists
    and schemas only for credentials whose signature verified with those keys: a URL
    read from a forged token causes no request, not even to the issuer's own host.
    Everything used (or the error that stood for it) is recorded into ``evidence``.
    """
    material = Material()
    kids = list(dict.fromkeys(p.key_id for p in plans if not p.failed and p.key_id is not None))

    async def key(kid: str) -> None:
        try:
            material.keys[kid] = await sources.keys.key_for(kid, evidence=evidence)
        except TrustIDError as exc:
            material.keys[kid] = exc

    async with anyio.create_task_group() as group:
        for kid in kids:
            group.start_soon(key, kid)

    lists: dict[str, list[str]] = {}
    schemas: dict[str, str] = {}
    for plan in verify_signatures(plans, material):
        if plan.credential is None:
            continue
        issuer = plan.credential.issuer
        for url in plan.status_urls:
            issuers = lists.setdefault(url, [])
            if issuer not in issuers:
                issuers.append(issuer)
        for url in plan.schema_urls:
            schemas.setdefault(url, issuer)

    async def status(url: str, issuers: list[str]) -> None:
        # Fetched for the first issuer whose host it is on; the decision still
        # requires each credential's issuer to have signed the list.
        error: TrustIDError | None = None
        for issuer in issuers:
            try:
                material.status_lists[url] = await sources.status_lists.get(
                    url, issuer, evidence=evidence, max_age=max_status_age
                )
                return
            except TrustIDError as exc:
                error = exc
        if error is not None:
            material.status_lists[url] = error

    async def schema(url: str, issuer: str) -> None:
        try:
            material.schemas[url] = await sources.schemas.get(url, issuer, evidence=evidence)
            material.integrity[url] = sources.schemas.integrity(url)
        except TrustIDError as exc:
            material.schemas[url] = exc

    async with anyio.create_task_group() as group:
        for url, issuers in lists.items():
            group.start_soon(status, url, issuers)
        for url, issuer in schemas.items():
            group.start_soon(schema, url, issuer)
    return material


async def verify_credential_offline(
    value: object,
    bundle: EvidenceBundle,
    *,
    anchor: PublicKey | None,
    now: datetime | None = None,
) -> VerificationReport:
    """Verify a credential from a saved evidence bundle only: no network, no cache.

    Args:
        value: The credential (compact token, data URL or enveloped object).
        bundle: What an earlier verification recorded (:class:`EvidenceBundle`).
        anchor: The trust anchor a signed trust list in the bundle must verify with.
        now: The decision time; by default the bundle's ``verifiedAt``, so the earlier
            decision is made again.

    Raises:
        TrustListError: the bundle's trust list does not load (bad signature...).
        EvidenceError: no ``now`` and the bundle has no ``verifiedAt``.
    """
    if now is None:
        if bundle.verified_at is None:
            raise EvidenceError("the evidence bundle has no verifiedAt: give the time to use")
        now = bundle.verified_at
    trust = trust_list_from_bundle(bundle, anchor=anchor)
    keys = BundleKeys(bundle, trust)
    sources = Sources(keys, BundleStatusLists(bundle, trust, keys), BundleSchemas(bundle))
    plan = plan_credential(value, trust=trust, now=now)
    material = await gather([plan], sources)
    return decide_credential(plan, material, now=now)


def report_status(report: Report) -> int:
    """HTTP status of a verification result: 200 verified, 400 not (DESIGN §3)."""
    return 200 if report.verified else 400
