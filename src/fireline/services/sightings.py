"""What a watch matches and remembers: the window of recent frames, and each entry seen.

The window holds the newest ``seconds`` of hashed frames (each as it is and mirrored, with
the chunk its bytes came in), so memory stays flat however long a stream runs.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fireline.domain import Segment, Signal
from fireline.signals.live import Chunk
from fireline.signals.vpdq import VpdqFrame, format_vpdq


@dataclass(frozen=True, slots=True)
class HashedFrame:
    """One sampled frame's hashes, as it is and mirrored, and the chunk it came in."""

    original: VpdqFrame
    mirrored: VpdqFrame
    chunk: Chunk | None


class FrameWindow:
    """The newest ``seconds`` of hashed frames."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.frames: deque[HashedFrame] = deque()

    def add(self, frame: HashedFrame) -> None:
        self.frames.append(frame)
        oldest = frame.original.timestamp - self.seconds
        while self.frames and self.frames[0].original.timestamp < oldest:
            self.frames.popleft()

    def signals(self) -> dict[str, Signal]:
        """The window as a vpdq signal, as it is ("original") and mirrored."""
        if not self.frames:
            return {}
        originals = [f.original for f in self.frames]
        mirrored = [f.mirrored for f in self.frames]
        return {
            "original": Signal("vpdq", format_vpdq(originals), max(f.quality for f in originals)),
            "flip_horizontal": Signal(
                "vpdq", format_vpdq(mirrored), max(f.quality for f in mirrored)
            ),
        }


@dataclass
class Sighting:
    """What is known of one entry's matches in this watch."""

    start: float
    end: float
    reported_end: float
    distance: int

    def as_view(self, entry_id: int, bank: str) -> dict[str, Any]:
        return {
            "entry_id": entry_id,
            "bank": bank,
            "stream_start": self.start,
            "stream_end": self.end,
            "distance": self.distance,
        }


def best_segment(segments: Iterable[Segment], frames: list[HashedFrame]) -> Segment:
    """The segment to report: the best scoring, then the longest; the window if none."""
    ranked = sorted(segments, key=lambda s: (-s.score, -(s.query_end - s.query_start)))
    if ranked:
        return ranked[0]
    start = frames[0].original.timestamp if frames else 0.0
    end = frames[-1].original.timestamp if frames else 0.0
    return Segment(start, end, 0.0, 0.0, 1.0, 0, 0, 0.0, 0.0)


def alert_timing(segment: Segment, frames: list[HashedFrame]) -> dict[str, Any]:
    """When the bytes of the first matching frame, and of the newest frame, arrived."""
    now_mono = time.monotonic()
    now = datetime.now(UTC)
    first = min(frames, key=lambda f: abs(f.original.timestamp - segment.query_start), default=None)
    timing: dict[str, Any] = {}
    for name, frame in (("first_chunk", first), ("last_chunk", frames[-1] if frames else None)):
        chunk = frame.chunk if frame is not None else None
        if chunk is None:
            continue
        waited = max(0.0, now_mono - chunk.arrived)
        timing[name] = {
            "label": chunk.label,
            "arrived_at": (now - timedelta(seconds=waited)).isoformat(),
            "seconds_before_alert": round(waited, 3),
        }
    return timing
