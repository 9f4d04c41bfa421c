"""Status-list shards: up to a few open lists per purpose, one per shard.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Concurrent issuers on PostgreSQL no longer queue on a single open list per purpose
(see ``issuer.service.allocation``). Existing lists become shard 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_lists") as batch:
        batch.add_column(
            sa.Column("shard", sa.SmallInteger(), nullable=False, server_default=sa.text("0"))
        )
    op.drop_index("uq_status_lists_one_active_per_purpose", table_name="status_lists")
    op.create_index(
        "uq_status_lists_one_active_per_shard",
        "status_lists",
        ["purpose", "shard"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("uq_status_lists_one_active_per_shard", table_name="status_lists")
    op.create_index(
        "uq_status_lists_one_active_per_purpose",
        "status_lists",
        ["purpose"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    with op.batch_alter_table("status_lists") as batch:
        batch.drop_column("shard")
