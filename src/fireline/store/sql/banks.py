"""SqlBankStore: banks, their append-only entries and the change log, in SQL.

Every method is one transaction. Writers lock the bank's row first (PostgreSQL; SQLite has
a single writer), then the change log, so concurrent writers never deadlock or interleave.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from fireline.domain import (
    AddedEntries,
    Bank,
    ChangeKind,
    Conflict,
    Entry,
    EntryChange,
    EntryFigures,
    NewEntry,
    NotFound,
    SharingPolicy,
)
from fireline.domain.figures import tally_entries
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.entries import (
    MAX_ENTRY_ID,
    active_entries,
    bump_version,
    chunks,
    entry_from_row,
    entry_not_found,
    insert_entries,
    lock_change_log,
    log_changes_from,
    require_entry_id,
    select_entries,
    utc_now,
)
from fireline.store.sql.tables import BankRow, EntryChangeRow, EntryRow

# Rows fetched per round trip while streaming active signals.
_STREAM_BATCH = 5_000

_ACTIVE_COUNT = (
    select(func.count())
    .where(EntryRow.bank_id == BankRow.id, EntryRow.retracted_at.is_(None))
    .correlate(BankRow)
    .scalar_subquery()
    .label("entry_count")
)

_BANK_COLUMNS = (
    BankRow.id,
    BankRow.name,
    BankRow.description,
    BankRow.owner,
    BankRow.sharing,
    BankRow.pdq_threshold,
    BankRow.version,
    BankRow.created_at,
)


#: A batch this large changes the tables' shape enough to refresh planner statistics.
ANALYZE_AFTER_ROWS = 10_000


def refresh_statistics(engine: Engine) -> None:
    """ANALYZE the entry tables on PostgreSQL after a bulk import (best effort).

    Without fresh statistics the planner scans the whole change log for the few newest
    rows until autovacuum runs, which slowed add-to-matchable from ~10 to ~30 ms.
    """
    if engine.dialect.name != "postgresql":
        return
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE entries, entry_changes"))
            conn.commit()
    except SQLAlchemyError:
        return  # the import is committed; statistics will catch up with autovacuum


def _select_banks() -> Select[*tuple[Any, ...]]:
    return select(*_BANK_COLUMNS, _ACTIVE_COUNT)


def _bank(row: Row[*tuple[Any, ...]]) -> Bank:
    return Bank(
        id=row.id,
        name=row.name,
        description=row.description,
        owner=row.owner,
        sharing=SharingPolicy(row.sharing),
        pdq_threshold=row.pdq_threshold,
        version=row.version,
        created_at=row.created_at,
        entry_count=row.entry_count,
    )


def _bank_not_found(name: str) -> NotFound:
    return NotFound(f"no bank named {name!r}", code="bank_not_found")


def _require_storable_name(name: str) -> None:
    """NotFound for a name no bank can have, before the database is asked about it: a NUL
    (PostgreSQL refuses it in text) or a lone surrogate (not UTF-8) would fail the query."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise _bank_not_found(name) from None
    if "\x00" in name:
        raise _bank_not_found(name)


