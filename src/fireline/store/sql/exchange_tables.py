"""The exchange's tables: identity, peers, subscriptions, batches, opinions.

Declared on the same metadata as store.sql.tables, so migrations build them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.sql.tables import Base, BigId, UtcDateTime


class InstanceIdentityRow(Base):
    """This instance's Ed25519 private key: one row, written once."""

    __tablename__ = "instance_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PeerRow(Base):
    __tablename__ = "peers"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    member: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("peers.id", ondelete="CASCADE"))
    remote_bank: Mapped[str] = mapped_column(String(64))
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


Index(
    "uq_subscriptions_peer_id_remote_bank",
    SubscriptionRow.peer_id,
    SubscriptionRow.remote_bank,
    unique=True,
)


class ExchangeBatchRow(Base):
    """Every batch this instance signed or accepted, per channel, in chain order.

    Channels: ``feed:<bank id>`` (our feed of a shared bank), ``in:<subscription id>``
    (a peer's feed we applied), ``out:<subscription id>`` (our contributions to it),
    ``contrib:<peer id>:<bank id>`` (a member's contributions we applied).
    """

    __tablename__ = "exchange_batches"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigId)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[str] = mapped_column(String(128))
    change_seq: Mapped[int] = mapped_column(BigId)
    opinion_seq: Mapped[int] = mapped_column(BigId)
    acked: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


Index(
    "uq_exchange_batches_channel_seq", ExchangeBatchRow.channel, ExchangeBatchRow.seq, unique=True
)


class OpinionRow(Base):
    __tablename__ = "opinions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(Integer)
    org: Mapped[str] = mapped_column(Text)
    instance: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


Index("ix_opinions_entry_id", OpinionRow.entry_id)
Index("ix_opinions_bank_id_id", OpinionRow.bank_id, OpinionRow.id)
