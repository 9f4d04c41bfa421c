"""The verification decision: token + trust list + resolved material -> an explained report.

Pure: every network fetch (DID documents, status lists, schemas) is the app's job. The
pipeline is split in two phases so an app can fetch concurrently and share fetches
across a batch:

1. :func:`plan_credential` reads the token *unverified* and does every check that
   needs nothing from the network: format, trust list (issuer accredited for the
   type), and ``kid`` DID = ``iss`` = ``issuer``. Only a credential that passes these
   asks for anything to be fetched (:attr:`CredentialPlan.key_id`,
   :attr:`CredentialPlan.status_entries`, :attr:`CredentialPlan.schema_urls`), so an
   attacker cannot make the verifier fetch from a host of their choice by naming it in
   a token (SSRF): keys are only ever resolved for trust-listed issuer DIDs.
   Fetching then goes in two rounds: the issuer's key first; status lists and schemas
   only for credentials whose signature verified with it (:func:`verify_signatures`),
   so a forged token cannot make the verifier request anything but the key.
2. :func:`decide_credential` takes the fetched :class:`Material` and finishes:
   signature with the key's pinned algorithm, validity window (60 s leeway), status
   (revocation/suspension bits from signature-checked status lists), JSON Schema.

:func:`verify_credential_token` and :func:`verify_presentation_token` run both phases
with plain callables for callers that do not need batching (the wallet).

Every step is reported as a :class:`Check` (``passed``/``failed``/``skipped``) with a
plain-language detail that counter staff can read; failures also become
:class:`Problem` entries with the stable codes of DESIGN §3. Checks before the
signature stop at the first failure (later ones are ``skipped``: nothing read from an
unverified token deserves more work); after the signature, validity, status and schema
are all evaluated so staff see every reason at once (expired *and* revoked).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import jsonschema
import referencing.exceptions
from jsonschema.validators import validator_for

from vcore.clock import format_datetime, from_timestamp, parse_datetime
from vcore.credentials import (
    DEFAULT_LEEWAY,
    UnverifiedCredential,
    check_validity,
    parse_credential_unverified,
    unwrap_credential,
)
from vcore.dids import holder_kid, is_offline_did, parse_did_url
from vcore.errors import (
    ExpiredError,
    IssuerMismatchError,
    MalformedError,
    NotYetValidError,
    PresentationError,
    RevokedError,
    SchemaInvalidError,
    StatusListError,
    StatusUnavailableError,
    SuspendedError,
    TrustIDError,
    UnknownKeyError,
)
from vcore.jose import decode_unverified, verify
from vcore.keys import PublicKey
from vcore.presentations import (
    check_holder_binding,
    parse_presentation_unverified,
    unwrap_presentation,
    verify_presentation,
)
from vcore.status_list import (
    BitstringStatusList,
    StatusEntry,
    parse_status_entry,
    read_status_list_credential,
)
from vcore.trust_list import TrustEntry, TrustList

__all__ = [
    "CHECK_IDS",
    "MAX_STATUS_LIST_TOKEN",
    "Check",
    "CheckStatus",
    "CredentialPlan",
    "KeyResolver",
    "Material",
    "PresentationPlan",
    "PresentationReport",
    "Problem",
    "SchemaResolver",
    "StatusListSnapshot",
    "StatusResolver",
    "UnverifiedStatusList",
    "VerificationReport",
    "decide_credential",
    "decide_presentation",
    "parse_status_list_unverified",
    "plan_credential",
    "plan_presentation",
    "verify_credential_token",
    "verify_presentation_token",
    "verify_signatures",
    "verify_status_list_token",
]

CheckStatus = Literal["passed", "failed", "skipped"]

CHECK_IDS: tuple[str, ...] = (
    "format",
    "trust",
    "issuer_match",
    "key",
    "signature",
    "validity",
    "status.revocation",
    "status.suspension",
    "schema",
)
"""Credential check ids in pipeline order (``status.*`` appear once per status entry)."""

MAX_STATUS_LIST_TOKEN = 1024 * 1024
"""Largest status-list credential accepted (a 1 M-entry list of random bits fits)."""

_STATUS_PURPOSES_CHECKED = ("revocation", "suspension")
_STATUS_ERRORS: dict[str, type[TrustIDError]] = {
    "revocation": RevokedError,
    "suspension": SuspendedError,
}

KeyResolver = Callable[[str], PublicKey]
"""``kid`` (a DID URL of a trust-listed issuer) -> key; raises a :class:`TrustIDError`."""
StatusResolver = Callable[[str], "StatusListSnapshot"]
"""``statusListCredential`` URL -> verified snapshot; raises a :class:`TrustIDError`."""
SchemaResolver = Callable[[str, str], Mapping[str, Any] | None]
"""``(credential type, schema URL)`` -> JSON Schema, or None when it is not known."""


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class Check:
    """One step of the pipeline and its outcome.

    Attributes:
        id: Step id (see :data:`CHECK_IDS`; presentations add their own).
        status: ``passed``, ``failed`` or ``skipped``.
        detail: What was checked or what went wrong, in plain language.
        code: The stable error code when ``failed``.
    """

    id: str
    status: CheckStatus
    detail: str
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form: ``{"id", "status", "detail"[, "code"]}``."""
        out: dict[str, Any] = {"id": self.id, "status": self.status, "detail": self.detail}
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


