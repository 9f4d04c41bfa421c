"""Agencies and API keys: administration (CLI) and authentication (every API call).

API keys are ``tid_`` + 256 random bits in base64url, shown once and stored as SHA-256.
A key that does not have that shape is refused before any database lookup; a lookup
is by the hash (an index scan reveals nothing about a 256-bit secret), and the stored
hash is compared again in constant time.

Administration (create, disable/enable, key create/revoke, accredit) writes one
append-only ``agency_events`` row per change, in the same transaction as the change:
who (``actor``), what, when and why (``reason``). A change that changes nothing (disable
a disabled agency, revoke a revoked key, accredit the same types) records nothing.

Authentication reads the key and its agency on every request (no cache), so a revoked
key or a disabled agency is refused from the next request on, by every issuer process.
Disabling an agency touches nothing it issued: its credentials stay valid and the status
changes it made stay in the published status lists.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from issuer.errors import (
    AgencyDisabledError,
    AgencyExistsError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    UnauthorizedError,
    UnknownTypeError,
)
from issuer.service.agency_views import (
    AccreditationChange,
    AgencyChange,
    AgencyEventInfo,
    AgencyInfo,
    ApiKeyInfo,
    KeyRevocation,
    NewAgency,
    NewApiKey,
    agency_info,
    key_info,
)
from issuer.service.context import IssuerContext, Principal
from issuer.storage.agencies import AgencyRepository
from issuer.storage.tables import Agency, AgencyEvent, ApiKey
from vcore.jsontext import dumps_compact, loads_strict
from vcore.keys import b64url_encode

__all__ = [
    "AccreditationChange",
    "AgencyChange",
    "AgencyEventInfo",
    "AgencyInfo",
    "AgencyService",
    "ApiKeyInfo",
    "KeyRevocation",
    "NewAgency",
    "NewApiKey",
    "hash_api_key",
]

_KEY_PREFIX = "tid_"
_KEY_RE = re.compile(r"tid_[A-Za-z0-9_-]{43}")
# The verifier's client keys (``trustid-verifier client create``): told apart so that a key
# sent to the wrong service gets the right advice.
_VERIFIER_KEY_PREFIX = "tvk_"
_GET_KEY = (
    "agencies get an issuer key (tid_...) from the issuer's operator: "
    "`trustid-issuer agency create NAME --types TYPE` or `trustid-issuer agency key create AGENCY_ID`"
)
_SHOWN_PREFIX = 12  # "tid_" + 8 characters: enough to tell keys apart, useless to guess
_NAME_MAX = 200
_REASON_MAX = 500
_ACTOR_MAX = 200
_ID_ECHO_MAX = 64


def hash_api_key(api_key: str) -> str:
    """SHA-256 (hex) of an API key, as stored."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def _echo(value: str) -> str:
    """An id from the command line, safe to repeat in a one-line message."""
    return repr(value[:_ID_ECHO_MAX])


def _has_control(text: str) -> bool:
    # After whitespace is folded, anything left in Cc (NUL, ESC, ...) is refused: PostgreSQL
    # text cannot hold NUL, and escape sequences would rewrite the operator's terminal
    # when `agency list` or `agency events` prints the value.
    return any(unicodedata.category(c) == "Cc" for c in text)


def _clean_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = " ".join(reason.split())
    if len(reason) > _REASON_MAX:
        raise InvalidRequestError(f"the reason must be at most {_REASON_MAX} characters")
    if _has_control(reason):
        raise InvalidRequestError("the reason must not contain control characters")
    return reason or None


