"""The BankStore contract, run identically on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from fireline.domain import (
    Bank,
    ChangeKind,
    Conflict,
    NewEntry,
    NotFound,
    SharingPolicy,
    StorageError,
)
from fireline.store import Store
from fireline.store.sql import SqlStore
from fireline.store.sql import entries as sql_entries

MD5_A = "a" * 32
MD5_B = "b" * 32
MD5_C = "c" * 32
PDQ_A = "f" * 64


def make_bank(store: Store, name: str = "tvec", **overrides: Any) -> Bank:
    fields: dict[str, Any] = {
        "description": "confirmed perpetrator content",
        "owner": "hub",
        "sharing": SharingPolicy.MEMBERS,
        "pdq_threshold": None,
    }
    fields.update(overrides)
    return store.banks.create_bank(name=name, **fields)


def md5(value: str, **fields: Any) -> NewEntry:
    return NewEntry(signal_type="md5", value=value, **fields)


def assert_recent_utc(moment: datetime | None) -> None:
    assert moment is not None
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


# --- banks -------------------------------------------------------------------------------


def test_create_bank_returns_a_new_bank_at_version_zero(store: Store) -> None:
    bank = make_bank(store, pdq_threshold=20)
    assert (bank.name, bank.description, bank.owner) == (
        "tvec",
        "confirmed perpetrator content",
        "hub",
    )
    assert (bank.sharing, bank.pdq_threshold, bank.version, bank.entry_count) == (
        SharingPolicy.MEMBERS,
        20,
        0,
        0,
    )
    assert_recent_utc(bank.created_at)
    assert store.banks.get_bank("tvec") == bank


def test_duplicate_bank_name_is_a_conflict_and_changes_nothing(store: Store) -> None:
    first = make_bank(store)
    with pytest.raises(Conflict) as raised:
        make_bank(store, description="other", owner="someone else")
    assert raised.value.code == "duplicate_bank"
    assert store.banks.list_banks() == [first]


UNKNOWN_BANK_CALLS: list[tuple[str, Callable[[Store, str], object]]] = [
    ("get", lambda s, name: s.banks.get_bank(name)),
    ("update", lambda s, name: s.banks.update_bank(name, description="x")),
    ("delete", lambda s, name: s.banks.delete_bank(name)),
    ("add", lambda s, name: s.banks.add_entries(name, [md5(MD5_A)], contributor="c")),
    ("add nothing", lambda s, name: s.banks.add_entries(name, [], contributor="c")),
    ("list entries", lambda s, name: s.banks.list_entries(name)),
]
# Names no bank can have; PostgreSQL cannot even be asked about a NUL, nor any driver
# about a lone surrogate (not UTF-8): they must be "not found", not a storage error.
UNKNOWN_BANK_NAMES = ["missing", "nul\x00byte", "lone\ud800surrogate"]


@pytest.mark.parametrize("name", UNKNOWN_BANK_NAMES, ids=["missing", "nul", "surrogate"])
@pytest.mark.parametrize(
    ("call", "action"), UNKNOWN_BANK_CALLS, ids=[c for c, _ in UNKNOWN_BANK_CALLS]
)
def test_unknown_bank_is_not_found_and_nothing_changes(
    store: Store, call: str, action: Callable[[Store, str], object], name: str
) -> None:
    with pytest.raises(NotFound) as raised:
        action(store, name)
    assert raised.value.code == "bank_not_found"
    assert store.banks.list_banks() == []
    assert store.banks.last_change() == 0


def test_list_banks_is_sorted_by_name_and_counts_active_entries(store: Store) -> None:
    make_bank(store, "zeta")
    make_bank(store, "alpha")
    added = store.banks.add_entries("zeta", [md5(MD5_A), md5(MD5_B)], contributor="c")
    store.banks.retract_entry(added.added[0].id, reason="false positive")
    banks = store.banks.list_banks()
    assert [(b.name, b.entry_count) for b in banks] == [("alpha", 0), ("zeta", 1)]
    assert store.banks.get_bank("zeta").entry_count == 1


UPDATES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"description": "new words"}, {"description": "new words", "pdq_threshold": 20}),
    ({"sharing": SharingPolicy.PRIVATE}, {"sharing": SharingPolicy.PRIVATE}),
    ({"pdq_threshold": 10}, {"pdq_threshold": 10}),
    ({"clear_pdq_threshold": True}, {"pdq_threshold": None}),
    ({"pdq_threshold": 10, "clear_pdq_threshold": True}, {"pdq_threshold": None}),
    ({}, {"description": "confirmed perpetrator content", "pdq_threshold": 20}),
]


@pytest.mark.parametrize(("changes", "expected"), UPDATES)
def test_update_bank_changes_only_what_is_given_and_bumps_the_version(
    store: Store, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = make_bank(store, pdq_threshold=20)
    updated = store.banks.update_bank("tvec", **changes)
    for field, value in expected.items():
        assert getattr(updated, field) == value
    assert updated.version == before.version + 1
    assert (updated.id, updated.name, updated.created_at) == (
        before.id,
        before.name,
        before.created_at,
    )
    assert store.banks.get_bank("tvec") == updated


def test_bank_thresholds_maps_bank_ids_to_their_own_threshold(store: Store) -> None:
    own = make_bank(store, "own", pdq_threshold=12)
    default = make_bank(store, "default")
    assert store.banks.bank_thresholds() == {own.id: 12, default.id: None}


def test_delete_bank_logs_its_active_entries_as_retracted(store: Store) -> None:
    make_bank(store, "keep")
    make_bank(store)
    kept = store.banks.add_entries("keep", [md5(MD5_C)], contributor="c").added[0]
    added = store.banks.add_entries("tvec", [md5(MD5_A), md5(MD5_B)], contributor="c").added
    store.banks.retract_entry(added[0].id, reason="wrong")
    seq = store.banks.last_change()

    store.banks.delete_bank("tvec")

    changes = store.banks.changes_since(seq)
    assert [(c.entry_id, c.kind, c.value) for c in changes] == [
        (added[1].id, ChangeKind.RETRACTED, MD5_B)
    ]
    assert [b.name for b in store.banks.list_banks()] == ["keep"]
    assert store.banks.get_entries([e.id for e in added] + [kept.id]) == {kept.id: kept}
    with pytest.raises(NotFound) as raised:
        store.banks.get_entry(added[1].id)
    assert raised.value.code == "entry_not_found"
    assert list(store.banks.active_signals("md5")) == [(kept.id, MD5_C)]


def test_a_deleted_bank_name_can_be_reused_with_new_ids(store: Store) -> None:
    old = make_bank(store)
    old_entry = store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c").added[0]
    store.banks.delete_bank("tvec")
    new = make_bank(store)
    new_entry = store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c").added[0]
    assert new.id != old.id
    assert new_entry.id > old_entry.id
    assert store.banks.get_bank("tvec").entry_count == 1


# --- entries -----------------------------------------------------------------------------


def test_added_entries_keep_every_field(store: Store) -> None:
    bank = make_bank(store)
    new = NewEntry(
        signal_type="pdq",
        value=PDQ_A,
        quality=87,
        labels=("category:perpetrator_livestream", "basis:crisis_incident"),
        note="first upload seen",
        item="item-1",
    )
    result = store.banks.add_entries("tvec", [new], contributor="member-a")
    (entry,) = result.added
    assert result.existing == ()
    assert (entry.bank_id, entry.bank_name, entry.contributor) == (bank.id, "tvec", "member-a")
    assert (entry.signal_type, entry.value, entry.quality) == ("pdq", PDQ_A, 87)
    assert entry.labels == ("category:perpetrator_livestream", "basis:crisis_incident")
    assert (entry.note, entry.item) == ("first upload seen", "item-1")
    assert entry.active and entry.retracted_at is None and entry.retraction_reason == ""
    assert_recent_utc(entry.created_at)
    assert store.banks.get_entry(entry.id) == entry
    assert store.banks.get_entries([entry.id]) == {entry.id: entry}


def test_add_entries_logs_one_added_change_per_new_entry_in_order(store: Store) -> None:
    make_bank(store)
    added = store.banks.add_entries(
        "tvec", [md5(MD5_A), md5(MD5_B), md5(MD5_C)], contributor="c"
    ).added
    assert [e.value for e in added] == [MD5_A, MD5_B, MD5_C]
    assert [e.id for e in added] == sorted(e.id for e in added)
    changes = store.banks.changes_since(0)
    assert [(c.seq, c.entry_id, c.kind, c.signal_type, c.value) for c in changes] == [
        (i + 1, e.id, ChangeKind.ADDED, "md5", e.value) for i, e in enumerate(added)
    ]
    assert all(c.bank_id == added[0].bank_id for c in changes)
    assert store.banks.get_bank("tvec").version == 1


def test_adding_a_stored_signal_returns_the_existing_entry(store: Store) -> None:
    make_bank(store)
    (first,) = store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c").added
    seq = store.banks.last_change()
    again = store.banks.add_entries(
        "tvec", [md5(MD5_A, labels=("other",)), md5(MD5_B)], contributor="d"
    )
    assert again.existing == (first,)
    assert [e.value for e in again.added] == [MD5_B]
    assert [c.value for c in store.banks.changes_since(seq)] == [MD5_B]
    assert store.banks.get_bank("tvec").entry_count == 2


@pytest.mark.parametrize("length", [10_000, 1_000_000])
def test_long_signal_values_are_stored_and_deduplicated(store: Store, length: int) -> None:
    # A vPDQ signal of a long video is megabytes of text; indexes must not hold it whole.
    make_bank(store)
    long_a, long_b = "a" * length, "a" * (length - 1) + "b"
    added = store.banks.add_entries(
        "tvec", [NewEntry(signal_type="vpdq", value=v) for v in (long_a, long_b)], contributor="c"
    ).added
    assert [e.value for e in added] == [long_a, long_b]
    again = store.banks.add_entries(
        "tvec", [NewEntry(signal_type="vpdq", value=long_a)], contributor="c"
    )
    assert (again.added, again.existing) == ((), (added[0],))
    assert dict(store.banks.active_signals("vpdq")) == {e.id: e.value for e in added}


def test_duplicates_within_one_batch_collapse_to_the_first(store: Store) -> None:
    make_bank(store)
    result = store.banks.add_entries(
        "tvec", [md5(MD5_A, note="first"), md5(MD5_B), md5(MD5_A, note="second")], contributor="c"
    )
    assert [(e.value, e.note) for e in result.added] == [(MD5_A, "first"), (MD5_B, "")]
    assert result.existing == (result.added[0],)
    assert store.banks.get_bank("tvec").entry_count == 2
    assert len(store.banks.changes_since(0)) == 2


SAME_VALUE_CASES = [
    ("another signal type", "tvec", NewEntry(signal_type="sha256", value=MD5_A)),
    ("another bank", "other", md5(MD5_A)),
]


@pytest.mark.parametrize(
    ("case", "bank", "new"), SAME_VALUE_CASES, ids=[c[0] for c in SAME_VALUE_CASES]
)
def test_the_same_value_elsewhere_is_a_new_entry(
    store: Store, case: str, bank: str, new: NewEntry
) -> None:
    make_bank(store)
    make_bank(store, "other")
    store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c")
    result = store.banks.add_entries(bank, [new], contributor="c")
    assert len(result.added) == 1 and result.existing == ()


def test_a_retracted_signal_can_be_banked_again(store: Store) -> None:
    make_bank(store)
    (first,) = store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c").added
    store.banks.retract_entry(first.id, reason="mistake")
    result = store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c")
    (second,) = result.added
    assert second.id != first.id and result.existing == ()
    assert list(store.banks.active_signals("md5")) == [(second.id, MD5_A)]


def test_adding_nothing_changes_nothing(store: Store) -> None:
    make_bank(store)
    result = store.banks.add_entries("tvec", [], contributor="c")
    assert result.added == () and result.existing == ()
    assert store.banks.get_bank("tvec").version == 0
    assert store.banks.last_change() == 0


def test_adding_only_existing_signals_keeps_the_version(store: Store) -> None:
    make_bank(store)
    store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c")
    store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c")
    assert store.banks.get_bank("tvec").version == 1


def test_a_large_batch_is_added_whole(store: Store) -> None:
    make_bank(store)
    # The first batch is large enough to refresh PostgreSQL's planner statistics.
    news = [md5(f"{i:032x}") for i in range(12_000)]
    first = store.banks.add_entries("tvec", news[:10_000], contributor="c")
    second = store.banks.add_entries("tvec", news, contributor="c")
    assert (len(first.added), len(second.added), len(second.existing)) == (10_000, 2_000, 10_000)
    assert [e.value for e in second.added] == [n.value for n in news[10_000:]]
    assert second.existing == first.added
    assert store.banks.get_bank("tvec").entry_count == 12_000
    assert sum(1 for _ in store.banks.active_signals("md5")) == 12_000
    assert store.banks.last_change() == 12_000


def test_get_entries_leaves_out_missing_ids(store: Store) -> None:
    make_bank(store)
    a, b = store.banks.add_entries("tvec", [md5(MD5_A), md5(MD5_B)], contributor="c").added
    assert store.banks.get_entries([b.id, 999_999, a.id]) == {a.id: a, b.id: b}
    assert store.banks.get_entries([]) == {}


# Ids no entry has, including ones no SQL integer column can hold (the driver cannot bind
# them: an OverflowError on SQLite, "bigint out of range" on PostgreSQL).
UNKNOWN_ENTRY_IDS = [424242, 0, -1, 2**63, 2**70, -(2**70)]


@pytest.mark.parametrize("entry_id", UNKNOWN_ENTRY_IDS)
def test_unknown_entry_is_not_found(store: Store, entry_id: int) -> None:
    make_bank(store)
    store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c")
    for action in (
        lambda: store.banks.get_entry(entry_id),
        lambda: store.banks.retract_entry(entry_id, reason="x"),
    ):
        with pytest.raises(NotFound) as raised:
            action()
        assert raised.value.code == "entry_not_found"
    assert store.banks.get_entries([entry_id]) == {}
    assert store.banks.last_change() == 1


@pytest.mark.parametrize(
    ("after_id", "expected"), [(2**63, []), (2**70, []), (-1, [MD5_A]), (-(2**70), [MD5_A])]
)
def test_a_cursor_past_either_end_of_the_id_range_lists_nothing_or_everything(
    store: Store, after_id: int, expected: list[str]
) -> None:
    make_bank(store)
    store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c")
    listed = store.banks.list_entries("tvec", after_id=after_id)
    assert [e.value for e in listed] == expected


LISTINGS: list[tuple[dict[str, Any], list[str]]] = [
    ({}, [MD5_A, MD5_C]),
    ({"include_retracted": True}, [MD5_A, MD5_B, MD5_C]),
    ({"limit": 1}, [MD5_A]),
    ({"limit": 0}, []),
    ({"after": 0, "include_retracted": True, "limit": 2}, [MD5_B, MD5_C]),
    ({"after": 0}, [MD5_C]),
    ({"after": 2}, []),
]


@pytest.mark.parametrize(("options", "expected"), LISTINGS)
def test_list_entries_pages_in_id_order(
    store: Store, options: dict[str, Any], expected: list[str]
) -> None:
    make_bank(store)
    make_bank(store, "other")
    added = store.banks.add_entries(
        "tvec", [md5(MD5_A), md5(MD5_B), md5(MD5_C)], contributor="c"
    ).added
    store.banks.add_entries("other", [md5(MD5_B)], contributor="c")
    store.banks.retract_entry(added[1].id, reason="wrong")
    options = dict(options)
    if "after" in options:  # an index into this bank's entries, made into an id cursor
        options["after_id"] = added[options.pop("after")].id
    listed = store.banks.list_entries("tvec", **options)
    assert [e.value for e in listed] == expected
    assert all(e.bank_name == "tvec" for e in listed)


# --- retraction and the change log -------------------------------------------------------


def test_retract_entry_marks_it_and_logs_the_change(store: Store) -> None:
    make_bank(store)
    a, b = store.banks.add_entries("tvec", [md5(MD5_A), md5(MD5_B)], contributor="c").added
    retracted = store.banks.retract_entry(a.id, reason="false positive")
    assert not retracted.active
    assert retracted.retraction_reason == "false positive"
    assert_recent_utc(retracted.retracted_at)
    assert (retracted.id, retracted.value, retracted.created_at) == (a.id, a.value, a.created_at)
    assert store.banks.get_entry(a.id) == retracted
    assert [(c.seq, c.entry_id, c.kind) for c in store.banks.changes_since(0)] == [
        (1, a.id, ChangeKind.ADDED),
        (2, b.id, ChangeKind.ADDED),
        (3, a.id, ChangeKind.RETRACTED),
    ]
    bank = store.banks.get_bank("tvec")
    assert (bank.version, bank.entry_count) == (2, 1)


def test_retracting_twice_changes_nothing_the_second_time(store: Store) -> None:
    make_bank(store)
    (entry,) = store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c").added
    first = store.banks.retract_entry(entry.id, reason="first reason")
    second = store.banks.retract_entry(entry.id, reason="second reason")
    assert second == first
    assert store.banks.last_change() == 2
    assert store.banks.get_bank("tvec").version == 2


def test_changes_since_reads_the_log_from_a_cursor(store: Store) -> None:
    assert store.banks.last_change() == 0
    assert store.banks.changes_since(0) == []
    make_bank(store)
    added = store.banks.add_entries(
        "tvec", [md5(MD5_A), md5(MD5_B), md5(MD5_C)], contributor="c"
    ).added
    store.banks.retract_entry(added[2].id, reason="x")
    assert store.banks.last_change() == 4
    assert [c.seq for c in store.banks.changes_since(1)] == [2, 3, 4]
    assert [c.seq for c in store.banks.changes_since(1, limit=2)] == [2, 3]
    assert store.banks.changes_since(4) == []
    assert store.banks.changes_since(3)[0].kind is ChangeKind.RETRACTED


def test_active_signals_lists_active_entries_of_one_type_by_id(store: Store) -> None:
    make_bank(store)
    make_bank(store, "other")
    a, b = store.banks.add_entries("tvec", [md5(MD5_B), md5(MD5_A)], contributor="c").added
    (pdq,) = store.banks.add_entries(
        "tvec", [NewEntry(signal_type="pdq", value=PDQ_A)], contributor="c"
    ).added
    (c,) = store.banks.add_entries("other", [md5(MD5_C)], contributor="c").added
    store.banks.retract_entry(b.id, reason="x")
    assert list(store.banks.active_signals("md5")) == [(a.id, MD5_B), (c.id, MD5_C)]
    assert list(store.banks.active_signals("pdq")) == [(pdq.id, PDQ_A)]
    assert list(store.banks.active_signals("video_md5")) == []


# --- SQL only: atomicity, concurrency, durability ----------------------------------------


def test_a_batch_failing_midway_leaves_nothing(
    sql_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_bank(sql_store)
    sql_store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c")
    before = (sql_store.banks.get_bank("tvec"), sql_store.banks.last_change())

    def fail(*_args: object) -> None:  # after the entries are inserted, before the log
        raise OperationalError("INSERT INTO entry_changes", {}, Exception("disk I/O error"))

    monkeypatch.setattr(sql_entries, "lock_change_log", fail)
    with pytest.raises(StorageError, match="disk I/O error"):
        sql_store.banks.add_entries("tvec", [md5(MD5_B), md5(MD5_C)], contributor="c")
    monkeypatch.undo()

    assert (sql_store.banks.get_bank("tvec"), sql_store.banks.last_change()) == before
    assert [e.value for e in sql_store.banks.list_entries("tvec")] == [MD5_A]
    assert len(sql_store.banks.add_entries("tvec", [md5(MD5_B)], contributor="c").added) == 1


def test_concurrent_writers_all_succeed_and_the_log_stays_gapless(sql_store: SqlStore) -> None:
    # Two stores are two connection pools, as two processes would have.
    other = SqlStore(sql_store.engine.url.render_as_string(hide_password=False))
    stores = [sql_store, other]
    for n in range(4):
        make_bank(sql_store, f"bank{n}")
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        store = stores[worker % 2]
        try:
            for i in range(15):
                bank = f"bank{(worker + i) % 4}"
                news = [md5(f"{worker:04x}{i:04x}{k:024x}") for k in range(5)]
                news.append(md5("f" * 32))  # the same signal from every writer
                added = store.banks.add_entries(bank, news, contributor=f"w{worker}")
                if added.added:
                    store.banks.retract_entry(added.added[0].id, reason="test")
                store.banks.update_bank(bank, description=f"w{worker}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()

    assert errors == []
    changes = sql_store.banks.changes_since(0, limit=100_000)
    assert [c.seq for c in changes] == list(range(1, len(changes) + 1))
    active = {c.entry_id for c in changes if c.kind is ChangeKind.ADDED} - {
        c.entry_id for c in changes if c.kind is ChangeKind.RETRACTED
    }
    assert {i for i, _ in sql_store.banks.active_signals("md5")} == active
    for bank in sql_store.banks.list_banks():  # one active copy of the shared signal each
        values = [e.value for e in sql_store.banks.list_entries(bank.name, limit=1000)]
        assert values.count("f" * 32) == 1
        assert bank.entry_count == len(values)


def test_committed_data_is_there_after_reopening(sql_store: SqlStore) -> None:
    make_bank(sql_store)
    (entry,) = sql_store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c").added
    url = sql_store.engine.url.render_as_string(hide_password=False)
    sql_store.close()
    reopened = SqlStore(url)
    try:
        assert reopened.banks.get_entry(entry.id) == entry
        assert reopened.banks.last_change() == 1
    finally:
        reopened.close()


def test_active_signals_streams_without_holding_up_writers(sql_store: SqlStore) -> None:
    make_bank(sql_store)
    sql_store.banks.add_entries("tvec", [md5(f"{i:032x}") for i in range(20)], contributor="c")
    stream = sql_store.banks.active_signals("md5")
    first = next(stream)
    sql_store.banks.add_entries("tvec", [md5(MD5_A)], contributor="c")  # while reading
    rest = list(stream)
    assert len([first, *rest]) == 20  # the stream reads one snapshot
    assert sum(1 for _ in sql_store.banks.active_signals("md5")) == 21
