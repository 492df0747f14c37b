"""The matcher: exact to brute force, follows the change log, honours thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from fireline.bootstrap import Container
from fireline.domain import InvalidInput, Signal
from fireline.services import BankService, Matcher
from fireline.signals import ContentType
from fireline.signals.pdq import PdqSignal
from fireline.testing.media import edited, encode, random_photo, synthetic_video


def _random_pdq(rng: np.random.Generator) -> str:
    return bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex()


def _flip(value: str, bits: int, rng: np.random.Generator) -> str:
    number = int(value, 16)
    for bit in rng.choice(256, size=bits, replace=False):
        number ^= 1 << int(bit)
    return f"{number:064x}"


def test_matches_equal_a_brute_force_scan(container: Container) -> None:
    rng = np.random.default_rng(7)
    container.banks.create(name="a")
    container.banks.create(name="b", pdq_threshold=10)
    banked = {
        "a": [_random_pdq(rng) for _ in range(300)],
        "b": [_random_pdq(rng) for _ in range(300)],
    }
    for bank, values in banked.items():
        container.banks.add_signals(bank=bank, signals=[Signal("pdq", v) for v in values])
    queries = [_flip(banked["a"][i], int(rng.integers(0, 40)), rng) for i in range(40)]
    queries += [_flip(banked["b"][i], int(rng.integers(0, 20)), rng) for i in range(40)]
    for query in queries:
        result = container.matcher.match_signals([Signal("pdq", query)])
        got = {(m.entry.bank_name, m.entry.value, m.distance) for m in result.matches}
        expected = {
            (bank, value, PdqSignal.compare(query, value))
            for bank, values in banked.items()
            for value in values
            if PdqSignal.compare(query, value) <= (31 if bank == "a" else 10)
        }
        assert got == expected


def test_a_new_entry_is_matchable_by_an_existing_matcher(container: Container) -> None:
    container.banks.create(name="a")
    value = "a" * 64
    assert not container.matcher.match_signals([Signal("pdq", value)]).matched
    # A second service over the same store stands in for another process writing.
    writer = BankService(
        store=container.store.banks,
        registry=container.registry,
        hashing=container.hashing,
        audit=container.audit,
    )
    (entry,) = writer.add_signals(bank="a", signals=[Signal("pdq", value)]).added
    assert container.matcher.match_signals([Signal("pdq", value)]).matched
    writer.retract(entry_id=entry.id, reason="test")
    assert not container.matcher.match_signals([Signal("pdq", value)]).matched


def test_a_fresh_matcher_loads_the_snapshot(container: Container) -> None:
    container.banks.create(name="a")
    added = container.banks.add_signals(
        bank="a", signals=[Signal("md5", f"{i:032x}") for i in range(10)]
    ).added
    container.banks.retract(entry_id=added[0].id)
    fresh = Matcher(
        store=container.store.banks, registry=container.registry, hashing=container.hashing
    )
    assert fresh.match_signals([Signal("md5", f"{1:032x}")]).matched
    assert not fresh.match_signals([Signal("md5", f"{0:032x}")]).matched


def test_deleting_a_bank_stops_its_matches(container: Container) -> None:
    container.banks.create(name="a")
    container.banks.add_signals(bank="a", signals=[Signal("md5", "1" * 32)])
    assert container.matcher.match_signals([Signal("md5", "1" * 32)]).matched
    container.banks.delete(name="a")
    assert not container.matcher.match_signals([Signal("md5", "1" * 32)]).matched


@pytest.mark.parametrize(("edit", "transform"), [("mirror", "flip_horizontal")])
def test_dihedral_variants_name_the_transform(
    container: Container, edit: str, transform: str
) -> None:
    container.banks.create(name="a")
    container.banks.add_content(bank="a", data=encode(random_photo(11)))
    copy = encode(edited(random_photo(11), edit))  # type: ignore[arg-type]
    result = container.matcher.match_content(copy)
    assert [(m.entry.signal_type, m.transform) for m in result.matches] == [("pdq", transform)]
    assert not container.matcher.match_content(copy, dihedral=False).matched


def test_too_many_signals_are_refused(container: Container) -> None:
    with pytest.raises(InvalidInput):
        container.matcher.match_signals([Signal("md5", "0" * 32)] * 1001)


def test_videos_and_photos_match_side_by_side(container: Container) -> None:
    video = synthetic_video(3, 3.0)
    container.banks.create(name="mixed")
    added = container.banks.add_content(bank="mixed", data=video, content_type=ContentType.VIDEO)
    assert sorted(e.signal_type for e in added.added) == ["video_md5", "vorb", "vpdq"]
    photo = encode(random_photo(5))
    container.banks.add_content(bank="mixed", data=photo)
    result = container.matcher.match_content(photo)
    assert {m.entry.signal_type for m in result.matches} == {"pdq", "md5", "sha256"}
    by_video = container.matcher.match_content(video, content_type=ContentType.VIDEO)
    # vorb is a fallback: asked only when nothing else matched, so not here.
    assert sorted(m.entry.signal_type for m in by_video.matches) == ["video_md5", "vpdq"]
    (vpdq,) = [e for e in added.added if e.signal_type == "vpdq"]
    [match] = container.matcher.match_signals([Signal("vpdq", vpdq.value)]).matches
    assert match.distance == 0 and match.segments[0].query_coverage == 1.0


def test_a_burst_of_changes_is_applied_in_order(container: Container) -> None:
    # Added, retracted and re-added within one refresh: the last word wins.
    container.banks.create(name="a")
    container.matcher.refresh()
    values = [f"{i:032x}" for i in range(50)]
    added = container.banks.add_signals(bank="a", signals=[Signal("md5", v) for v in values]).added
    container.banks.retract(entry_id=added[0].id)
    (again,) = container.banks.add_signals(bank="a", signals=[Signal("md5", values[0])]).added
    container.banks.retract(entry_id=added[1].id)
    result = container.matcher.match_signals([Signal("md5", v) for v in values[:3]])
    assert sorted(m.entry.id for m in result.matches) == sorted([again.id, added[2].id])
