"""Organisations, keys that belong to one, and the hash-chained audit log.

Existing keys move to an organisation named ``local``, created here when there are any
(a fresh database starts with no organisation: the instance's own is created on first
use, under the name FIRELINE_ORG_NAME gives it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit ids on PostgreSQL; SQLite's INTEGER primary key is 64-bit already.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Timestamps are UTC; SQLite keeps them as text without a zone, the store adds it back.
TIMESTAMP = sa.DateTime(timezone=True)
#: The organisation existing keys are given.
FIRST_ORG = "local"
# Batch mode rebuilds api_keys on SQLite: keep AUTOINCREMENT (ids of revoked keys are
# never reused) and name the constraints it reflects as tables.py does.
_API_KEYS_BATCH = {
    "table_kwargs": {"sqlite_autoincrement": True},
    "naming_convention": {
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    },
}


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.UniqueConstraint("name", name="uq_organisations_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "audit_records",
        sa.Column("seq", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        # Two writers that picked the same seq: the second fails here and retries.
        sa.PrimaryKeyConstraint("seq", name="pk_audit_records"),
    )
    with op.batch_alter_table("api_keys", **_API_KEYS_BATCH) as batch:  # type: ignore[arg-type]
        batch.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
    keys = sa.table("api_keys", sa.column("org_id", sa.Integer()))
    if op.get_bind().execute(sa.select(sa.func.count()).select_from(keys)).scalar_one():
        op.execute(keys.update().values(org_id=_create_first_org()))
    with op.batch_alter_table("api_keys", **_API_KEYS_BATCH) as batch:  # type: ignore[arg-type]
        batch.alter_column("org_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_api_keys_org_id_organisations", "organisations", ["org_id"], ["id"]
        )


def _create_first_org() -> int:
    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as UTC text, as the store writes it
    orgs = sa.table(
        "organisations",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("description", sa.Text()),
        sa.column("created_at", TIMESTAMP),
    )
    bind.execute(
        orgs.insert().values(
            name=FIRST_ORG, description="this instance (created by migration 0003)", created_at=now
        )
    )
    org_id: int = bind.execute(sa.select(orgs.c.id).where(orgs.c.name == FIRST_ORG)).scalar_one()
    return org_id


def downgrade() -> None:
    with op.batch_alter_table("api_keys", **_API_KEYS_BATCH) as batch:  # type: ignore[arg-type]
        batch.drop_constraint("fk_api_keys_org_id_organisations", type_="foreignkey")
        batch.drop_column("org_id")
    op.drop_table("audit_records")
    op.drop_table("organisations")
