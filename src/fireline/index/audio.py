"""The fingerprint-item index for audio: every banked item in sorted runs, aligned per entry.

``audio_fp`` pairs items at most ``ITEM_DISTANCE`` (2) bits apart. There are only 529
32-bit values that close to any item, so the index looks every one of them up, exactly,
in sorted arrays of the banked items (``numpy.searchsorted``): a 20-second query (160
items) costs some 85,000 binary searches, whatever the bank holds, and finds exactly
the pairs a brute-force comparison finds. A Hamming scan would read every banked item
per query item, and multi-index hashing would split 32 bits into chunks of 10 or 11
bits, each matching a thousandth of a large bank.

The pairs are grouped by entry and aligned and scored by the very code ``compare``
uses (``fireline.signals.audio_fp.align``), so the distances and segments are exactly
``AudioFpSignal.compare``'s.

Additions go to a new sorted run; runs of similar size are merged (as in a log-structured
merge tree), so adding is cheap and there are few runs to search. Removals mark the
entry's rows dead; the runs are rewritten without them once they are a quarter of all
rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fireline.domain import Segment
from fireline.signals.alignment import segment_distance
from fireline.signals.audio_fp import (
    ITEM_DISTANCE,
    MIN_SEGMENT_ITEMS,
    ItemTable,
    align,
    item_table,
    parse_fingerprint,
)

#: One query's result per entry: (entry id, distance, segments).
AudioHit = tuple[int, int, tuple[Segment, ...]]


def _ball(radius: int) -> npt.NDArray[np.uint32]:
    """Every 32-bit mask with at most ``radius`` bits set: XOR with one, get a neighbour."""
    masks = [0]
    for count in range(1, radius + 1):
        for bits in itertools.combinations(range(32), count):
            masks.append(sum(1 << bit for bit in bits))
    return np.array(masks, dtype=np.uint32)


_MASKS = _ball(ITEM_DISTANCE)


@dataclass(frozen=True, slots=True)
class _Run:
    """Banked items sorted by value, with the entry slot and usable-item row of each."""

    values: npt.NDArray[np.uint32]
    slots: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int32]

    @classmethod
    def merged(cls, runs: Sequence[_Run], alive: npt.NDArray[np.bool_]) -> _Run:
        values = np.concatenate([run.values for run in runs])
        slots = np.concatenate([run.slots for run in runs])
        rows = np.concatenate([run.rows for run in runs])
        keep = alive[slots]
        values, slots, rows = values[keep], slots[keep], rows[keep]
        order = np.argsort(values, kind="stable")
        return cls(values[order], slots[order], rows[order])


class AudioSegmentIndex:
    """Finds the banked audio a query copies from, and where, by its fingerprint items."""

    def __init__(self) -> None:
        self._runs: list[_Run] = []
        #: Per entry slot (a new one each time an entry is added): alive, and its table.
        self._alive = np.zeros(1024, dtype=bool)
        self._table_of_slot: dict[int, ItemTable] = {}
        self._next_slot = 0
        #: Per entry id: its slot and its full items (for save).
        self._slot_of: dict[int, int] = {}
        self._items_of: dict[int, npt.NDArray[np.uint32]] = {}
        self._dead_rows = 0

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        last = dict(zip(ids, values, strict=True))  # the last value given for an id wins
        self._add_items({entry_id: parse_fingerprint(value) for entry_id, value in last.items()})

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            slot = self._slot_of.pop(entry_id, None)
            if slot is None:
                continue
            self._items_of.pop(entry_id)
            table = self._table_of_slot.pop(slot)
            self._alive[slot] = False
            if table.matchable:
                self._dead_rows += len(table.items)
        total = sum(len(run.values) for run in self._runs)
        if self._dead_rows and self._dead_rows * 4 >= total:
            self._runs = [_Run.merged(self._runs, self._alive)] if total > self._dead_rows else []
            self._dead_rows = 0

    def query(self, value: str, threshold: int) -> list[tuple[int, int]]:
        return [
            (entry_id, distance) for entry_id, distance, _ in self.query_segments(value, threshold)
        ]

    def query_segments(self, value: str, threshold: int) -> list[AudioHit]:
        """Every entry the query copies from with a distance at most ``threshold``."""
        if threshold < 0 or not self._slot_of:
            return []
        query = item_table(value)
        if not query.matchable:
            return [(entry_id, 100, ()) for entry_id in self._slot_of] if threshold >= 100 else []
        query_rows, slots, rows = self._pairs(query.items)
        order = np.lexsort((query_rows, slots))
        query_rows, slots, rows = query_rows[order], slots[order], rows[order]
        entry_of = {slot: entry_id for entry_id, slot in self._slot_of.items()}
        groups = np.flatnonzero(np.diff(slots)) + 1  # where the next entry's pairs start
        hits: list[AudioHit] = []
        for mine, theirs, slot in zip(
            np.split(query_rows, groups),
            np.split(rows, groups),
            np.split(slots, groups),
            strict=True,
        ):
            # Too few distinct query items to make a segment: skip the alignment.
            if len(mine) == 0 or np.count_nonzero(np.diff(mine)) + 1 < MIN_SEGMENT_ITEMS:
                continue
            table = self._table_of_slot[int(slot[0])]
            segments = align(query, mine, theirs.astype(np.intp), table)
            distance = segment_distance(segments)
            if segments and distance <= threshold:
                hits.append((entry_of[int(slot[0])], distance, tuple(segments)))
        if threshold >= 100:
            # Everything is within 100 of everything: the rest match nowhere, at 100.
            found = {hit[0] for hit in hits}
            hits += [(entry_id, 100, ()) for entry_id in self._slot_of if entry_id not in found]
        hits.sort(key=lambda hit: (hit[1], hit[0]))
        return hits

    def prepare(self, threshold: int) -> None:
        """Merge every run into one, so a query searches a single sorted array."""
        if len(self._runs) > 1:
            self._runs = [_Run.merged(self._runs, self._alive)]
            self._dead_rows = 0

    def __len__(self) -> int:
        return len(self._slot_of)

    @property
    def item_count(self) -> int:
        """How many usable items the index searches (dead rows not yet compacted excluded)."""
        return sum(len(run.values) for run in self._runs) - self._dead_rows

    def save(self, path: Path) -> None:
        """Write the entries' ids and fingerprint items as a numpy archive (no pickle)."""
        ids = np.array(list(self._items_of), dtype=np.int64)
        lengths = np.array([len(items) for items in self._items_of.values()], dtype=np.int64)
        items = (
            np.concatenate(list(self._items_of.values()))
            if self._items_of
            else np.zeros(0, dtype=np.uint32)
        )
        with path.open("wb") as fh:
            np.savez(fh, ids=ids, lengths=lengths, items=items)

    @classmethod
    def load(cls, path: Path) -> AudioSegmentIndex:
        """Read an index written by ``save``."""
        with np.load(path, allow_pickle=False) as data:
            ids, lengths, items = data["ids"], data["lengths"], data["items"]
        index = cls()
        splits = np.split(items.astype(np.uint32), np.cumsum(lengths)[:-1]) if len(ids) else []
        index._add_items({int(i): part for i, part in zip(ids, splits, strict=True)})
        return index

    def _add_items(self, by_id: dict[int, npt.NDArray[np.uint32]]) -> None:
        self.remove(list(by_id))
        values: list[npt.NDArray[np.uint32]] = []
        slots: list[npt.NDArray[np.int64]] = []
        rows: list[npt.NDArray[np.int32]] = []
        for entry_id, items in by_id.items():
            slot = self._new_slot()
            table = ItemTable.of(items)
            self._slot_of[entry_id] = slot
            self._items_of[entry_id] = items
            self._table_of_slot[slot] = table
            if table.matchable:  # too few usable items never make a segment
                values.append(table.items)
                slots.append(np.full(len(table.items), slot, dtype=np.int64))
                rows.append(np.arange(len(table.items), dtype=np.int32))
        if values:
            run = _Run(np.concatenate(values), np.concatenate(slots), np.concatenate(rows))
            self._runs.append(_Run.merged([run], self._alive))
            # Merge while the newest run is at least half the size of the one before it.
            while len(self._runs) > 1 and 2 * len(self._runs[-1].values) >= len(
                self._runs[-2].values
            ):
                self._merge_last_two()

    def _merge_last_two(self) -> None:
        merged = _Run.merged(self._runs[-2:], self._alive)
        dropped = sum(len(run.values) for run in self._runs[-2:]) - len(merged.values)
        self._dead_rows -= dropped
        self._runs[-2:] = [merged]

    def _new_slot(self) -> int:
        slot = self._next_slot
        self._next_slot += 1
        if slot >= len(self._alive):
            grown = np.zeros(2 * len(self._alive), dtype=bool)
            grown[: len(self._alive)] = self._alive
            self._alive = grown
        self._alive[slot] = True
        return slot

    def _pairs(
        self, items: npt.NDArray[np.uint32]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        """(query row, entry slot, entry row) of every live banked item within reach."""
        distinct, first_of = np.unique(items, return_inverse=True)
        keys = (distinct[:, np.newaxis] ^ _MASKS[np.newaxis, :]).ravel()
        key_value = np.repeat(np.arange(len(distinct)), len(_MASKS))
        found_value: list[npt.NDArray[np.intp]] = []
        found_slot: list[npt.NDArray[np.int64]] = []
        found_row: list[npt.NDArray[np.int32]] = []
        for run in self._runs:
            low = np.searchsorted(run.values, keys, side="left")
            high = np.searchsorted(run.values, keys, side="right")
            counts = high - low
            total = int(counts.sum())
            if total == 0:
                continue
            hit = np.flatnonzero(counts)
            counts, low = counts[hit], low[hit]
            at = np.repeat(low - np.cumsum(counts) + counts, counts) + np.arange(total)
            live = self._alive[run.slots[at]]
            found_value.append(np.repeat(key_value[hit], counts)[live])
            found_slot.append(run.slots[at][live])
            found_row.append(run.rows[at][live])
        if not found_value:
            empty = np.zeros(0, dtype=np.intp)
            return empty, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        value_of_pair = np.concatenate(found_value)
        slots = np.concatenate(found_slot)
        rows = np.concatenate(found_row)
        # Expand distinct values back to every query row holding one.
        by_value = np.argsort(first_of, kind="stable")
        starts = np.searchsorted(first_of[by_value], np.arange(len(distinct)), side="left")
        copies = np.bincount(first_of, minlength=len(distinct))
        per_pair = copies[value_of_pair]
        total = int(per_pair.sum())
        offsets = np.arange(total) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
        query_rows = by_value[np.repeat(starts[value_of_pair], per_pair) + offsets]
        return (
            query_rows.astype(np.intp),
            np.repeat(slots, per_pair),
            np.repeat(rows, per_pair),
        )
