"""Entry rows and the change log: lookups, the bulk insert, logging.

Helpers for SqlBankStore. Every function runs inside the caller's transaction; those that
write expect the caller to hold the bank's lock (see banks.lock_bank).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Row,
    Select,
    String,
    Text,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from fireline.domain import ChangeKind, Entry, NewEntry, NotFound, Provenance
from fireline.store.sql.tables import (
    BankRow,
    EntryChangeRow,
    EntryRow,
    UtcDateTime,
    value_digest,
)

# Bound parameters per IN (...) lookup: few round trips, well under every backend's limit
# (SQLite 32766, PostgreSQL 65535).
CHUNK = 5_000
# PostgreSQL advisory lock serialising change-log writers (see lock_change_log).
_CHANGE_LOG_LOCK = zlib.crc32(b"fireline.entry_changes")
#: The largest entry id a column holds (BIGINT on PostgreSQL, INTEGER on SQLite: 64 bits).
MAX_ENTRY_ID = 2**63 - 1


def utc_now() -> datetime:
    return datetime.now(UTC)


def select_entries() -> Select[*tuple[Any, ...]]:
    return select(
        EntryRow.id,
        EntryRow.bank_id,
        BankRow.name.label("bank_name"),
        EntryRow.signal_type,
        EntryRow.value,
        EntryRow.quality,
        EntryRow.labels,
        EntryRow.note,
        EntryRow.item,
        EntryRow.contributor,
        EntryRow.created_at,
        EntryRow.retracted_at,
        EntryRow.retraction_reason,
        EntryRow.origin_uid,
        EntryRow.provenance,
    ).join_from(EntryRow, BankRow, EntryRow.bank_id == BankRow.id)


def entry_from_row(row: Row[*tuple[Any, ...]]) -> Entry:
    return Entry(
        id=row.id,
        bank_id=row.bank_id,
        bank_name=row.bank_name,
        signal_type=row.signal_type,
        value=row.value,
        quality=row.quality,
        labels=tuple(json.loads(row.labels)),
        note=row.note,
        item=row.item,
        contributor=row.contributor,
        created_at=row.created_at,
        retracted_at=row.retracted_at,
        retraction_reason=row.retraction_reason,
        origin_uid=row.origin_uid,
        provenance=provenance_from_json(row.provenance),
    )


def provenance_json(provenance: Provenance | None) -> str | None:
    if provenance is None:
        return None
    return json.dumps(
        {
            "org": provenance.org,
            "instance": provenance.instance,
            "contributed_at": provenance.contributed_at.isoformat(),
            "relayed_by": list(provenance.relayed_by),
        }
    )


def provenance_from_json(text: str | None) -> Provenance | None:
    if text is None:
        return None
    obj = json.loads(text)
    return Provenance(
        org=obj["org"],
        instance=obj["instance"],
        contributed_at=datetime.fromisoformat(obj["contributed_at"]),
        relayed_by=tuple(obj["relayed_by"]),
    )


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def entry_not_found(entry_id: int) -> NotFound:
    return NotFound(f"no entry with id {entry_id}", code="entry_not_found")


def require_entry_id(entry_id: int) -> None:
    """NotFound for an id no row can have; the driver would fail to bind it (2**70...)."""
    if not 1 <= entry_id <= MAX_ENTRY_ID:
        raise entry_not_found(entry_id)


def lock_change_log(conn: Connection) -> None:
    # Matchers read the log by seq and remember the last one seen, so seqs must become
    # visible in order. PostgreSQL hands out sequence numbers before commit, so writers of
    # the log take turns until they commit. SQLite has a single writer already.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHANGE_LOG_LOCK})


def bump_version(conn: Connection, bank_id: int) -> None:
    conn.execute(update(BankRow).where(BankRow.id == bank_id).values(version=BankRow.version + 1))


def active_entries(
    conn: Connection, bank_id: int, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], Entry]:
    """The bank's active entries among ``keys`` (signal type, value), by key."""
    if (
        not keys
        or not conn.execute(
            select(EntryRow.id)
            .where(EntryRow.bank_id == bank_id, EntryRow.retracted_at.is_(None))
            .limit(1)
        ).first()
    ):
        return {}
    by_type: dict[str, list[str]] = {}
    for signal_type, value in sorted(keys):
        by_type.setdefault(signal_type, []).append(value)
    found: dict[tuple[str, str], Entry] = {}
    for signal_type, values in by_type.items():
        for chunk in chunks(values):
            # Equality on (bank, type) and IN on the digest: a range scan of the partial
            # index. The value itself is compared too, so a digest collision cannot merge.
            rows = conn.execute(
                select_entries().where(
                    EntryRow.bank_id == bank_id,
                    EntryRow.signal_type == signal_type,
                    EntryRow.value_digest.in_([value_digest(v) for v in chunk]),
                    EntryRow.retracted_at.is_(None),
                )
            )
            for row in rows:
                if (row.signal_type, row.value) in keys:
                    found[(row.signal_type, row.value)] = entry_from_row(row)
    return found


