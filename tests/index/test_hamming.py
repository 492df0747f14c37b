"""The Hamming index: exact by construction, checked against a brute-force scan."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from fireline.index import HammingIndex, hex_to_words, index_for
from fireline.signals.pdq import PdqSignal
from fireline.testing import flip_bits, random_hex

A = "0000000000000000"
B = "0000000000000001"  # 1 bit from A
C = "00000000000000ff"  # 8 bits from A, 7 from B
D = "ffffffffffffffff"  # 64 bits from A


def brute_force(banked: dict[int, str], query: str, threshold: int) -> list[tuple[int, int]]:
    """Every (id, distance) within the threshold, nearest first, as a plain scan finds them."""
    found = [(i, (int(v, 16) ^ int(query, 16)).bit_count()) for i, v in banked.items()]
    return sorted(((i, d) for i, d in found if d <= threshold), key=lambda r: (r[1], r[0]))


def build(banked: dict[int, str], bits: int = 64) -> HammingIndex:
    index = HammingIndex(bits=bits)
    index.add(list(banked), list(banked.values()))
    return index


@pytest.mark.parametrize(
    ("banked", "query", "threshold", "expected"),
    [
        ({}, A, 64, []),
        ({1: A}, A, 0, [(1, 0)]),
        ({1: A}, B, 0, []),
        ({1: A}, B, 1, [(1, 1)]),
        ({1: A, 2: B, 3: C, 4: D}, A, 8, [(1, 0), (2, 1), (3, 8)]),
        ({1: A, 2: B, 3: C, 4: D}, B, 7, [(2, 0), (1, 1), (3, 7)]),
        ({1: A, 2: B, 3: C, 4: D}, D, 62, [(4, 0), (3, 56)]),
        ({1: A, 2: B, 3: C, 4: D}, D, 64, [(4, 0), (3, 56), (2, 63), (1, 64)]),
        ({9: A, 3: A, 5: A}, A, 0, [(3, 0), (5, 0), (9, 0)]),
        ({1: A}, A, -1, []),
        ({1: D}, A, 1000, [(1, 64)]),
    ],
)
def test_query_finds_every_hash_within_the_threshold_nearest_first(
    banked: dict[int, str], query: str, threshold: int, expected: list[tuple[int, int]]
) -> None:
    assert build(banked).query(query, threshold) == expected


@pytest.mark.parametrize(
    ("values", "bits", "expected"),
    [
        ([A], 64, [[0]]),
        ([B], 64, [[1]]),
        (["8000000000000000"], 64, [[1 << 63]]),
        (["00000000000000010000000000000002"], 128, [[1, 2]]),
        ([B, D], 64, [[1], [2**64 - 1]]),
        (["FFFFFFFFFFFFFFFF"], 64, [[2**64 - 1]]),
    ],
)
def test_hex_packs_into_big_endian_words(
    values: list[str], bits: int, expected: list[list[int]]
) -> None:
    words = hex_to_words(values, bits)
    assert words.dtype == np.uint64
    assert words.tolist() == expected


@pytest.mark.parametrize(
    ("ids", "values", "message"),
    [
        ([1], [A, B], "differ in length"),
        ([1], ["0" * 15], "64 bits of hex"),
        ([1], ["0" * 17], "64 bits of hex"),
        ([1, 2], [A + "00", A[:-2]], "64 bits of hex"),
        ([1], ["g" * 16], "non-hexadecimal"),
    ],
)
def test_malformed_additions_are_refused_and_change_nothing(
    ids: list[int], values: list[str], message: str
) -> None:
    index = build({7: A})
    with pytest.raises(ValueError, match=message):
        index.add(ids, values)
    assert len(index) == 1
    assert index.query(A, 64) == [(7, 0)]


@pytest.mark.parametrize("bits", [32, 63, 100, 257])
def test_bits_must_be_whole_words(bits: int) -> None:
    with pytest.raises(ValueError, match="multiple of 64"):
        HammingIndex(bits=bits)


def test_add_remove_and_re_add() -> None:
    index = build({1: A, 2: B, 3: C})
    index.remove([2])
    assert len(index) == 2
    assert index.query(B, 1) == [(1, 1)]
    index.add([2], [D])
    assert index.query(D, 0) == [(2, 0)]
    assert index.query(B, 0) == []
    index.add([1], [D])  # an id re-added with a new value moves
    assert index.query(D, 0) == [(1, 0), (2, 0)]
    assert index.query(A, 8) == [(3, 8)]
    assert len(index) == 3


def test_removing_unknown_ids_changes_nothing() -> None:
    index = build({1: A})
    index.remove([2, -1, 10**12])
    index.remove([])
    assert index.query(A, 0) == [(1, 0)]


def test_one_id_twice_in_a_batch_keeps_the_last_value() -> None:
    index = HammingIndex(bits=64)
    index.add([1, 1], [A, D])
    assert len(index) == 1
    assert index.query(A, 64) == [(1, 64)]
    index.remove([1])
    assert index.query(A, 64) == []


def test_compaction_drops_tombstones_and_keeps_answers() -> None:
    rng = random.Random(4)
    banked = {i: random_hex(rng, 64) for i in range(100)}
    index = build(banked)
    index.remove(list(range(20)))  # a fifth: tombstones stay
    assert index._size == 100
    index.remove(list(range(20, 25)))  # a quarter: compacted
    assert index._size == 75
    for i in range(25):
        del banked[i]
    for query in rng.sample(list(banked.values()), 10) + [random_hex(rng, 64)]:
        assert index.query(query, 20) == brute_force(banked, query, 20)
    index.add([0], [A])
    assert index.query(A, 0)[0] == (0, 0)


def test_grows_past_its_initial_capacity() -> None:
    rng = random.Random(5)
    index = HammingIndex(bits=64, capacity=4)
    banked: dict[int, str] = {}
    for start in range(0, 3000, 250):
        chunk = {i: random_hex(rng, 64) for i in range(start, start + 250)}
        index.add(list(chunk), list(chunk.values()))
        banked.update(chunk)
    assert len(index) == 3000
    for query in rng.sample(list(banked.values()), 5):
        assert index.query(query, 16) == brute_force(banked, query, 16)


@pytest.mark.parametrize("bits", [64, 128, 256])
def test_save_and_load_roundtrip_through_npz(tmp_path: Path, bits: int) -> None:
    rng = random.Random(bits)
    banked = {rng.randrange(10**9): random_hex(rng, bits) for _ in range(300)}
    index = HammingIndex(bits=bits)
    index.add(list(banked), list(banked.values()))
    gone = rng.sample(sorted(banked), 30)
    index.remove(gone)  # tombstones are not saved
    for entry_id in gone:
        del banked[entry_id]
    path = tmp_path / "bank.npz"
    index.save(path)

    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["ids", "words"]
        assert data["ids"].dtype == np.int64
        assert data["words"].shape == (270, bits // 64)
    loaded = HammingIndex.load(path, bits=bits)
    assert len(loaded) == 270
    queries = [flip_bits(v, 3, rng) for v in rng.sample(list(banked.values()), 10)]
    for query in queries:
        assert loaded.query(query, bits // 8) == index.query(query, bits // 8)
        assert loaded.query(query, bits // 8) == brute_force(banked, query, bits // 8)

    # The loaded index keeps working: removals and additions after a load.
    first = next(iter(banked))
    loaded.remove([first])
    assert loaded.query(banked[first], 0) == []
    loaded.add([first], [banked[first]])
    assert loaded.query(banked[first], 0)[0] == (first, 0)


def test_an_empty_index_saves_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "empty.npz"
    HammingIndex().save(path)
    loaded = HammingIndex.load(path)
    assert len(loaded) == 0
    assert loaded.query("0" * 64, 256) == []


def test_query_many_equals_repeated_query() -> None:
    rng = random.Random(6)
    banked = {i: random_hex(rng, 256) for i in range(500)}
    index = build(banked, bits=256)
    index.remove(list(range(0, 500, 7)))
    queries = [flip_bits(v, rng.randint(0, 40), rng) for v in rng.sample(list(banked.values()), 20)]
    queries += [random_hex(rng, 256) for _ in range(5)]
    assert index.query_many(queries, 31) == [index.query(q, 31) for q in queries]
    assert index.query_many([], 31) == []


@pytest.mark.parametrize(("bits", "threshold"), [(64, 8), (128, 20), (256, 31), (256, 100)])
def test_index_equals_brute_force_on_random_data(bits: int, threshold: int) -> None:
    rng = random.Random(bits * 1000 + threshold)
    banked = {rng.randrange(10**6): random_hex(rng, bits) for _ in range(1500)}
    # Clusters, so that queries find several neighbours at varied distances.
    for value in rng.sample(list(banked.values()), 100):
        banked[rng.randrange(10**6, 2 * 10**6)] = flip_bits(
            value, rng.randint(0, threshold + 5), rng
        )
    index = build(banked, bits=bits)
    queries = [
        flip_bits(v, rng.randint(0, threshold + 5), rng)
        for v in rng.sample(list(banked.values()), 40)
    ]
    queries += [random_hex(rng, bits) for _ in range(10)]
    for query, got in zip(queries, index.query_many(queries, threshold), strict=True):
        assert got == brute_force(banked, query, threshold)


def test_pdq_gets_a_256_bit_hamming_index() -> None:
    index = index_for(PdqSignal)
    assert isinstance(index, HammingIndex)
    assert index.bits == 256
