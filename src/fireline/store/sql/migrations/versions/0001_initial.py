"""Banks, entries, the entry change log and API keys.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit ids on PostgreSQL; SQLite's AUTOINCREMENT needs the INTEGER spelling.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Timestamps are UTC; SQLite keeps them as text without a zone, the store adds it back.
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("sharing", sa.String(32), nullable=False),
        sa.Column("pdq_threshold", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_banks"),
        sa.UniqueConstraint("name", name="uq_banks_name"),
        sqlite_autoincrement=True,
    )

    op.create_table(
        "entries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("signal_type", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_digest", sa.String(length=64), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("item", sa.Text(), nullable=True),
        sa.Column("contributor", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("retracted_at", TIMESTAMP, nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entries"),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name="fk_entries_bank_id_banks", ondelete="CASCADE"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_entries_bank_id_id", "entries", ["bank_id", "id"])
    op.create_index(
        "ix_entries_signal_type_value_digest", "entries", ["signal_type", "value_digest"]
    )
    # One active entry per signal per bank (dedupe lookups, active counts).
    op.create_index(
        "uq_entries_active_signal",
        "entries",
        ["bank_id", "signal_type", "value_digest"],
        unique=True,
        sqlite_where=sa.text("retracted_at IS NULL"),
        postgresql_where=sa.text("retracted_at IS NULL"),
    )

    # The change log matchers follow. No foreign keys: it outlives deleted banks.
    op.create_table(
        "entry_changes",
        sa.Column("seq", BIG_ID, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("signal_type", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_entry_changes"),
        sqlite_autoincrement=True,
    )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(128), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("secret_hash", name="uq_api_keys_secret_hash"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("entry_changes")
    op.drop_index("uq_entries_active_signal", table_name="entries")
    op.drop_index("ix_entries_signal_type_value_digest", table_name="entries")
    op.drop_index("ix_entries_bank_id_id", table_name="entries")
    op.drop_table("entries")
    op.drop_table("banks")
