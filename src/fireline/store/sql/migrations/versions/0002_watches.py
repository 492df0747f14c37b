"""Watches of live streams and their events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit ids on PostgreSQL; SQLite's AUTOINCREMENT needs the INTEGER spelling.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Timestamps are UTC; SQLite keeps them as text without a zone, the store adds it back.
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("banks", sa.Text(), nullable=False),
        sa.Column("webhook", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stop_requested", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("segments", sa.BigInteger(), nullable=False),
        sa.Column("frames", sa.BigInteger(), nullable=False),
        sa.Column("stream_seconds", sa.Float(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watches"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "watch_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("watch_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watch_events"),
        sa.ForeignKeyConstraint(
            ["watch_id"],
            ["watches.id"],
            name="fk_watch_events_watch_id_watches",
            ondelete="CASCADE",
        ),
        # Serves `events?after=N` too.
        sa.UniqueConstraint("watch_id", "number", name="uq_watch_events_watch_id_number"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("watch_events")
    op.drop_table("watches")
