"""The index protocol: every signal type's index adds, removes, queries, saves and loads."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from fireline.domain import Segment


class SignalIndex(Protocol):
    """Maps entry ids to signals and finds the entries within a distance of a query.

    ``query`` must return exactly what a brute-force ``SignalType.compare`` scan over the
    indexed signals would: every (entry id, distance) with distance <= threshold.
    """

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None: ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def query(self, value: str, threshold: int) -> list[tuple[int, int]]: ...

    def prepare(self, threshold: int) -> None:
        """Build any acceleration for queries at ``threshold`` now instead of on first use."""
        ...

    def __len__(self) -> int: ...

    def save(self, path: Path) -> None: ...


@runtime_checkable
class SegmentIndex(SignalIndex, Protocol):
    """An index for time-based signals (video, audio) that also says *where* they match.

    ``query_segments`` returns (entry id, distance, segments) for every entry within the
    threshold; ``query`` is the same without the segments.
    """

    def query_segments(
        self, value: str, threshold: int
    ) -> list[tuple[int, int, tuple[Segment, ...]]]: ...


def write_values(path: Path, values: Mapping[int, str]) -> None:
    """Save an index that keeps canonical values as JSON (id -> value): no pickle."""
    path.write_text(json.dumps({str(k): v for k, v in values.items()}))


def read_values(path: Path) -> tuple[list[int], list[str]]:
    """The ids and values ``write_values`` saved, for the index's ``add``."""
    raw = json.loads(path.read_text())
    return [int(k) for k in raw], list(raw.values())
