"""The ExchangeStore contract on memory, SQLite and PostgreSQL: received events applied to
a bank, outgoing changes and opinions, disputes."""

from __future__ import annotations

import pytest

from fireline.domain import (
    ApplyReport,
    ChangeKind,
    NewEntry,
    NotFound,
    OpinionKind,
    ReceivedRetraction,
)
from fireline.store import ReceivedEvent, Store
from tests.store.exchange_support import (
    LOCAL,
    ORIGIN,
    PROVENANCE,
    WHEN,
    apply,
    make_bank,
    opinion,
    received,
)

# --- applying received events --------------------------------------------------------------


def test_received_entries_keep_their_origin_and_provenance(store: Store) -> None:
    make_bank(store)
    assert apply(store, [received("a" * 32, 1), received("b" * 32, 2)]) == ApplyReport(added=2)
    entries = store.banks.list_entries("tvec")
    assert [(e.value, e.origin_uid, e.contributor) for e in entries] == [
        ("a" * 32, f"{ORIGIN}:1", "A"),
        ("b" * 32, f"{ORIGIN}:2", "A"),
    ]
    assert entries[0].provenance == PROVENANCE
    assert store.banks.changes_since(0)[-1].kind is ChangeKind.ADDED


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([received("a" * 32, 1)], ApplyReport(existing=1)),
        ([ReceivedRetraction(uid=f"{ORIGIN}:1", reason="wrong")], ApplyReport(retracted=1)),
        ([ReceivedRetraction(uid=f"{ORIGIN}:9", reason="")], ApplyReport(skipped=1)),
        ([ReceivedRetraction(uid=f"{LOCAL}:1", reason="")], ApplyReport(retracted=1)),
        ([opinion(f"{ORIGIN}:1")], ApplyReport(opinions=1)),
        ([opinion(f"{ORIGIN}:9")], ApplyReport(skipped=1)),
        ([opinion(f"{LOCAL}:1")], ApplyReport(opinions=1)),
        ([opinion(f"{LOCAL}:99")], ApplyReport(skipped=1)),
        ([opinion(f"{LOCAL}:9999999999999999999")], ApplyReport(skipped=1)),
        ([received("c" * 32, 7)], ApplyReport(added=1)),
        (
            [
                ReceivedRetraction(uid=f"{ORIGIN}:1", reason=""),
                ReceivedRetraction(uid=f"{ORIGIN}:1", reason=""),
                received("a" * 32, 1),
            ],
            ApplyReport(added=1, retracted=1, skipped=1),
        ),
    ],
    ids=[
        "same-uid-again",
        "retract",
        "retract-unknown",
        "retract-local-by-id",
        "opinion",
        "opinion-unknown",
        "opinion-local-by-id",
        "opinion-local-unknown",
        "opinion-local-id-too-big",
        "new-uid",
        "retract-then-readd",
    ],
)
def test_events_on_a_bank_holding_one_entry(
    store: Store, events: list[ReceivedEvent], expected: ApplyReport
) -> None:
    make_bank(store)
    apply(store, [received("a" * 32, 1)])  # entry 1: received, uid ORIGIN:1
    assert apply(store, events) == expected


def test_a_received_entry_already_banked_here_stays_ours(store: Store) -> None:
    make_bank(store)
    own = store.banks.add_entries("tvec", [NewEntry("md5", "a" * 32)], contributor="me").added[0]
    assert apply(store, [received("a" * 32)]) == ApplyReport(existing=1)
    (entry,) = store.banks.list_entries("tvec")
    assert entry == own and entry.origin_uid is None


# --- outgoing changes and opinions -------------------------------------------------------


