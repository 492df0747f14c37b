"""Hamming-distance index: exact range search over packed 64-bit words.

Small indexes are scanned: a vectorised popcount with numpy's ``bitwise_count`` is the
brute force done in bulk. Words are stored column by column (all first words, then all
second words...), so each pass streams one contiguous array and accumulates 8-bit
counts: about ten times faster than a row-wise scan.

Large indexes add multi-index hashing tables (``multihash``) over their rows, so a query
verifies a few thousand candidates instead of every row; rows added since the tables
were built are scanned, and the tables are rebuilt once that tail grows. Both paths
return exactly what the brute force would.

Removals leave tombstones that are compacted away once they are a quarter of the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fireline.index.multihash import ChunkTables, worth_probing

_EMPTY = np.int64(-1)
#: Below this many rows a scan beats building and probing tables.
MULTIHASH_MIN_ROWS = 30_000


def hex_to_words(values: Sequence[str], bits: int) -> npt.NDArray[np.uint64]:
    """Pack hex strings into rows of big-endian 64-bit words."""
    nbytes = bits // 8
    # Check each value: a long one next to a short one would pass a total-length check
    # and shift every later row.
    if any(len(value) != nbytes * 2 for value in values):
        raise ValueError(f"every value must be {bits} bits of hex")
    raw = bytes.fromhex("".join(values))
    if len(raw) != nbytes * len(values):
        raise ValueError(f"every value must be {bits} bits of hex")
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(values), bits // 64)


class HammingIndex:
    """Finds every indexed hash within a Hamming distance of a query."""

    def __init__(
        self, bits: int = 256, capacity: int = 1024, *, multihash_min_rows: int = MULTIHASH_MIN_ROWS
    ) -> None:
        if bits % 64:
            raise ValueError("bits must be a multiple of 64")
        self.bits = bits
        # One row per 64-bit word position, one column per indexed hash.
        self._words = np.zeros((bits // 64, capacity), dtype=np.uint64)
        self._ids = np.full(capacity, _EMPTY, dtype=np.int64)
        self._size = 0
        self._row_of: dict[int, int] = {}
        self._tables: ChunkTables | None = None
        #: Size from which multi-index tables are used (tests lower it; None: never).
        self.multihash_min_rows: int | None = multihash_min_rows

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        if not ids:
            return
        if len(set(ids)) != len(ids):
            # The last value given for an id wins; a second row would outlive its removal.
            last = dict(zip(ids, values, strict=True))
            ids, values = list(last), list(last.values())
        words = hex_to_words(values, self.bits)
        self.remove(ids)
        self._reserve(self._size + len(ids))
        end = self._size + len(ids)
        self._words[:, self._size : end] = words.T
        self._ids[self._size : end] = np.asarray(ids, dtype=np.int64)
        for offset, entry_id in enumerate(ids):
            self._row_of[entry_id] = self._size + offset
        self._size = end

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            row = self._row_of.pop(entry_id, None)
            if row is not None:
                self._ids[row] = _EMPTY
        tombstones = self._size - len(self._row_of)
        if tombstones and tombstones * 4 >= self._size:
            self._compact()

    def query(self, value: str, threshold: int) -> list[tuple[int, int]]:
        return self.query_many([value], threshold)[0]

    def query_many(self, values: Sequence[str], threshold: int) -> list[list[tuple[int, int]]]:
        """Answer several queries; each result is sorted by distance, then id."""
        if not values:
            return []
        queries = hex_to_words(values, self.bits)
        tables = self._tables_for(threshold)
        return [self._query_words(q, threshold, tables) for q in queries]

    def prepare(self, threshold: int) -> None:
        """Build whatever speeds up queries at ``threshold`` now, rather than on first use."""
        self._tables_for(threshold)

    def _query_words(
        self, q: npt.NDArray[np.uint64], threshold: int, tables: ChunkTables | None
    ) -> list[tuple[int, int]]:
        if threshold < 0:
            return []
        if tables is None:
            rows, distances = self._scan(q, threshold, 0, self._size)
        else:
            candidates = tables.candidates(q, threshold)
            distances = self._distances(q, self._words[:, candidates])
            # A row can be a candidate through several chunks: keep it once.
            rows, first = np.unique(candidates[distances <= threshold], return_index=True)
            distances = distances[distances <= threshold][first]
            tail_rows, tail_distances = self._scan(q, threshold, tables.rows, self._size)
            rows = np.concatenate([rows, tail_rows])
            distances = np.concatenate([distances, tail_distances])
        ids = self._ids[rows]
        live = ids != _EMPTY
        ids, distances = ids[live], distances[live]
        order = np.lexsort((ids, distances))
        return [(int(i), int(d)) for i, d in zip(ids[order], distances[order], strict=True)]

    def _scan(
        self, q: npt.NDArray[np.uint64], threshold: int, start: int, end: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint16]]:
        """Rows in [start, end) within ``threshold`` of ``q``, and their distances."""
        size = end - start
        scratch = np.empty(size, dtype=np.uint64)
        counts = np.empty(size, dtype=np.uint8)
        distances = np.zeros(size, dtype=np.uint16)
        for word in range(self.bits // 64):
            np.bitwise_xor(self._words[word, start:end], q[word], out=scratch)
            np.bitwise_count(scratch, out=counts)
            np.add(distances, counts, out=distances)
        rows = np.flatnonzero(distances <= threshold)
        return rows.astype(np.int64) + start, distances[rows]

    @staticmethod
    def _distances(
        q: npt.NDArray[np.uint64], words: npt.NDArray[np.uint64]
    ) -> npt.NDArray[np.uint16]:
        xor = np.bitwise_xor(words, q[:, None])
        distances: npt.NDArray[np.uint16] = np.bitwise_count(xor).sum(axis=0, dtype=np.uint16)
        return distances

    def _tables_for(self, threshold: int) -> ChunkTables | None:
        """Multi-index tables worth using for this query, built or rebuilt when due."""
        minimum = self.multihash_min_rows
        if minimum is None or self._size < max(minimum, 1):
            return None
        if not worth_probing(threshold, self.bits):
            return None
        tables = self._tables
        if tables is None or self._size - tables.rows > max(minimum, tables.rows // 4):
            tables = ChunkTables(self._words[:, : self._size])
            self._tables = tables
        return tables

    def __len__(self) -> int:
        return len(self._row_of)

    def save(self, path: Path) -> None:
        """Write ids and packed words as a numpy .npz archive (no pickle)."""
        live = self._ids[: self._size] != _EMPTY
        with path.open("wb") as fh:
            np.savez(
                fh,
                ids=self._ids[: self._size][live],
                words=self._words[:, : self._size][:, live].T,
            )

    @classmethod
    def load(cls, path: Path, bits: int = 256) -> HammingIndex:
        with np.load(path, allow_pickle=False) as data:
            ids = data["ids"]
            words = data["words"]
        index = cls(bits=bits, capacity=max(1024, len(ids)))
        index._words[:, : len(ids)] = words.T
        index._ids[: len(ids)] = ids
        index._size = len(ids)
        index._row_of = {int(entry_id): row for row, entry_id in enumerate(ids)}
        return index

    def _reserve(self, needed: int) -> None:
        capacity = len(self._ids)
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2)
        words = np.zeros((self.bits // 64, new_capacity), dtype=np.uint64)
        words[:, : self._size] = self._words[:, : self._size]
        ids = np.full(new_capacity, _EMPTY, dtype=np.int64)
        ids[: self._size] = self._ids[: self._size]
        self._words, self._ids = words, ids

    def _compact(self) -> None:
        live = self._ids[: self._size] != _EMPTY
        count = int(live.sum())
        self._words[:, :count] = self._words[:, : self._size][:, live]
        self._ids[:count] = self._ids[: self._size][live]
        self._ids[count : self._size] = _EMPTY
        self._size = count
        self._tables = None
        self._row_of = {int(entry_id): row for row, entry_id in enumerate(self._ids[:count])}
