"""The exact index: identical values only, several ids per value, JSON on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fireline.index import ExactIndex, index_for
from fireline.signals.digests import Md5Signal, Sha256Signal

MD5_A = "900150983cd24fb0d6963f7d28e17f72"
MD5_B = "d41d8cd98f00b204e9800998ecf8427e"
MD5_C = "0cc175b9c0f1b6a831c399e269772661"


def build(banked: dict[int, str]) -> ExactIndex:
    index = ExactIndex()
    index.add(list(banked), list(banked.values()))
    return index


@pytest.mark.parametrize(
    ("banked", "query", "threshold", "expected"),
    [
        ({}, MD5_A, 0, []),
        ({1: MD5_A}, MD5_A, 0, [(1, 0)]),
        ({1: MD5_A}, MD5_B, 0, []),
        ({5: MD5_A, 2: MD5_A, 9: MD5_B}, MD5_A, 0, [(2, 0), (5, 0)]),
        ({1: MD5_A}, MD5_A, -1, []),
        # A wider threshold finds nothing more: a digest matches only when identical.
        ({1: MD5_A, 2: MD5_B}, MD5_A, 5, [(1, 0)]),
    ],
)
def test_query_finds_identical_values_by_id(
    banked: dict[int, str], query: str, threshold: int, expected: list[tuple[int, int]]
) -> None:
    assert build(banked).query(query, threshold) == expected


def test_add_remove_and_re_add() -> None:
    index = build({1: MD5_A, 2: MD5_A, 3: MD5_B})
    index.remove([1])
    assert index.query(MD5_A) == [(2, 0)]
    index.remove([2])
    assert index.query(MD5_A) == []
    index.add([1], [MD5_A])
    assert index.query(MD5_A) == [(1, 0)]
    index.add([3], [MD5_C])  # an id re-added with a new value moves
    assert index.query(MD5_B) == []
    assert index.query(MD5_C) == [(3, 0)]
    assert len(index) == 2


def test_removing_unknown_ids_changes_nothing() -> None:
    index = build({1: MD5_A})
    index.remove([2, -1])
    index.remove([])
    assert index.query(MD5_A) == [(1, 0)]
    assert len(index) == 1


def test_one_id_twice_in_a_batch_keeps_the_last_value() -> None:
    index = ExactIndex()
    index.add([1, 1], [MD5_A, MD5_B])
    assert len(index) == 1
    assert index.query(MD5_A) == []
    assert index.query(MD5_B) == [(1, 0)]


def test_mismatched_lengths_are_refused() -> None:
    index = build({1: MD5_A})
    with pytest.raises(ValueError, match="differ in length"):
        index.add([2, 3], [MD5_B])
    assert len(index) == 1


def test_save_and_load_roundtrip_through_json(tmp_path: Path) -> None:
    index = build({1: MD5_A, 2: MD5_A, 3: MD5_B, 4: MD5_C})
    index.remove([4])
    path = tmp_path / "bank.json"
    index.save(path)

    assert json.loads(path.read_text()) == {"1": MD5_A, "2": MD5_A, "3": MD5_B}
    loaded = ExactIndex.load(path)
    assert len(loaded) == 3
    for query in (MD5_A, MD5_B, MD5_C):
        assert loaded.query(query) == index.query(query)
    loaded.remove([1])
    assert loaded.query(MD5_A) == [(2, 0)]


def test_an_empty_index_saves_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    ExactIndex().save(path)
    assert len(ExactIndex.load(path)) == 0


@pytest.mark.parametrize("signal_type", [Md5Signal, Sha256Signal])
def test_digests_get_an_exact_index(signal_type: type[Md5Signal | Sha256Signal]) -> None:
    assert isinstance(index_for(signal_type), ExactIndex)
