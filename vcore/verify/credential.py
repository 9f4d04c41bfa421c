"""The credential pipeline: plan offline, verify signatures, decide with fetched material.

1. :func:`plan_credential` reads the credential *unverified* through its registered
   format (:mod:`vcore.formats`) and does every check that needs nothing from the
   network: format, trust list (issuer accredited for the type), and the issuer binding
   (key id DID = issuer). Only a credential that passes these asks for anything to be
   fetched, so an attacker cannot make the verifier fetch from a host of their choice
   by naming it in a token (SSRF): keys are only ever resolved for trust-listed issuers.
2. :func:`verify_signatures` checks signatures with the fetched keys; status lists and
   schemas are fetched only for credentials that passed (a forged token makes the
   verifier request nothing but the key).
3. :func:`decide_credential` finishes: validity window (60 s leeway), status, schema,
   and holder binding inside a presentation.

Checks before the signature stop at the first failure (later ones are ``skipped``);
after the signature, validity, status and schema are all evaluated so staff see every
reason at once (expired *and* revoked).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from vcore.clock import format_datetime
from vcore.credentials import check_validity
from vcore.errors import TrustIDError, UnknownKeyError
from vcore.formats.api import parse_credential_unverified
from vcore.formats.registry import lookup
from vcore.formats.secured import SecuredCredential
from vcore.sdjwt.errors import KeyBindingRequiredError
from vcore.trust_list import TrustEntry, TrustList
from vcore.verify.evidence import KeyResolver, Material, SchemaResolver, StatusResolver
from vcore.verify.plan import CredentialPlan
from vcore.verify.report import CheckId, CheckStatus, Steps, VerificationReport, problems_of
from vcore.verify.schema import decide_schema, schema_urls
from vcore.verify.status import StatusAge, decide_status, plan_status, skip_status

__all__ = [
    "decide_credential",
    "gather",
    "plan_credential",
    "verify_credential_token",
    "verify_signatures",
]

_PRE_SIGNATURE = (
    CheckId.FORMAT,
    CheckId.TRUST,
    CheckId.ISSUER_MATCH,
    CheckId.KEY,
    CheckId.SIGNATURE,
)
_SKIPPED = "not checked because an earlier check failed"


def _skip_rest(steps: Steps, pre_signature: Iterable[CheckId]) -> None:
    steps.skip_rest(pre_signature)
    steps.skip(CheckId.VALIDITY, _SKIPPED)
    skip_status(steps, _SKIPPED)
    steps.skip(CheckId.SCHEMA, _SKIPPED)


def _lookup_trust(trust: TrustList, credential: SecuredCredential, now: datetime) -> TrustEntry:
    entry: TrustEntry | None = None
    for name in credential.types:
        if name != "VerifiableCredential":
            # Every specific type must be accredited: an issuer for A must not vouch
            # for a credential that also claims to be B.
            entry = trust.lookup(credential.issuer, name, now)
    if entry is None:
        entry = trust.lookup(credential.issuer, "VerifiableCredential", now)
    return entry


def plan_credential(
    token: object,
    *,
    trust: TrustList | None,
    now: datetime,
    require_key_binding: bool = False,
) -> CredentialPlan:
    """Phase 1: read the credential unverified and do the offline checks.

    Args:
        token: A compact token (``vc+jwt``, VC-JWT 1.1), its ``data:`` URL, an
            ``EnvelopedVerifiableCredential`` object, or a document secured in place by
            a registered format.
        trust: The trust list; None skips the trust check (with a warning), for callers
            such as a wallet that has no list and checks the issuer otherwise.
        now: The decision instant (for the accreditation period).
        require_key_binding: A policy of the caller (request or configuration, never the
            token): a bare credential cannot prove its holder is present, so it fails
            ``format`` with ``kb_jwt_required`` (present it with a challenge instead).

    Returns:
        The plan; when :attr:`CredentialPlan.failed`, decide right away with empty material.
    """
    steps = Steps()
    text = token if isinstance(token, str) else ""
    try:
        credential = parse_credential_unverified(token)
        if require_key_binding:
            raise KeyBindingRequiredError(
                "this verifier requires key binding: present the credential with a "
                "challenge (POST /presentations/verify) instead"
            )
    except TrustIDError as exc:
        steps.fail(CheckId.FORMAT, exc)
        _skip_rest(steps, _PRE_SIGNATURE[1:])
        return CredentialPlan(token=text, steps=steps)
    steps.passed(
        CheckId.FORMAT,
        f"a {credential.format} credential of type {credential.credential_type}, "
        f"signed with {credential.alg}",
    )
    warnings: list[str] = []
    entry: TrustEntry | None = None
    if trust is None:
        steps.skip(
            CheckId.TRUST, "no trust list was given: the issuer's accreditation is unchecked"
        )
        warnings.append("the issuer was not checked against a trust list")
    else:
        try:
            entry = _lookup_trust(trust, credential, now)
        except TrustIDError as exc:
            steps.fail(CheckId.TRUST, exc)
            _skip_rest(steps, _PRE_SIGNATURE[2:])
            return CredentialPlan(token=credential.token, steps=steps, credential=credential)
        steps.passed(
            CheckId.TRUST, f"{entry.name} is accredited to issue {credential.credential_type}"
        )
    try:
        key_id = lookup(credential.format).issuer_key_id(credential)
    except TrustIDError as exc:
        if isinstance(exc, UnknownKeyError):
            steps.passed(CheckId.ISSUER_MATCH, "the credential names its issuer consistently")
            steps.fail(CheckId.KEY, exc)
            _skip_rest(steps, _PRE_SIGNATURE[4:])
        else:
            steps.fail(CheckId.ISSUER_MATCH, exc)
            _skip_rest(steps, _PRE_SIGNATURE[3:])
        return CredentialPlan(
            token=credential.token, steps=steps, credential=credential, trust_entry=entry
        )
    steps.passed(
        CheckId.ISSUER_MATCH, "the signing key belongs to the issuer named in the credential"
    )
    status_entries, status_errors, status_warnings = plan_status(credential)
    urls, schema_warnings = schema_urls(credential)
    if credential.type_metadata_url is not None:
        # Fetched like a schema (after the signature, on the issuer's host only), read
        # only to name the withheld claims.
        urls = tuple(dict.fromkeys((*urls, credential.type_metadata_url)))
    return CredentialPlan(
        token=credential.token,
        steps=steps,
        credential=credential,
        trust_entry=entry,
        key_id=key_id,
        status_entries=status_entries,
        status_errors=status_errors,
        schema_urls=urls,
        warnings=tuple(warnings + status_warnings + schema_warnings),
    )


def _signature_error(plan: CredentialPlan, material: Material) -> TrustIDError | None:
    """Check (once per token and material) the signature with the fetched key."""
    if plan.token in material.signatures:
        return material.signatures[plan.token]
    key = material.keys.get(plan.key_id or "")
    error: TrustIDError | None
    if plan.credential is None or key is None:
        error = UnknownKeyError("no key could be resolved")
    elif isinstance(key, TrustIDError):
        error = key
    else:
        try:
            lookup(plan.credential.format).verify_signature(plan.credential, key)
            error = None
        except TrustIDError as exc:
            error = exc
    material.signatures[plan.token] = error
    return error


def verify_signatures(plans: Iterable[CredentialPlan], material: Material) -> list[CredentialPlan]:
    """Check each plan's signature with the keys in ``material`` (round 1 of fetching).

    Returns:
        The plans whose signature verified: only for these may the app fetch status
        lists and schemas. URLs read from a token whose signature does not hold must
        cause no request at all, not even to the issuer's own host.
    """
    return [
        plan
        for plan in plans
        if not plan.failed and plan.key_id is not None and _signature_error(plan, material) is None
    ]


def _validity_detail(credential: SecuredCredential) -> str:
    until = credential.valid_until
    if until is None:
        return "valid now; the credential does not expire"
    return f"valid now, until {format_datetime(until)}"


def decide_credential(
    plan: CredentialPlan,
    material: Material,
    *,
    now: datetime,
    holder: str | None = None,
) -> VerificationReport:
    """Phase 2: finish the verification with the fetched material.

    Args:
        plan: From :func:`plan_credential`.
        material: Keys, status lists and schemas fetched by the app.
        now: The decision instant.
        holder: For presentations: the holder the credential must be bound to (an
            extra ``holder_binding`` check).
    """
    steps = plan.steps
    warnings = list(plan.warnings)
    credential = plan.credential
    if plan.failed or credential is None or plan.key_id is None:
        return _report(plan, steps, warnings, verified=None, status_age=None)
    # Work on a copy so one plan can be decided again (e.g. in a batch retry).
    steps = steps.copy()
    fmt = lookup(credential.format)
    key = material.keys.get(plan.key_id)
    if key is None:
        key = UnknownKeyError(f"no key {plan.key_id} could be resolved")
    if isinstance(key, TrustIDError):
        steps.fail(CheckId.KEY, key)
        _skip_rest(steps, (CheckId.SIGNATURE,))
        return _report(plan, steps, warnings, verified=None, status_age=None)
    steps.passed(CheckId.KEY, f"found the issuer's key #{plan.key_id.split('#', 1)[-1][:12]}")
    signature_error = _signature_error(plan, material)
    if signature_error is not None:
        steps.fail(CheckId.SIGNATURE, signature_error)
        _skip_rest(steps, ())
        return _report(plan, steps, warnings, verified=None, status_age=None)
    steps.passed(CheckId.SIGNATURE, f"signature verified with {key.alg}")
    # -- after the signature: evaluate everything, report every failure
    try:
        check_validity(credential, now)
        fmt.check_times(credential, now)
        steps.passed(CheckId.VALIDITY, _validity_detail(credential))
    except TrustIDError as exc:
        steps.fail(CheckId.VALIDITY, exc)
    status_age = decide_status(plan, credential, material, steps, warnings, now)
    decide_schema(plan, credential, material, steps, warnings)
    if holder is not None:
        _decide_holder_binding(plan, credential, holder, steps, warnings)
    return _report(
        plan, steps, warnings, verified=credential, status_age=status_age, material=material
    )


def _disclosure(
    credential: SecuredCredential | None, material: Material | None, steps: Steps
) -> dict[str, Any] | None:
    if credential is None:
        return None
    url = credential.type_metadata_url
    metadata = None if material is None or url is None else material.schemas.get(url)
    # Type Metadata that failed vct#integrity is not the issuer's: none of its names or
    # labels reach the report.
    if any(c.id is CheckId.SCHEMA and c.status is CheckStatus.FAILED for c in steps.checks):
        metadata = None
    return credential.disclosure(metadata if isinstance(metadata, Mapping) else None)


BEARER_DETAIL = "bearer credential: not bound to the presenter"
"""The holder-binding detail (and warning) for a bearer credential someone else presents."""


def _decide_holder_binding(
    plan: CredentialPlan,
    credential: SecuredCredential,
    holder: str,
    steps: Steps,
    warnings: list[str],
) -> None:
    """The presented credential must be the presenter's.

    Unless the trust list makes the issuer's type a bearer type (``holderBinding:
    optional``): then the check is skipped, and the report says so.
    """
    fmt = lookup(credential.format)
    try:
        fmt.check_holder_binding(credential, holder)
    except TrustIDError as exc:
        entry = plan.trust_entry
        if entry is None or not entry.is_bearer(credential.types):
            steps.fail(CheckId.HOLDER_BINDING, exc)
            return
        detail = f"{BEARER_DETAIL} ({entry.name} issues {credential.credential_type} as bearer)"
        steps.skip(CheckId.HOLDER_BINDING, detail)
        warnings.append(BEARER_DETAIL)
        return
    steps.passed(CheckId.HOLDER_BINDING, "the presenter is the holder the credential names")


def _report(
    plan: CredentialPlan,
    steps: Steps,
    warnings: list[str],
    *,
    verified: SecuredCredential | None,
    status_age: StatusAge | None,
    material: Material | None = None,
) -> VerificationReport:
    problems = problems_of(steps.checks, steps.titles)
    return VerificationReport(
        verified=not problems,
        checks=list(steps.checks),
        problems=problems,
        warnings=list(dict.fromkeys(warnings)),
        credential=None if verified is None else verified.credential,
        format=None if plan.credential is None else plan.credential.format,
        issuer=plan.trust_entry,
        status_as_of=None if status_age is None else status_age.as_of,
        status_fresh_until=None if status_age is None else status_age.fresh_until,
        disclosure=_disclosure(verified, material, steps),
    )


def gather(
    plans: Iterable[CredentialPlan],
    *,
    key_for: KeyResolver,
    status_for: StatusResolver,
    schema_for: SchemaResolver | None,
) -> Material:
    """Fetch material with synchronous callables, once per key id/URL, in two rounds.

    Keys first; then status lists and schemas, only for signature-verified credentials.
    """
    material = Material()
    plans = list(plans)
    for plan in plans:
        if plan.failed or plan.key_id is None or plan.key_id in material.keys:
            continue
        try:
            material.keys[plan.key_id] = key_for(plan.key_id)
        except TrustIDError as exc:
            material.keys[plan.key_id] = exc
    for plan in verify_signatures(plans, material):
        for url in plan.status_urls:
            if url not in material.status_lists:
                try:
                    material.status_lists[url] = status_for(url)
                except TrustIDError as exc:
                    material.status_lists[url] = exc
        if schema_for is not None and plan.credential is not None:
            for url in plan.schema_urls:
                if url not in material.schemas:
                    try:
                        material.schemas[url] = schema_for(plan.credential.credential_type, url)
                    except TrustIDError as exc:
                        material.schemas[url] = exc
    return material


def verify_credential_token(
    token: object,
    *,
    trust: TrustList | None,
    key_for: KeyResolver,
    status_for: StatusResolver,
    schema_for: SchemaResolver | None = None,
    now: datetime,
) -> VerificationReport:
    """Verify one credential with synchronous resolvers (both phases).

    ``key_for`` is only called for the key id of an issuer that passed the trust check
    (or of any issuer when ``trust`` is None), and ``status_for`` only afterwards.
    """
    plan = plan_credential(token, trust=trust, now=now)
    material = gather([plan], key_for=key_for, status_for=status_for, schema_for=schema_for)
    return decide_credential(plan, material, now=now)
