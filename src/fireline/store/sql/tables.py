"""The SQL schema as SQLAlchemy declarative tables; migrations/ must build exactly this.

Rows stay inside store.sql: repositories turn them into domain dataclasses.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints let Alembic alter them later (SQLite batch mode needs the names).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids on PostgreSQL; SQLite's AUTOINCREMENT only accepts the INTEGER spelling (which
# is 64-bit there anyway).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def value_digest(value: str) -> str:
    """The digest stored beside a signal value, by which it is indexed."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class BankRow(Base):
    __tablename__ = "banks"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(Text)
    sharing: Mapped[str] = mapped_column(String(32))
    pdq_threshold: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_bank_id_id", "bank_id", "id"),
        Index("ix_entries_signal_type_value_digest", "signal_type", "value_digest"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    signal_type: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    # SHA-256 of value: indexes hold the digest, not the value, whose length is unbounded
    # (a vPDQ signal of a long video runs to megabytes; PostgreSQL caps index rows at 8 KB).
    value_digest: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int | None] = mapped_column(Integer)
    labels: Mapped[str] = mapped_column(Text)  # a JSON array of label strings
    note: Mapped[str] = mapped_column(Text)
    item: Mapped[str | None] = mapped_column(Text)
    contributor: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retracted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    retraction_reason: Mapped[str] = mapped_column(Text)
    # Entries received through the exchange: their uid where first banked, and a JSON
    # object saying who contributed them and who relayed them (see domain.Provenance).
    origin_uid: Mapped[str | None] = mapped_column(String(64))
    provenance: Mapped[str | None] = mapped_column(Text)


Index("ix_entries_bank_id_origin_uid", EntryRow.bank_id, EntryRow.origin_uid)

# At most one active entry per signal per bank: it serves the dedupe lookup and the active
# entry count, and stops two writers from banking the same hash at once.
Index(
    "uq_entries_active_signal",
    EntryRow.bank_id,
    EntryRow.signal_type,
    EntryRow.value_digest,
    unique=True,
    sqlite_where=EntryRow.retracted_at.is_(None),
    postgresql_where=EntryRow.retracted_at.is_(None),
)


class EntryChangeRow(Base):
    """The append-only change log. No foreign keys: rows outlive deleted banks and entries."""

    __tablename__ = "entry_changes"
    __table_args__ = (
        # A bank's feed reads its own changes after a position.
        Index("ix_entry_changes_bank_id_seq", "bank_id", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    bank_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    signal_type: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The organisation the key belongs to (see OrganisationRow below; added by 0003).
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))


class WatchRow(Base):
    """A live stream followed (or once followed) by some process; see fireline.domain.watches."""

    __tablename__ = "watches"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    banks: Mapped[str] = mapped_column(Text)  # a JSON array of bank names
    webhook: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    stop_requested: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The heartbeat: a running watch's process touches it every few seconds.
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    segments: Mapped[int] = mapped_column(BigInteger)
    frames: Mapped[int] = mapped_column(BigInteger)
    stream_seconds: Mapped[float] = mapped_column(Float)
    alerts: Mapped[int] = mapped_column(Integer)
    # The number of the newest event; bumped in the same transaction that adds one.
    events: Mapped[int] = mapped_column(Integer)


class WatchEventRow(Base):
    __tablename__ = "watch_events"
    __table_args__ = (
        UniqueConstraint("watch_id", "number"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[str] = mapped_column(Text)  # a JSON object


# -- organisations and the audit log --


class OrganisationRow(Base):
    __tablename__ = "organisations"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditRecordRow(Base):
    """The hash-chained audit log. Rows are only ever inserted; see fireline.domain.audit.

    ``seq`` is assigned by the writer (newest + 1), not by the database: the primary key
    makes a second writer that picked the same number fail and retry.
    """

    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON of an object
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
