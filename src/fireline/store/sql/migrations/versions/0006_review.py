"""Review: cases, their decisions and appeals, reviewers' daily exposure to media.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"],
        ["review_cases.id"],
        name=op.f(f"fk_{table}_case_id_review_cases"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "review_cases",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("incident_id", BIG_ID, nullable=True),
        sa.Column("content_ref", sa.String(200), nullable=False),
        sa.Column("uploader", sa.String(200), nullable=False),
        sa.Column("account_class", sa.String(32), nullable=True),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("signal_types", sa.Text(), nullable=False),
        sa.Column("entry_ids", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("content_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("reviewer", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("media_sha256", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cases")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_review_cases_queue", "review_cases", ["state", "severity", "created_at"])
    op.create_index(op.f("ix_review_cases_incident_id"), "review_cases", ["incident_id"])
    op.create_table(
        "review_decisions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("on_appeal", sa.Boolean(), nullable=False),
        _case_fk("review_decisions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_review_decisions_case_id_id", "review_decisions", ["case_id", "id"])
    op.create_table(
        "review_appeals",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("appellant", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_at", TIMESTAMP, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("wrong_match", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _case_fk("review_appeals"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_appeals")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_review_appeals_case_id_id", "review_appeals", ["case_id", "id"])
    op.create_index("ix_review_appeals_state_id", "review_appeals", ["state", "id"])
    op.create_table(
        "review_exposures",
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("reviewer", "day", name=op.f("pk_review_exposures")),
    )


def downgrade() -> None:
    op.drop_table("review_exposures")
    op.drop_index("ix_review_appeals_state_id", table_name="review_appeals")
    op.drop_index("ix_review_appeals_case_id_id", table_name="review_appeals")
    op.drop_table("review_appeals")
    op.drop_index("ix_review_decisions_case_id_id", table_name="review_decisions")
    op.drop_table("review_decisions")
    op.drop_index(op.f("ix_review_cases_incident_id"), table_name="review_cases")
    op.drop_index("ix_review_cases_queue", table_name="review_cases")
    op.drop_table("review_cases")