def insert_entries(
    conn: Connection,
    bank: Row[*tuple[Any, ...]],
    entries: Sequence[NewEntry],
    *,
    contributor: str,
) -> list[Entry]:
    """Insert new entries, log them and bump the bank's version; the caller holds its lock."""
    if not entries:
        return []
    now = utc_now()
    before = conn.execute(
        select(func.coalesce(func.max(EntryRow.id), 0)).where(EntryRow.bank_id == bank.id)
    ).scalar_one()
    if conn.dialect.name == "postgresql":
        _insert_rows_postgres(conn, bank.id, entries, contributor=contributor, now=now)
    else:
        # sqlite3's executemany runs the prepared INSERT in a C loop: the fast path there.
        conn.execute(
            insert(EntryRow),
            [
                {
                    "bank_id": bank.id,
                    "signal_type": new.signal_type,
                    "value": new.value,
                    "value_digest": value_digest(new.value),
                    "quality": new.quality,
                    "labels": json.dumps(list(new.labels)),
                    "note": new.note,
                    "item": new.item,
                    "contributor": new.contributor or contributor,
                    "created_at": now,
                    "retracted_at": None,
                    "retraction_reason": "",
                    "origin_uid": new.origin_uid,
                    "provenance": provenance_json(new.provenance),
                }
                for new in entries
            ],
        )
    # The bank is locked, so its entries above the old maximum id are exactly these rows,
    # and the active-signal unique index makes (type, value) name each one.
    new_rows = select(EntryRow.id, EntryRow.signal_type, EntryRow.value).where(
        EntryRow.bank_id == bank.id, EntryRow.id > before
    )
    ids = {(row.signal_type, row.value): row.id for row in conn.execute(new_rows)}
    lock_change_log(conn)
    log_changes_from(
        conn,
        ChangeKind.ADDED,
        (EntryRow.bank_id == bank.id, EntryRow.id > before),
    )
    bump_version(conn, bank.id)
    return [
        Entry(
            id=ids[(new.signal_type, new.value)],
            bank_id=bank.id,
            bank_name=bank.name,
            signal_type=new.signal_type,
            value=new.value,
            quality=new.quality,
            labels=tuple(new.labels),
            note=new.note,
            item=new.item,
            contributor=new.contributor or contributor,
            created_at=now,
            origin_uid=new.origin_uid,
            provenance=new.provenance,
        )
        for new in entries
    ]


def _insert_rows_postgres(
    conn: Connection,
    bank_id: int,
    entries: Sequence[NewEntry],
    *,
    contributor: str,
    now: datetime,
) -> None:
    # One INSERT ... SELECT FROM unnest(arrays): a single statement whatever the batch
    # size, several times faster than a row-by-row executemany.
    rows = (
        func.unnest(
            bindparam("signal_types", [e.signal_type for e in entries], ARRAY(String())),
            bindparam("values", [e.value for e in entries], ARRAY(Text())),
            bindparam("digests", [value_digest(e.value) for e in entries], ARRAY(String())),
            bindparam("qualities", [e.quality for e in entries], ARRAY(Integer())),
            bindparam("labels", [json.dumps(list(e.labels)) for e in entries], ARRAY(Text())),
            bindparam("notes", [e.note for e in entries], ARRAY(Text())),
            bindparam("items", [e.item for e in entries], ARRAY(Text())),
            bindparam(
                "contributors", [e.contributor or contributor for e in entries], ARRAY(Text())
            ),
            bindparam("origins", [e.origin_uid for e in entries], ARRAY(String())),
            bindparam(
                "provenances", [provenance_json(e.provenance) for e in entries], ARRAY(Text())
            ),
        )
        .table_valued(
            "signal_type",
            "value",
            "value_digest",
            "quality",
            "labels",
            "note",
            "item",
            "contributor",
            "origin_uid",
            "provenance",
            with_ordinality="ord",
        )
        .render_derived(name="batch")
    )
    source = select(
        literal(bank_id, Integer()),
        rows.c.signal_type,
        rows.c.value,
        rows.c.value_digest,
        rows.c.quality,
        rows.c.labels,
        rows.c.note,
        rows.c.item,
        rows.c.contributor,
        literal(now, UtcDateTime()),
        literal("", Text()),
        rows.c.origin_uid,
        rows.c.provenance,
    ).order_by(rows.c.ord)
    conn.execute(
        insert(EntryRow).from_select(
            [
                "bank_id",
                "signal_type",
                "value",
                "value_digest",
                "quality",
                "labels",
                "note",
                "item",
                "contributor",
                "created_at",
                "retraction_reason",
                "origin_uid",
                "provenance",
            ],
            source,
        )
    )


def log_changes_from(
    conn: Connection, kind: ChangeKind, where: tuple[ColumnElement[bool], ...]
) -> None:
    """Log ``kind`` for every entry matching ``where``, in id order, in one statement."""
    changes = (
        select(
            EntryRow.id,
            EntryRow.bank_id,
            literal(kind.value, String()),
            EntryRow.signal_type,
            EntryRow.value,
            literal(utc_now(), UtcDateTime()),
        )
        .where(*where)
        .order_by(EntryRow.id)
    )
    conn.execute(
        insert(EntryChangeRow).from_select(
            ["entry_id", "bank_id", "kind", "signal_type", "value", "at"], changes
        )
    )
