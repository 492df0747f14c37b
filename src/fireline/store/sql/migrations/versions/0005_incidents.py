"""Crisis incidents: incidents, their timelines, proposed variants and per-minute tallies.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _incident_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["incident_id"],
        ["incidents.id"],
        name=op.f(f"fk_{table}_incident_id_incidents"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("activation", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("declared_by", sa.Text(), nullable=False),
        sa.Column("declared_org", sa.Text(), nullable=False),
        sa.Column("declared_at", TIMESTAMP, nullable=False),
        sa.Column("approvals", sa.Text(), nullable=False),
        sa.Column("bank", sa.String(64), nullable=True),
        sa.Column("activated_at", TIMESTAMP, nullable=True),
        sa.Column("first_hash_at", TIMESTAMP, nullable=True),
        sa.Column("last_variant_at", TIMESTAMP, nullable=True),
        sa.Column("concluded_at", TIMESTAMP, nullable=True),
        sa.Column("debriefed_at", TIMESTAMP, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_incidents_bank"), "incidents", ["bank"])
    op.create_table(
        "incident_events",
        sa.Column("incident_id", BIG_ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("org", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        _incident_fk("incident_events"),
        sa.PrimaryKeyConstraint("incident_id", "seq", name=op.f("pk_incident_events")),
    )
    op.create_table(
        "incident_variants",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("incident_id", BIG_ID, nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("proposed_at", TIMESTAMP, nullable=False),
        sa.Column("proposed_by", sa.Text(), nullable=False),
        sa.Column("orgs", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("proposals", sa.Integer(), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _incident_fk("incident_variants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_variants")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_incident_variants_incident_id_id", "incident_variants", ["incident_id", "id"]
    )
    op.create_table(
        "incident_variant_signals",
        sa.Column("incident_id", BIG_ID, nullable=False),
        sa.Column("signal_type", sa.String(64), nullable=False),
        sa.Column("value_digest", sa.String(64), nullable=False),
        sa.Column("variant_id", BIG_ID, nullable=False),
        _incident_fk("incident_variant_signals"),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["incident_variants.id"],
            name=op.f("fk_incident_variant_signals_variant_id_incident_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "incident_id",
            "signal_type",
            "value_digest",
            name=op.f("pk_incident_variant_signals"),
        ),
    )
    op.create_index(
        op.f("ix_incident_variant_signals_variant_id"),
        "incident_variant_signals",
        ["variant_id"],
    )
    op.create_table(
        "incident_tallies",
        sa.Column("incident_id", BIG_ID, nullable=False),
        sa.Column("org", sa.String(64), nullable=False),
        sa.Column("minute", TIMESTAMP, nullable=False),
        sa.Column("matched", sa.BigInteger(), nullable=False),
        sa.Column("blocked", sa.BigInteger(), nullable=False),
        _incident_fk("incident_tallies"),
        sa.PrimaryKeyConstraint("incident_id", "org", "minute", name=op.f("pk_incident_tallies")),
    )


def downgrade() -> None:
    op.drop_table("incident_tallies")
    op.drop_index(
        op.f("ix_incident_variant_signals_variant_id"), table_name="incident_variant_signals"
    )
    op.drop_table("incident_variant_signals")
    op.drop_index("ix_incident_variants_incident_id_id", table_name="incident_variants")
    op.drop_table("incident_variants")
    op.drop_table("incident_events")
    op.drop_index(op.f("ix_incidents_bank"), table_name="incidents")
    op.drop_table("incidents")
