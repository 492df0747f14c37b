"""The AuditStore contract on memory, SQLite and PostgreSQL, and the chain's verification."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text

from fireline.domain import GENESIS_HASH, AuditRecord, ChainProblem
from fireline.services import AuditLog
from fireline.store import Store
from fireline.store.sql import SqlStore, upgrade


def append(store: Store, n: int, **detail: Any) -> list[AuditRecord]:
    return [
        store.audit.append(
            actor="key:ops@acme", action="bank.created", subject=f"bank:b{i}", detail=detail
        )
        for i in range(n)
    ]


def test_records_are_numbered_and_chained_from_the_genesis_hash(store: Store) -> None:
    assert store.audit.last() is None
    records = append(store, 3, sharing="private")
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    assert all(r.hash == r.computed_hash() for r in records)
    assert all(r.at.tzinfo is not None for r in records)
    assert store.audit.last() == records[-1]
    assert store.audit.list() == records


@pytest.mark.parametrize(
    ("after", "limit", "expected"),
    [(0, 100, [1, 2, 3, 4, 5]), (2, 100, [3, 4, 5]), (0, 2, [1, 2]), (3, 1, [4]), (5, 10, [])],
)
def test_list_pages_by_seq(store: Store, after: int, limit: int, expected: list[int]) -> None:
    append(store, 5)
    assert [r.seq for r in store.audit.list(after=after, limit=limit)] == expected


@pytest.mark.parametrize("after", [-5, 2**63, 2**70])
def test_a_cursor_no_record_can_have_is_no_error(store: Store, after: int) -> None:
    append(store, 2)
    assert len(store.audit.list(after=after)) == (2 if after < 0 else 0)


DETAILS = [
    {},
    {"count": 3, "entry_id_ranges": [[1, 3]]},
    {"nested": {"b": [1, 2.5, None, True], "a": "é ✓ 日本"}},
    {"control": "tab\there, nul\u0000 escaped"},
]


@pytest.mark.parametrize("detail", DETAILS)
def test_detail_reads_back_as_it_was_hashed(store: Store, detail: dict[str, Any]) -> None:
    appended = store.audit.append(actor="cli:ann", action="x.y", subject="s", detail=detail)
    (stored,) = store.audit.list()
    assert stored == appended
    assert dict(stored.detail) == detail
    assert stored.hash == stored.computed_hash()


def test_concurrent_appends_keep_a_gap_free_chain(store: Store, request: Any) -> None:
    # Each SQL writer gets its own store (its own connection pool), as a process would.
    writers: list[Store] = [store]
    if isinstance(store, SqlStore):
        writers = [SqlStore(store.engine.url) for _ in range(4)]
    threads_per_writer = 8 // len(writers)
    per_thread = 10
    barrier = threading.Barrier(len(writers) * threads_per_writer)
    errors: list[BaseException] = []

    def run(writer: Store, name: str) -> None:
        barrier.wait()
        try:
            for i in range(per_thread):
                writer.audit.append(actor=name, action="t.append", subject=f"n:{i}", detail={})
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(writer, f"w{w}t{t}"))
        for w, writer in enumerate(writers)
        for t in range(threads_per_writer)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for writer in writers:
            if writer is not store:
                writer.close()
    assert errors == []
    total = len(threads) * per_thread
    assert [r.seq for r in store.audit.list(limit=1000)] == list(range(1, total + 1))
    result = AuditLog(store=store.audit).verify(page=7)
    assert (result.ok, result.records) == (True, total)


def test_verify_walks_every_page(store: Store) -> None:
    records = append(store, 12)
    result = AuditLog(store=store.audit).verify(page=5)
    assert result.ok and result.records == 12 and result.last_seq == 12
    assert result.last_hash == records[-1].hash


def test_an_empty_log_verifies(store: Store) -> None:
    result = AuditLog(store=store.audit).verify()
    assert (result.ok, result.records, result.last_hash) == (True, 0, GENESIS_HASH)


# Tampering with the rows directly, as someone with database access could.
TAMPERING = [
    ("UPDATE audit_records SET actor = 'someone-else' WHERE seq = 3", 3, ChainProblem.ALTERED),
    ("UPDATE audit_records SET detail = '{\"count\": 2}' WHERE seq = 2", 2, ChainProblem.ALTERED),
    ("UPDATE audit_records SET prev_hash = hash WHERE seq = 4", 4, ChainProblem.BROKEN_LINK),
    ("DELETE FROM audit_records WHERE seq = 3", 3, ChainProblem.GAP),
    ("DELETE FROM audit_records WHERE seq = 1", 1, ChainProblem.GAP),
]


@pytest.mark.parametrize(("statement", "bad_seq", "problem"), TAMPERING)
def test_verify_finds_the_first_tampered_record(
    sql_store: SqlStore, statement: str, bad_seq: int, problem: ChainProblem
) -> None:
    append(sql_store, 5, count=1)
    with sql_store.engine.begin() as conn:
        conn.execute(text(statement))
    result = AuditLog(store=sql_store.audit).verify(page=2)
    assert (result.ok, result.bad_seq, result.problem) == (False, bad_seq, problem)
    assert result.records == bad_seq - 1
    assert str(bad_seq) in result.message


def test_a_rewritten_record_with_a_fresh_hash_breaks_the_next_link(sql_store: SqlStore) -> None:
    records = append(sql_store, 4)
    forged = AuditRecord(**{**_fields(records[1]), "actor": "forger", "hash": ""})
    with sql_store.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_records SET actor = 'forger', hash = :h WHERE seq = 2"),
            {"h": forged.computed_hash()},
        )
    result = AuditLog(store=sql_store.audit).verify()
    assert (result.ok, result.bad_seq, result.problem) == (False, 3, ChainProblem.BROKEN_LINK)


def test_appends_continue_the_chain_in_a_new_store(database_url: str) -> None:
    upgrade(database_url)
    first = SqlStore(database_url)
    try:
        last = first.audit.append(actor="a", action="b.c", subject="d", detail={})
    finally:
        first.close()
    second = SqlStore(database_url)
    try:
        record = second.audit.append(actor="a", action="b.c", subject="d", detail={})
        assert (record.seq, record.prev_hash) == (2, last.hash)
    finally:
        second.close()


def _fields(record: AuditRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in AuditRecord.__slots__}
