"""Agency events: an append-only audit trail of agency administration.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

``trustid-issuer agency disable|enable|key create|key revoke|accredit`` (and ``create``)
record who did what to which agency, when and why. Like ``status_changes``, the table is
append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)

_PG_APPEND_ONLY = """
CREATE FUNCTION trustid_agency_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'agency_events is append-only';
END
$$;
CREATE TRIGGER agency_events_no_update BEFORE UPDATE OR DELETE ON agency_events
    FOR EACH ROW EXECUTE FUNCTION trustid_agency_events_append_only();
CREATE TRIGGER agency_events_no_truncate BEFORE TRUNCATE ON agency_events
    FOR EACH STATEMENT EXECUTE FUNCTION trustid_agency_events_append_only();
"""

_SQLITE_APPEND_ONLY = (
    """CREATE TRIGGER agency_events_no_update BEFORE UPDATE ON agency_events
    BEGIN SELECT RAISE(ABORT, 'agency_events is append-only'); END""",
    """CREATE TRIGGER agency_events_no_delete BEFORE DELETE ON agency_events
    BEGIN SELECT RAISE(ABORT, 'agency_events is append-only'); END""",
)


def upgrade() -> None:
    op.create_table(
        "agency_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("agency_id", sa.String(40), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("api_key_id", sa.String(40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_agency_events_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_agency_events_api_key_id_api_keys"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_agency_events"),
    )
    op.create_index("ix_agency_events_agency_id", "agency_events", ["agency_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS agency_events_no_truncate ON agency_events")
        op.execute("DROP TRIGGER IF EXISTS agency_events_no_update ON agency_events")
        op.execute("DROP FUNCTION IF EXISTS trustid_agency_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS agency_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS agency_events_no_delete")
    op.drop_table("agency_events")
