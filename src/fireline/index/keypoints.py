"""The keypoint index for vORB: every banked keypoint in one table per run of bits.

A vORB candidate pair shares at least one of fourteen 18-bit runs of its descriptors
exactly (``fireline.signals.vorb``), so each run gets a table of the banked keypoints
sorted by that run's value; a query looks each of its keypoints up in all of them (a
binary search each), keeps the pairs within ``DESCRIPTOR_DISTANCE`` bits, groups them by
entry, and verifies and aligns each entry's pairs with the same code as
``VorbSignal.compare``. The pairs are exactly the brute force's, so the segments and
distances are too.

Keypoints added since the tables were sorted sit in a small tail that is scanned by brute
force; the tables are rebuilt once it holds ``MIN_TAIL`` keypoints. Removed entries' keypoints are
dropped at the next rebuild and skipped until then.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fireline.index.segments import SegmentHit
from fireline.signals.alignment import segment_distance
from fireline.signals.vorb import (
    CHUNKS,
    DESCRIPTOR_DISTANCE,
    MIN_INLIERS,
    KeyframeTable,
    candidate_pairs,
    chunks,
    descriptor_distances,
    matched_frames,
    parse_vorb,
    segments_from_frames,
)

Ints = npt.NDArray[np.int64]
#: The tail is scanned by brute force until it holds this many keypoints (about two
#: minutes of video): a scan costs a distance per (query, tail) keypoint pair.
MIN_TAIL = 4_096
#: Cells of the bitmap that folds repeated pairs (bytes of memory).
BITMAP_CELLS = 1 << 25


class KeypointSegmentIndex:
    """Finds the banked videos a query copies from, and where, by their keypoints."""

    def __init__(self, *, min_tail: int = MIN_TAIL) -> None:
        self.min_tail = min_tail
        self._tables: dict[int, KeyframeTable] = {}
        # Sorted part: keypoint rows, their entries, and per chunk the rows' order.
        self._sorted_entries: list[int] = []
        self._sorted_set: set[int] = set()
        self._descriptors = np.zeros((0, 32), np.uint8)
        self._row_entry: Ints = np.zeros(0, np.int64)
        self._row_local: Ints = np.zeros(0, np.int64)
        self._order: list[Ints] = []
        self._keys: list[npt.NDArray[np.uint32]] = []
        # Entries added since the sort (scanned), and entries removed since (skipped).
        self._tail: list[int] = []
        self._tail_keypoints = 0
        self._removed: set[int] = set()

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        last = dict(zip(ids, values, strict=True))  # the last value given for an id wins
        tables = {entry_id: KeyframeTable.of(parse_vorb(value)) for entry_id, value in last.items()}
        self.remove(list(last))
        for entry_id, table in tables.items():
            # A sorted copy of an entry added again stays skipped (removed) until the rebuild.
            self._tables[entry_id] = table
            self._tail.append(entry_id)
            self._tail_keypoints += len(table.descriptors)
        if self._tail_keypoints >= self.min_tail:
            self._rebuild()

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            table = self._tables.pop(entry_id, None)
            if table is None:
                continue
            if entry_id in self._tail:
                self._tail.remove(entry_id)
                self._tail_keypoints -= len(table.descriptors)
            if entry_id in self._sorted_set:
                self._removed.add(entry_id)

    def query(self, value: str, threshold: int) -> list[tuple[int, int]]:
        return [
            (entry_id, distance) for entry_id, distance, _ in self.query_segments(value, threshold)
        ]

    def query_segments(self, value: str, threshold: int) -> list[SegmentHit]:
        """Every entry the query copies from with a distance at most ``threshold``."""
        if threshold < 0 or not self._tables:
            return []
        query = KeyframeTable.of(parse_vorb(value))
        if len(query.descriptors) == 0:
            return []
        by_entry = self._sorted_candidates(query)
        for entry_id in self._tail:
            by_entry.pop(entry_id, None)
            rows, columns, distances = candidate_pairs(
                query.descriptors, self._tables[entry_id].descriptors
            )
            if len(rows):
                by_entry[entry_id] = (rows, columns, distances)
        hits: list[SegmentHit] = []
        for entry_id, (rows, columns, distances) in sorted(by_entry.items()):
            if len(rows) < MIN_INLIERS:
                continue
            table = self._tables[entry_id]
            matched = matched_frames(
                query,
                rows,
                table.frame[columns],
                table.place[columns],
                table.points[columns],
                distances,
            )
            segments = segments_from_frames(query, table.times, table.timeline, matched)
            distance = segment_distance(segments)
            if segments and distance <= threshold:
                kept = tuple(s for s in segments if 100 - s.score <= threshold)
                hits.append((entry_id, distance, kept))
        hits.sort(key=lambda hit: (hit[1], hit[0]))
        return hits

    def _sorted_candidates(self, query: KeyframeTable) -> dict[int, tuple[Ints, Ints, Ints]]:
        """Candidate pairs with the sorted keypoints, per entry (local keypoint rows)."""
        if len(self._descriptors) == 0:
            return {}
        query_chunks = chunks(query.descriptors)
        size = len(self._descriptors)
        # A pair turns up once per run it shares: marks in a (query rows x rows) bitmap
        # fold the repeats, a block of query rows at a time so the bitmap stays small.
        block = max(1, BITMAP_CELLS // size)
        found_query: list[Ints] = []
        found_rows: list[Ints] = []
        for first in range(0, len(query_chunks), block):
            part = query_chunks[first : first + block]
            seen = np.zeros(len(part) * size, dtype=bool)
            for position in range(CHUNKS):
                keys = self._keys[position]
                low = np.searchsorted(keys, part[:, position], side="left")
                high = np.searchsorted(keys, part[:, position], side="right")
                counts = high - low
                total = int(counts.sum())
                if total == 0:
                    continue
                offsets = np.repeat(low - (np.cumsum(counts) - counts), counts)
                rows = self._order[position][offsets + np.arange(total)]
                seen[np.repeat(np.arange(len(part), dtype=np.int64), counts) * size + rows] = True
            cells = np.flatnonzero(seen)
            found_query.append(cells // size + first)
            found_rows.append(cells % size)
        query_rows, rows = np.concatenate(found_query), np.concatenate(found_rows)
        if len(rows) == 0:
            return {}
        distances = descriptor_distances(query.descriptors[query_rows], self._descriptors[rows])
        close = distances <= DESCRIPTOR_DISTANCE
        query_rows, rows, distances = query_rows[close], rows[close], distances[close]
        entries = self._row_entry[rows]
        grouped: dict[int, tuple[Ints, Ints, Ints]] = {}
        for entry_id in np.unique(entries).tolist():
            if entry_id in self._removed:
                continue
            mine = entries == entry_id
            grouped[entry_id] = (query_rows[mine], self._row_local[rows[mine]], distances[mine])
        return grouped

    def _rebuild(self) -> None:
        entries = [e for e in self._sorted_entries if e not in self._removed] + self._tail
        tables = [self._tables[e] for e in entries]
        self._sorted_entries = entries
        self._sorted_set = set(entries)
        if tables:
            self._descriptors = np.concatenate([t.descriptors for t in tables])
            self._row_entry = np.repeat(
                np.array(entries, dtype=np.int64), [len(t.descriptors) for t in tables]
            )
            self._row_local = np.concatenate(
                [np.arange(len(t.descriptors), dtype=np.int64) for t in tables]
            )
        else:
            self._descriptors = np.zeros((0, 32), np.uint8)
            self._row_entry = self._row_local = np.zeros(0, np.int64)
        keyed = chunks(self._descriptors)
        self._order = [
            np.argsort(keyed[:, p], kind="stable").astype(np.int64) for p in range(CHUNKS)
        ]
        self._keys = [keyed[order, p] for p, order in enumerate(self._order)]
        self._tail = []
        self._tail_keypoints = 0
        self._removed = set()

    def prepare(self, threshold: int) -> None:
        if self._tail or self._removed:
            self._rebuild()

    def __len__(self) -> int:
        return len(self._tables)

    @property
    def keypoint_count(self) -> int:
        """How many keypoints the index holds."""
        return sum(len(t.descriptors) for t in self._tables.values())

    def save(self, path: Path) -> None:
        """Write the entries' ids and keypoint descriptors as a numpy archive (no pickle)."""
        ids = np.array(list(self._tables), dtype=np.int64)
        lengths = np.array([len(t.descriptors) for t in self._tables.values()], dtype=np.int64)
        descriptors = (
            np.concatenate([t.descriptors for t in self._tables.values()])
            if self._tables
            else np.zeros((0, 32), np.uint8)
        )
        with path.open("wb") as fh:
            np.savez(fh, ids=ids, lengths=lengths, descriptors=descriptors)
