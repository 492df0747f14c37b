"""The review tables: cases, their decisions and appeals, reviewers' exposure to media.

Declared on the same metadata as store.sql.tables, so migrations build them all.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.sql.tables import Base, BigId, UtcDateTime


class ReviewCaseRow(Base):
    """A case, saved with optimistic locking on ``version``.

    ``incident_id`` has no foreign key: on a member instance it names the hub's incident.
    The queue index serves the review queue (state, then severity, then age).
    """

    __tablename__ = "review_cases"
    __table_args__ = (
        Index("ix_review_cases_queue", "state", "severity", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    severity: Mapped[int] = mapped_column(Integer)
    incident_id: Mapped[int | None] = mapped_column(BigId, index=True)
    content_ref: Mapped[str] = mapped_column(String(200))
    uploader: Mapped[str] = mapped_column(String(200))
    account_class: Mapped[str | None] = mapped_column(String(32))
    labels: Mapped[str] = mapped_column(Text)  # a JSON array
    signal_types: Mapped[str] = mapped_column(Text)  # a JSON array
    entry_ids: Mapped[str] = mapped_column(Text)  # a JSON array
    evidence: Mapped[str] = mapped_column(Text)  # a JSON object
    actions: Mapped[str] = mapped_column(Text)  # a JSON array
    content_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reviewer: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    media_sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)


class ReviewDecisionRow(Base):
    """One decision on a case; never changed or removed."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        Index("ix_review_decisions_case_id_id", "case_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_cases.id", ondelete="CASCADE"))
    reviewer: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    on_appeal: Mapped[bool] = mapped_column(Boolean)


class ReviewAppealRow(Base):
    """An appeal, saved with optimistic locking on ``version``."""

    __tablename__ = "review_appeals"
    __table_args__ = (
        Index("ix_review_appeals_case_id_id", "case_id", "id"),
        Index("ix_review_appeals_state_id", "state", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("review_cases.id", ondelete="CASCADE"))
    appellant: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str | None] = mapped_column(Text)
    decision_reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    wrong_match: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)


class ReviewExposureRow(Base):
    """How many times a reviewer revealed media on one day (UTC)."""

    __tablename__ = "review_exposures"

    reviewer: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer)
