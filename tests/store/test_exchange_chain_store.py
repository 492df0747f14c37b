"""The ExchangeStore contract on memory, SQLite and PostgreSQL: one chain of batches per
channel, appended atomically with the events it applies."""

from __future__ import annotations

import pytest

from fireline.domain import ApplyReport, Conflict, NotFound, ReceivedRetraction, StoredBatch
from fireline.store import ReceivedEvent, Store
from tests.store.exchange_support import (
    GENESIS,
    LOCAL,
    ORIGIN,
    apply,
    batch,
    chain,
    make_bank,
    opinion,
    place,
    received,
)


def test_append_takes_the_next_batch_and_keeps_it(store: Store) -> None:
    first, second = chain(2)
    assert store.exchange.head("feed:1") is None
    assert store.exchange.append("feed:1", first) == ApplyReport()
    positioned = batch(2, first.hash, change_seq=7, opinion_seq=3)
    assert store.exchange.append("feed:1", positioned) == ApplyReport()
    assert place(store.exchange.head("feed:1")) == place(positioned)
    assert place(store.exchange.batch_at("feed:1", 1)) == place(first)
    assert store.exchange.batch_at("feed:1", 3) is None
    assert store.exchange.batch_at("feed:1", 0) is None
    stored = store.exchange.head("feed:1")
    assert stored is not None and (stored.change_seq, stored.opinion_seq) == (7, 3)
    assert store.exchange.head("feed:2") is None  # channels are separate chains


def test_the_same_batch_again_returns_none(store: Store) -> None:
    first, second = chain(2)
    store.exchange.append("in:1", first)
    store.exchange.append("in:1", second)
    assert store.exchange.append("in:1", first) is None
    assert store.exchange.append("in:1", second) is None
    assert place(store.exchange.head("in:1")) == place(second)


@pytest.mark.parametrize(
    "wrong",
    [
        batch(4, chain(2)[1].hash),  # a gap
        batch(2, GENESIS),  # the right seq, the wrong prev
        batch(2, chain(2)[1].hash),  # chains to itself
        batch(1, GENESIS, tag="other"),  # another batch where one is stored
        batch(2, chain(2)[0].hash, tag="other"),
    ],
    ids=["gap", "wrong-prev", "self-prev", "replaced-first", "replaced-second"],
)
def test_a_batch_that_is_not_next_is_a_conflict_and_stores_nothing(
    store: Store, wrong: StoredBatch
) -> None:
    make_bank(store)
    first, second = chain(2)
    store.exchange.append("in:1", first)
    store.exchange.append("in:1", second)
    with pytest.raises(Conflict) as raised:
        store.exchange.append("in:1", wrong, bank="tvec", events=[received("a" * 32)])
    assert raised.value.code == "chain_moved"
    assert place(store.exchange.head("in:1")) == place(second)
    assert store.banks.list_entries("tvec") == []


def test_batches_are_listed_after_a_seq(store: Store) -> None:
    batches = chain(5)
    for stored in batches:
        store.exchange.append("feed:1", stored)
    after = [
        [place(b) for b in store.exchange.batches("feed:1", after=a, limit=n)]
        for a, n in [(0, 100), (2, 2), (5, 10), (-3, 1), (0, 0), (2**70, 5)]
    ]
    expected = [place(b) for b in batches]
    assert after == [expected, expected[2:4], [], expected[:1], [], []]


def test_an_append_whose_bank_is_missing_stores_nothing(store: Store) -> None:
    with pytest.raises(NotFound) as raised:
        store.exchange.append(
            "in:1", batch(1, GENESIS), bank="missing", events=[received("a" * 32)]
        )
    assert raised.value.code == "bank_not_found"
    assert store.exchange.head("in:1") is None


def test_an_append_whose_events_fail_halfway_leaves_nothing(store: Store) -> None:
    make_bank(store)
    apply(store, [received("a" * 32, 1)])
    (entry,) = store.banks.list_entries("tvec")
    before = (store.exchange.head("in:1"), store.banks.get_bank("tvec"), store.banks.last_change())
    # The last event names a local entry by an id that is not a number (the wire never
    # carries one): every backend fails on it after the others have been applied.
    events: list[ReceivedEvent] = [
        ReceivedRetraction(uid=f"{ORIGIN}:1", reason="wrong"),
        opinion(f"{ORIGIN}:1"),
        received("b" * 32, 2),
        ReceivedRetraction(uid=f"{LOCAL}:not-a-number", reason=""),
    ]
    assert before[0] is not None
    with pytest.raises(ValueError):
        store.exchange.append(
            "in:1", batch(2, before[0].hash), bank="tvec", events=events, local_prefix=LOCAL
        )
    after = (store.exchange.head("in:1"), store.banks.get_bank("tvec"), store.banks.last_change())
    assert after == before
    assert store.banks.list_entries("tvec", include_retracted=True) == [entry]
    assert store.exchange.opinions(entry.id) == []
    assert apply(store, [received("b" * 32, 2)]) == ApplyReport(added=1)  # seq 2 is still free


def test_ack_marks_batches_delivered_up_to_a_seq(store: Store) -> None:
    for stored in chain(3):
        store.exchange.append("out:1", stored)
    store.exchange.append("out:2", chain(1)[0])
    assert [b.seq for b in store.exchange.unacked("out:1")] == [1, 2, 3]
    assert [b.seq for b in store.exchange.unacked("out:1", limit=2)] == [1, 2]
    store.exchange.ack("out:1", 2)
    assert [b.seq for b in store.exchange.unacked("out:1")] == [3]
    assert [b.acked for b in store.exchange.batches("out:1")] == [True, True, False]
    assert [b.seq for b in store.exchange.unacked("out:2")] == [1]
    store.exchange.ack("out:1", 10)
    assert store.exchange.unacked("out:1") == []
