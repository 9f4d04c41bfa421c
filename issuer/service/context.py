"""What every use case needs: settings, database sessions, the KEK, types, clock, randomness."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from issuer.credential_types import TypeRegistry
from issuer.errors import UnavailableError
from issuer.keystore import KeyEncryptionKey
from issuer.settings import IssuerSettings
from vcore.clock import Clock, system_clock

__all__ = ["IssuerContext", "Principal"]


@dataclass(frozen=True)
class Principal:
    """An authenticated agency (through one of its API keys)."""

    agency_id: str
    agency_name: str
    api_key_id: str
    types: frozenset[str]


@dataclass
class IssuerContext:
    """Shared dependencies of the use cases; built once per process by the bootstrap."""

    settings: IssuerSettings
    engine: Engine
    sessions: sessionmaker[Session]
    kek: KeyEncryptionKey
    types: TypeRegistry
    clock: Clock = system_clock
    rng: Callable[[int], int] = secrets.randbelow
    resources: Mapping[str, bytes] = field(default_factory=dict)
    """Exact bytes of resources known locally (bundled contexts), for VCDM §5.3 digests."""
    issuer_did: str = field(init=False)

    def __post_init__(self) -> None:
        self.issuer_did = self.settings.issuer_did

    @property
    def issuer_url(self) -> str:
        return self.settings.issuer_url

    def kid_for(self, thumbprint: str) -> str:
        """The JWS ``kid`` of a key: ``<issuer did>#<RFC 7638 thumbprint>`` (DESIGN §2)."""
        return f"{self.issuer_did}#{thumbprint}"

    def list_url(self, list_id: int) -> str:
        """Where a status list is published; short, because credentials go into QR codes."""
        return f"{self.issuer_url}/status-lists/{list_id}"

    def schema_url(self, type_name: str) -> str:
        return f"{self.issuer_url}/schemas/{type_name}"

    def token_list_url(self, list_id: int) -> str:
        """Where an IETF Token Status List is published (``status.status_list.uri``)."""
        return f"{self.issuer_url}/statuslists/{list_id}"

    def type_url(self, type_name: str) -> str:
        """The ``vct`` of a type's SD-JWT VCs, where its Type Metadata is served."""
        return f"{self.issuer_url}/types/{type_name}"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session; database outages surface as :class:`UnavailableError` (503)."""
        try:
            with self.sessions() as session:
                yield session
        except (OperationalError, InterfaceError) as exc:
            # Unreachable server, lock timeout, deadlock victim, serialisation failure:
            # all transient from the client's point of view, and nothing was committed.
            raise UnavailableError("the database is unavailable; retry later") from exc

    def dispose(self) -> None:
        self.engine.dispose()