def test_outgoing_lists_changes_then_opinions_oldest_first(store: Store) -> None:
    make_bank(store)
    make_bank(store, "other")
    own = store.banks.add_entries("tvec", [NewEntry("md5", "a" * 32)], contributor="me").added[0]
    store.banks.add_entries("other", [NewEntry("md5", "c" * 32)], contributor="me")
    apply(store, [received("b" * 32, 5)])
    got = store.banks.list_entries("tvec")[1]
    store.banks.retract_entry(own.id, reason="wrong")
    mine = store.exchange.add_opinion(own.id, org="me", kind=OpinionKind.CONFIRM, note="")
    theirs = store.exchange.add_opinion(got.id, org="me", kind=OpinionKind.DISPUTE, note="no")

    changes, opinions = store.exchange.outgoing("tvec", after_change=0, after_opinion=0, limit=10)
    assert [(kind, entry.id) for _, kind, entry in changes] == [
        (ChangeKind.ADDED, own.id),
        (ChangeKind.ADDED, got.id),
        (ChangeKind.RETRACTED, own.id),
    ]
    seqs = [seq for seq, _, _ in changes]
    assert seqs == sorted(seqs)
    assert [(o.seq, o.opinion.id, o.uid) for o in opinions] == [
        (mine.id, mine.id, ""),
        (theirs.id, theirs.id, f"{ORIGIN}:5"),
    ]

    later, later_opinions = store.exchange.outgoing(
        "tvec", after_change=seqs[1], after_opinion=mine.id, limit=10
    )
    assert [seq for seq, _, _ in later] == seqs[2:]
    assert [o.opinion for o in later_opinions] == [theirs]

    full, none = store.exchange.outgoing("tvec", after_change=0, after_opinion=0, limit=2)
    assert [seq for seq, _, _ in full] == seqs[:2] and none == []


def test_outgoing_of_an_unknown_bank_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.exchange.outgoing("missing", after_change=0, after_opinion=0, limit=10)


def test_opinions_are_kept_oldest_first(store: Store) -> None:
    make_bank(store)
    entry = store.banks.add_entries("tvec", [NewEntry("md5", "a" * 32)], contributor="me").added[0]
    first = store.exchange.add_opinion(entry.id, org="A", kind=OpinionKind.CONFIRM, note="yes")
    apply(store, [opinion(f"{LOCAL}:{entry.id}", org="B")])
    listed = store.exchange.opinions(entry.id)
    assert listed[0] == first
    assert [(o.org, o.instance, o.kind, o.note) for o in listed] == [
        ("A", "", OpinionKind.CONFIRM, "yes"),
        ("B", "b" * 16, OpinionKind.DISPUTE, "n"),
    ]
    assert listed[1].at == WHEN
    with pytest.raises(NotFound) as raised:
        store.exchange.add_opinion(entry.id + 100, org="A", kind=OpinionKind.CONFIRM, note="")
    assert raised.value.code == "entry_not_found"


@pytest.mark.parametrize(
    ("opinions", "min_orgs", "disputed"),
    [
        ([], 1, False),
        ([("B", OpinionKind.DISPUTE)], 1, True),
        ([("B", OpinionKind.CONFIRM)], 1, False),
        ([("B", OpinionKind.DISPUTE), ("B", OpinionKind.CONFIRM)], 1, False),
        ([("B", OpinionKind.CONFIRM), ("B", OpinionKind.DISPUTE)], 1, True),
        ([("B", OpinionKind.DISPUTE), ("B", OpinionKind.DISPUTE)], 2, False),
        ([("B", OpinionKind.DISPUTE), ("C", OpinionKind.DISPUTE)], 2, True),
        ([("B", OpinionKind.DISPUTE), ("C", OpinionKind.INVESTIGATION_SEED)], 2, False),
        (
            [("B", OpinionKind.DISPUTE), ("C", OpinionKind.DISPUTE), ("C", OpinionKind.CONFIRM)],
            2,
            False,
        ),
    ],
    ids=[
        "none",
        "one-dispute",
        "one-confirm",
        "dispute-withdrawn",
        "confirm-turned-dispute",
        "one-org-twice",
        "two-orgs",
        "two-orgs-one-seed",
        "two-orgs-one-withdrawn",
    ],
)
def test_the_latest_opinion_per_organisation_decides_a_dispute(
    store: Store, opinions: list[tuple[str, OpinionKind]], min_orgs: int, disputed: bool
) -> None:
    make_bank(store)
    added = store.banks.add_entries(
        "tvec", [NewEntry("md5", "a" * 32), NewEntry("md5", "b" * 32)], contributor="me"
    ).added
    entry, bystander = added
    store.exchange.add_opinion(bystander.id, org="D", kind=OpinionKind.DISPUTE, note="")
    for org, kind in opinions:
        store.exchange.add_opinion(entry.id, org=org, kind=kind, note="")
    expected = {entry.id} if disputed else set()
    assert store.exchange.disputed([entry.id], min_orgs=min_orgs) == expected
    assert store.exchange.disputed([], min_orgs=1) == set()
