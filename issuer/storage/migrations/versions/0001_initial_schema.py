"""Initial schema: agencies, keys, credential types, issuance records, status lists.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Written by hand from ``issuer.storage.tables`` (``tests/issuer/test_storage.py`` checks
that the migrated schema and the table models do not drift apart). Column types are
plain SQLAlchemy types so that this file never depends on application code.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)

_PG_APPEND_ONLY = """
CREATE FUNCTION trustid_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'status_changes is append-only';
END
$$;
CREATE TRIGGER status_changes_no_update BEFORE UPDATE OR DELETE ON status_changes
    FOR EACH ROW EXECUTE FUNCTION trustid_refuse_change();
CREATE TRIGGER status_changes_no_truncate BEFORE TRUNCATE ON status_changes
    FOR EACH STATEMENT EXECUTE FUNCTION trustid_refuse_change();
"""

_SQLITE_APPEND_ONLY = (
    """CREATE TRIGGER status_changes_no_update BEFORE UPDATE ON status_changes
    BEGIN SELECT RAISE(ABORT, 'status_changes is append-only'); END""",
    """CREATE TRIGGER status_changes_no_delete BEFORE DELETE ON status_changes
    BEGIN SELECT RAISE(ABORT, 'status_changes is append-only'); END""",
)


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("disabled_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_agencies"),
        sa.UniqueConstraint("name", name="uq_agencies_name"),
    )
    op.create_table(
        "credential_types",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("schema_json", sa.Text(), nullable=False),
        sa.Column("schema_sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_credential_types"),
    )
    op.create_table(
        "signing_keys",
        sa.Column("thumbprint", sa.String(64), nullable=False),
        sa.Column("alg", sa.String(16), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("private_key_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("kek_id", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("retired_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("thumbprint", name="pk_signing_keys"),
    )
    op.create_index(
        "uq_signing_keys_one_active",
        "signing_keys",
        ["active"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "status_lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_status_lists"),
    )
    op.create_index(
        "uq_status_lists_one_active_per_purpose",
        "status_lists",
        ["purpose"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "accreditations",
        sa.Column("agency_id", sa.String(40), nullable=False),
        sa.Column("type_name", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_accreditations_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["type_name"],
            ["credential_types.name"],
            name="fk_accreditations_type_name_credential_types",
        ),
        sa.PrimaryKeyConstraint("agency_id", "type_name", name="pk_accreditations"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("agency_id", sa.String(40), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_api_keys_agency_id_agencies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_agency_id", "api_keys", ["agency_id"])
    op.create_table(
        "status_list_tokens",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("kid", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(80), nullable=False),
        sa.Column("signed_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["status_lists.id"], name="fk_status_list_tokens_list_id_status_lists"
        ),
        sa.PrimaryKeyConstraint("list_id", name="pk_status_list_tokens"),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("type_name", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(40), nullable=False),
        sa.Column("api_key_id", sa.String(40), nullable=False),
        sa.Column("holder_did", sa.Text(), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("kid", sa.Text(), nullable=False),
        sa.Column("valid_from", _TS, nullable=False),
        sa.Column("valid_until", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("signed_at", _TS, nullable=True),
        sa.Column("token_sha256", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_credentials_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_credentials_api_key_id_api_keys"
        ),
        sa.ForeignKeyConstraint(
            ["type_name"],
            ["credential_types.name"],
            name="fk_credentials_type_name_credential_types",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_credentials"),
    )
    op.create_index("ix_credentials_agency_id", "credentials", ["agency_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("agency_id", sa.String(40), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("credential_id", sa.String(64), nullable=True),
        sa.Column("response_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_idempotency_keys_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name="fk_idempotency_keys_credential_id_credentials",
        ),
        sa.PrimaryKeyConstraint("agency_id", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.create_table(
        "status_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("credential_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("old_status", sa.SmallInteger(), nullable=False),
        sa.Column("new_status", sa.SmallInteger(), nullable=False),
        sa.Column("agency_id", sa.String(40), nullable=False),
        sa.Column("api_key_id", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("changed_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_status_changes_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_status_changes_api_key_id_api_keys"
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name="fk_status_changes_credential_id_credentials",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["status_lists.id"], name="fk_status_changes_list_id_status_lists"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_status_changes"),
    )
    op.create_index("ix_status_changes_credential_id", "status_changes", ["credential_id"])
    op.create_table(
        "status_entries",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("credential_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name="fk_status_entries_credential_id_credentials",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["status_lists.id"], name="fk_status_entries_list_id_status_lists"
        ),
        # The constraint that makes a status-list index unique within its list.
        sa.PrimaryKeyConstraint("list_id", "idx", name="pk_status_entries"),
        sa.UniqueConstraint(
            "credential_id", "purpose", name="uq_status_entries_credential_id_purpose"
        ),
    )
    op.create_index(
        "ix_status_entries_set",
        "status_entries",
        ["list_id"],
        sqlite_where=sa.text("status <> 0"),
        postgresql_where=sa.text("status <> 0"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS status_changes_no_truncate ON status_changes")
        op.execute("DROP TRIGGER IF EXISTS status_changes_no_update ON status_changes")
        op.execute("DROP FUNCTION IF EXISTS trustid_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS status_changes_no_update")
        op.execute("DROP TRIGGER IF EXISTS status_changes_no_delete")
    for table in (
        "status_entries",
        "status_changes",
        "idempotency_keys",
        "credentials",
        "status_list_tokens",
        "api_keys",
        "accreditations",
        "status_lists",
        "signing_keys",
        "credential_types",
        "agencies",
    ):
        op.drop_table(table)
