"""BankStore.entry_figures: aggregate counts, the same on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from fireline.domain import ContentCategory, NewEntry, SharingPolicy
from fireline.store import Store


def _bank(store: Store, name: str, sharing: SharingPolicy) -> None:
    store.banks.create_bank(
        name=name, description="", owner="acme", sharing=sharing, pdq_threshold=None
    )


def test_an_empty_store_has_zero_of_everything(store: Store) -> None:
    figures = store.banks.entry_figures()
    assert (figures.banks, figures.active_entries, figures.retracted_entries) == (0, 0, 0)
    assert figures.banks_by_sharing == {p.value: 0 for p in SharingPolicy}
    assert figures.active_by_category == {c.value: 0 for c in ContentCategory}
    assert figures.active_by_signal_type == {}
    assert figures.uncategorised == 0


def test_figures_count_banks_entries_signal_types_and_categories(store: Store) -> None:
    _bank(store, "a", SharingPolicy.MEMBERS)
    _bank(store, "b", SharingPolicy.MEMBERS)
    _bank(store, "c", SharingPolicy.PRIVATE)
    livestream = ("basis:crisis_incident", "category:perpetrator_livestream")
    both = ("category:glorification", "category:recruitment", "entity:demo")
    added = store.banks.add_entries(
        "a",
        [
            NewEntry("md5", "a" * 32, labels=livestream),
            NewEntry("md5", "b" * 32, labels=livestream),
            NewEntry("pdq", "f" * 64, quality=100, labels=both),
            NewEntry("sha256", "0" * 64),
        ],
        contributor="acme",
    ).added
    store.banks.add_entries("b", [NewEntry("md5", "c" * 32, labels=both)], contributor="x")
    store.banks.retract_entry(added[0].id, reason="test")
    figures = store.banks.entry_figures()
    assert figures.banks == 3
    assert figures.banks_by_sharing == {"aggregate_only": 0, "members": 2, "private": 1}
    assert (figures.active_entries, figures.retracted_entries) == (4, 1)
    assert figures.active_by_signal_type == {"md5": 2, "pdq": 1, "sha256": 1}
    expected = {c.value: 0 for c in ContentCategory} | {
        "perpetrator_livestream": 1,
        "glorification": 2,
        "recruitment": 2,
    }
    assert figures.active_by_category == expected
    assert figures.uncategorised == 1


def test_a_deleted_bank_leaves_the_figures(store: Store) -> None:
    _bank(store, "a", SharingPolicy.PRIVATE)
    store.banks.add_entries("a", [NewEntry("md5", "a" * 32)], contributor="x")
    store.banks.delete_bank("a")
    figures = store.banks.entry_figures()
    assert (figures.banks, figures.active_entries, figures.retracted_entries) == (0, 0, 0)
