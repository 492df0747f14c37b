"""Review proceedings: administrative or judicial review of a removal order (EU TCO Art. 9).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "order_proceedings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("order_id", BIG_ID, nullable=False),
        sa.Column("party", sa.String(32), nullable=False),
        sa.Column("body", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("brought_at", TIMESTAMP, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("reinstatement_required", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["removal_orders.id"],
            name=op.f("fk_order_proceedings_order_id_removal_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_proceedings")),
        sa.UniqueConstraint(
            "order_id",
            "body",
            "reference",
            name=op.f("uq_order_proceedings_order_id_body_reference"),
        ),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("order_proceedings")
