"""OpenID4VCI: credential offers, c_nonces and seen DPoP proofs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

* ``credential_offers``: a pre-authorized offer until redeemed or expired; the claims and
  the code are sealed under the KEK and set to NULL once the offer is finished.
* ``oid4vci_nonces``: ``c_nonce`` digests, deleted when used.
* ``dpop_jtis``: (key thumbprint, jti digest) of every DPoP proof accepted, until it
  could no longer be fresh (RFC 9449 §11.1).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "credential_offers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(40), nullable=False),
        sa.Column("api_key_id", sa.String(40), nullable=False),
        sa.Column("type_name", sa.String(64), nullable=False),
        sa.Column("configuration_ids", sa.Text(), nullable=False),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("code_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("claims_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("tx_code_digest", sa.String(64), nullable=True),
        sa.Column("tx_failures", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=True),
        sa.Column("dpop_jkt", sa.String(64), nullable=True),
        sa.Column("token_expires_at", _TS, nullable=True),
        sa.Column("redeemed_ids", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_credential_offers_agency_id_agencies"
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_credential_offers_api_key_id_api_keys"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_credential_offers"),
        sa.UniqueConstraint("code_sha256", name="uq_credential_offers_code_sha256"),
        sa.UniqueConstraint("token_sha256", name="uq_credential_offers_token_sha256"),
    )
    op.create_index("ix_credential_offers_agency_id", "credential_offers", ["agency_id"])
    op.create_index("ix_credential_offers_expires_at", "credential_offers", ["expires_at"])
    op.create_table(
        "oid4vci_nonces",
        sa.Column("nonce_sha256", sa.String(64), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("nonce_sha256", name="pk_oid4vci_nonces"),
    )
    op.create_index("ix_oid4vci_nonces_expires_at", "oid4vci_nonces", ["expires_at"])
    op.create_table(
        "dpop_jtis",
        sa.Column("jkt", sa.String(64), nullable=False),
        sa.Column("jti_sha256", sa.String(64), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("jkt", "jti_sha256", name="pk_dpop_jtis"),
    )
    op.create_index("ix_dpop_jtis_expires_at", "dpop_jtis", ["expires_at"])


def downgrade() -> None:
    op.drop_table("dpop_jtis")
    op.drop_table("oid4vci_nonces")
    op.drop_table("credential_offers")