class AgencyService:
    """Agency administration and API-key authentication."""

    def __init__(self, ctx: IssuerContext) -> None:
        self._ctx = ctx

    # -- helpers

    def _known_types(self, types: Iterable[str]) -> list[str]:
        wanted = sorted({t.strip() for t in types if t.strip()})
        if not wanted:
            raise InvalidRequestError("an agency must be accredited for at least one type")
        unknown = [t for t in wanted if t not in self._ctx.types]
        if unknown:
            raise UnknownTypeError(
                f"unknown credential type(s) {', '.join(unknown)}; "
                f"known: {', '.join(self._ctx.types)}"
            )
        return wanted

    def _new_key(self, agency_id: str, now: datetime) -> tuple[ApiKey, str]:
        api_key = _KEY_PREFIX + b64url_encode(secrets.token_bytes(32))
        row = ApiKey(
            id="key_" + secrets.token_hex(8),
            agency_id=agency_id,
            key_hash=hash_api_key(api_key),
            prefix=api_key[:_SHOWN_PREFIX],
            created_at=now,
        )
        return row, api_key

    @staticmethod
    def _agency(repo: AgencyRepository, agency_id: str, *, lock: bool = False) -> Agency:
        # Every change to an agency or its keys locks the agency's row first (PostgreSQL;
        # SQLite transactions are serial anyway), so concurrent changes cannot interleave.
        agency = repo.get(agency_id, for_update=lock)
        if agency is None:
            raise NotFoundError(
                f"no agency with id {_echo(agency_id)} (`trustid-issuer agency list` shows them)"
            )
        return agency

    @staticmethod
    def _event(
        repo: AgencyRepository,
        agency_id: str,
        action: str,
        now: datetime,
        *,
        actor: str,
        reason: str | None = None,
        api_key_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        repo.add_event(
            AgencyEvent(
                agency_id=agency_id,
                action=action,
                api_key_id=api_key_id,
                detail=dumps_compact(detail) if detail is not None else None,
                reason=reason,
                actor=actor[:_ACTOR_MAX] or "unspecified",
                occurred_at=now,
            )
        )

    # -- administration

    def create(self, name: str, types: Iterable[str], *, actor: str = "unspecified") -> NewAgency:
        """Create an accredited agency with one API key.

        Raises:
            InvalidRequestError: empty or over-long name, or no types.
            UnknownTypeError: a type this issuer does not know.
            AgencyExistsError: the name is taken.
        """
        name = " ".join(name.split())
        if not name or len(name) > _NAME_MAX:
            raise InvalidRequestError(f"agency name must be 1..{_NAME_MAX} characters")
        if _has_control(name):
            raise InvalidRequestError("agency name must not contain control characters")
        wanted = self._known_types(types)
        now = self._ctx.clock()
        agency = Agency(id="ag_" + secrets.token_hex(8), name=name, created_at=now)
        key, api_key = self._new_key(agency.id, now)
        try:
            with self._ctx.session() as session, session.begin():
                repo = AgencyRepository(session)
                if repo.by_name(name) is not None:
                    raise AgencyExistsError(f"an agency named {name!r} already exists")
                repo.add(agency, wanted, now)
                repo.add_key(key)
                self._event(
                    repo,
                    agency.id,
                    "created",
                    now,
                    actor=actor,
                    api_key_id=key.id,
                    detail={"name": name, "types": wanted, "prefix": key.prefix},
                )
        except IntegrityError as exc:  # a concurrent create with the same name
            raise AgencyExistsError(f"an agency named {name!r} already exists") from exc
        return NewAgency(agency.id, name, tuple(wanted), api_key)

    def list(self) -> Sequence[AgencyInfo]:
        with self._ctx.session() as session, session.begin():
            repo = AgencyRepository(session)
            return [agency_info(repo, agency) for agency in repo.all()]

    def get(self, agency_id: str) -> AgencyInfo:
        """One agency with its types and keys.

        Raises:
            NotFoundError: no such agency.
        """
        with self._ctx.session() as session, session.begin():
            repo = AgencyRepository(session)
            return agency_info(repo, self._agency(repo, agency_id))

    def _set_disabled(
        self, agency_id: str, disabled: bool, actor: str, reason: str | None
    ) -> AgencyChange:
        reason = _clean_reason(reason)
        now = self._ctx.clock()
        with self._ctx.session() as session, session.begin():
            repo = AgencyRepository(session)
            agency = self._agency(repo, agency_id, lock=True)
            changed = (agency.disabled_at is None) == disabled
            if changed:
                agency.disabled_at = now if disabled else None
                action = "disabled" if disabled else "enabled"
                self._event(repo, agency.id, action, now, actor=actor, reason=reason)
                session.flush()
            return AgencyChange(agency_info(repo, agency), changed)

    def disable(
        self, agency_id: str, *, actor: str = "unspecified", reason: str | None = None
    ) -> AgencyChange:
        """Refuse every API key of the agency (403 ``agency_disabled``) until enabled.

        Its credentials stay valid and its status changes stay published.

        Raises:
            NotFoundError: no such agency.
            InvalidRequestError: the reason is too long.
        """
        return self._set_disabled(agency_id, True, actor, reason)

    def enable(
        self, agency_id: str, *, actor: str = "unspecified", reason: str | None = None
    ) -> AgencyChange:
        """Accept the agency's live API keys again.

        Raises:
            NotFoundError: no such agency.
            InvalidRequestError: the reason is too long.
        """
        return self._set_disabled(agency_id, False, actor, reason)

    def keys(self, agency_id: str) -> Sequence[ApiKeyInfo]:
        """The agency's API keys (live and revoked), oldest first.

        Raises:
            NotFoundError: no such agency.
        """
        return self.get(agency_id).keys

    def create_key(
        self, agency_id: str, *, actor: str = "unspecified", reason: str | None = None
    ) -> NewApiKey:
        """An additional API key for the agency (for rotation: create, deploy, revoke the old).

        Raises:
            NotFoundError: no such agency.
            InvalidRequestError: the reason is too long.
        """
        reason = _clean_reason(reason)
        now = self._ctx.clock()
        with self._ctx.session() as session, session.begin():
            repo = AgencyRepository(session)
            agency = self._agency(repo, agency_id, lock=True)
            key, api_key = self._new_key(agency.id, now)
            repo.add_key(key)
            self._event(
                repo,
                agency.id,
                "key_created",
                now,
                actor=actor,
                reason=reason,
                api_key_id=key.id,
                detail={"prefix": key.prefix},
            )
        return NewApiKey(key_info(key), api_key)

    def revoke_key(
        self, key_id: str, *, actor: str = "unspecified", reason: str | None = None
    ) -> KeyRevocation:
        """Refuse this API key from now on (401); revocation is final.

        Raises:
            NotFoundError: no such key.
            InvalidRequestError: the reason is too long.
        """
        reason = _clean_reason(reason)
        now = self._ctx.clock()
        with self._ctx.session() as session, session.begin():
            repo = AgencyRepository(session)
            key = repo.get_key(key_id)
            if key is None:
                raise NotFoundError(
                    f"no API key with id {_echo(key_id)} "
                    "(`trustid-issuer agency key list AGENCY_ID` shows them)"
                )
            # Re-read the key under the agency's lock: a concurrent revoke may have
            # committed since it was loaded.
            self._agency(repo, key.agency_id, lock=True)
            session.refresh(key)
            changed = key.revoked_at is None
            if changed:
                key.revoked_at = now
                self._event(
                    repo,
                    key.agency_id,
                    "key_revoked",
                    now,
                    actor=actor,
                    reason=reason,
                    api_key_id=key.id,
                    detail={"prefix": key.prefix},
                )
                session.flush()
            left = sum(1 for k in repo.keys_of(key.agency_id) if k.revoked_at is None)
            return KeyRevocation(key_info(key), changed, left)

    def accredit(
        self,
        agency_id: str,
        types: Iterable[str],
        *,
        actor: str = "unspecified",
        reason: str | None = None,
    ) -> AccreditationChange:
        """Make the agency's accredited types exactly ``types``.

        A removed type stops new issuance of it; credentials already issued stay valid
        and the agency can still revoke or suspend them.

        Raises:
            NotFoundError: no such agency.
            InvalidRequestError: no types, or the reason is too long.
            UnknownTypeError: a type this issuer does not know.
        """
        wanted = self._known_types(types)
        reason = _clean_reason(reason)
        now = self._ctx.clock()
        with self._ctx.session() as session, session.begin():
            repo = AgencyRepository(session)
            agency = self._agency(repo, agency_id, lock=True)
            before = repo.types_of(agency.id)
            added = tuple(sorted(set(wanted) - before))
            removed = tuple(sorted(before - set(wanted)))
            change = AccreditationChange(agency.id, tuple(wanted), added, removed)
            if change.changed:
                repo.set_types(agency.id, wanted, now)
                self._event(
                    repo,
                    agency.id,
                    "accredited",
                    now,
                    actor=actor,
                    reason=reason,
                    detail={"types": wanted, "added": list(added), "removed": list(removed)},
                )
        return change

    def events(self, agency_id: str) -> Sequence[AgencyEventInfo]:
        """The agency's audit trail, oldest first.

        Raises:
            NotFoundError: no such agency.
        """
        with self._ctx.session() as session, session.begin():
            repo = AgencyRepository(session)
            agency = self._agency(repo, agency_id)
            return [
                AgencyEventInfo(
                    agency_id=e.agency_id,
                    action=e.action,
                    api_key_id=e.api_key_id,
                    detail=loads_strict(e.detail) if e.detail is not None else None,
                    reason=e.reason,
                    actor=e.actor,
                    occurred_at=e.occurred_at,
                )
                for e in repo.events_of(agency.id)
            ]

    # -- authentication

    def principal_for(self, agency_id: str, api_key_id: str) -> Principal:
        """The agency as it stands now, acting through a key it used before (an offer it
        made is redeemed later: a disabled agency or revoked key issues nothing more).

        Raises:
            ForbiddenError: the agency or its key is gone, disabled or revoked.
        """
        with self._ctx.session() as session, session.begin():
            repo = AgencyRepository(session)
            agency = repo.get(agency_id)
            key = repo.get_key(api_key_id)
            if agency is None or key is None or key.agency_id != agency_id:
                raise ForbiddenError("the agency that made this offer is unknown")
            if agency.disabled_at is not None or key.revoked_at is not None:
                raise ForbiddenError(
                    "the agency that made this offer is disabled or its key revoked"
                )
            return Principal(
                agency_id=agency.id,
                agency_name=agency.name,
                api_key_id=key.id,
                types=repo.types_of(agency.id),
            )

    def authenticate(self, api_key: str | None) -> Principal:
        """The agency behind a bearer API key.

        Raises:
            UnauthorizedError: missing, malformed, unknown or revoked key.
            AgencyDisabledError: the key is live but its agency is disabled.
        """
        if not api_key:
            raise UnauthorizedError(
                f"an API key is required: Authorization: Bearer <key>; {_GET_KEY}"
            )
        if api_key.startswith(_VERIFIER_KEY_PREFIX):
            raise UnauthorizedError(
                f"this is a verifier API key ({_VERIFIER_KEY_PREFIX}...), not an issuer one; "
                + _GET_KEY
            )
        if not _KEY_RE.fullmatch(api_key):
            raise UnauthorizedError(f"the API key is not valid (not an issuer key); {_GET_KEY}")
        digest = hash_api_key(api_key)
        with self._ctx.session() as session, session.begin():
            owner = AgencyRepository(session).owner_of_key(digest)
        if owner is None or not hmac.compare_digest(owner.api_key.key_hash, digest):
            raise UnauthorizedError(f"the API key is unknown to this issuer; {_GET_KEY}")
        if owner.api_key.revoked_at is not None:
            # Only a holder of the whole secret learns this; it tells them to rotate.
            raise UnauthorizedError("the API key has been revoked")
        if owner.agency.disabled_at is not None:
            raise AgencyDisabledError(
                f"agency {owner.agency.name!r} is disabled; contact the issuer's operator"
            )
        return Principal(
            agency_id=owner.agency.id,
            agency_name=owner.agency.name,
            api_key_id=owner.api_key.id,
            types=owner.types,
        )
