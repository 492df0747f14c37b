"""Exact-match index: a dictionary from canonical value to entry ids."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fireline.index.base import read_values, write_values


class ExactIndex:
    """For digests and other signals that match only when identical."""

    def __init__(self) -> None:
        self._by_value: dict[str, set[int]] = {}
        self._by_id: dict[int, str] = {}

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        if len(ids) != len(values):
            raise ValueError("ids and values differ in length")
        for entry_id, value in zip(ids, values, strict=True):
            self.remove([entry_id])
            self._by_value.setdefault(value, set()).add(entry_id)
            self._by_id[entry_id] = value

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            value = self._by_id.pop(entry_id, None)
            if value is None:
                continue
            holders = self._by_value[value]
            holders.discard(entry_id)
            if not holders:
                del self._by_value[value]

    def query(self, value: str, threshold: int = 0) -> list[tuple[int, int]]:
        if threshold < 0:
            return []
        return [(entry_id, 0) for entry_id in sorted(self._by_value.get(value, ()))]

    def prepare(self, threshold: int) -> None:
        """Nothing to build: a dictionary lookup is already as fast as it gets."""

    def __len__(self) -> int:
        return len(self._by_id)

    def save(self, path: Path) -> None:
        """Write the index as JSON (id -> value)."""
        write_values(path, self._by_id)

    @classmethod
    def load(cls, path: Path) -> ExactIndex:
        index = cls()
        index.add(*read_values(path))
        return index
