"""Multi-index hashing gives exactly the scan's answers, through growth and removals."""

from __future__ import annotations

import random

import numpy as np
import pytest

from fireline.index import HammingIndex
from fireline.index.hamming import hex_to_words
from fireline.index.multihash import _masks, chunks, worth_probing
from fireline.testing.contract import flip_bits, random_hex


def _pair(rows: int) -> tuple[HammingIndex, HammingIndex]:
    fast = HammingIndex(multihash_min_rows=rows)
    scan = HammingIndex(multihash_min_rows=None)
    return fast, scan


def _apply(indexes: tuple[HammingIndex, ...], ids: list[int], values: list[str]) -> None:
    for index in indexes:
        index.add(ids, values)


@pytest.mark.parametrize("seed", [1, 2])
def test_multihash_equals_scan_as_the_index_changes(seed: int) -> None:
    rng = random.Random(seed)
    fast, scan = _pair(rows=500)
    base = [random_hex(rng, 256) for _ in range(2000)]
    # Clusters of near-duplicates make many candidates share chunks.
    values = base + [flip_bits(v, rng.randrange(40), rng) for v in base[:300]]
    _apply((fast, scan), list(range(len(values))), values)
    queries = [flip_bits(base[i], rng.randrange(50), rng) for i in range(60)]
    queries += [random_hex(rng, 256) for _ in range(10)]

    def agree() -> None:
        for threshold in (0, 1, 15, 16, 31, 32, 47, 48, 70):
            assert fast.query_many(queries, threshold) == scan.query_many(queries, threshold)

    agree()
    assert fast._tables is not None
    # Rows added after the tables were built are found through the scanned tail...
    tail = [flip_bits(v, 3, rng) for v in base[:100]]
    _apply((fast, scan), list(range(10_000, 10_100)), tail)
    agree()
    # ...removed rows vanish, re-added ids move, and compaction rebuilds the tables.
    for index in (fast, scan):
        index.remove(list(range(0, 2300, 2)))
    agree()
    _apply((fast, scan), [1, 3, 5], [base[10], base[11], base[12]])
    agree()


def test_tables_are_rebuilt_when_the_tail_grows() -> None:
    rng = random.Random(3)
    fast, _ = _pair(rows=100)
    fast.add(list(range(200)), [random_hex(rng, 256) for _ in range(200)])
    fast.query(random_hex(rng, 256), 31)
    assert fast._tables is not None and fast._tables.rows == 200
    fast.add(list(range(200, 500)), [random_hex(rng, 256) for _ in range(300)])
    fast.query(random_hex(rng, 256), 31)
    assert fast._tables.rows == 500


@pytest.mark.parametrize(
    ("threshold", "bits", "expected"),
    [
        (-1, 256, False),
        (0, 256, True),
        (31, 256, True),
        (47, 256, True),
        (48, 256, False),
        (11, 64, True),
        (12, 64, False),
    ],
)
def test_probing_is_used_only_where_it_pays(threshold: int, bits: int, expected: bool) -> None:
    assert worth_probing(threshold, bits) is expected


@pytest.mark.parametrize(("radius", "count"), [(0, 1), (1, 17), (2, 137)])
def test_probe_masks_cover_every_value_within_the_radius(radius: int, count: int) -> None:
    masks = _masks(radius)
    assert len(masks) == len(set(masks.tolist())) == count
    assert all(bin(int(m)).count("1") <= radius for m in masks)


def test_chunks_are_the_hash_in_16_bit_pieces() -> None:
    value = "".join(f"{k:04x}" for k in range(16))
    words = hex_to_words([value], 256).T
    assert chunks(np.ascontiguousarray(words))[:, 0].tolist() == list(range(16))
