"""Bank use cases: validation first, nothing half-stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fireline.bootstrap import Container
from fireline.domain import (
    Conflict,
    InvalidInput,
    NewEntry,
    NotFound,
    Role,
    Signal,
    UnsupportedMedia,
)
from fireline.testing.media import encode, random_photo


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("demo", True),
        ("Christchurch-2019.v2", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("-lead", False),
        ("with space", False),
        ("", False),
        ("ümlaut", False),
        ("trailing-newline\n", False),
    ],
)
def test_bank_names(container: Container, name: str, ok: bool) -> None:
    if ok:
        assert container.banks.create(name=name).name == name
    else:
        with pytest.raises(InvalidInput):
            container.banks.create(name=name)


def test_duplicate_bank_is_a_conflict(container: Container) -> None:
    container.banks.create(name="a")
    with pytest.raises(Conflict):
        container.banks.create(name="a")


@pytest.mark.parametrize(
    ("labels", "signals", "error"),
    [
        (["category:nope"], [Signal("md5", "0" * 32)], InvalidInput),
        ([], [Signal("md5", "0" * 32), Signal("md5", "zz")], InvalidInput),
        ([], [Signal("pdq", "0" * 64, 101)], InvalidInput),
        ([], [Signal("tlsh", "0" * 64)], InvalidInput),
        ([], [], InvalidInput),
    ],
)
def test_invalid_additions_store_nothing(
    container: Container, labels: list[str], signals: list[Signal], error: type[Exception]
) -> None:
    container.banks.create(name="a")
    with pytest.raises(error):
        container.banks.add_signals(bank="a", signals=signals, labels=labels)
    assert container.banks.get(name="a").entry_count == 0


def test_corrupt_content_stores_nothing(container: Container) -> None:
    container.banks.create(name="a")
    data = encode(random_photo(1), "JPEG")
    with pytest.raises(UnsupportedMedia):
        container.banks.add_content(bank="a", data=data[: len(data) // 2])
    assert container.banks.get(name="a").entry_count == 0


def test_content_to_a_missing_bank_is_not_hashed(container: Container) -> None:
    with pytest.raises(NotFound):
        container.banks.add_content(bank="nope", data=b"anything")


def test_signals_are_canonicalised(container: Container) -> None:
    container.banks.create(name="a")
    (entry,) = container.banks.add_signals(
        bank="a", signals=[Signal("md5", " " + "AB" * 16 + "\n")], labels=["Category:Recruitment"]
    ).added
    assert entry.value == "ab" * 16
    assert entry.labels == ("category:recruitment",)


def test_bank_version_moves_with_each_change(container: Container) -> None:
    container.banks.create(name="a")
    before = container.banks.get(name="a").version
    (entry,) = container.banks.add_signals(bank="a", signals=[Signal("md5", "1" * 32)]).added
    container.banks.retract(entry_id=entry.id)
    assert container.banks.get(name="a").version == before + 2


def test_several_files_are_banked_together_or_not_at_all(container: Container) -> None:
    container.banks.create(name="a")
    good = encode(random_photo(1))
    bad = encode(random_photo(2), "JPEG")[:500]
    with pytest.raises(UnsupportedMedia, match="second.jpg"):
        container.banks.add_contents(
            bank="a", contents=[good, bad], sources=["first.png", "second.jpg"]
        )
    assert container.banks.get(name="a").entry_count == 0
    results = container.banks.add_contents(bank="a", contents=[good, encode(random_photo(3))])
    assert [len(r.added) for r in results] == [3, 3]
    assert len({e.item for r in results for e in r.added}) == 2


# Text every store can keep: PostgreSQL refuses NUL in text, and no driver can encode a
# lone surrogate (from a JSON "\\ud800" escape or a non-UTF-8 command-line argument).
BAD_TEXTS = ["nul\x00byte", "lone\ud800surrogate", "\udcff"]
TEXT_CHANGES: list[tuple[str, Callable[[Container, str], object]]] = [
    ("create description", lambda c, t: c.banks.create(name="b", description=t)),
    ("update description", lambda c, t: c.banks.update(name="a", description=t)),
    (
        "note",
        lambda c, t: c.banks.add_signals(bank="a", signals=[Signal("md5", "1" * 32)], note=t),
    ),
    ("retraction reason", lambda c, t: c.banks.retract(entry_id=1, reason=t)),
    (
        "imported note",
        lambda c, t: c.banks.add_entries(
            bank="a", entries=[NewEntry("md5", "2" * 32, note=t)], contributor="x"
        ),
    ),
    (
        "imported item",
        lambda c, t: c.banks.add_entries(
            bank="a", entries=[NewEntry("md5", "2" * 32, item=t)], contributor="x"
        ),
    ),
    ("key name", lambda c, t: c.keys.create(name=t, role=Role.MATCHER)),
]


@pytest.mark.parametrize("text", BAD_TEXTS, ids=["nul", "surrogate", "escaped-byte"])
@pytest.mark.parametrize(("what", "change"), TEXT_CHANGES, ids=[w for w, _ in TEXT_CHANGES])
def test_text_no_store_can_keep_is_refused_and_changes_nothing(
    container: Container, what: str, change: Callable[[Container, str], object], text: str
) -> None:
    container.banks.create(name="a", description="kept")
    (entry,) = container.banks.add_signals(bank="a", signals=[Signal("md5", "0" * 32)]).added
    assert entry.id == 1
    before = (container.banks.all(), container.keys.all(), container.store.banks.last_change())
    with pytest.raises(InvalidInput) as raised:
        change(container, text)
    assert raised.value.code == "invalid_text"
    after = (container.banks.all(), container.keys.all(), container.store.banks.last_change())
    assert after == before
    assert container.banks.entry(entry_id=1).active
