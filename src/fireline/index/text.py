"""Index for text_minhash: LSH bands of every banked window, looked up in sorted arrays.

Each banked window contributes one key per band (band number and its 16-bit values).
A query looks its own windows' keys up by binary search, keeps the pairs that agree on
enough values (exactly the pairs ``text_sketch.brute_pairs`` keeps), and aligns them
into passages per banked text, as ``TextMinhashSignal.compare`` does.

Additions go into a new sorted chunk per ``add`` call; removals only forget the entry,
and its rows are skipped until the chunks are compacted (when there are too many chunks
or too many dead rows), so a new hash is matchable at once without a rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fireline.domain import Segment
from fireline.index.base import read_values, write_values
from fireline.signals.text_sketch import (
    BANDS,
    MIN_AGREEMENT,
    TextSketch,
    agreements,
    band_keys,
    decode,
    distance,
    encode,
    passages,
    segments,
)

#: Compact when more chunks than this exist, or more than this share of rows is dead.
MAX_CHUNKS = 8
MAX_DEAD_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class _Chunk:
    serial: int
    keys: npt.NDArray[np.uint64]  # sorted band keys
    key_rows: npt.NDArray[np.int64]  # the row each key belongs to
    row_entry: npt.NDArray[np.int64]
    row_window: npt.NDArray[np.int64]
    row_mins: npt.NDArray[np.uint16]


class TextSegmentIndex:
    """Finds banked texts that share passages with a query text."""

    def __init__(self) -> None:
        self._sketches: dict[int, TextSketch] = {}
        #: The chunk holding each live entry's rows.
        self._home: dict[int, int] = {}
        self._chunks: list[_Chunk] = []
        self._serial = 0
        self._rows = 0
        self._dead_rows = 0

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        batch = dict(zip(ids, (decode(v) for v in values), strict=True))  # last value wins
        self.remove(list(batch))
        if not batch:
            return
        self._serial += 1
        self._chunks.append(self._chunk(self._serial, batch))
        for entry_id, found in batch.items():
            self._sketches[entry_id] = found
            self._home[entry_id] = self._serial
        self._maybe_compact()

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            found = self._sketches.pop(entry_id, None)
            if found is not None:
                del self._home[entry_id]
                self._dead_rows += int(found.usable.sum())
        self._maybe_compact()

    def query(self, value: str, threshold: int) -> list[tuple[int, int]]:
        return [(entry_id, d) for entry_id, d, _ in self.query_segments(value, threshold)]

    def query_segments(
        self, value: str, threshold: int
    ) -> list[tuple[int, int, tuple[Segment, ...]]]:
        if threshold < 0 or not self._sketches:
            return []
        query = decode(value)
        q_rows = np.flatnonzero(query.usable)
        if len(q_rows) == 0:
            return []
        q_keys = band_keys(query.mins[q_rows]).reshape(-1)
        q_of_key = np.repeat(q_rows, BANDS)
        by_entry: dict[int, list[npt.NDArray[np.int64]]] = {}
        for chunk in self._chunks:
            qi, rj, agree, entries = self._pairs(chunk, query, q_keys, q_of_key)
            for entry_id in np.unique(entries).tolist():
                if self._home.get(entry_id) != chunk.serial:
                    continue  # removed, or re-added in a later chunk
                keep = entries == entry_id
                by_entry[entry_id] = [qi[keep], rj[keep], agree[keep]]
        found = []
        for entry_id, (qi, rj, agree) in sorted(by_entry.items()):
            reference = self._sketches[entry_id]
            runs = passages(qi, rj, agree)
            d = distance(reference, runs)
            if d <= threshold:
                found.append((entry_id, d, segments(query, reference, runs)))
        return sorted(found, key=lambda row: (row[1], row[0]))

    def _pairs(
        self,
        chunk: _Chunk,
        query: TextSketch,
        q_keys: npt.NDArray[np.uint64],
        q_of_key: npt.NDArray[np.int64],
    ) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]
    ]:
        """(query window, banked window, agreement, entry) of the chunk's paired windows."""
        lo = np.searchsorted(chunk.keys, q_keys, side="left")
        hi = np.searchsorted(chunk.keys, q_keys, side="right")
        counts = hi - lo
        hits = int(counts.sum())
        if hits == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        # Expand each key's range [lo, hi) into positions, without a Python loop.
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        positions = starts + np.arange(hits)
        q_idx = np.repeat(q_of_key, counts)
        rows = chunk.key_rows[positions]
        pair_ids = np.unique(q_idx * (len(chunk.row_entry) + 1) + rows)
        q_idx, rows = pair_ids // (len(chunk.row_entry) + 1), pair_ids % (len(chunk.row_entry) + 1)
        agree = agreements(query.mins[q_idx], chunk.row_mins[rows])
        keep = agree >= MIN_AGREEMENT
        rows = rows[keep]
        return q_idx[keep], chunk.row_window[rows], agree[keep], chunk.row_entry[rows]

    def prepare(self, threshold: int) -> None:
        """Nothing to build: chunks are sorted as they are added."""

    def __len__(self) -> int:
        return len(self._sketches)

    def save(self, path: Path) -> None:
        """Write the index as JSON (id -> canonical signal)."""
        write_values(path, {k: encode(v) for k, v in self._sketches.items()})

    @classmethod
    def load(cls, path: Path) -> TextSegmentIndex:
        index = cls()
        index.add(*read_values(path))
        return index

    def _chunk(self, serial: int, sketches: dict[int, TextSketch]) -> _Chunk:
        row_entry, row_window, row_mins = [], [], []
        for entry_id, found in sketches.items():
            windows = np.flatnonzero(found.usable)
            row_entry.append(np.full(len(windows), entry_id, dtype=np.int64))
            row_window.append(windows.astype(np.int64))
            row_mins.append(found.mins[windows])
        entries = np.concatenate(row_entry)
        mins = np.concatenate(row_mins) if row_mins else np.zeros((0, 32), dtype=np.uint16)
        keys = band_keys(mins).reshape(-1)
        key_rows = np.repeat(np.arange(len(entries), dtype=np.int64), BANDS)
        order = np.argsort(keys, kind="stable")
        self._rows += len(entries)
        return _Chunk(
            serial=serial,
            keys=keys[order],
            key_rows=key_rows[order],
            row_entry=entries,
            row_window=np.concatenate(row_window),
            row_mins=mins,
        )

    def _maybe_compact(self) -> None:
        too_many = len(self._chunks) > MAX_CHUNKS
        too_dead = self._rows and self._dead_rows > MAX_DEAD_SHARE * self._rows
        if not (too_many or too_dead):
            return
        self._chunks, self._rows, self._dead_rows = [], 0, 0
        if self._sketches:
            self._serial += 1
            self._chunks.append(self._chunk(self._serial, self._sketches))
            self._home = dict.fromkeys(self._sketches, self._serial)
