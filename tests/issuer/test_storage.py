"""Migrations on SQLite and PostgreSQL, keys sealed at rest, master-key handling."""

from __future__ import annotations

import os
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from issuer.errors import MasterKeyError
from issuer.keystore import KeyEncryptionKey, load_kek
from issuer.service import open_services
from issuer.storage.db import create_db_engine, exclusive_transaction, upgrade_schema
from issuer.storage.tables import Agency, Base, SigningKey
from tests.issuer.support import make_settings
from vcore.errors import InvalidKeyError
from vcore.keys import b64url_encode, private_key_from_der

TABLES = {
    "accreditations",
    "agencies",
    "agency_events",
    "alembic_version",
    "api_keys",
    "credential_types",
    "credentials",
    "credential_offers",
    "dpop_jtis",
    "oid4vci_nonces",
    "idempotency_keys",
    "signing_keys",
    "signing_key_events",
    "status_changes",
    "status_entries",
    "status_list_tokens",
    "status_lists",
}


def _database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("fresh_postgres_url"))
    return f"sqlite:///{tmp_path / 'migrate.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _database_url(request, tmp_path)


def test_migrations_from_empty_match_the_models_and_are_repeatable(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        for _ in range(2):  # the second run is a no-op
            with exclusive_transaction(engine) as connection:
                upgrade_schema(connection)
        assert set(inspect(engine).get_table_names()) == TABLES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_bootstrap_is_idempotent_and_keeps_one_key(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None if database_url.startswith("sqlite") else database_url)
    for _ in range(2):
        open_services(settings).close()
    services = open_services(settings)
    try:
        with services.ctx.sessions() as session:
            assert len(session.scalars(select(SigningKey)).all()) == 1
    finally:
        services.close()


def test_timestamps_come_back_aware_utc(tmp_path: Path) -> None:
    services = open_services(make_settings(tmp_path))
    try:
        created = services.agencies.create("Registry", ["ResidentIdentityCredential"])
        with services.ctx.sessions() as session:
            agency = session.get(Agency, created.agency_id)
            assert agency is not None
            assert agency.created_at.tzinfo is UTC
    finally:
        services.close()


def test_private_keys_are_sealed_and_bound_to_their_id(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    services = open_services(settings)
    try:
        with services.ctx.sessions() as session:
            row = session.scalars(select(SigningKey)).one()
        with pytest.raises(InvalidKeyError):
            # The stored bytes are not a usable key without the KEK...
            private_key_from_der(row.private_key_sealed)
        der = services.ctx.kek.open(row.private_key_sealed, aad=row.thumbprint)
        assert private_key_from_der(der).public_key().thumbprint() == row.thumbprint
        # ...and the seal names the key: moved to another row, it does not open.
        with pytest.raises(MasterKeyError):
            services.ctx.kek.open(row.private_key_sealed, aad="another-key-id")
        for path in (tmp_path / "var").glob("issuer.db*"):  # the database and its WAL
            assert der not in path.read_bytes()
    finally:
        services.close()


def test_a_different_master_key_fails_at_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    open_services(settings).close()
    wrong = settings.model_copy(update={"master_key": make_settings(tmp_path).master_key})
    with pytest.raises(MasterKeyError, match="master key"):
        open_services(wrong)


def test_master_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    first = load_kek(None, data_dir)
    path = data_dir / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert load_kek(None, data_dir).key_id == first.key_id


def test_master_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    load_kek(None, data_dir)
    os.chmod(data_dir / "master.key", 0o644)
    with pytest.raises(MasterKeyError, match="chmod 600"):
        load_kek(None, data_dir)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b64url_encode(secrets.token_bytes(16)), id="16 bytes"),
        pytest.param(b64url_encode(secrets.token_bytes(32)) + "=", id="padded"),
        pytest.param("not base64!", id="garbage"),
    ],
)
def test_bad_master_key_values_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(MasterKeyError):
        load_kek(value, tmp_path)


def test_sealing_round_trip_and_tamper_detection() -> None:
    kek = KeyEncryptionKey(secrets.token_bytes(32))
    sealed = kek.seal(b"secret", aad="a")
    assert kek.open(sealed, aad="a") == b"secret"
    assert kek.seal(b"secret", aad="a") != sealed  # fresh nonce each time
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(MasterKeyError):
        kek.open(tampered, aad="a")
    with pytest.raises(MasterKeyError):
        KeyEncryptionKey(secrets.token_bytes(32)).open(sealed, aad="a")


def test_key_rotation_keeps_old_keys_published(tmp_path: Path) -> None:
    services = open_services(make_settings(tmp_path))
    try:
        old = services.keys.list_keys()[0]
        new = services.keys.rotate()
        keys = services.keys.list_keys()
        assert [k.kid for k in keys] == [new.kid, old.kid]
        assert [k.active for k in keys] == [True, False]
        assert keys[1].retired_at is not None
        kids = [k["kid"] for k in services.publication.jwks()["keys"]]
        assert kids == [new.kid, old.kid]
        assert services.publication.did_document()["assertionMethod"] == [new.kid, old.kid]
    finally:
        services.close()


def test_database_outage_is_reported_as_unavailable(tmp_path: Path) -> None:
    from issuer.errors import UnavailableError

    settings = make_settings(
        tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    )
    with pytest.raises(UnavailableError, match="cannot reach the database"):
        open_services(settings)


def test_clock_values_in_records_are_the_injected_clock(tmp_path: Path) -> None:
    fixed = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    services = open_services(make_settings(tmp_path), clock=lambda: fixed)
    try:
        assert services.keys.list_keys()[0].created_at == fixed
    finally:
        services.close()


def test_upgrade_keeps_existing_lists_and_entries(database_url: str) -> None:
    """0001 -> head on a database that already holds lists and slots (they become shard 0)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from issuer.storage.db import MIGRATIONS_DIR

    engine = create_db_engine(database_url)
    try:
        with exclusive_transaction(engine) as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
            now = datetime(2026, 1, 1, tzinfo=UTC)
            connection.execute(
                text(
                    "INSERT INTO status_lists (purpose, size, allocated, active, version, created_at)"
                    " VALUES ('revocation', 131072, 1, true, 3, :now)"
                ),
                {"now": now},
            )
        with exclusive_transaction(engine) as connection:
            upgrade_schema(connection)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT purpose, shard, allocated, version FROM status_lists")
            ).all()
        assert [tuple(r) for r in rows] == [("revocation", 0, 1, 3)]
    finally:
        engine.dispose()


def test_empty_variables_mean_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from issuer.settings import get_settings

    for name in ("DATABASE_URL", "MASTER_KEY", "TYPES_DIR"):
        monkeypatch.setenv(f"TRUSTID_{name}", "")
    settings = get_settings()
    assert settings.database_url is None
    assert settings.master_key is None
    assert settings.types_dir is None
    assert settings.sqlalchemy_url.startswith("sqlite:///")
