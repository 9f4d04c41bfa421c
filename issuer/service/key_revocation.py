"""Bulk revocation by signing key: ``trustid-issuer revoke --signed-by KID``.

The second step of the key-compromise playbook (``docs/security.md``): after ``keys
withdraw``, revoke every credential the key signed, so verifiers that still hold the key
(a cached DID document, an offline bundle) refuse them too. One transaction sets every
revocation bit, appends one ``status_changes`` row per credential (``actor`` names the
operator; ``agency_id`` / ``api_key_id`` are the issuing agency's) and bumps each affected
list's ``version`` once; after the commit each affected list is re-signed once.
Revocation is final, so credentials already revoked are left as they are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from issuer.service.context import IssuerContext
from issuer.service.keys import SigningKeyService
from issuer.service.status import StatusService
from issuer.storage.status_lists import StatusListRepository
from issuer.storage.tables import CredentialRecord, StatusChange, StatusEntry

__all__ = ["BulkRevocation", "KeyRevocationService"]

log = logging.getLogger("issuer")

_REASON_MAX = 500


@dataclass(frozen=True)
class BulkRevocation:
    """What ``revoke --signed-by`` changed (or would change, with ``dry_run``)."""

    kid: str
    revoked: int
    lists: tuple[int, ...]
    dry_run: bool


class KeyRevocationService:
    """Revokes every credential signed by one key."""

    def __init__(self, ctx: IssuerContext, keys: SigningKeyService, status: StatusService) -> None:
        self._ctx = ctx
        self._keys = keys
        self._status = status

    def revoke_signed_by(
        self, kid: str, reason: str, *, actor: str = "unspecified", dry_run: bool = False
    ) -> BulkRevocation:
        """Revoke every unrevoked credential signed by ``kid`` (a kid or a thumbprint).

        Raises:
            NotFoundError: no such key.
        """
        now = self._ctx.clock()
        with self._ctx.session() as session, session.begin():
            row = self._keys.resolve(session, kid)
            full_kid = self._ctx.kid_for(row.thumbprint)
            query = (
                select(StatusEntry, CredentialRecord)
                .join(CredentialRecord, CredentialRecord.id == StatusEntry.credential_id)
                .where(
                    CredentialRecord.kid == full_kid,
                    StatusEntry.purpose == "revocation",
                    StatusEntry.status == 0,
                )
                .order_by(StatusEntry.list_id, StatusEntry.idx)
            )
            if not dry_run:
                query = query.with_for_update(of=StatusEntry)
            pairs = [
                (row[0], row[1])
                for row in session.execute(query.execution_options(populate_existing=True))
            ]
            lists = tuple(sorted({entry.list_id for entry, _ in pairs}))
            if dry_run:
                return BulkRevocation(full_kid, len(pairs), lists, dry_run=True)
            repo = StatusListRepository(session)
            for entry, record in pairs:
                entry.status = 1
                entry.updated_at = now
                repo.add_change(
                    StatusChange(
                        credential_id=record.id,
                        purpose="revocation",
                        list_id=entry.list_id,
                        idx=entry.idx,
                        old_status=0,
                        new_status=1,
                        agency_id=record.agency_id,
                        api_key_id=record.api_key_id,
                        reason=reason[:_REASON_MAX],
                        changed_at=now,
                        actor=actor[:200] or "unspecified",
                    )
                )
            for list_id in lists:
                repo.bump_version(list_id)
            self._keys.record_event(
                session,
                row.thumbprint,
                "bulk_revoked",
                actor=actor,
                reason=reason,
                detail={"revoked": len(pairs), "lists": list(lists)},
            )
        log.info("revoked %d credentials signed by %s (%s)", len(pairs), full_kid, actor)
        for list_id in lists:  # re-sign each affected list once, now
            self._status.published(list_id)
        return BulkRevocation(full_kid, len(pairs), lists, dry_run=False)
