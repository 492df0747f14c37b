"""The legal tables: removal orders, preservation holds, notices to users and the review
proceedings brought against orders.

Declared on the same metadata as store.sql.tables, so migrations build them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.sql.tables import Base, BigId, UtcDateTime


class RemovalOrderRow(Base):
    """A removal order, saved with optimistic locking on ``version``.

    An authority's reference is unique: the same order received twice is refused. The
    clock index serves escalation (open orders by deadline).
    """

    __tablename__ = "removal_orders"
    __table_args__ = (
        UniqueConstraint("authority", "reference"),
        Index("ix_removal_orders_clock", "state", "deadline"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    authority: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(200))
    content_ref: Mapped[str] = mapped_column(String(200))
    content_url: Mapped[str | None] = mapped_column(Text)
    uploader: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("review_cases.id"), index=True)
    withhold_notice_days: Mapped[int] = mapped_column(Integer)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(Text)
    confirmation: Mapped[str] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)


class PreservationHoldRow(Base):
    """A preservation hold, saved with optimistic locking on ``version``."""

    __tablename__ = "preservation_holds"
    __table_args__ = (
        Index("ix_preservation_holds_expiry", "state", "expires_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("removal_orders.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("review_cases.id"), index=True)
    content_ref: Mapped[str] = mapped_column(String(200))
    media_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16))
    extension_reason: Mapped[str] = mapped_column(Text)
    extended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    release_reason: Mapped[str] = mapped_column(Text, server_default="")
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)


class UserNoticeRow(Base):
    """A notice to a user; never changed or removed."""

    __tablename__ = "user_notices"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_ref: Mapped[str] = mapped_column(String(200))
    uploader: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("removal_orders.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("review_cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    withheld_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OrderProceedingRow(Base):
    """A review proceeding against an order, saved with optimistic locking on ``version``.

    A body's reference is unique per order: the same proceeding recorded twice is refused.
    The unique key's leading column serves the listing of an order's proceedings.
    """

    __tablename__ = "order_proceedings"
    __table_args__ = (
        UniqueConstraint("order_id", "body", "reference"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("removal_orders.id"))
    party: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(200))
    brought_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(Text)
    reinstatement_required: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
