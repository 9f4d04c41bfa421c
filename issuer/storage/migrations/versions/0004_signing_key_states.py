"""Signing-key states (retired / withdrawn) and their append-only audit trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

* ``signing_keys.withdrawn_at`` / ``withdrawn_reason``: a withdrawn key is removed from
  the DID document and JWKS at once and never signs again (key compromise).
* ``signing_key_events``: who created, retired or withdrew which key, when and why;
  append-only like ``agency_events`` (triggers refuse UPDATE and DELETE, and TRUNCATE on
  PostgreSQL).
* ``status_changes.actor``: set when an operator changed a status from the command line
  (``revoke --signed-by``); ``agency_id`` / ``api_key_id`` then name the credential's
  issuing agency and key, not the one who asked.
* ``ix_credentials_kid``: live-credential counts and bulk revocation by signing key.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)

_PG_APPEND_ONLY = """
CREATE FUNCTION trustid_signing_key_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'signing_key_events is append-only';
END
$$;
CREATE TRIGGER signing_key_events_no_update BEFORE UPDATE OR DELETE ON signing_key_events
    FOR EACH ROW EXECUTE FUNCTION trustid_signing_key_events_append_only();
CREATE TRIGGER signing_key_events_no_truncate BEFORE TRUNCATE ON signing_key_events
    FOR EACH STATEMENT EXECUTE FUNCTION trustid_signing_key_events_append_only();
"""

_SQLITE_APPEND_ONLY = (
    """CREATE TRIGGER signing_key_events_no_update BEFORE UPDATE ON signing_key_events
    BEGIN SELECT RAISE(ABORT, 'signing_key_events is append-only'); END""",
    """CREATE TRIGGER signing_key_events_no_delete BEFORE DELETE ON signing_key_events
    BEGIN SELECT RAISE(ABORT, 'signing_key_events is append-only'); END""",
)


def upgrade() -> None:
    op.add_column("signing_keys", sa.Column("withdrawn_at", _TS, nullable=True))
    op.add_column("signing_keys", sa.Column("withdrawn_reason", sa.String(500), nullable=True))
    op.add_column("status_changes", sa.Column("actor", sa.String(200), nullable=True))
    op.create_index("ix_credentials_kid", "credentials", ["kid"])
    op.create_table(
        "signing_key_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("thumbprint", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["thumbprint"],
            ["signing_keys.thumbprint"],
            name="fk_signing_key_events_thumbprint_signing_keys",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_signing_key_events"),
    )
    op.create_index("ix_signing_key_events_thumbprint", "signing_key_events", ["thumbprint"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS signing_key_events_no_truncate ON signing_key_events")
        op.execute("DROP TRIGGER IF EXISTS signing_key_events_no_update ON signing_key_events")
        op.execute("DROP FUNCTION IF EXISTS trustid_signing_key_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS signing_key_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS signing_key_events_no_delete")
    op.drop_table("signing_key_events")
    op.drop_index("ix_credentials_kid", table_name="credentials")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of the table would
    # drop the append-only triggers of status_changes.
    for table, column in (
        ("status_changes", "actor"),
        ("signing_keys", "withdrawn_reason"),
        ("signing_keys", "withdrawn_at"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
