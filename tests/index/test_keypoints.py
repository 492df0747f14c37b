"""The vORB keypoint index: sorted chunk tables and the scanned tail agree with compare."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from fireline.index import KeypointSegmentIndex, index_for
from fireline.signals.vorb import VorbSignal, format_vorb, parse_vorb
from tests.signals.test_vorb import moved, random_keyframes


def brute_force(banked: dict[int, str], query: str, threshold: int) -> list[tuple[int, int]]:
    found = [(i, VorbSignal.compare(query, v)) for i, v in banked.items()]
    return sorted(((i, d) for i, d in found if d <= threshold), key=lambda h: (h[1], h[0]))


@pytest.mark.parametrize("min_tail", [0, 300, 10**9])
def test_the_index_finds_exactly_what_compare_finds(min_tail: int) -> None:
    rng = random.Random(min_tail)
    index = KeypointSegmentIndex(min_tail=min_tail)
    originals = [format_vorb(random_keyframes(rng, rng.randint(3, 6))) for _ in range(12)]
    banked = {n + 1: value for n, value in enumerate(originals)}
    for entry_id, value in banked.items():
        index.add([entry_id], [value])
    queries = [format_vorb(moved(parse_vorb(v), rng)) for v in originals[:6]]
    queries += [format_vorb(random_keyframes(rng, 4))]

    def check() -> None:
        for query in queries:
            for threshold in (-1, 0, 25, 50, 99):
                assert index.query(query, threshold) == brute_force(banked, query, threshold)

    check()
    assert sum(1 for q in queries[:6] if index.query(q, 50)) >= 5

    # Removing some, then adding one back under its id with another value.
    index.remove([1, 2, 99])
    del banked[1], banked[2]
    check()
    index.add([2, 3], [originals[0], originals[4]])
    banked.update({2: originals[0], 3: originals[4]})
    check()
    index.prepare(50)
    check()
    assert len(index) == len(banked)
    keypoints = sum(len(f.points) for v in banked.values() for f in parse_vorb(v))
    assert index.keypoint_count == keypoints


def test_segments_say_where_the_copy_lies() -> None:
    rng = random.Random(5)
    frames = random_keyframes(rng, 8)
    index = KeypointSegmentIndex(min_tail=0)
    index.add([7], [format_vorb(frames)])
    # Seconds 3 to 6 of the reference, moved, as a 4-second query starting at 0.
    excerpt = [type(f)(f.timestamp - 3, f.points, f.descriptors) for f in moved(frames, rng)[3:7]]
    [(entry_id, distance, segments)] = index.query_segments(format_vorb(excerpt), 50)
    assert (entry_id, distance) == (7, 0)
    assert segments[0].reference_start == pytest.approx(3.0)
    assert segments[0].query_start == pytest.approx(0.0)


def test_the_index_is_the_one_index_for_vorb_and_saves_without_pickle(tmp_path: Path) -> None:
    index = index_for(VorbSignal)
    assert isinstance(index, KeypointSegmentIndex)
    value = format_vorb(random_keyframes(random.Random(9), 2))
    index.add([4], [value])
    path = tmp_path / "vorb.npz"
    index.save(path)
    with np.load(path, allow_pickle=False) as saved:
        assert saved["ids"].tolist() == [4]
        assert saved["descriptors"].shape == (sum(len(f.points) for f in parse_vorb(value)), 32)
