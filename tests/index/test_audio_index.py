"""The audio_fp index: exactly the brute-force comparison, on real fingerprints and long banks."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from fireline.domain import InvalidInput, Segment
from fireline.index import SEGMENT_INDEXES, AudioSegmentIndex, SegmentIndex, index_for
from fireline.signals import MediaLimits, open_audio
from fireline.signals.audio_fp import (
    ITEM_SECONDS,
    AudioFpSignal,
    ItemTable,
    format_fingerprint,
    parse_fingerprint,
    segments_between,
)
from fireline.testing.media import MUSIC_RATE, encode_audio, synthetic_music

THRESHOLDS = (-1, 0, 50, 100)  # the last must be 100


def hashed(samples: np.ndarray, **options: object) -> str:
    data = encode_audio(samples, **options)  # type: ignore[arg-type]
    return AudioFpSignal.hash_audio(open_audio(data, MediaLimits())).value


def random_fingerprint(rng: np.random.Generator, count: int) -> str:
    return format_fingerprint(rng.integers(0, 2**32, count, dtype=np.uint64).astype(np.uint32))


@pytest.fixture(scope="module")
def fingerprints() -> dict[str, str]:
    """Real fingerprints: pieces, re-encoded copies, excerpts, silence, unrelated pieces."""
    pieces = {seed: synthetic_music(seed, 25) for seed in (31, 32, 33, 34)}
    found = {f"piece{seed}": hashed(samples) for seed, samples in pieces.items()}
    found["piece31-opus"] = hashed(pieces[31], codec="libopus", container="ogg", bit_rate=24_000)
    found["piece32-mp3"] = hashed(
        pieces[32][int(3.3 * MUSIC_RATE) :], codec="libmp3lame", container="mp3"
    )
    found["piece33-excerpt"] = hashed(pieces[33][int(8.1 * MUSIC_RATE) : int(18.1 * MUSIC_RATE)])
    found["silence"] = hashed(np.zeros(10 * MUSIC_RATE, np.float32))
    found["unrelated"] = hashed(synthetic_music(35, 15))
    return found


def brute_force(banked: dict[int, str], query: str, threshold: int) -> list[tuple[int, int]]:
    found = []
    for entry_id, value in banked.items():
        distance = AudioFpSignal.compare(query, value)
        if distance <= threshold:
            found.append((entry_id, distance))
    return sorted(found)


def check(index: AudioSegmentIndex, banked: dict[int, str], queries: list[str]) -> None:
    """The index gives, at every threshold, what comparing with each banked value gives."""
    assert len(index) == len(banked)
    for query in queries:
        distances = {entry_id: _distance(query, value) for entry_id, value in banked.items()}
        for threshold in THRESHOLDS:
            got = index.query_segments(query, threshold)
            expected = sorted((i, d) for i, d in distances.items() if d <= threshold)
            assert sorted((hit[0], hit[1]) for hit in got) == expected, f"at {threshold}"
        for entry_id, _, segments in got:  # at 100: every entry, with its segments
            assert list(segments) == _segments(query, banked[entry_id])


@functools.cache
def _distance(query: str, reference: str) -> int:
    return AudioFpSignal.compare(query, reference)


@functools.cache
def _segments(query: str, reference: str) -> list[Segment]:
    return segments_between(
        ItemTable.of(parse_fingerprint(query)), ItemTable.of(parse_fingerprint(reference))
    )


def test_audio_fp_has_a_segment_index() -> None:
    index = index_for(AudioFpSignal)
    assert isinstance(index, AudioSegmentIndex)
    assert isinstance(index, SegmentIndex)
    assert SEGMENT_INDEXES["audio_fp"] is AudioSegmentIndex


def test_index_agrees_with_compare_on_real_fingerprints(fingerprints: dict[str, str]) -> None:
    names = sorted(fingerprints)
    banked = {10 + n: fingerprints[name] for n, name in enumerate(names)}
    index = AudioSegmentIndex()
    index.add(list(banked), list(banked.values()))
    queries = list(fingerprints.values())
    check(index, banked, queries)

    # Remove a few (tombstones), then most (a compaction), then put some back changed.
    ids = sorted(banked)
    index.remove([ids[0], 999])
    del banked[ids[0]]
    check(index, banked, queries)
    index.remove(ids[1:6])
    for entry_id in ids[1:6]:
        del banked[entry_id]
    check(index, banked, queries)
    again = {ids[1]: fingerprints["piece31"], ids[-1]: fingerprints["piece32"]}
    index.add(list(again), list(again.values()))
    banked.update(again)
    check(index, banked, queries)
    index.prepare(AudioFpSignal.default_threshold)
    check(index, banked, queries)
    index.remove(list(banked))
    check(index, {}, queries)


def test_an_excerpt_is_found_where_it_is(fingerprints: dict[str, str]) -> None:
    index = AudioSegmentIndex()
    index.add(
        [1, 2, 3], [fingerprints["piece31"], fingerprints["piece33"], fingerprints["piece34"]]
    )
    [(entry_id, distance, segments)] = index.query_segments(fingerprints["piece33-excerpt"], 50)
    assert entry_id == 2
    assert distance <= 10
    top = max(segments, key=lambda s: s.score)
    assert top.reference_start - top.query_start == pytest.approx(8.1, abs=0.5)


def test_silence_is_held_but_never_found(fingerprints: dict[str, str]) -> None:
    index = AudioSegmentIndex()
    index.add([1, 2], [fingerprints["silence"], fingerprints["piece31"]])
    assert len(index) == 2
    assert index.query(fingerprints["silence"], 99) == []
    assert index.query(fingerprints["silence"], 100) == [(1, 100), (2, 100)]
    assert index.query(fingerprints["piece31"], 50) == [(2, 0)]


def test_a_long_bank_finds_the_one_it_copies(fingerprints: dict[str, str]) -> None:
    rng = np.random.default_rng(5)
    # 300 three-minute fingerprints (435,000 items), and the piece among them.
    banked = {n: random_fingerprint(rng, 1450) for n in range(1, 301)}
    banked[1000] = fingerprints["piece32"]
    index = AudioSegmentIndex()
    ids = list(banked)
    for start in range(0, len(ids), 50):  # in batches, as a bank grows
        chunk = ids[start : start + 50]
        index.add(chunk, [banked[i] for i in chunk])
    assert index.item_count >= 300 * 1400
    query = fingerprints["piece32-mp3"]
    hits = index.query_segments(query, AudioFpSignal.default_threshold)
    assert [(hit[0], hit[1]) for hit in hits] == brute_force(
        banked, query, AudioFpSignal.default_threshold
    )
    [(entry_id, distance, segments)] = hits
    assert entry_id == 1000
    assert distance <= 10
    top = max(segments, key=lambda s: s.score)
    assert top.reference_start - top.query_start == pytest.approx(3.3, abs=2 * ITEM_SECONDS)


def test_save_and_load_keep_every_entry(tmp_path: Path, fingerprints: dict[str, str]) -> None:
    index = AudioSegmentIndex()
    values = sorted(fingerprints.values())
    index.add(list(range(len(values))), values)
    index.remove([0])
    path = tmp_path / "audio.npz"
    index.save(path)
    loaded = AudioSegmentIndex.load(path)
    assert len(loaded) == len(index)
    for query in values:
        assert loaded.query_segments(query, 50) == index.query_segments(query, 50)
    empty = tmp_path / "empty.npz"
    AudioSegmentIndex().save(empty)
    assert len(AudioSegmentIndex.load(empty)) == 0


def test_the_last_value_given_for_an_id_wins(fingerprints: dict[str, str]) -> None:
    index = AudioSegmentIndex()
    index.add([1, 1], [fingerprints["piece31"], fingerprints["piece34"]])
    assert len(index) == 1
    assert index.query(fingerprints["piece34"], 50) == [(1, 0)]
    assert index.query(fingerprints["piece31"], 50) == []


def test_malformed_queries_and_values_are_refused() -> None:
    index = AudioSegmentIndex()
    with pytest.raises(InvalidInput):
        index.add([1], ["not a fingerprint"])
    index.add([1], [random_fingerprint(np.random.default_rng(1), 50)])
    with pytest.raises(InvalidInput):
        index.query("not a fingerprint", 50)
    with pytest.raises(ValueError, match="differ in length"):
        index.add([1, 2], ["x"])
