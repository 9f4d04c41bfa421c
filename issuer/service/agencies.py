"""Agencies and API keys: creation (CLI) and authentication (every API call).

API keys are ``tid_`` + 256 random bits in base64url, shown once and stored as SHA-256.
A key that does not have that shape is refused before any database lookup; a lookup
is by the hash (an index scan reveals nothing about a 256-bit secret), and the stored
hash is compared again in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from issuer.errors import (
    AgencyExistsError,
    InvalidRequestError,
    UnauthorizedError,
    UnknownTypeError,
)
from issuer.service.context import IssuerContext, Principal
from issuer.storage.agencies import AgencyRepository
from issuer.storage.tables import Agency, ApiKey
from vcore.keys import b64url_encode

__all__ = ["AgencyInfo", "AgencyService", "NewAgency", "hash_api_key"]

_KEY_PREFIX = "tid_"
_KEY_RE = re.compile(r"tid_[A-Za-z0-9_-]{43}")
_NAME_MAX = 200


def hash_api_key(api_key: str) -> str:
    """SHA-256 (hex) of an API key, as stored."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewAgency:
    """A freshly created agency and its API key (the only time the key is visible)."""

    agency_id: str
    name: str
    types: tuple[str, ...]
    api_key: str


@dataclass(frozen=True)
class AgencyInfo:
    """An agency as listed by ``agency list``."""

    agency_id: str
    name: str
    types: tuple[str, ...]
    created_at: datetime
    key_prefixes: tuple[str, ...]


class AgencyService:
    """Agency administration and API-key authentication."""

    def __init__(self, ctx: IssuerContext) -> None:
        self._ctx = ctx

    def create(self, name: str, types: Iterable[str]) -> NewAgency:
        """Create an accredited agency with one API key.

        Raises:
            InvalidRequestError: empty or over-long name, or no types.
            UnknownTypeError: a type this issuer does not know.
            AgencyExistsError: the name is taken.
        """
        name = " ".join(name.split())
        if not name or len(name) > _NAME_MAX:
            raise InvalidRequestError(f"agency name must be 1..{_NAME_MAX} characters")
        wanted = sorted({t.strip() for t in types if t.strip()})
        if not wanted:
            raise InvalidRequestError("an agency must be accredited for at least one type")
        unknown = [t for t in wanted if t not in self._ctx.types]
        if unknown:
            raise UnknownTypeError(
                f"unknown credential type(s) {', '.join(unknown)}; "
                f"known: {', '.join(self._ctx.types)}"
            )
        now = self._ctx.clock()
        api_key = _KEY_PREFIX + b64url_encode(secrets.token_bytes(32))
        agency = Agency(id="ag_" + secrets.token_hex(8), name=name, created_at=now)
        try:
            with self._ctx.session() as session, session.begin():
                repo = AgencyRepository(session)
                if repo.by_name(name) is not None:
                    raise AgencyExistsError(f"an agency named {name!r} already exists")
                repo.add(agency, wanted, now)
                repo.add_key(
                    ApiKey(
                        id="key_" + secrets.token_hex(8),
                        agency_id=agency.id,
                        key_hash=hash_api_key(api_key),
                        prefix=api_key[:12],
                        created_at=now,
                    )
                )
        except IntegrityError as exc:  # a concurrent create with the same name
            raise AgencyExistsError(f"an agency named {name!r} already exists") from exc
        return NewAgency(agency.id, name, tuple(wanted), api_key)

    def list(self) -> Sequence[AgencyInfo]:
        with self._ctx.session() as session, session.begin():
            repo = AgencyRepository(session)
            return [
                AgencyInfo(
                    agency_id=agency.id,
                    name=agency.name,
                    types=tuple(sorted(repo.types_of(agency.id))),
                    created_at=agency.created_at,
                    key_prefixes=tuple(
                        key.prefix + "..."
                        for key in repo.keys_of(agency.id)
                        if key.revoked_at is None
                    ),
                )
                for agency in repo.all()
            ]

    def authenticate(self, api_key: str | None) -> Principal:
        """The agency behind a bearer API key.

        Raises:
            UnauthorizedError: missing, malformed, unknown or revoked key.
        """
        if not api_key:
            raise UnauthorizedError("an API key is required: Authorization: Bearer <key>")
        if not _KEY_RE.fullmatch(api_key):
            raise UnauthorizedError("the API key is not valid")
        digest = hash_api_key(api_key)
        with self._ctx.session() as session, session.begin():
            owner = AgencyRepository(session).owner_of_key(digest)
        if owner is None or not hmac.compare_digest(owner.api_key.key_hash, digest):
            raise UnauthorizedError("the API key is not valid")
        return Principal(
            agency_id=owner.agency.id,
            agency_name=owner.agency.name,
            api_key_id=owner.api_key.id,
            types=owner.types,
        )
