"""Holds: a case's preservation hold may be released early, with a reason.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("preservation_holds") as batch:
        batch.add_column(sa.Column("release_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("preservation_holds") as batch:
        batch.drop_column("released_at")
        batch.drop_column("release_reason")
