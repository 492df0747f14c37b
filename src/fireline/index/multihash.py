"""Multi-index hashing: exact Hamming range search that looks at a few rows, not all.

Split each hash into ``m`` chunks of 16 bits. If two hashes differ in at most ``t``
bits, at least one chunk differs in at most ``t // m`` bits (pigeonhole). So the rows
within ``t`` of a query are among the rows that share, in some chunk, a value within
``t // m`` bits of the query's chunk. For PDQ (256 bits, 16 chunks) and the default
threshold 31 that is 17 probes per chunk; candidates are then checked exactly, so the
result is the brute-force result (Norouzi, Punjani and Fleet, "Fast Search in Hamming
Space with Multi-Index Hashing", CVPR 2012).

The tables are built over a prefix of the index's rows; rows added later are scanned.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import numpy.typing as npt

CHUNK_BITS = 16
_VALUES = 1 << CHUNK_BITS
#: Beyond this many flipped bits per chunk the probes outnumber a scan's work.
MAX_RADIUS = 2

Rows = npt.NDArray[np.int64]


def _masks(radius: int) -> npt.NDArray[np.uint32]:
    """Every 16-bit mask with at most ``radius`` bits set."""
    masks = [0]
    for r in range(1, radius + 1):
        masks += [sum(1 << b for b in bits) for bits in combinations(range(CHUNK_BITS), r)]
    return np.asarray(masks, dtype=np.uint32)


_MASKS = [_masks(r) for r in range(MAX_RADIUS + 1)]


def chunks(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    """16-bit chunks of column-major words: shape (words * 4, rows)."""
    parts = [
        ((words >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.uint32)
        for shift in (48, 32, 16, 0)
    ]
    # Interleave so chunk k is bits [16k, 16k + 16) of the hash, most significant first.
    return np.stack(parts, axis=1).reshape(words.shape[0] * 4, -1)


def worth_probing(threshold: int, bits: int) -> bool:
    """Whether tables for ``bits``-bit hashes answer this threshold with few probes."""
    return threshold >= 0 and threshold // (bits // CHUNK_BITS) <= MAX_RADIUS


class ChunkTables:
    """For each chunk: the rows sorted by that chunk's value, and where each value starts."""

    def __init__(self, words: npt.NDArray[np.uint64]) -> None:
        table = chunks(words)
        self.rows: int = int(table.shape[1])
        self.count: int = int(table.shape[0])
        # 16-bit keys let numpy's stable sort use radix sort.
        order = np.argsort(table.astype(np.uint16), axis=1, kind="stable").astype(np.int32)
        starts = np.zeros((self.count, _VALUES + 1), dtype=np.int64)
        for k in range(self.count):
            np.cumsum(np.bincount(table[k], minlength=_VALUES), out=starts[k, 1:])
        # Flatten so one fancy-indexing pass serves every chunk.
        base = (np.arange(self.count, dtype=np.int64) * self.rows)[:, None]
        self._order = order.reshape(-1)
        self._starts = starts + base

    def radius_for(self, threshold: int) -> int:
        return threshold // self.count

    def candidates(self, query_words: npt.NDArray[np.uint64], threshold: int) -> Rows:
        """Rows that may lie within ``threshold`` of the query: a superset, with repeats."""
        radius = self.radius_for(threshold)
        query_chunks = chunks(query_words.reshape(-1, 1))[:, 0]
        probes = query_chunks[:, None] ^ _MASKS[radius][None, :]
        chunk_index = np.arange(self.count)[:, None]
        lo = self._starts[chunk_index, probes].reshape(-1)
        hi = self._starts[chunk_index, probes + 1].reshape(-1)
        lengths = hi - lo
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        # Concatenate the ranges [lo, hi) without a Python loop.
        ends = np.cumsum(lengths)
        positions = np.arange(total, dtype=np.int64) + np.repeat(lo - (ends - lengths), lengths)
        rows: Rows = self._order[positions].astype(np.int64)
        return rows
