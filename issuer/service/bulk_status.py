"""Bulk status changes: revoke or suspend (or lift a suspension) many credentials at once.

A :class:`Selection` names the credentials: a list of ids, a holder DID, a type with an
issuance date range, or a signing key; an agency (``POST /credentials/status/batch``)
only ever reaches its own credentials, the operator (``trustid-issuer revoke|suspend``)
any. One transaction sets every bit (one UPDATE per list and 500 slots), appends one
``status_changes`` row per credential (multi-row INSERTs; with the reason code, and the
operator as ``actor`` from the CLI) and bumps each affected list's ``version`` once; after the commit each affected list is re-signed once.

Revocation is final: revoked credentials are left as they are by every change (they
count as ``unchanged``), as are credentials already in the asked state. A dry run counts
what would change and changes nothing. A selection that matches nothing is
:class:`~issuer.errors.NotFoundError` (404, or a one-line CLI error): a typo in a holder
DID must not look like a success.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, select

from issuer.errors import InvalidRequestError, NotFoundError
from issuer.service.allocation import PURPOSES, STATUS_LIST_PURPOSE
from issuer.service.context import IssuerContext
from issuer.service.keys import SigningKeyService
from issuer.service.status import StatusService
from issuer.storage.status_lists import StatusListRepository
from issuer.storage.tables import CredentialRecord, StatusEntry

__all__ = ["MAX_IDS", "BulkStatusResult", "BulkStatusService", "Selection"]

log = logging.getLogger("issuer")

MAX_IDS = 100_000
"""Credential ids in one bulk change."""
_REASON_MAX = 500
_CHUNK = 1000  # ids per IN (...) query


@dataclass(frozen=True)
class Selection:
    """Which credentials: exactly one of ids, holder, type (+ dates), signed_by."""

    ids: tuple[str, ...] = ()
    holder: str | None = None
    type_name: str | None = None
    issued_from: datetime | None = None
    issued_until: datetime | None = None
    signed_by: str | None = None
    agency_id: str | None = None  # an agency reaches only its own credentials

    def check(self) -> None:
        """Raises InvalidRequestError unless exactly one selector is given."""
        given = [
            name
            for name, present in (
                ("ids", bool(self.ids)),
                ("holder", self.holder is not None),
                ("type", self.type_name is not None),
                ("signed by", self.signed_by is not None),
            )
            if present
        ]
        if len(given) != 1:
            raise InvalidRequestError(
                "select the credentials by exactly one of: ids, holder, type (with an "
                f"optional issuance date range), signing key (given: {', '.join(given) or 'none'})"
            )
        if (self.issued_from or self.issued_until) and self.type_name is None:
            raise InvalidRequestError("an issuance date range goes with a type")
        if len(self.ids) > MAX_IDS:
            raise InvalidRequestError(f"at most {MAX_IDS:,} credential ids in one change")
        if self.issued_from and self.issued_until and self.issued_from > self.issued_until:
            raise InvalidRequestError("the issuance date range ends before it starts")


_TOKEN_REVOKED, _TOKEN_SUSPENDED = 1, 2  # Token Status List values (issuer.service.status)


class _Slot(NamedTuple):
    list_id: int
    idx: int
    purpose: str
    status: int
    credential_id: str
    agency_id: str
    api_key_id: str

    def is_revoked(self) -> bool:
        if self.purpose == STATUS_LIST_PURPOSE:
            return self.status == _TOKEN_REVOKED
        return self.purpose == "revocation" and self.status != 0

    def value_for(self, purpose: str, status: bool) -> int | None:
        """This slot's value after setting ``purpose`` to ``status``; None: not its purpose.

        A Token Status List slot (an SD-JWT VC's one slot) holds both purposes as one
        2-bit value: revoking sets 1, suspending 2, lifting a suspension 0.
        """
        if self.purpose == STATUS_LIST_PURPOSE:
            if purpose == "revocation":
                return _TOKEN_REVOKED
            if status:
                return _TOKEN_SUSPENDED
            return 0 if self.status == _TOKEN_SUSPENDED else self.status
        if self.purpose == purpose:
            return 1 if status else 0
        return None


@dataclass(frozen=True)
class BulkStatusResult:
    """What a bulk change changed (or would, with ``dry_run``)."""

    purpose: str
    status: bool
    matched: int
    changed: int
    unchanged: int
    lists: tuple[int, ...]
    dry_run: bool


class BulkStatusService:
    """Sets one status purpose on every selected credential, in one transaction."""

    def __init__(self, ctx: IssuerContext, keys: SigningKeyService, status: StatusService) -> None:
        self._ctx = ctx
        self._keys = keys
        self._status = status

    def _query(
        self, selection: Selection, ids: Sequence[str]
    ) -> Select[int, int, str, int, str, str, str]:
        # Plain columns, not entities: hydrating 200,000 ORM objects would cost more than
        # the whole update.
        query = select(
            StatusEntry.list_id,
            StatusEntry.idx,
            StatusEntry.purpose,
            StatusEntry.status,
            CredentialRecord.id,
            CredentialRecord.agency_id,
            CredentialRecord.api_key_id,
        ).join(CredentialRecord, CredentialRecord.id == StatusEntry.credential_id)
        if selection.agency_id is not None:
            query = query.where(CredentialRecord.agency_id == selection.agency_id)
        if ids:
            query = query.where(CredentialRecord.id.in_(list(ids)))
        if selection.holder is not None:
            query = query.where(CredentialRecord.holder_did == selection.holder)
        if selection.type_name is not None:
            query = query.where(CredentialRecord.type_name == selection.type_name)
            if selection.issued_from is not None:
                query = query.where(CredentialRecord.created_at >= selection.issued_from)
            if selection.issued_until is not None:
                query = query.where(CredentialRecord.created_at <= selection.issued_until)
        return query.order_by(StatusEntry.list_id, StatusEntry.idx)

    def change(
        self,
        selection: Selection,
        purpose: str,
        status: bool,
        reason: str,
        *,
        actor: str | None = None,
        api_key_id: str | None = None,
        dry_run: bool = False,
    ) -> BulkStatusResult:
        """Set ``purpose`` to ``status`` on every selected credential.

        Args:
            selection: Which credentials.
            purpose: ``revocation`` or ``suspension``.
            status: True to set; False only lifts a suspension (revocation is final).
            reason: The reason code recorded with every change.
            actor: Who (the operator, from the CLI); None for an agency's API key.
            api_key_id: The agency key making the change (API), else the issuing key's.
            dry_run: Count only.

        Raises:
            InvalidRequestError: a bad selection, purpose or un-revocation.
            NotFoundError: the selection matches no credential (or no such key).
        """
        selection.check()
        if purpose not in PURPOSES:
            raise InvalidRequestError(f"statusPurpose must be one of {', '.join(PURPOSES)}")
        if purpose == "revocation" and not status:
            raise InvalidRequestError("revocation is final: it cannot be lifted")
        reason = reason.strip()
        if not reason or len(reason) > _REASON_MAX or not reason.isprintable():
            raise InvalidRequestError(
                f"a reason code of 1 to {_REASON_MAX} printable characters is required"
            )
        now = self._ctx.clock()
        with self._ctx.session() as session, session.begin():
            if selection.signed_by is not None:
                row = self._keys.resolve(session, selection.signed_by)
                kid = self._ctx.kid_for(row.thumbprint)
            # Every slot of each selected credential (both purposes: revocation is final).
            slots: list[_Slot] = []
            batches = [
                selection.ids[i : i + _CHUNK] for i in range(0, len(selection.ids), _CHUNK)
            ] or [()]
            for ids in batches:
                query = self._query(selection, ids)
                if selection.signed_by is not None:
                    query = query.where(CredentialRecord.kid == kid)
                if not dry_run:
                    query = query.with_for_update(of=StatusEntry)
                slots += [_Slot(*row) for row in session.execute(query)]
            revoked = {s.credential_id for s in slots if s.is_revoked()}
            matched = len({s.credential_id for s in slots})
            if matched == 0:
                raise NotFoundError("no credential matches this selection")
            targets: list[tuple[_Slot, int]] = []
            for slot in slots:
                value = slot.value_for(purpose, status)
                if value is not None and value != slot.status and slot.credential_id not in revoked:
                    targets.append((slot, value))
            lists = tuple(sorted({s.list_id for s, _ in targets}))
            result = BulkStatusResult(
                purpose, status, matched, len(targets), matched - len(targets), lists, dry_run
            )
            if dry_run:
                return result
            repo = StatusListRepository(session)
            by_value: dict[tuple[int, int], list[int]] = {}
            for slot, value in targets:
                by_value.setdefault((slot.list_id, value), []).append(slot.idx)
            for (list_id, value), indexes in by_value.items():
                repo.set_statuses(list_id, indexes, value, now)
            who = (actor or "")[:200] or None
            repo.add_changes(
                [
                    {
                        "credential_id": slot.credential_id,
                        "purpose": purpose,
                        "list_id": slot.list_id,
                        "idx": slot.idx,
                        "old_status": slot.status,
                        "new_status": value,
                        "agency_id": slot.agency_id,
                        "api_key_id": api_key_id or slot.api_key_id,
                        "reason": reason,
                        "changed_at": now,
                        "actor": who,
                    }
                    for slot, value in targets
                ]
            )
            for list_id in lists:
                repo.bump_version(list_id)
        log.info(
            "bulk %s=%s: %d of %d selected credentials changed (%s)",
            purpose,
            status,
            result.changed,
            matched,
            actor or "agency",
        )
        token_lists = {s.list_id for s, _ in targets if s.purpose == STATUS_LIST_PURPOSE}
        for list_id in lists:  # re-sign each affected list once, now
            self._status.published(list_id, token_list=list_id in token_lists)
        return result
