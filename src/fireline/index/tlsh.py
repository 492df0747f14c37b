"""Index for text_tlsh: every banked hash as a row of bytes, scanned on arrays.

TLSH distances have no structure a tree or bucket scheme exploits exactly, so a query
computes ``diffxlen`` against every row at once with numpy (a table lookup per body
byte): about a million banked hashes a second a core, and exactly what a brute-force
``tlsh.diffxlen`` scan returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fireline.index.base import read_values, write_values
from fireline.signals.text_tlsh import HASH_BYTES, distances, to_bytes


class TlshIndex:
    """Linear scan over banked TLSH hashes, rebuilt lazily after changes."""

    def __init__(self) -> None:
        self._by_id: dict[int, str] = {}
        self._ids: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._rows: npt.NDArray[np.uint8] = np.zeros((0, HASH_BYTES), dtype=np.uint8)
        self._stale = False

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        self._by_id.update(zip(ids, values, strict=True))
        self._stale = True

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            if self._by_id.pop(entry_id, None) is not None:
                self._stale = True

    def query(self, value: str, threshold: int) -> list[tuple[int, int]]:
        if threshold < 0 or not self._by_id:
            return []
        self.prepare(threshold)
        found = distances(to_bytes([value])[0], self._rows)
        hits = np.flatnonzero(found <= threshold)
        return sorted(
            zip(self._ids[hits].tolist(), found[hits].tolist(), strict=True),
            key=lambda row: (row[1], row[0]),
        )

    def prepare(self, threshold: int) -> None:
        """Lay the banked hashes out as one array (after changes)."""
        if self._stale:
            ids = sorted(self._by_id)
            self._ids = np.array(ids, dtype=np.int64)
            self._rows = to_bytes([self._by_id[i] for i in ids])
            self._stale = False

    def __len__(self) -> int:
        return len(self._by_id)

    def save(self, path: Path) -> None:
        """Write the index as JSON (id -> value)."""
        write_values(path, self._by_id)

    @classmethod
    def load(cls, path: Path) -> TlshIndex:
        index = cls()
        index.add(*read_values(path))
        return index