def lock_bank(conn: Connection, name: str) -> Row[*tuple[Any, ...]]:
    """The bank's row, locked until commit on PostgreSQL (SQLite already has one writer)."""
    _require_storable_name(name)
    row = conn.execute(
        select(BankRow.id, BankRow.name, BankRow.version)
        .where(BankRow.name == name)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise _bank_not_found(name)
    return row


def _bank_by_id(conn: Connection, bank_id: int) -> Bank:
    return _bank(conn.execute(_select_banks().where(BankRow.id == bank_id)).one())


class SqlBankStore:
    """The BankStore protocol on SQLite or PostgreSQL; behaves like MemoryBankStore."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create_bank(
        self,
        *,
        name: str,
        description: str,
        owner: str,
        sharing: SharingPolicy,
        pdq_threshold: int | None,
    ) -> Bank:
        with writing(self._engine) as conn:
            try:
                bank_id = conn.execute(
                    insert(BankRow)
                    .values(
                        name=name,
                        description=description,
                        owner=owner,
                        sharing=sharing.value,
                        pdq_threshold=pdq_threshold,
                        version=0,
                        created_at=utc_now(),
                    )
                    .returning(BankRow.id)
                ).scalar_one()
            except IntegrityError as exc:
                raise Conflict(
                    f"a bank named {name!r} already exists", code="duplicate_bank"
                ) from exc
            return _bank_by_id(conn, bank_id)

    def get_bank(self, name: str) -> Bank:
        _require_storable_name(name)
        with reading(self._engine) as conn:
            row = conn.execute(_select_banks().where(BankRow.name == name)).one_or_none()
            if row is None:
                raise _bank_not_found(name)
            return _bank(row)

    def list_banks(self) -> list[Bank]:
        with reading(self._engine) as conn:
            return [_bank(row) for row in conn.execute(_select_banks().order_by(BankRow.name))]

    def bank_thresholds(self) -> dict[int, int | None]:
        with reading(self._engine) as conn:
            rows = conn.execute(select(BankRow.id, BankRow.pdq_threshold))
            return {row.id: row.pdq_threshold for row in rows}

    def update_bank(
        self,
        name: str,
        *,
        description: str | None = None,
        sharing: SharingPolicy | None = None,
        pdq_threshold: int | None = None,
        clear_pdq_threshold: bool = False,
    ) -> Bank:
        values: dict[str, Any] = {"version": BankRow.version + 1}
        if description is not None:
            values["description"] = description
        if sharing is not None:
            values["sharing"] = sharing.value
        if clear_pdq_threshold:
            values["pdq_threshold"] = None
        elif pdq_threshold is not None:
            values["pdq_threshold"] = pdq_threshold
        with writing(self._engine) as conn:
            bank = lock_bank(conn, name)
            conn.execute(update(BankRow).where(BankRow.id == bank.id).values(**values))
            return _bank_by_id(conn, bank.id)

    def delete_bank(self, name: str) -> None:
        with writing(self._engine) as conn:
            bank = lock_bank(conn, name)
            lock_change_log(conn)
            log_changes_from(
                conn,
                ChangeKind.RETRACTED,
                (EntryRow.bank_id == bank.id, EntryRow.retracted_at.is_(None)),
            )
            # Entries go with the bank (ON DELETE CASCADE); the change log keeps its rows.
            conn.execute(delete(BankRow).where(BankRow.id == bank.id))

    def add_entries(
        self, bank_name: str, entries: Sequence[NewEntry], *, contributor: str
    ) -> AddedEntries:
        with writing(self._engine) as conn:
            bank = lock_bank(conn, bank_name)
            stored = active_entries(conn, bank.id, {(e.signal_type, e.value) for e in entries})
            fresh: dict[tuple[str, str], NewEntry] = {}
            for new in entries:
                key = (new.signal_type, new.value)
                if key not in stored and key not in fresh:
                    fresh[key] = new
            added = insert_entries(conn, bank, list(fresh.values()), contributor=contributor)
            # Same shape as the in-memory store: the first copy of a signal is added; every
            # later copy (stored before, or earlier in this batch) is reported as existing.
            by_key = {(e.signal_type, e.value): e for e in added}
            seen: set[tuple[str, str]] = set()
            existing: list[Entry] = []
            for new in entries:
                key = (new.signal_type, new.value)
                if key in stored:
                    existing.append(stored[key])
                elif key in seen:
                    existing.append(by_key[key])
                else:
                    seen.add(key)
        if len(added) >= ANALYZE_AFTER_ROWS:
            refresh_statistics(self._engine)
        return AddedEntries(added=tuple(added), existing=tuple(existing))

    def get_entry(self, entry_id: int) -> Entry:
        require_entry_id(entry_id)
        with reading(self._engine) as conn:
            row = conn.execute(select_entries().where(EntryRow.id == entry_id)).one_or_none()
            if row is None:
                raise entry_not_found(entry_id)
            return entry_from_row(row)

    def get_entries(self, entry_ids: Sequence[int]) -> dict[int, Entry]:
        ids = sorted({i for i in entry_ids if 1 <= i <= MAX_ENTRY_ID})
        found: dict[int, Entry] = {}
        with reading(self._engine) as conn:
            for chunk in chunks(ids):
                for row in conn.execute(select_entries().where(EntryRow.id.in_(chunk))):
                    found[row.id] = entry_from_row(row)
        return {i: found[i] for i in entry_ids if i in found}

    def list_entries(
        self,
        bank_name: str,
        *,
        include_retracted: bool = False,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Entry]:
        _require_storable_name(bank_name)
        # Ids are 1..MAX_ENTRY_ID: a cursor outside that range means "from the start" or
        # "past the end", and must not reach the driver, which cannot bind it.
        after_id = min(max(after_id, 0), MAX_ENTRY_ID)
        with reading(self._engine) as conn:
            bank_id = conn.execute(
                select(BankRow.id).where(BankRow.name == bank_name)
            ).scalar_one_or_none()
            if bank_id is None:
                raise _bank_not_found(bank_name)
            query = (
                select_entries()
                .where(EntryRow.bank_id == bank_id, EntryRow.id > after_id)
                .order_by(EntryRow.id)
                .limit(max(limit, 0))
            )
            if not include_retracted:
                query = query.where(EntryRow.retracted_at.is_(None))
            return [entry_from_row(row) for row in conn.execute(query)]

    def retract_entry(self, entry_id: int, *, reason: str) -> Entry:
        require_entry_id(entry_id)
        with writing(self._engine) as conn:
            bank_id = conn.execute(
                select(EntryRow.bank_id).where(EntryRow.id == entry_id)
            ).scalar_one_or_none()
            if bank_id is None:
                raise entry_not_found(entry_id)
            # Lock order everywhere: bank row, then change log, then entries.
            conn.execute(select(BankRow.id).where(BankRow.id == bank_id).with_for_update())
            row = conn.execute(select_entries().where(EntryRow.id == entry_id)).one_or_none()
            if row is None:  # the bank was deleted while we waited for its lock
                raise entry_not_found(entry_id)
            entry = entry_from_row(row)
            if not entry.active:
                return entry
            lock_change_log(conn)
            log_changes_from(conn, ChangeKind.RETRACTED, (EntryRow.id == entry_id,))
            conn.execute(
                update(EntryRow)
                .where(EntryRow.id == entry_id)
                .values(retracted_at=utc_now(), retraction_reason=reason)
            )
            bump_version(conn, bank_id)
            return entry_from_row(
                conn.execute(select_entries().where(EntryRow.id == entry_id)).one()
            )

    def last_change(self) -> int:
        with reading(self._engine) as conn:
            return conn.execute(select(func.coalesce(func.max(EntryChangeRow.seq), 0))).scalar_one()

    def changes_since(self, seq: int, *, limit: int = 10_000) -> list[EntryChange]:
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(
                    EntryChangeRow.seq,
                    EntryChangeRow.entry_id,
                    EntryChangeRow.bank_id,
                    EntryChangeRow.kind,
                    EntryChangeRow.signal_type,
                    EntryChangeRow.value,
                )
                .where(EntryChangeRow.seq > seq)
                .order_by(EntryChangeRow.seq)
                .limit(max(limit, 0))
            )
            return [
                EntryChange(
                    seq=row.seq,
                    entry_id=row.entry_id,
                    bank_id=row.bank_id,
                    kind=ChangeKind(row.kind),
                    signal_type=row.signal_type,
                    value=row.value,
                )
                for row in rows
            ]

    def active_signals(self, signal_type: str) -> Iterator[tuple[int, str]]:
        # A generator: the read transaction stays open while the caller iterates, and rows
        # arrive in batches (a server-side cursor on PostgreSQL), never all at once.
        query = (
            select(EntryRow.id, EntryRow.value)
            .where(EntryRow.signal_type == signal_type, EntryRow.retracted_at.is_(None))
            .order_by(EntryRow.id)
            .execution_options(yield_per=_STREAM_BATCH)
        )
        with reading(self._engine) as conn:
            for row in conn.execute(query):
                yield row.id, row.value

    def entry_figures(self) -> EntryFigures:
        with reading(self._engine) as conn:
            sharing = conn.execute(
                select(BankRow.sharing, func.count().label("banks")).group_by(BankRow.sharing)
            )
            banks_by_sharing = {row.sharing: row.banks for row in sharing}
            retracted = conn.execute(
                select(func.count()).where(EntryRow.retracted_at.is_not(None))
            ).scalar_one()
            # Grouped by the labels' JSON text: there are few distinct label sets, so the
            # database counts and Python only splits the sets into categories.
            active = conn.execute(
                select(EntryRow.signal_type, EntryRow.labels, func.count().label("entries"))
                .where(EntryRow.retracted_at.is_(None))
                .group_by(EntryRow.signal_type, EntryRow.labels)
            )
            rows = [(row.signal_type, json.loads(row.labels), row.entries) for row in active]
        return tally_entries(
            banks_by_sharing=banks_by_sharing, retracted_entries=retracted, active=rows
        )