def _problems(checks: Iterable[Check], titles: Mapping[str, str]) -> list[Problem]:
    return [
        Problem(code=c.code or "error", title=titles.get(c.code or "", "Failed"), detail=c.detail)
        for c in checks
        if c.status == "failed"
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
        format: ``vc+jwt`` or ``jwt_vc_json`` when the token parsed.
        issuer: The trust-list entry of the issuer, when it was trusted.
        status_as_of: When the oldest status list used was fetched from the issuer.
    """

    verified: bool
    checks: list[Check]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    format: str | None = None
    issuer: TrustEntry | None = None
    status_as_of: datetime | None = None

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
        if self.format is not None:
            out["format"] = self.format
        if self.issuer is not None:
            out["issuer"] = {"id": self.issuer.id, "name": self.issuer.name}
        if self.status_as_of is not None:
            out["statusAsOf"] = format_datetime(self.status_as_of)
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
        holder: The holder DID when the presentation parsed.
    """

    verified: bool
    checks: list[Check]
    credentials: list[VerificationReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    holder: str | None = None

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
        }
        if self.holder is not None:
            out["holder"] = self.holder
        if not self.verified:
            out["problemDetails"] = [p.to_json() for p in self.problems]
        return out


class _Steps:
    """Accumulates checks; after a failure, remaining fail-fast steps become skipped."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.titles: dict[str, str] = {}
        self.failed = False

    def passed(self, check_id: str, detail: str) -> None:
        self.checks.append(Check(check_id, "passed", detail))

    def fail(self, check_id: str, error: TrustIDError) -> None:
        self.failed = True
        self.titles[error.code] = error.title
        self.checks.append(Check(check_id, "failed", error.detail, error.code))

    def skip(self, check_id: str, detail: str) -> None:
        self.checks.append(Check(check_id, "skipped", detail))

    def skip_rest(self, check_ids: Iterable[str]) -> None:
        for check_id in check_ids:
            self.skip(check_id, "not checked because an earlier check failed")


# ---------------------------------------------------------------------- status lists


@dataclass(frozen=True)
class UnverifiedStatusList:
    """A fetched status-list credential whose signature has NOT been checked."""

    token: str
    issuer: str
    kid: str


def parse_status_list_unverified(token: object) -> UnverifiedStatusList:
    """Read the issuer and ``kid`` of a status-list token so the app can resolve the key.

    The ``kid`` DID must be the list's issuer (a list cannot name a key of another DID).

    Raises:
        MalformedError, AlgorithmNotAllowedError: not a usable JWS.
        IssuerMismatchError: ``kid`` names another DID than ``issuer``.
    """
    jws = decode_unverified(token, max_size=MAX_STATUS_LIST_TOKEN)
    issuer = jws.payload.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise MalformedError("status list credential has no issuer")
    kid = jws.kid or (holder_kid(issuer) if is_offline_did(issuer) else None)
    if kid is None:
        raise MalformedError("status list credential has no kid")
    if parse_did_url(kid).did != issuer:
        raise IssuerMismatchError("status list is signed with a key of another DID")
    return UnverifiedStatusList(token=jws.token, issuer=issuer, kid=kid)


@dataclass(frozen=True)
class StatusListSnapshot:
    """A status-list credential whose signature the app has verified.

    Attributes:
        list_url: Where it was fetched from (its ``id`` equals it).
        issuer: Its issuer DID (checked against the credential's issuer at decision).
        payload: The verified payload.
        fetched_at: When this copy was obtained from the issuer.
        stale: True when served from cache because the issuer could not be reached.
    """

    list_url: str
    issuer: str
    payload: dict[str, Any]
    fetched_at: datetime
    stale: bool = False

    @property
    def ttl(self) -> timedelta | None:
        """The list's ``credentialSubject.ttl`` (milliseconds on the wire), if valid."""
        subject = self.payload.get("credentialSubject")
        ttl = subject.get("ttl") if isinstance(subject, Mapping) else None
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
            return None
        return timedelta(milliseconds=min(ttl, 10**12))

    def with_stale(self, stale: bool) -> StatusListSnapshot:
        """The same snapshot marked (not) stale."""
        return StatusListSnapshot(self.list_url, self.issuer, self.payload, self.fetched_at, stale)


def verify_status_list_token(
    unverified: UnverifiedStatusList,
    *,
    key: PublicKey,
    list_url: str,
    fetched_at: datetime,
) -> StatusListSnapshot:
    """Check a status-list credential's signature and identity (Bitstring Status List §3.2).

    Purpose, length and the bit itself are read per credential in
    :func:`decide_credential`; validity is checked there too (with the decision's ``now``).

    Raises:
        AlgorithmNotAllowedError, BadSignatureError, MalformedError: signature problems.
        StatusListError: the credential's ``id`` is not ``list_url`` (a validly signed list
            published under another URL cannot be substituted) or it is not a list.
    """
    verified = verify(unverified.token, key, typ="vc+jwt", max_size=MAX_STATUS_LIST_TOKEN)
    payload = verified.payload
    if payload.get("id") != list_url:
        raise StatusListError(
            f"status list credential id {str(payload.get('id'))[:80]!r} is not {list_url!r}"
        )
    types = payload.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise StatusListError("not a BitstringStatusListCredential")
    return StatusListSnapshot(
        list_url=list_url, issuer=unverified.issuer, payload=payload, fetched_at=fetched_at
    )


# --------------------------------------------------------------------------- material


@dataclass
class Material:
    """What the app fetched for one or many plans (keys, status lists, schemas).

    Each value is the fetched thing or the :class:`TrustIDError` that explains why it
    could not be had. A missing ``status_lists``/``keys`` entry counts as unavailable;
    a missing schema counts as unknown (the schema check is skipped).
    """

    keys: dict[str, PublicKey | TrustIDError] = field(default_factory=dict)
    status_lists: dict[str, StatusListSnapshot | TrustIDError] = field(default_factory=dict)
    schemas: dict[str, Mapping[str, Any] | TrustIDError | None] = field(default_factory=dict)
    # Signature outcomes by token (None = verified), from :func:`verify_signatures`.
    signatures: dict[str, TrustIDError | None] = field(default_factory=dict, repr=False)
    # Decoded lists, shared by every credential decided with this material (a batch of a
    # thousand credentials inflates each list once, not a thousand times).
    decoded_lists: dict[tuple[str, str, int], BitstringStatusList] = field(
        default_factory=dict, repr=False
    )


# ------------------------------------------------------------------------ credentials


@dataclass(frozen=True)
class CredentialPlan:
    """Phase 1 of a credential's verification: checks done offline, and what to fetch.

    Attributes:
        token: The compact token as received.
        steps: Internal check accumulator (read :attr:`checks`).
        credential: The unverified credential, when it parsed.
        trust_entry: Its issuer's trust-list entry, when trusted.
        key_id: The ``kid`` to resolve, or None when an offline check already failed.
        status_entries: Status entries to fetch (``statusListCredential`` URLs).
        schema_urls: ``credentialSchema`` ids of type ``JsonSchema``.
        warnings: Warnings found so far.
    """

    token: str
    steps: _Steps
    credential: UnverifiedCredential | None = None
    trust_entry: TrustEntry | None = None
    key_id: str | None = None
    status_entries: tuple[StatusEntry, ...] = ()
    status_errors: tuple[TrustIDError, ...] = ()
    schema_urls: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def checks(self) -> list[Check]:
        """Checks done so far."""
        return list(self.steps.checks)

    @property
    def failed(self) -> bool:
        """True when an offline check failed (nothing needs fetching)."""
        return self.steps.failed

    @property
    def status_urls(self) -> list[str]:
        """Distinct status-list URLs this credential needs."""
        return list(dict.fromkeys(e.list_url for e in self.status_entries))


def _check_issuer_match(credential: UnverifiedCredential) -> str:
    """Return the ``kid`` to resolve after checking kid DID = iss = issuer."""
    issuer = credential.issuer
    payload = credential.jws.payload
    if credential.format == "jwt_vc_json":
        vc = payload.get("vc")
        inner = vc.get("issuer") if isinstance(vc, Mapping) else None
        if isinstance(inner, Mapping):
            inner = inner.get("id")
        if inner is not None and inner != issuer:
            raise IssuerMismatchError("the vc.issuer and iss claims name different issuers")
    elif "iss" in payload and payload["iss"] != issuer:
        raise IssuerMismatchError("the iss claim and the credential's issuer differ")
    kid = credential.kid
    if kid is None:
        if not is_offline_did(issuer):
            raise UnknownKeyError("the token names no key (kid) of its issuer")
        # did:jwk / did:key have exactly one key: an independent signer may omit kid.
        kid = holder_kid(issuer)
    try:
        kid_did = parse_did_url(kid)
    except TrustIDError as exc:
        raise UnknownKeyError(f"kid {kid[:80]!r} is not a DID URL") from exc
    if kid_did.did != issuer:
        raise IssuerMismatchError("the token is signed with a key of another DID than its issuer")
    if kid_did.fragment is None:
        raise UnknownKeyError("kid must name one verification method (DID URL with #fragment)")
    return kid


def _plan_status(
    credential: UnverifiedCredential,
) -> tuple[tuple[StatusEntry, ...], tuple[TrustIDError, ...], list[str]]:
    entries: list[StatusEntry] = []
    errors: list[TrustIDError] = []
    warnings: list[str] = []
    for raw in credential.status_entries:
        kind = raw.get("type")
        if kind != "BitstringStatusListEntry" and not (
            isinstance(kind, list) and "BitstringStatusListEntry" in kind
        ):
            warnings.append(f"a status entry of type {str(kind)[:60]!r} was not checked")
            continue
        try:
            entry = parse_status_entry(raw)
        except TrustIDError as exc:
            errors.append(exc)
            continue
        if entry.purpose in _STATUS_PURPOSES_CHECKED:
            entries.append(entry)
    return tuple(entries), tuple(errors), warnings


def _schema_urls(credential: UnverifiedCredential) -> tuple[tuple[str, ...], list[str]]:
    urls: list[str] = []
    warnings: list[str] = []
    for schema in credential.schemas:
        kind, url = schema.get("type"), schema.get("id")
        if kind in ("JsonSchema", "JsonSchemaCredential") and isinstance(url, str):
            if kind == "JsonSchema":
                urls.append(url)
            else:
                warnings.append("schemas delivered as credentials are not checked")
        else:
            warnings.append(f"credentialSchema of type {str(kind)[:60]!r} was not checked")
    return tuple(dict.fromkeys(urls)), warnings


_PRE_SIGNATURE = ("format", "trust", "issuer_match", "key", "signature")
_POST_SIGNATURE = ("validity", "status", "schema")


def plan_credential(token: object, *, trust: TrustList | None, now: datetime) -> CredentialPlan:
    """Phase 1: read the token unverified and do the offline checks.

    Args:
        token: The compact ``vc+jwt`` or VC-JWT 1.1 token, its ``data:`` URL, or an
            ``EnvelopedVerifiableCredential`` object.
        trust: The trust list; None skips the trust check (with a warning), for callers
            such as a wallet that has no list and checks the issuer otherwise.
        now: The decision instant (for the accreditation period).

    Returns:
        The plan; when :attr:`CredentialPlan.failed`, decide right away with empty material.
    """
    steps = _Steps()
    text = token if isinstance(token, str) else ""
    try:
        credential = parse_credential_unverified(unwrap_credential(token))
    except TrustIDError as exc:
        steps.fail("format", exc)
        steps.skip_rest(_PRE_SIGNATURE[1:] + _POST_SIGNATURE)
        return CredentialPlan(token=text, steps=steps)
    steps.passed(
        "format",
        f"a {credential.format} credential of type {credential.credential_type}, "
        f"signed with {credential.jws.alg}",
    )
    warnings: list[str] = []
    entry: TrustEntry | None = None
    if trust is None:
        steps.skip("trust", "no trust list was given: the issuer's accreditation is unchecked")
        warnings.append("the issuer was not checked against a trust list")
    else:
        try:
            for name in credential.types:
                if name != "VerifiableCredential":
                    # Every specific type must be accredited: an issuer for A must not
                    # vouch for a credential that also claims to be B.
                    entry = trust.lookup(credential.issuer, name, now)
            if entry is None:
                entry = trust.lookup(credential.issuer, "VerifiableCredential", now)
        except TrustIDError as exc:
            steps.fail("trust", exc)
            steps.skip_rest(_PRE_SIGNATURE[2:] + _POST_SIGNATURE)
            return CredentialPlan(token=credential.token, steps=steps, credential=credential)
        steps.passed("trust", f"{entry.name} is accredited to issue {credential.credential_type}")
    try:
        kid = _check_issuer_match(credential)
    except TrustIDError as exc:
        check_id = "key" if isinstance(exc, UnknownKeyError) else "issuer_match"
        if check_id == "key":
            steps.passed("issuer_match", "the credential names its issuer consistently")
        steps.fail(check_id, exc)
        rest = _PRE_SIGNATURE[4:] if check_id == "key" else _PRE_SIGNATURE[3:]
        steps.skip_rest(rest + _POST_SIGNATURE)
        return CredentialPlan(
            token=credential.token, steps=steps, credential=credential, trust_entry=entry
        )
    steps.passed("issuer_match", "the signing key belongs to the issuer named in the credential")
    status_entries, status_errors, status_warnings = _plan_status(credential)
    schema_urls, schema_warnings = _schema_urls(credential)
    return CredentialPlan(
        token=credential.token,
        steps=steps,
        credential=credential,
        trust_entry=entry,
        key_id=kid,
        status_entries=status_entries,
        status_errors=status_errors,
        schema_urls=schema_urls,
        warnings=tuple(warnings + status_warnings + schema_warnings),
    )


def _signature_error(plan: CredentialPlan, material: Material) -> TrustIDError | None:
    """Check (once per token and material) the signature with the fetched key."""
    if plan.token in material.signatures:
        return material.signatures[plan.token]
    key = material.keys.get(plan.key_id or "")
    if plan.credential is None or key is None:
        error: TrustIDError | None = UnknownKeyError("no key could be resolved")
    elif isinstance(key, TrustIDError):
        error = key
    else:
        try:
            verify(plan.credential.token, key, typ=None)
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


def _check_jwt_times(credential: UnverifiedCredential, now: datetime) -> None:
    # vc+jwt may mirror the dates as exp/nbf; honour the stricter of both.
    payload = credential.jws.payload
    if "exp" in payload and from_timestamp(payload["exp"]) < now - DEFAULT_LEEWAY:
        raise ExpiredError(f"expired at {format_datetime(from_timestamp(payload['exp']))}")
    if "nbf" in payload and from_timestamp(payload["nbf"]) > now + DEFAULT_LEEWAY:
        raise NotYetValidError(f"valid from {format_datetime(from_timestamp(payload['nbf']))}")


def _validity_detail(credential: UnverifiedCredential) -> str:
    until = credential.valid_until
    if until is None:
        return "valid now; the credential does not expire"
    return f"valid now, until {format_datetime(until)}"


def _decide_one_status(
    entry: StatusEntry,
    credential: UnverifiedCredential,
    snapshot: StatusListSnapshot,
    issuer_name: str,
    now: datetime,
    decoded: dict[tuple[str, str, int], BitstringStatusList],
) -> str:
    """Return the passed detail, or raise the status error."""
    if snapshot.issuer != credential.issuer:
        raise StatusListError("the status list is not signed by the credential's issuer")
    memo_key = (entry.list_url, entry.purpose, entry.status_size)
    bits = decoded.get(memo_key)
    if bits is None:
        bits = read_status_list_credential(
            snapshot.payload,
            expected_purpose=entry.purpose,
            list_url=entry.list_url,
            status_size=entry.status_size,
        )
        decoded[memo_key] = bits
    try:
        until = snapshot.payload.get("validUntil")
        if until is not None and parse_datetime(until) < now - DEFAULT_LEEWAY:
            raise StatusUnavailableError(
                f"the issuer's status list expired at {until} and no fresh copy could be had"
            )
        since = snapshot.payload.get("validFrom")
        if since is not None and parse_datetime(since) > now + DEFAULT_LEEWAY:
            raise StatusListError("the status list is not valid yet")
    except MalformedError as exc:
        raise StatusListError("the status list has malformed dates") from exc
    value = bits.get(entry.index)
    as_of = format_datetime(snapshot.fetched_at)
    if value:
        verb = "revoked" if entry.purpose == "revocation" else "suspended"
        raise _STATUS_ERRORS[entry.purpose](
            f"{issuer_name} has {verb} this credential (status as of {as_of})"
        )
    state = "not revoked" if entry.purpose == "revocation" else "not suspended"
    return f"{state} (status as of {as_of})"


def _check_schema(credential: UnverifiedCredential, schema: Mapping[str, Any]) -> None:
    # TrustID issuers publish the schema of credentialSubject (without the holder id);
    # a schema that describes the whole credential (VC 2.0 §4.11) has credentialSubject
    # among its properties, and then the whole credential is validated.
    properties = schema.get("properties")
    whole = isinstance(properties, Mapping) and "credentialSubject" in properties
    instance: Any = (
        credential.credential
        if whole
        else {k: v for k, v in credential.subject.items() if k != "id"}
    )
    schema = dict(schema)
    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaInvalidError(f"the published schema itself is invalid: {exc.message}") from exc
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    try:
        # No retriever is configured, so a remote $ref is never fetched (no I/O here).
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    except referencing.exceptions.Unresolvable as exc:
        raise SchemaInvalidError(f"the schema refers to another document: {exc}") from exc
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the claims"
        raise SchemaInvalidError(f"{where}: {error.message[:200]}")


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
        holder: For presentations: the holder DID the credential must be bound to (an
            extra ``holder_binding`` check).
    """
    steps = plan.steps
    warnings = list(plan.warnings)
    credential = plan.credential
    if plan.failed or credential is None or plan.key_id is None:
        return _report(plan, steps, warnings, verified_credential=None, status_as_of=None)
    # Work on a copy so one plan can be decided again (e.g. in a batch retry).
    steps = _copy_steps(steps)
    key = material.keys.get(plan.key_id)
    if key is None:
        key = UnknownKeyError(f"no key {plan.key_id} could be resolved")
    if isinstance(key, TrustIDError):
        steps.fail("key", key)
        steps.skip_rest(("signature", *_POST_SIGNATURE))
        return _report(plan, steps, warnings, verified_credential=None, status_as_of=None)
    steps.passed("key", f"found the issuer's key #{plan.key_id.split('#', 1)[-1][:12]}")
    signature_error = _signature_error(plan, material)
    if signature_error is not None:
        steps.fail("signature", signature_error)
        steps.skip_rest(_POST_SIGNATURE)
        return _report(plan, steps, warnings, verified_credential=None, status_as_of=None)
    steps.passed("signature", f"signature verified with {key.alg}")
    # -- after the signature: evaluate everything, report every failure
    try:
        check_validity(credential, now)
        _check_jwt_times(credential, now)
        steps.passed("validity", _validity_detail(credential))
    except TrustIDError as exc:
        steps.fail("validity", exc)
    status_as_of = _decide_status(plan, credential, material, steps, warnings, now)
    _decide_schema(plan, credential, material, steps, warnings)
    if holder is not None:
        try:
            check_holder_binding(holder, credential)
            steps.passed("holder_binding", "the presenter is the holder the credential names")
        except TrustIDError as exc:
            steps.fail("holder_binding", exc)
    return _report(plan, steps, warnings, verified_credential=credential, status_as_of=status_as_of)


def _copy_steps(steps: _Steps) -> _Steps:
    copy = _Steps()
    copy.checks = list(steps.checks)
    copy.titles = dict(steps.titles)
    copy.failed = steps.failed
    return copy


def _decide_status(
    plan: CredentialPlan,
    credential: UnverifiedCredential,
    material: Material,
    steps: _Steps,
    warnings: list[str],
    now: datetime,
) -> datetime | None:
    for error in plan.status_errors:
        steps.fail("status", error)
    if not plan.status_entries:
        if not plan.status_errors:
            steps.skip("status", "the credential has no status list entry")
            warnings.append("this credential cannot be revoked or suspended (no status entry)")
        return None
    issuer_name = plan.trust_entry.name if plan.trust_entry is not None else "the issuer"
    as_of: datetime | None = None
    stale_warned: set[str] = set()
    for entry in plan.status_entries:
        check_id = f"status.{entry.purpose}"
        snapshot = material.status_lists.get(entry.list_url)
        if snapshot is None:
            snapshot = StatusUnavailableError(f"the status list {entry.list_url} was not fetched")
        if isinstance(snapshot, TrustIDError):
            error = snapshot
            if not isinstance(error, StatusUnavailableError | StatusListError):
                error = StatusUnavailableError(f"status could not be checked: {error.detail}")
            steps.fail(check_id, error)
            continue
        try:
            detail = _decide_one_status(
                entry, credential, snapshot, issuer_name, now, material.decoded_lists
            )
        except TrustIDError as exc:
            steps.fail(check_id, exc)
        else:
            steps.passed(check_id, detail)
        as_of = snapshot.fetched_at if as_of is None else min(as_of, snapshot.fetched_at)
        if snapshot.stale and entry.list_url not in stale_warned:
            stale_warned.add(entry.list_url)
            warnings.append(
                f"status as of {format_datetime(snapshot.fetched_at)}: the issuer could not "
                "be reached, a cached status list was used"
            )
    return as_of


def _decide_schema(
    plan: CredentialPlan,
    credential: UnverifiedCredential,
    material: Material,
    steps: _Steps,
    warnings: list[str],
) -> None:
    checked = 0
    for url in plan.schema_urls:
        schema = material.schemas.get(url)
        if schema is None:
            continue
        if isinstance(schema, TrustIDError):
            warnings.append(f"the schema {url} could not be fetched: {schema.detail}")
            continue
        try:
            _check_schema(credential, schema)
        except TrustIDError as exc:
            steps.fail("schema", exc)
            return
        checked += 1
    if checked:
        steps.passed("schema", f"the claims match the {credential.credential_type} schema")
    else:
        steps.skip("schema", f"no schema for {credential.credential_type} is known")


def _report(
    plan: CredentialPlan,
    steps: _Steps,
    warnings: list[str],
    *,
    verified_credential: UnverifiedCredential | None,
    status_as_of: datetime | None,
) -> VerificationReport:
    problems = _problems(steps.checks, steps.titles)
    return VerificationReport(
        verified=not problems,
        checks=list(steps.checks),
        problems=problems,
        warnings=list(dict.fromkeys(warnings)),
        credential=None if verified_credential is None else verified_credential.credential,
        format=None if plan.credential is None else plan.credential.format,
        issuer=plan.trust_entry,
        status_as_of=status_as_of,
    )


def _gather(
    plans: Iterable[CredentialPlan],
    *,
    key_for: KeyResolver,
    status_for: StatusResolver,
    schema_for: SchemaResolver | None,
) -> Material:
    """Fetch material with synchronous callables, once per kid/URL, in two rounds.

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

    ``key_for`` is only called for the ``kid`` of an issuer that passed the trust check
    (or of any issuer when ``trust`` is None), and ``status_for`` only afterwards.
    """
    plan = plan_credential(token, trust=trust, now=now)
    material = _gather([plan], key_for=key_for, status_for=status_for, schema_for=schema_for)
    return decide_credential(plan, material, now=now)


# ----------------------------------------------------------------------- presentations


@dataclass(frozen=True)
class PresentationPlan:
    """Phase 1 of a presentation: holder signature, nonce, audience and time checked.

    Attributes:
        checks: Presentation-level checks.
        holder: Holder DID, when known.
        nonce: The nonce the presentation carried, once it verified (for single use).
        credentials: One plan per credential inside.
        problems: Presentation-level problems.
    """

    checks: list[Check]
    holder: str | None = None
    nonce: str | None = None
    credentials: tuple[CredentialPlan, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def failed(self) -> bool:
        """True when the presentation itself failed."""
        return bool(self.problems)

    def with_failure(self, check_id: str, error: TrustIDError) -> PresentationPlan:
        """The plan with one more failed presentation-level check (e.g. nonce reused)."""
        return PresentationPlan(
            checks=[*self.checks, Check(check_id, "failed", error.detail, error.code)],
            holder=self.holder,
            nonce=self.nonce,
            credentials=self.credentials,
            problems=(*self.problems, Problem.from_error(error)),
        )


_PRESENTATION_CHECK = {
    "nonce_mismatch": "nonce",
    "audience_mismatch": "audience",
    "holder_binding": "holder_key",
    "expired": "freshness",
    "not_yet_valid": "freshness",
}


def plan_presentation(
    token: object,
    *,
    nonce: str,
    audience: str,
    trust: TrustList | None,
    now: datetime,
) -> PresentationPlan:
    """Phase 1 for a ``vp+jwt``: holder signature and replay protections, then credentials.

    Every credential inside is planned with :func:`plan_credential`.

    Holder keys are did:key/did:jwk (offline), so this needs no network.
    """
    try:
        token = unwrap_presentation(token)
        presentation = verify_presentation(token, nonce=nonce, audience=audience, now=now)
    except TrustIDError as exc:
        check_id = _PRESENTATION_CHECK.get(exc.code, "presentation")
        if not isinstance(exc, PresentationError | ExpiredError | NotYetValidError):
            check_id = "format" if isinstance(exc, MalformedError) else "signature"
        holder: str | None = None
        try:
            holder = parse_presentation_unverified(token).holder
        except TrustIDError:
            holder = None
        return PresentationPlan(
            checks=[Check(check_id, "failed", exc.detail, exc.code)],
            holder=holder,
            problems=(Problem.from_error(exc),),
        )
    checks = [
        Check(
            "format", "passed", f"a presentation of {len(presentation.credentials)} credential(s)"
        ),
        Check("signature", "passed", "signed by the holder's own key"),
        Check("nonce", "passed", "the nonce matches the challenge"),
        Check("audience", "passed", f"addressed to {audience}"),
        Check("freshness", "passed", "made within the last 5 minutes"),
    ]
    plans = tuple(plan_credential(t, trust=trust, now=now) for t in presentation.credentials)
    return PresentationPlan(
        checks=checks, holder=presentation.holder, nonce=nonce, credentials=plans
    )


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
    warnings: list[str] = []
    for position, report in enumerate(reports):
        problems.extend(
            Problem(p.code, p.title, f"credential {position + 1}: {p.detail}")
            for p in report.problems
        )
        warnings.extend(f"credential {position + 1}: {w}" for w in report.warnings)
    return PresentationReport(
        verified=not problems and bool(reports),
        checks=list(plan.checks),
        credentials=reports,
        problems=problems,
        warnings=warnings,
        holder=plan.holder,
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
) -> PresentationReport:
    """Verify a presentation and each credential in it with synchronous resolvers.

    Nonce single use is the caller's (it needs storage): see
    :meth:`PresentationPlan.with_failure` with :class:`~vcore.errors.NonceReusedError`.
    """
    plan = plan_presentation(token, nonce=nonce, audience=audience, trust=trust, now=now)
    material = _gather(
        plan.credentials, key_for=key_for, status_for=status_for, schema_for=schema_for
    )
    return decide_presentation(plan, material, now=now)
