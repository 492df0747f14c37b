"""The hash-sharing network: identity, peers, subscriptions, batches, opinions, provenance.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("origin_uid", sa.String(64), nullable=True))
        batch.add_column(sa.Column("provenance", sa.Text(), nullable=True))
    op.create_index("ix_entries_bank_id_origin_uid", "entries", ["bank_id", "origin_uid"])
    op.create_index("ix_entry_changes_bank_id_seq", "entry_changes", ["bank_id", "seq"])
    op.create_table(
        "instance_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_identity")),
    )
    op.create_table(
        "peers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("member", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peers")),
        sa.UniqueConstraint("name", name=op.f("uq_peers_name")),
        sa.UniqueConstraint("public_key", name=op.f("uq_peers_public_key")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("remote_bank", sa.String(64), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_synced_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["peers.id"],
            name=op.f("fk_subscriptions_peer_id_peers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_subscriptions_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "uq_subscriptions_peer_id_remote_bank",
        "subscriptions",
        ["peer_id", "remote_bank"],
        unique=True,
    )
    op.create_table(
        "exchange_batches",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("seq", BIG_ID, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("change_seq", BIG_ID, nullable=False),
        sa.Column("opinion_seq", BIG_ID, nullable=False),
        sa.Column("acked", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_batches")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "uq_exchange_batches_channel_seq", "exchange_batches", ["channel", "seq"], unique=True
    )
    op.create_table(
        "opinions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("entry_id", BIG_ID, nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("org", sa.Text(), nullable=False),
        sa.Column("instance", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
            name=op.f("fk_opinions_entry_id_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinions")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_opinions_entry_id", "opinions", ["entry_id"])
    op.create_index("ix_opinions_bank_id_id", "opinions", ["bank_id", "id"])


def downgrade() -> None:
    op.drop_table("opinions")
    op.drop_table("exchange_batches")
    op.drop_table("subscriptions")
    op.drop_table("peers")
    op.drop_table("instance_identity")
    op.drop_index("ix_entry_changes_bank_id_seq", table_name="entry_changes")
    op.drop_index("ix_entries_bank_id_origin_uid", table_name="entries")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("provenance")
        batch.drop_column("origin_uid")
