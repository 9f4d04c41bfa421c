"""Status changes (revoke, suspend, un-suspend) and the published status lists.

Revocation is final: once the revocation bit is set, nothing about the credential
changes again (un-revoking, or suspending a revoked credential, is a 409). Every
change is one transaction that updates the slot, bumps the list's ``version`` and
appends a ``status_changes`` row (agency, API key, reason, time).

Publishing builds the W3C Bitstring Status List from the database (so a change shows
at the next fetch) and signs it as a ``vc+jwt`` BitstringStatusListCredential; a list of
the ``status_list`` purpose (SD-JWT VC credentials) is an IETF Token Status List of 2-bit
values (0 valid, 1 revoked, 2 suspended) signed as ``statuslist+jwt``. An SD-JWT VC has
one such slot: revoking sets it to 1 (final), suspending to 2, un-suspending to 0. The
signed token is cached per list and reused while the list's ``version`` and the active
key are unchanged (so a list is never served signed by a retired or withdrawn key) and it is younger than 12 hours; it is valid for 24 hours (DESIGN
§4: re-signed at least every 12 h, ``ttl`` 300 s).

Signing happens outside any database transaction, so a slow signer (an HSM, a KMS
round trip) holds no locks and no connection in a transaction: one short read
transaction takes the version, the key and the set bits; the list is signed; a second
short transaction stores the token. Why every acknowledged change is in the list served
after it: a change commits its bit and its ``version`` bump together, before it is
acknowledged; the read transaction reads ``version`` *first* and the bits after it, so
the bits are at least as new as the version the token is labelled with (on PostgreSQL
each statement sees every commit before it); a cached token is served only while its
label equals the current ``version``. The store is conditional (never replaces a token
labelled with a newer version), so a slow publisher cannot roll the cache back; if two
race at one version, either token is correct.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from issuer.errors import ForbiddenError, NotFoundError, RevocationFinalError
from issuer.service.allocation import PURPOSES, STATUS_LIST_PURPOSE
from issuer.service.context import IssuerContext, Principal
from issuer.service.keys import SigningKeyService
from issuer.storage.credential_records import CredentialRecordRepository
from issuer.storage.status_lists import StatusListRepository
from issuer.storage.tables import StatusChange, StatusEntry
from vcore.clock import format_datetime, to_timestamp
from vcore.formats import sign_credential
from vcore.jose import sign
from vcore.keys import b64url_encode
from vcore.signing import Signer
from vcore.status import (
    LIST_TYP,
    BitstringStatusList,
    TokenStatusList,
    build_status_list_credential,
    build_status_list_payload,
)

__all__ = [
    "LIST_TTL",
    "LIST_VALIDITY",
    "RESIGN_AFTER",
    "PublishedStatusList",
    "StatusChangeResult",
    "StatusService",
    "opaque_etag",
]

log = logging.getLogger("issuer")

LIST_TTL = timedelta(seconds=300)
RESIGN_AFTER = timedelta(hours=12)
LIST_VALIDITY = timedelta(hours=24)


def opaque_etag(body: bytes) -> str:
    """A strong ETag that is a hash of the served bytes and nothing else.

    It reveals neither how many changes a list has had nor when it was signed; a new
    signature (a new ``validFrom``) gives a new tag, which is what caches need.
    """
    return '"' + b64url_encode(hashlib.sha256(body).digest()[:18]) + '"'


@dataclass(frozen=True)
class StatusChangeResult:
    """The outcome of a status change request."""

    credential_id: str
    purpose: str
    status: bool
    changed: bool
    list_url: str
    index: int


@dataclass(frozen=True)
class PublishedStatusList:
    """A signed status-list credential with its HTTP validators."""

    token: str
    etag: str
    max_age: int


_REVOKED, _SUSPENDED = 1, 2  # Token Status List values (draft §7.1)


def _token_change(entry: StatusEntry, purpose: str, status: bool) -> int:
    """The new value of a Token Status List slot for a change of ``purpose``.

    Raises:
        RevocationFinalError: the credential is revoked (anything but revoking again).
    """
    revoking = purpose == "revocation"
    if entry.status == _REVOKED and not (revoking and status):
        raise RevocationFinalError("the credential is revoked; revocation is final")
    if revoking:
        return _REVOKED if status else entry.status
    return _SUSPENDED if status else 0


class StatusService:
    """Status changes and status-list publication."""

    def __init__(self, ctx: IssuerContext, keys: SigningKeyService) -> None:
        self._ctx = ctx
        self._keys = keys

    def change(
        self,
        principal: Principal,
        credential_id: str,
        purpose: str,
        status: bool,
        reason: str | None = None,
    ) -> StatusChangeResult:
        """Set or clear one status bit of one of the agency's credentials.

        Raises:
            NotFoundError: no such credential.
            ForbiddenError: another agency issued it.
            RevocationFinalError: it is revoked (un-revoke, or any suspension change).
        """
        if purpose not in PURPOSES:
            raise NotFoundError(f"no status purpose {purpose!r}")
        now = self._ctx.clock()
        new = 1 if status else 0
        with self._ctx.session() as session, session.begin():
            record = CredentialRecordRepository(session).get(credential_id)
            if record is None:
                raise NotFoundError("no credential with this id was issued here")
            if record.agency_id != principal.agency_id:
                raise ForbiddenError("this credential was issued by another agency")
            repo = StatusListRepository(session)
            entries = repo.entries_of(credential_id, for_update=True)
            token_entry = entries.get(STATUS_LIST_PURPOSE)
            if token_entry is not None:
                entry = token_entry
                new = _token_change(entry, purpose, status)
                list_url = self._ctx.token_list_url(entry.list_id)
            else:
                found = entries.get(purpose)
                if found is None:  # pragma: no cover - every record gets both entries
                    raise NotFoundError(f"the credential has no {purpose} entry")
                entry = found
                revoked = entries["revocation"].status != 0
                if revoked and not (purpose == "revocation" and new == 1):
                    raise RevocationFinalError("the credential is revoked; revocation is final")
                list_url = self._ctx.list_url(entry.list_id)
            result = StatusChangeResult(
                credential_id=credential_id,
                purpose=purpose,
                status=status
                if token_entry is None
                else new == (_REVOKED if purpose == "revocation" else _SUSPENDED),
                changed=entry.status != new,
                list_url=list_url,
                index=entry.idx,
            )
            if not result.changed:
                return result
            old = entry.status
            entry.status = new
            entry.updated_at = now
            repo.bump_version(entry.list_id)
            repo.add_change(
                StatusChange(
                    credential_id=credential_id,
                    purpose=purpose,
                    list_id=entry.list_id,
                    idx=entry.idx,
                    old_status=old,
                    new_status=new,
                    agency_id=principal.agency_id,
                    api_key_id=principal.api_key_id,
                    reason=reason,
                    changed_at=now,
                )
            )
        log.info(
            "%s of %s set to %d by agency %s", purpose, credential_id, new, principal.agency_id
        )
        return result

    def republish_all(self) -> int:
        """Re-sign every list not signed by the active key (after a key change); the count."""
        with self._ctx.session() as session, session.begin():
            kid = self._keys.active(session).kid
            repo = StatusListRepository(session)
            stale = [
                sl.id
                for sl in repo.all()
                if (token := repo.cached_token(sl.id)) is None or token.kid != kid
            ]
        for list_id in stale:
            self.published(list_id)
        return len(stale)

    def published(self, list_id: int, *, token_list: bool = False) -> PublishedStatusList:
        """The signed status list ``list_id`` (cached while unchanged).

        Args:
            list_id: The list.
            token_list: Whether the caller serves IETF Token Status Lists
                (``/statuslists/``) rather than Bitstring lists (``/status-lists/``).

        Raises:
            NotFoundError: no such list (of that kind).
        """
        now = self._ctx.clock()
        max_age = int(LIST_TTL.total_seconds())
        with self._ctx.session() as session, session.begin():
            repo = StatusListRepository(session)
            status_list = repo.get(list_id)
            if status_list is None or (status_list.purpose == STATUS_LIST_PURPOSE) != token_list:
                raise NotFoundError(f"no status list {list_id}")
            # Read the version before the bits (see the module docstring).
            version, purpose, size = status_list.version, status_list.purpose, status_list.size
            key = self._keys.active(session)
            cached = repo.cached_token(list_id)
            if (
                cached is not None
                and cached.version == version
                and cached.kid == key.kid
                and now - cached.signed_at < RESIGN_AFTER
            ):
                return PublishedStatusList(cached.token, cached.etag, max_age)
            if token_list:
                values = repo.statuses(list_id)
                set_indexes = []
            else:
                values = []
                set_indexes = repo.set_indexes(list_id)
        # Outside any transaction: build and sign.
        if token_list:
            token = self._sign_token_list(list_id, size, values, key.signer, now)
            etag = opaque_etag(token.encode("ascii"))
            with self._ctx.session() as session, session.begin():
                StatusListRepository(session).save_token(
                    list_id, version=version, kid=key.kid, token=token, etag=etag, signed_at=now
                )
            return PublishedStatusList(token, etag, max_age)
        bits = BitstringStatusList(size)
        bits.set_many(set_indexes, 1)
        payload = build_status_list_credential(
            list_id=self._ctx.list_url(list_id),
            issuer=self._ctx.issuer_did,
            purpose=purpose,
            encoded_list=bits.encode(),
            valid_from=format_datetime(now),
            valid_until=format_datetime(now + LIST_VALIDITY),
            ttl_ms=max_age * 1000,
        )
        token = sign_credential(payload, key.signer)
        etag = opaque_etag(token.encode("ascii"))
        with self._ctx.session() as session, session.begin():
            StatusListRepository(session).save_token(
                list_id, version=version, kid=key.kid, token=token, etag=etag, signed_at=now
            )
        return PublishedStatusList(token, etag, max_age)

    def _sign_token_list(
        self,
        list_id: int,
        size: int,
        values: list[tuple[int, int]],
        signer: Signer,
        now: datetime,
    ) -> str:
        statuses = TokenStatusList(size, bits=2)
        for idx, value in values:
            statuses.set(idx, value)
        payload = build_status_list_payload(
            list_url=self._ctx.token_list_url(list_id),
            issuer=self._ctx.issuer_did,
            statuses=statuses,
            issued_at=to_timestamp(now),
            expires_at=to_timestamp(now + LIST_VALIDITY),
            ttl_seconds=int(LIST_TTL.total_seconds()),
        )
        return sign(payload, signer, typ=LIST_TYP)
