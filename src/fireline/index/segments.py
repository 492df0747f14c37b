"""The frame-hash index for video: every banked frame in one Hamming index, aligned per entry.

Each usable frame (PDQ quality 50 or more) of each banked ``vpdq`` signal is a row of a
``HammingIndex`` (the photo index, multi-index hashing included), remembered with its
entry and time. A query looks up each of its own frames once, groups the frames found
by entry, and aligns each entry's pairs in time (``fireline.signals.alignment``), so a
20-second excerpt is localised in a bank of a thousand hours by a few thousand lookups
rather than a comparison with every video. The pairs are exactly those a brute-force
comparison finds, so the segments and distances are exactly ``VpdqSignal.compare``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fireline.domain import Segment
from fireline.index.hamming import HammingIndex
from fireline.signals.alignment import Pairs, Timeline, find_segments, segment_distance
from fireline.signals.vpdq import FRAME_DISTANCE, FrameTable, parse_vpdq

#: One query's matching frames, per entry: (entry id, distance, segments).
SegmentHit = tuple[int, int, tuple[Segment, ...]]


class FrameSegmentIndex:
    """Finds the banked videos a query copies from, and where, by their frame hashes."""

    def __init__(self, *, multihash_min_rows: int | None = None) -> None:
        self._frames = HammingIndex(bits=256)
        if multihash_min_rows is not None:
            self._frames.multihash_min_rows = multihash_min_rows
        self._next_row = 0
        #: Per frame row: its entry and time (grown in chunks, indexed by row number).
        self._row_entry = np.zeros(1024, dtype=np.int64)
        self._row_time = np.zeros(1024, dtype=np.float64)
        #: Per entry: its frame rows and its timeline.
        self._rows_of: dict[int, npt.NDArray[np.int64]] = {}
        self._timeline_of: dict[int, Timeline] = {}

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        last = dict(zip(ids, values, strict=True))  # the last value given for an id wins
        self.remove(list(last))
        tables = {entry_id: FrameTable.of(parse_vpdq(value)) for entry_id, value in last.items()}
        total = sum(len(table.times) for table in tables.values())
        self._reserve(self._next_row + total)
        rows: list[int] = []
        hexes: list[str] = []
        for entry_id, table in tables.items():
            count = len(table.times)
            start = self._next_row
            entry_rows = np.arange(start, start + count, dtype=np.int64)
            self._row_entry[start : start + count] = entry_id
            self._row_time[start : start + count] = table.times
            self._rows_of[entry_id] = entry_rows
            self._timeline_of[entry_id] = table.timeline
            self._next_row += count
            rows.extend(entry_rows.tolist())
            hexes.extend(table.hexes)
        self._frames.add(rows, hexes)

    def remove(self, ids: Sequence[int]) -> None:
        gone: list[int] = []
        for entry_id in ids:
            rows = self._rows_of.pop(entry_id, None)
            if rows is not None:
                self._timeline_of.pop(entry_id, None)
                gone.extend(rows.tolist())
        if gone:
            self._frames.remove(gone)

    def query(self, value: str, threshold: int) -> list[tuple[int, int]]:
        return [
            (entry_id, distance) for entry_id, distance, _ in self.query_segments(value, threshold)
        ]

    def query_segments(self, value: str, threshold: int) -> list[SegmentHit]:
        """Every entry the query copies from with a distance at most ``threshold``."""
        if threshold < 0 or not self._rows_of:
            return []
        query = FrameTable.of(parse_vpdq(value))
        if not query.hexes:
            return []
        found = self._frames.query_many(query.hexes, FRAME_DISTANCE)
        query_frames: list[int] = []
        rows: list[int] = []
        distances: list[int] = []
        for frame, hits in enumerate(found):
            for row, distance in hits:
                query_frames.append(frame)
                rows.append(row)
                distances.append(distance)
        if not rows:
            return []
        frame_array = np.asarray(query_frames, dtype=np.int64)
        row_array = np.asarray(rows, dtype=np.int64)
        distance_array = np.asarray(distances, dtype=np.int64)
        entries = self._row_entry[row_array]
        hits_out: list[SegmentHit] = []
        for entry_id in np.unique(entries).tolist():
            mine = entries == entry_id
            pairs = Pairs(
                query_frame=frame_array[mine],
                query_time=query.times[frame_array[mine]],
                reference_time=self._row_time[row_array[mine]],
                distance=distance_array[mine],
            )
            segments = find_segments(pairs, query.timeline, self._timeline_of[entry_id])
            distance = segment_distance(segments)
            if segments and distance <= threshold:
                # Chance alignments beside the real one are not worth reporting.
                kept = tuple(s for s in segments if 100 - s.score <= threshold)
                hits_out.append((entry_id, distance, kept))
        hits_out.sort(key=lambda hit: (hit[1], hit[0]))
        return hits_out

    def prepare(self, threshold: int) -> None:
        self._frames.prepare(FRAME_DISTANCE)

    def __len__(self) -> int:
        return len(self._rows_of)

    @property
    def frame_count(self) -> int:
        """How many frames the index holds."""
        return len(self._frames)

    def save(self, path: Path) -> None:
        """Write the frame rows (ids, packed hashes) as a numpy archive (no pickle)."""
        self._frames.save(path)

    def _reserve(self, needed: int) -> None:
        capacity = len(self._row_entry)
        if needed <= capacity:
            return
        size = max(needed, 2 * capacity)
        entry = np.zeros(size, dtype=np.int64)
        time = np.zeros(size, dtype=np.float64)
        entry[: self._next_row] = self._row_entry[: self._next_row]
        time[: self._next_row] = self._row_time[: self._next_row]
        self._row_entry, self._row_time = entry, time
