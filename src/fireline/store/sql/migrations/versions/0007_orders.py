"""Orders: removal orders, preservation holds, notices to users (EU TCO 2021/784).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def upgrade() -> None:
    op.create_table(
        "removal_orders",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("authority", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("content_ref", sa.String(200), nullable=False),
        sa.Column("content_url", sa.Text(), nullable=True),
        sa.Column("uploader", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("deadline", TIMESTAMP, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("case_id", BIG_ID, nullable=True),
        sa.Column("withhold_notice_days", sa.Integer(), nullable=False),
        sa.Column("escalated_at", TIMESTAMP, nullable=True),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("confirmation", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("removal_orders", "case_id", "review_cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removal_orders")),
        sa.UniqueConstraint(
            "authority", "reference", name=op.f("uq_removal_orders_authority_reference")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_removal_orders_clock", "removal_orders", ["state", "deadline"])
    op.create_index(op.f("ix_removal_orders_case_id"), "removal_orders", ["case_id"])
    op.create_table(
        "preservation_holds",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("order_id", BIG_ID, nullable=True),
        sa.Column("case_id", BIG_ID, nullable=True),
        sa.Column("content_ref", sa.String(200), nullable=False),
        sa.Column("media_sha256", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=False),
        sa.Column("extended_at", TIMESTAMP, nullable=True),
        sa.Column("purged_at", TIMESTAMP, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("preservation_holds", "order_id", "removal_orders"),
        _fk("preservation_holds", "case_id", "review_cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preservation_holds")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_preservation_holds_expiry", "preservation_holds", ["state", "expires_at"])
    for column in ("order_id", "case_id", "media_sha256"):
        op.create_index(op.f(f"ix_preservation_holds_{column}"), "preservation_holds", [column])
    op.create_table(
        "user_notices",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_ref", sa.String(200), nullable=False),
        sa.Column("uploader", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("order_id", BIG_ID, nullable=True),
        sa.Column("case_id", BIG_ID, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("withheld_until", TIMESTAMP, nullable=True),
        _fk("user_notices", "order_id", "removal_orders"),
        _fk("user_notices", "case_id", "review_cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_notices")),
        sqlite_autoincrement=True,
    )
    for column in ("order_id", "case_id"):
        op.create_index(op.f(f"ix_user_notices_{column}"), "user_notices", [column])


def downgrade() -> None:
    for column in ("order_id", "case_id"):
        op.drop_index(op.f(f"ix_user_notices_{column}"), table_name="user_notices")
    op.drop_table("user_notices")
    for column in ("order_id", "case_id", "media_sha256"):
        op.drop_index(op.f(f"ix_preservation_holds_{column}"), table_name="preservation_holds")
    op.drop_index("ix_preservation_holds_expiry", table_name="preservation_holds")
    op.drop_table("preservation_holds")
    op.drop_index(op.f("ix_removal_orders_case_id"), table_name="removal_orders")
    op.drop_index("ix_removal_orders_clock", table_name="removal_orders")
    op.drop_table("removal_orders")
