"""The crisis incidents' tables: incidents, timelines, proposed variants, tallies.

Declared on the same metadata as store.sql.tables, so migrations build them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.sql.tables import Base, BigId, UtcDateTime


class IncidentRow(Base):
    """An incident, saved whole; ``version`` guards every update (optimistic locking).

    Writers that append to an incident's timeline, variants or tallies lock this row
    first (PostgreSQL; SQLite has a single writer), which numbers events without gaps.
    """

    __tablename__ = "incidents"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    activation: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    quorum: Mapped[int] = mapped_column(Integer)
    declared_by: Mapped[str] = mapped_column(Text)
    declared_org: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approvals: Mapped[str] = mapped_column(Text)  # a JSON array of {org, actor, at}
    bank: Mapped[str | None] = mapped_column(String(64), index=True)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_hash_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_variant_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    concluded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    debriefed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)


class IncidentEventRow(Base):
    """An incident's timeline; ``seq`` is assigned by the writer holding the incident row."""

    __tablename__ = "incident_events"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(Text)
    org: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)  # a JSON object


class IncidentVariantRow(Base):
    """A proposed variant, saved whole like an incident; its signals never change."""

    __tablename__ = "incident_variants"
    __table_args__ = (
        Index("ix_incident_variants_incident_id_id", "incident_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    signals: Mapped[str] = mapped_column(Text)  # a JSON array of {signal_type, value, quality}
    state: Mapped[str] = mapped_column(String(16))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    proposed_by: Mapped[str] = mapped_column(Text)
    orgs: Mapped[str] = mapped_column(Text)  # a JSON array of organisation names
    evidence: Mapped[str] = mapped_column(Text)  # a JSON array of Evidence's fields
    proposals: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)


class IncidentVariantSignalRow(Base):
    """Which variant of an incident holds each signal.

    The primary key lets a signal belong to one variant per incident, so two writers
    proposing the same upload at once cannot both store it. Values are unbounded (a
    vPDQ signal runs to megabytes), so the key holds their digest.
    """

    __tablename__ = "incident_variant_signals"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    signal_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("incident_variants.id", ondelete="CASCADE"), index=True
    )


class IncidentTallyRow(Base):
    """What one organisation saw of an incident in one minute."""

    __tablename__ = "incident_tallies"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    org: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    matched: Mapped[int] = mapped_column(BigInteger)
    blocked: Mapped[int] = mapped_column(BigInteger)
