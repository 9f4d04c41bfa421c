"""Issuing a credential: validate, reserve (record + status slots), sign, record the digest.

Order of events, and why:

1. Everything that can be refused is checked first, without touching the database
   (type, accreditation, holder DID, schema, dates, size): a refused request leaves
   no row behind.
2. One transaction commits the issuance record, its revocation and suspension slots
   and the idempotency key. It commits *before* the credential is signed, so no
   signed credential can exist that the issuer has no record of (and could not revoke).
3. The credential is signed outside any transaction (no locks held while signing).
4. A second transaction stores the SHA-256 of the token (not the token: it holds the
   citizen's personal data) and, with an ``Idempotency-Key``, the response sealed under
   the KEK for 24 hours.

A record whose digest is NULL is a slot whose credential was never delivered (crash or
outage between 2 and 4); a retry with the same ``Idempotency-Key`` signs that same
credential (same id, dates and slots) instead of allocating a new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import CredentialTooLargeError, IdempotencyConflictError, InvalidRequestError
from issuer.service.allocation import (
    MIN_TOKEN_LIST_ENTRIES,
    PURPOSES,
    STATUS_LIST_PURPOSE,
    Slot,
    allocate_slots,
)
from issuer.service.context import IssuerContext, Principal
from issuer.service.issuance_plan import IssuancePlan, check_holder_did, plan_issuance
from issuer.service.keys import ActiveKey, SigningKeyService
from issuer.service.type_metadata import derived_claims, integrity_of, type_metadata_bytes
from issuer.storage.credential_records import CredentialRecordRepository
from issuer.storage.idempotency import IdempotencyRepository
from issuer.storage.status_lists import StatusListRepository
from issuer.storage.tables import CredentialRecord, IdempotencyKey, StatusEntry
from vcore.credentials import build_credential, new_credential_id
from vcore.dids import is_offline_did
from vcore.errors import TrustIDError
from vcore.formats import SelectiveDisclosureFormat, lookup, sign_credential
from vcore.jose import MAX_TOKEN_SIZE
from vcore.jsontext import dumps_compact
from vcore.status import TOKEN_STATUS_LIST, build_status_entry
from vcore.vcdm import check_credential

__all__ = [
    "BATCH_CHUNK",
    "IDEMPOTENCY_TTL",
    "MAX_COPIES",
    "IssuanceService",
    "IssueCommand",
    "IssuedCredential",
    "check_holder_did",
]

log = logging.getLogger("issuer")

IDEMPOTENCY_TTL = timedelta(hours=24)
BATCH_CHUNK = 100
"""Items of a batch reserved in one transaction (and recorded in one after signing)."""
_STATUS_ORDER = (*PURPOSES, STATUS_LIST_PURPOSE)
MAX_COPIES = 10
"""Most copies of one credential a single request may ask for (``options.copies``)."""


_SELECTIVE: dict[int, bool] = {}


def _selective(fmt: str) -> SelectiveDisclosureFormat | None:
    """The format, when it signs with a disclosure policy (the SD-JWT formats)."""
    securing = lookup(fmt)
    # isinstance against a runtime-checkable Protocol walks its members on every call
    # (a tenth of a bulk issuance's CPU): remember the answer per registered object.
    known = _SELECTIVE.get(id(securing))
    if known is None:
        known = _SELECTIVE[id(securing)] = isinstance(securing, SelectiveDisclosureFormat)
    return cast(SelectiveDisclosureFormat, securing) if known else None


def _purposes(fmt: str) -> tuple[str, ...]:
    """The status slots a credential of ``fmt`` gets: one Token Status List slot when the
    format carries ``status.status_list``, else the Bitstring revocation and suspension."""
    securing = _selective(fmt)
    if securing is not None and securing.status_entry_type == TOKEN_STATUS_LIST.entry_type:
        return (STATUS_LIST_PURPOSE,)
    return PURPOSES


def _slots(rows: Iterable[StatusEntry]) -> list[Slot]:
    return [Slot(row.list_id, row.idx, row.purpose) for row in rows]


@dataclass(frozen=True)
class IssueCommand:
    """An issue request, as the API received it.

    Attributes:
        credential: The caller's credential (VC Data Model 2.0; the issuer adds ``id``
            unless given, ``issuer`` unless given, dates unless given, its status entries
            and its schema).
        fmt: ``vc+jwt`` (default), ``jwt_vc_json``, ``dc+sd-jwt`` or ``vc+sd-jwt``.
        valid_days: Requested validity in days (instead of ``validUntil``) or None.
        request: The whole request body; its canonical hash is what an
            ``Idempotency-Key`` is bound to.
        copies: How many copies of the credential (SD-JWT formats only): each its own
            record, status slot, salts and decoys, so no two verifiers can link them.
    """

    credential: Mapping[str, Any]
    fmt: str
    valid_days: int | None
    request: Mapping[str, Any]
    copies: int = 1


@dataclass(frozen=True)
class IssuedCredential:
    """A signed credential: the compact token, the record id and its status entries.

    ``credential_id`` is the issuer's handle for ``POST /credentials/status`` (the
    credential's own ``id`` unless the caller gave another); ``status`` holds the
    issuer's own ``BitstringStatusListEntry`` objects, revocation first.
    """

    token: str
    credential_id: str
    status: tuple[dict[str, Any], ...] = ()
    replayed: bool = False
    copies: tuple[IssuedCredential, ...] = ()
    """With ``options.copies`` > 1: every copy, this one first (empty otherwise)."""


@dataclass(frozen=True)
class _Reservation:
    record: CredentialRecord
    entries: Sequence[Slot]
    key: ActiveKey


def _copy_key(key: str | None, copy: int) -> str | None:
    """The idempotency key of copy ``copy`` (0-based) of a request with key ``key``.

    Copy 0 keeps the caller's key; the others get a key no caller can send (it starts
    with a control character, which the header refuses) that fits the 255-character
    column whatever the caller's key length, so a retry replays every copy.
    """
    if key is None or copy == 0:
        return key
    return f"\x1ecopy{copy}:" + hashlib.sha256(key.encode("ascii")).hexdigest()


def request_digest(request: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a request (member order and spacing do not count)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class IssuanceService:
    """The issue use case."""

    def __init__(self, ctx: IssuerContext, keys: SigningKeyService) -> None:
        self._ctx = ctx
        self._keys = keys

    # -- validation (no database) -----------------------------------------------------

    def _plan(self, principal: Principal, cmd: IssueCommand, now: datetime) -> IssuancePlan:
        plan = plan_issuance(
            cmd.credential,
            fmt=cmd.fmt,
            valid_days=cmd.valid_days,
            registry=self._ctx.types,
            accredited=principal.types,
            agency=principal.agency_name,
            issuer_did=self._ctx.issuer_did,
            own_lists=f"{self._ctx.issuer_url}/status-lists/",
            now=now,
            resources=self._ctx.resources,
        )
        if cmd.copies != 1 and (_selective(plan.fmt) is None or not 1 <= cmd.copies <= MAX_COPIES):
            raise InvalidRequestError(
                f"options.copies must be 1 to {MAX_COPIES}, and above 1 only for the SD-JWT "
                "formats (dc+sd-jwt, vc+sd-jwt), whose copies share no salt, digest or index"
            )
        if _selective(plan.fmt) is not None and (
            len(plan.subjects) != 1 or not is_offline_did(plan.holder)
        ):
            raise InvalidRequestError(
                f"options.format {plan.fmt} binds the credential to the holder's key (cnf): "
                "give one credentialSubject whose id is a did:key or did:jwk"
            )
        self._check_size(plan)
        return plan

    def _status(self, entries: Sequence[Slot]) -> tuple[dict[str, Any], ...]:
        return tuple(
            {
                "type": TOKEN_STATUS_LIST.entry_type,
                "idx": entry.idx,
                "uri": self._ctx.token_list_url(entry.list_id),
            }
            if entry.purpose == STATUS_LIST_PURPOSE
            else build_status_entry(
                list_url=self._ctx.list_url(entry.list_id), index=entry.idx, purpose=entry.purpose
            )
            for entry in sorted(entries, key=lambda e: _STATUS_ORDER.index(e.purpose))
        )

    def _build(
        self, plan: IssuancePlan, credential_id: str, entries: Sequence[Slot]
    ) -> dict[str, Any]:
        own_schema = {"id": self._ctx.schema_url(plan.ctype.name), "type": "JsonSchema"}
        schemas = [*(s for s in plan.schemas if s.get("id") != own_schema["id"]), own_schema]
        subjects = plan.subjects
        if _selective(plan.fmt) is not None:
            # The holder chooses what to show: a schema requiring claims cannot hold for a
            # presentation (the vct's Type Metadata describes the claims instead), and the
            # derived claims ("over 18") are computed today from the birth date.
            schemas = []
            today = self._ctx.clock().date()
            subjects = tuple(
                {**s, **derived_claims(s, plan.ctype.derived_ages, today)} for s in subjects
            )
        return build_credential(
            issuer=plan.issuer,
            credential_type=plan.ctype.name,
            types=plan.types,
            subject=subjects,
            holder=None,
            credential_id=plan.caller_id or credential_id,
            valid_from=plan.valid_from,
            valid_until=plan.valid_until,
            status=[*plan.status, *self._status(entries)],
            schema=schemas,
            contexts=plan.contexts,
            extra=dict(plan.extra),
        )

    def _check_size(self, plan: IssuancePlan) -> None:
        # Verifiers refuse tokens over 16 KiB (DESIGN §4). Refuse before reserving a
        # slot, with the largest status entries the lists can produce.
        big = [Slot(list_id=10**9, idx=10**8, purpose=p) for p in PURPOSES]
        credential = self._build(plan, new_credential_id(), big)
        # What the issuer adds must keep the credential conformant (VCDM 2.0 §4).
        check_credential(credential, resources=self._ctx.resources)
        payload = dumps_compact(credential).encode("utf-8")
        header = len(self._ctx.issuer_did) + 128  # {"alg","kid":did#thumbprint,"typ","cty"}
        estimate = math.ceil(len(payload) * 4 / 3) + math.ceil(header * 4 / 3) + 2 + 88
        if estimate > MAX_TOKEN_SIZE:
            raise CredentialTooLargeError(
                f"the signed credential would be about {estimate} characters; "
                f"verifiers accept at most {MAX_TOKEN_SIZE}"
            )

    # -- reservation (transaction 1) ------------------------------------------------------

    def _idempotency_aad(self, principal: Principal, key: str) -> str:
        return f"idempotency:{principal.agency_id}:{key}"

    def _claim_idempotency_key(
        self, session: Session, principal: Principal, key: str, digest: str, now: datetime
    ) -> tuple[IdempotencyKey, bool]:
        """Insert the key; returns the row and whether it existed before."""
        repo = IdempotencyRepository(session)
        repo.purge_before(now - IDEMPOTENCY_TTL)
        existing = repo.get(principal.agency_id, key)
        if existing is None:
            row = IdempotencyKey(
                agency_id=principal.agency_id, key=key, request_sha256=digest, created_at=now
            )
            try:
                with session.begin_nested():
                    repo.add(row)
                return row, False
            except IntegrityError:
                # A concurrent request with the same key committed first.
                existing = repo.get(principal.agency_id, key)
                if existing is None:  # pragma: no cover - purged in between: vanishingly rare
                    raise
        if not secrets.compare_digest(existing.request_sha256, digest):
            raise IdempotencyConflictError(
                "this Idempotency-Key was already used with a different request body"
            )
        return existing, True

    def _reserve(
        self,
        session: Session,
        principal: Principal,
        plan: IssuancePlan,
        digest: str,
        idempotency_key: str | None,
        now: datetime,
    ) -> _Reservation | IssuedCredential:
        idempotency_row: IdempotencyKey | None = None
        if idempotency_key is not None:
            idempotency_row, existed = self._claim_idempotency_key(
                session, principal, idempotency_key, digest, now
            )
            if existed:
                return self._resume(session, principal, idempotency_row, idempotency_key)
        (reservation,) = self._reserve_fresh(session, principal, [plan], now)
        if idempotency_row is not None:
            idempotency_row.credential_id = reservation.record.id
        return reservation

    def _reserve_fresh(
        self,
        session: Session,
        principal: Principal,
        plans: Sequence[IssuancePlan],
        now: datetime,
    ) -> list[_Reservation]:
        """Records and status slots for ``plans``: one multi-row insert of the records
        and one batch allocation per purpose (:func:`allocate_slots`), in the caller's
        transaction."""
        key = self._keys.active(session)
        records = [
            CredentialRecord(
                id=new_credential_id(),
                type_name=plan.ctype.name,
                agency_id=principal.agency_id,
                api_key_id=principal.api_key_id,
                holder_did=plan.holder,
                format=plan.fmt,
                kid=key.kid,
                valid_from=plan.valid_from,
                valid_until=plan.valid_until,
                created_at=now,
            )
            for plan in plans
        ]
        CredentialRecordRepository(session).add_many(records)
        size = self._ctx.settings.status_list_size
        slots: list[list[Slot]] = [[] for _ in plans]
        for purpose in _STATUS_ORDER:
            wanted = [n for n, plan in enumerate(plans) if purpose in _purposes(plan.fmt)]
            if not wanted:
                continue
            entries = allocate_slots(
                session,
                purpose=purpose,
                credential_ids=[records[n].id for n in wanted],
                new_list_size=max(size, MIN_TOKEN_LIST_ENTRIES)
                if purpose == STATUS_LIST_PURPOSE
                else size,
                now=now,
                rng=self._ctx.rng,
            )
            for n, entry in zip(wanted, entries, strict=True):
                slots[n].append(entry)
        return [
            _Reservation(record, entries, key)
            for record, entries in zip(records, slots, strict=True)
        ]

    def _resume(
        self, session: Session, principal: Principal, row: IdempotencyKey, key: str
    ) -> _Reservation | IssuedCredential:
        if row.response_sealed is not None:
            token = self._ctx.kek.open(
                row.response_sealed, aad=self._idempotency_aad(principal, key)
            ).decode("utf-8")
            stored = StatusListRepository(session).entries_of(row.credential_id or "")
            return IssuedCredential(
                token, row.credential_id or "", self._status(_slots(stored.values())), replayed=True
            )
        if row.credential_id is None:
            raise IdempotencyConflictError("a request with this Idempotency-Key is in progress")
        record = CredentialRecordRepository(session).get(row.credential_id)
        if record is None:  # pragma: no cover - foreign key makes this impossible
            raise IdempotencyConflictError("the original request left no record; use a new key")
        entries = _slots(StatusListRepository(session).entries_of(record.id).values())
        thumbprint = record.kid.rpartition("#")[2]
        return _Reservation(record, entries, self._keys.by_thumbprint(session, thumbprint))

    def _sign(self, plan: IssuancePlan, credential: dict[str, Any], key: ActiveKey) -> str:
        securing = _selective(plan.fmt)
        if securing is None:
            return sign_credential(credential, key.signer, fmt=plan.fmt)
        vct = self._ctx.type_url(plan.ctype.name)
        return securing.sign_selective(
            credential,
            key.signer,
            policy=plan.ctype.disclosure,
            vct=vct,
            vct_integrity=integrity_of(type_metadata_bytes(plan.ctype, vct)),
        )

    def check(self, principal: Principal, cmd: IssueCommand) -> None:
        """Everything :meth:`issue` would refuse before touching the database (an offer
        is checked so when it is made, not when the wallet redeems it)."""
        self._plan(principal, cmd, self._ctx.clock())

    # -- the use case ------------------------------------------------------------------------

    def issue(
        self, principal: Principal, cmd: IssueCommand, idempotency_key: str | None = None
    ) -> IssuedCredential:
        """Issue one credential (see the module docstring for the order of events).

        Raises:
            DataModelError: the credential breaks a VCDM 2.0 rule (the code names it).
            InvalidRequestError, UnknownTypeError, CredentialTooLargeError: bad request.
            IssuerMismatchError: the credential names another issuer.
            TypeNotAccreditedError: the agency may not issue this type.
            DIDError: the holder DID is unusable.
            ClaimsInvalidError: the claims fail the type's schema.
            IdempotencyConflictError: the key was used with another body.
            UnavailableError: the database is unavailable.
        """
        now = self._ctx.clock()
        plan = self._plan(principal, cmd, now)
        digest = request_digest(cmd.request)
        if cmd.copies > 1:
            return self._issue_copies(principal, plan, digest, idempotency_key, cmd.copies, now)
        with self._ctx.session() as session:
            with session.begin():
                outcome = self._reserve(session, principal, plan, digest, idempotency_key, now)
            if isinstance(outcome, IssuedCredential):
                return outcome
            record = outcome.record
            if record.valid_until is None:  # pragma: no cover - we always set it
                raise InvalidRequestError("validUntil missing")
            plan = plan.with_validity(record.valid_from, record.valid_until)
            credential = self._build(plan, record.id, outcome.entries)
            token = self._sign(plan, credential, outcome.key)
            signed_at = self._ctx.clock()
            with session.begin():
                CredentialRecordRepository(session).record_signed(
                    record.id, hashlib.sha256(token.encode("ascii")).hexdigest(), signed_at
                )
                if idempotency_key is not None:
                    sealed = self._ctx.kek.seal(
                        token.encode("ascii"), aad=self._idempotency_aad(principal, idempotency_key)
                    )
                    IdempotencyRepository(session).store_response(
                        principal.agency_id, idempotency_key, sealed
                    )
        # Ids and type only: the claims are personal data and stay out of logs.
        log.info(
            "issued %s (%s) for agency %s with key %s",
            record.id,
            plan.ctype.name,
            principal.agency_id,
            outcome.key.thumbprint,
        )
        return IssuedCredential(token, record.id, self._status(outcome.entries))

    def _issue_copies(
        self,
        principal: Principal,
        plan: IssuancePlan,
        digest: str,
        idempotency_key: str | None,
        copies: int,
        now: datetime,
    ) -> IssuedCredential:
        """N copies of one credential, issued as a chunk of a batch (same order of events,
        one reservation transaction for all copies): all are issued or the first error is
        raised (a copy already issued under the same key is replayed, not reissued)."""
        results: list[IssuedCredential | TrustIDError | None] = [None] * copies
        chunk = [(i, plan, digest, _copy_key(idempotency_key, i)) for i in range(copies)]
        self._issue_chunk(principal, chunk, now, results)
        issued: list[IssuedCredential] = []
        for result in results:
            if isinstance(result, TrustIDError):
                raise result
            if result is None:  # pragma: no cover - _issue_chunk answers every index
                raise RuntimeError("a copy was left without a result")
            issued.append(result)
        first = issued[0]
        return IssuedCredential(
            first.token,
            first.credential_id,
            first.status,
            replayed=all(c.replayed for c in issued),
            copies=tuple(issued),
        )

    # -- batches ----------------------------------------------------------------------------

    def issue_batch(
        self,
        principal: Principal,
        items: Sequence[tuple[IssueCommand, str | None]],
        *,
        chunk: int = BATCH_CHUNK,
    ) -> list[IssuedCredential | TrustIDError]:
        """Issue many credentials; ``result[i]`` answers ``items[i]`` (command, key).

        Each item is validated alone (a refused one is its error, and leaves nothing
        behind). The valid ones go in chunks: one transaction reserves every record,
        slot and idempotency key of the chunk (each item in a savepoint, so one item's
        conflict does not undo the others), the chunk is signed outside any
        transaction, and one transaction records the digests (and sealed responses).
        The order of events per item is :meth:`issue`'s, so a retried item with the same
        idempotency key gets the same credential.
        """
        now = self._ctx.clock()
        results: list[IssuedCredential | TrustIDError | None] = [None] * len(items)
        planned: list[tuple[int, IssuancePlan, str, str | None]] = []
        seen: set[str] = set()
        for index, (cmd, key) in enumerate(items):
            try:
                if cmd.copies != 1:
                    raise InvalidRequestError(
                        "options.copies is for POST /credentials/issue; a batch item is one copy"
                    )
                if key is not None:
                    if key in seen:
                        raise IdempotencyConflictError(
                            "this idempotencyKey appears twice in the batch"
                        )
                    seen.add(key)
                plan = self._plan(principal, cmd, now)
            except TrustIDError as exc:
                results[index] = exc
                continue
            planned.append((index, plan, request_digest(cmd.request), key))
        for start in range(0, len(planned), chunk):
            self._issue_chunk(principal, planned[start : start + chunk], now, results)
        done = [r for r in results if r is not None]
        if len(done) != len(items):  # pragma: no cover - every index is answered above
            raise RuntimeError("a batch item was left without a result")
        return done

    def _issue_chunk(
        self,
        principal: Principal,
        chunk: Sequence[tuple[int, IssuancePlan, str, str | None]],
        now: datetime,
        results: list[IssuedCredential | TrustIDError | None],
    ) -> None:
        reserved: list[tuple[int, IssuancePlan, _Reservation, str | None]] = []
        with self._ctx.session() as session:
            with session.begin():
                reserved = self._reserve_chunk(session, principal, chunk, now, results)
            signed: list[tuple[int, _Reservation, str | None, str]] = []
            for index, plan, outcome, key in reserved:
                record = outcome.record
                if record.valid_until is None:  # pragma: no cover - we always set it
                    raise InvalidRequestError("validUntil missing")
                full = plan.with_validity(record.valid_from, record.valid_until)
                credential = self._build(full, record.id, outcome.entries)
                signed.append(
                    (
                        index,
                        outcome,
                        key,
                        self._sign(full, credential, outcome.key),
                    )
                )
            if not signed:
                return
            signed_at = self._ctx.clock()
            with session.begin():
                CredentialRecordRepository(session).record_signed_many(
                    [
                        (o.record.id, hashlib.sha256(t.encode("ascii")).hexdigest(), signed_at)
                        for _i, o, _k, t in signed
                    ]
                )
                IdempotencyRepository(session).store_responses(
                    principal.agency_id,
                    [
                        (
                            key,
                            self._ctx.kek.seal(
                                token.encode("ascii"), aad=self._idempotency_aad(principal, key)
                            ),
                        )
                        for _index, _outcome, key, token in signed
                        if key is not None
                    ],
                )
        for index, outcome, _key, token in signed:
            results[index] = IssuedCredential(
                token, outcome.record.id, self._status(outcome.entries)
            )
        log.info("issued %d credentials in a batch for agency %s", len(signed), principal.agency_id)

    def _reserve_chunk(
        self,
        session: Session,
        principal: Principal,
        chunk: Sequence[tuple[int, IssuancePlan, str, str | None]],
        now: datetime,
        results: list[IssuedCredential | TrustIDError | None],
    ) -> list[tuple[int, IssuancePlan, _Reservation, str | None]]:
        """Transaction 1 for a chunk, set-based: the keys already seen are looked up in
        one query (each replayed or refused alone), then every fresh item's record,
        slots and idempotency key go in a few multi-row inserts. If that fails (a
        concurrent request claimed one of the keys, say) the chunk falls back to one
        savepoint per item, which gives each item its own outcome."""
        reserved: list[tuple[int, IssuancePlan, _Reservation, str | None]] = []
        repo = IdempotencyRepository(session)
        keys = [key for _i, _p, _d, key in chunk if key is not None]
        existing: dict[str, IdempotencyKey] = {}
        if keys:
            repo.purge_before(now - IDEMPOTENCY_TTL)
            existing = repo.get_many(principal.agency_id, keys)
        fresh: list[tuple[int, IssuancePlan, str, str | None]] = []
        for item in chunk:
            index, plan, digest, key = item
            if key is None or key not in existing:
                fresh.append(item)
                continue
            try:
                with session.begin_nested():
                    outcome = self._reserve(session, principal, plan, digest, key, now)
            except TrustIDError as exc:
                results[index] = exc
                continue
            if isinstance(outcome, IssuedCredential):
                results[index] = outcome
            else:
                reserved.append((index, plan, outcome, key))
        if not fresh:
            return reserved
        try:
            with session.begin_nested():
                outcomes = self._reserve_fresh(
                    session, principal, [p for _i, p, _d, _k in fresh], now
                )
                repo.add_many(
                    [
                        IdempotencyKey(
                            agency_id=principal.agency_id,
                            key=key,
                            request_sha256=digest,
                            credential_id=outcome.record.id,
                            created_at=now,
                        )
                        for (_i, _p, digest, key), outcome in zip(fresh, outcomes, strict=True)
                        if key is not None
                    ]
                )
        except (IntegrityError, TrustIDError):
            log.info("a batch chunk met a conflict; reserving its items one by one")
        else:
            return reserved + [
                (index, plan, outcome, key)
                for (index, plan, _d, key), outcome in zip(fresh, outcomes, strict=True)
            ]
        for index, plan, digest, key in fresh:
            try:
                with session.begin_nested():
                    outcome = self._reserve(session, principal, plan, digest, key, now)
            except TrustIDError as exc:
                results[index] = exc
                continue
            if isinstance(outcome, IssuedCredential):
                results[index] = outcome
            else:
                reserved.append((index, plan, outcome, key))
        return reserved
