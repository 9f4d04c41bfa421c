"""Process start: data dir, KEK, types, engine, migrations, first signing key and lists.

Everything that changes the schema or creates singletons runs in one transaction under
the bootstrap lock (:func:`issuer.storage.db.exclusive_transaction`), so any number of
issuer processes can start at once against a fresh database.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from issuer.credential_types import TypeRegistry, load_types
from issuer.errors import ConfigurationError, UnavailableError
from issuer.keystore import ensure_data_dir, load_kek
from issuer.service.agencies import AgencyService
from issuer.service.allocation import PURPOSES, open_list
from issuer.service.bulk_status import BulkStatusService
from issuer.service.context import IssuerContext
from issuer.service.issuance import IssuanceService
from issuer.service.key_revocation import KeyRevocationService
from issuer.service.keys import SigningKeyService
from issuer.service.offers import OfferService
from issuer.service.publication import PublicationService
from issuer.service.status import StatusService
from issuer.settings import IssuerSettings
from issuer.storage.credential_types import CredentialTypeRepository
from issuer.storage.db import (
    create_db_engine,
    create_sessionmaker,
    exclusive_transaction,
    upgrade_schema,
)
from issuer.storage.status_lists import StatusListRepository
from issuer.storage.tables import CredentialTypeRow
from vcore.clock import Clock, system_clock
from vcore.status import MIN_BITSTRING_ENTRIES

__all__ = ["IssuerServices", "open_services"]

log = logging.getLogger("issuer")


@dataclass
class IssuerServices:
    """All use cases of one issuer process, sharing one context."""

    ctx: IssuerContext
    keys: SigningKeyService
    agencies: AgencyService
    issuance: IssuanceService
    status: StatusService
    publication: PublicationService
    key_revocation: KeyRevocationService
    bulk_status: BulkStatusService
    offers: OfferService

    def close(self) -> None:
        self.ctx.dispose()


def _sync_types(session: Session, types: TypeRegistry, now: datetime) -> None:
    repo = CredentialTypeRepository(session)
    for ctype in types.values():
        row = repo.get(ctype.name)
        schema_json = ctype.schema_json
        if row is None:
            repo.add(
                CredentialTypeRow(
                    name=ctype.name,
                    schema_json=schema_json,
                    schema_sha256=ctype.digest,
                    source=ctype.source[:500],
                    updated_at=now,
                )
            )
        elif row.schema_sha256 != ctype.digest:
            log.warning("credential type %s: schema changed since last start", ctype.name)
            row.schema_json = schema_json
            row.schema_sha256 = ctype.digest
            row.source = ctype.source[:500]
            row.updated_at = now


def _bootstrap(services: IssuerServices) -> None:
    ctx = services.ctx
    now = ctx.clock()
    with exclusive_transaction(ctx.engine) as connection:
        upgrade_schema(connection)
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            _sync_types(session, ctx.types, now)
            services.keys.ensure_active(session, now)
            # Unseal the active key now: a wrong master key fails the start, not an issuance.
            services.keys.active(session)
            repo = StatusListRepository(session)
            open_purposes = {sl.purpose for sl in repo.all() if sl.active}
            for purpose in PURPOSES:
                if purpose not in open_purposes:
                    open_list(session, purpose, ctx.settings.status_list_size, now)
            session.commit()


def open_services(
    settings: IssuerSettings,
    *,
    clock: Clock = system_clock,
    rng: Callable[[int], int] = secrets.randbelow,
    migrate: bool = True,
) -> IssuerServices:
    """Build the issuer's services for ``settings``; migrate and bootstrap the database.

    Raises:
        ConfigurationError: unusable settings, types or master key.
        UnavailableError: the database cannot be reached.
    """
    if settings.uses_sqlite:
        try:
            ensure_data_dir(settings.data_dir)
        except OSError as exc:
            raise ConfigurationError(f"cannot create data dir {settings.data_dir}: {exc}") from exc
    master_key = settings.master_key.get_secret_value() if settings.master_key else None
    try:
        kek = load_kek(master_key, settings.data_dir)
    except OSError as exc:
        raise ConfigurationError(f"cannot read or create the master key: {exc}") from exc
    types = load_types(settings.types_dir)
    engine = create_db_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
    )
    ctx = IssuerContext(
        settings=settings,
        engine=engine,
        sessions=create_sessionmaker(engine),
        kek=kek,
        types=types,
        clock=clock,
        rng=rng,
    )
    keys = SigningKeyService(ctx)
    status = StatusService(ctx, keys)
    agencies = AgencyService(ctx)
    issuance = IssuanceService(ctx, keys)
    services = IssuerServices(
        ctx=ctx,
        keys=keys,
        agencies=agencies,
        issuance=issuance,
        status=status,
        publication=PublicationService(ctx, keys),
        key_revocation=KeyRevocationService(ctx, keys, status),
        bulk_status=BulkStatusService(ctx, keys, status),
        offers=OfferService(ctx, agencies, issuance),
    )
    if settings.status_list_size < MIN_BITSTRING_ENTRIES:
        log.warning(
            "TRUSTID_STATUS_LIST_SIZE=%d: conforming verifiers refuse lists shorter than %d "
            "entries (Bitstring Status List §3.2); use this only for tests",
            settings.status_list_size,
            MIN_BITSTRING_ENTRIES,
        )
    if migrate:
        try:
            _bootstrap(services)
        except (OperationalError, InterfaceError) as exc:
            engine.dispose()
            raise UnavailableError(f"cannot reach the database: {exc.orig or exc}") from exc
        except BaseException:
            engine.dispose()
            raise
    return services
