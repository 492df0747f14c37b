"""Aligning frame matches in time: which stretch of a query copies which stretch of a reference.

The input is every pair (query frame, reference frame) whose hashes match. A copy shows
up as pairs on a line ``reference_time = speed * query_time + offset``; unrelated
coincidences scatter. The search is a Hough-style vote: for each speed on a geometric
grid from 0.5x to 2x, every pair votes for its offset, and the (speed, offset) cell
backed by the most *distinct query frames* wins (a static scene matching a hundred
reference frames still counts once). Its pairs are refitted by least squares, a few
times, so speeds between grid points and long copies stay aligned; the inliers are cut
into runs wherever the query has a long unmatched gap, and each run long enough is a
segment. The segment's pairs are then set aside and the search repeats, so a
compilation holding two excerpts of one reference reports both.

Everything is deterministic and independent of the order of the pairs, so an index that
finds the pairs faster gives exactly the segments a brute-force comparison gives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fireline.domain import Segment

#: The slowest and fastest copies searched for (reference seconds per query second).
MIN_SPEED = 0.5
MAX_SPEED = 2.0
#: Neighbouring grid speeds differ by this factor; speeds in between are reached by refitting.
SPEED_STEP = 1.03
#: (speed, pair) cells voted on at once: bounds the vote's memory to a few tens of MB.
VOTE_CELLS = 2_000_000
#: At most this many segments are reported per (query, reference) pair.
MAX_SEGMENTS = 8

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def _speed_grid() -> Floats:
    steps = math.ceil(math.log(MAX_SPEED / MIN_SPEED) / math.log(SPEED_STEP))
    grid = MIN_SPEED * SPEED_STEP ** np.arange(steps + 1)
    exact = [0.5, 2 / 3, 0.75, 0.8, 1.0, 1.25, 1.5, 2.0]
    return np.unique(np.clip(np.concatenate([grid, exact]), MIN_SPEED, MAX_SPEED))


SPEEDS = _speed_grid()


@dataclass(frozen=True, slots=True)
class Timeline:
    """One side's sampled frames: the times of the frames good enough to match, its length."""

    #: Sorted times (seconds) of the usable frames.
    times: Floats
    #: Seconds from the first frame to the end of the last (one sampling period past it).
    duration: float
    #: Seconds between sampled frames (the median gap; 1.0 with fewer than two frames).
    period: float

    @classmethod
    def of(cls, usable_times: Floats, all_times: Floats) -> Timeline:
        """Build from the usable frames' times and every frame's times (for length, period)."""
        times = np.sort(np.asarray(usable_times, dtype=np.float64))
        every = np.sort(np.asarray(all_times, dtype=np.float64))
        gaps = np.diff(every)
        gaps = gaps[gaps > 0]
        period = float(np.median(gaps)) if len(gaps) else 1.0
        duration = float(every[-1] - every[0]) + period if len(every) else 0.0
        return cls(times=times, duration=duration, period=period)


@dataclass(frozen=True, slots=True)
class Pairs:
    """Matching frame pairs: query frame number and time, reference time, hash distance."""

    query_frame: Ints
    query_time: Floats
    reference_time: Floats
    #: How far apart the two frames' hashes are (smaller: more likely the same moment).
    distance: Ints

    def __len__(self) -> int:
        return len(self.query_frame)

    def take(self, keep: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> Pairs:
        """The pairs a mask keeps, or the pairs at some positions, in that order."""
        return Pairs(
            self.query_frame[keep],
            self.query_time[keep],
            self.reference_time[keep],
            self.distance[keep],
        )


def segment_distance(segments: Sequence[Segment]) -> int:
    """A (query, reference) pair's distance: 100 minus its best segment's score; 100 with none."""
    return 100 - max((s.score for s in segments), default=0)


def find_segments(
    pairs: Pairs, query: Timeline, reference: Timeline, *, min_frames: int = 3
) -> list[Segment]:
    """Every segment of at least ``min_frames`` matched query frames, by query start.

    ``min_frames`` is lowered to the query's usable frame count, so a query of one or two
    frames can still match.
    """
    if len(pairs) == 0 or len(query.times) == 0:
        return []
    needed = max(1, min(min_frames, len(query.times)))
    order = np.lexsort((pairs.reference_time, pairs.distance, pairs.query_time, pairs.query_frame))
    remaining = pairs.take(order)
    period = max(query.period, reference.period)
    # A frame maps to within half a period of a sampled frame; neighbours in slow scenes
    # match too. Two periods of slack keeps them while refusing a wrong offset.
    tolerance = 2.0 * period
    max_gap = max(10.0, 10.0 * query.period)
    segments: list[Segment] = []
    for _ in range(MAX_SEGMENTS):
        if len(np.unique(remaining.query_frame)) < needed:
            break
        speed, offset = _vote(remaining, tolerance)
        speed, offset, inliers = _refine(remaining, speed, offset, tolerance)
        found = _runs(remaining.take(inliers), speed, offset, max_gap, needed)
        if not found:
            break
        covered = np.zeros(len(remaining), dtype=bool)
        for start, end, matched in found:
            segments.append(_segment(start, end, matched, speed, offset, query, reference))
            covered |= (remaining.query_time >= start) & (remaining.query_time <= end)
        remaining = remaining.take(~covered)
    segments.sort(key=lambda s: (s.query_start, s.reference_start))
    return segments


def _vote(pairs: Pairs, width: float) -> tuple[float, float]:
    """The (speed, offset) backed by the most distinct query frames.

    Among equally backed lines the one nearest normal speed wins (static scenes fit
    several speeds alike), then the earliest offset. Every speed and both cell grids
    (the second shifted by half a cell, so a line on a cell edge is not split) are
    counted in one pass.
    """
    frames = pairs.query_frame - pairs.query_frame.min()
    stride = int(frames.max()) + 1
    best: tuple[int, float, float, float] | None = None
    # Speeds in blocks, so memory stays flat however many pairs a static scene makes.
    block = max(1, VOTE_CELLS // len(pairs))
    for first in range(0, len(SPEEDS), block):
        speeds = SPEEDS[first : first + block]
        offsets = pairs.reference_time[np.newaxis, :] - speeds[:, np.newaxis] * pairs.query_time
        for shift in (0.0, 0.5):
            cells = np.floor(offsets / width + shift).astype(np.int64)
            lowest = int(cells.min())
            span = int(cells.max()) - lowest + 1
            lines = np.arange(len(speeds), dtype=np.int64)[:, np.newaxis] * span + cells - lowest
            # Distinct (line, query frame) keys, then frames per line.
            keys = np.unique((lines * stride + frames).ravel())
            values, counts = np.unique(keys // stride, return_counts=True)
            top = values[counts == counts.max()]
            nearness = -np.abs(np.log(speeds[top // span]))
            pick = int(top[np.lexsort((top % span, -nearness))[0]])
            speed = float(speeds[pick // span])
            candidate = (int(counts.max()), -abs(math.log(speed)))
            if best is None or candidate > best[:2]:
                centre = (float(pick % span + lowest) + 0.5 - shift) * width
                best = (*candidate, speed, centre)
    assert best is not None
    return best[2], best[3]


def _refine(
    pairs: Pairs, speed: float, offset: float, tolerance: float
) -> tuple[float, float, npt.NDArray[np.bool_]]:
    """Refit the line to its inliers a few times; returns it and the final inliers."""
    inliers = _inliers(pairs, speed, offset, tolerance)
    for _ in range(4):
        # In a slow scene a query frame matches several neighbouring frames; its closest
        # hash marks the moment best, so only that pair (per query frame) is fitted.
        best = _closest_per_frame(pairs, inliers)
        q = pairs.query_time[best]
        r = pairs.reference_time[best]
        if len(np.unique(q)) >= 2 and float(q.max() - q.min()) >= 2 * tolerance:
            fitted, intercept = np.polyfit(q, r, 1)
            speed = float(np.clip(fitted, MIN_SPEED, MAX_SPEED))
            offset = float(np.median(r - speed * q))
        elif len(q):
            offset = float(np.median(r - speed * q))
        again = _inliers(pairs, speed, offset, tolerance)
        if np.array_equal(again, inliers):
            break
        inliers = again
    return speed, offset, inliers


def _closest_per_frame(pairs: Pairs, keep: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """Positions of the closest kept pair of each query frame (pairs are sorted by frame,
    then distance, so the first of each frame is its closest)."""
    positions = np.flatnonzero(keep)
    if len(positions) == 0:
        return positions
    _, first = np.unique(pairs.query_frame[positions], return_index=True)
    return positions[first]


def _inliers(pairs: Pairs, speed: float, offset: float, tolerance: float) -> npt.NDArray[np.bool_]:
    residual = np.abs(pairs.reference_time - (speed * pairs.query_time + offset))
    close: npt.NDArray[np.bool_] = residual <= tolerance
    return close


def _runs(
    inliers: Pairs, speed: float, offset: float, max_gap: float, needed: int
) -> list[tuple[float, float, int]]:
    """Stretches of matched query frames without a gap over ``max_gap``: (start, end, frames)."""
    if len(inliers) == 0:
        return []
    frames, first = np.unique(inliers.query_frame, return_index=True)
    times = np.sort(inliers.query_time[first])
    breaks = np.flatnonzero(np.diff(times) > max_gap) + 1
    runs = []
    for run in np.split(times, breaks):
        if len(run) >= needed:
            runs.append((float(run[0]), float(run[-1]), len(run)))
    return runs


def _segment(
    start: float,
    end: float,
    matched: int,
    speed: float,
    offset: float,
    query: Timeline,
    reference: Timeline,
) -> Segment:
    inside = int(np.count_nonzero((query.times >= start) & (query.times <= end)))
    score = round(100 * matched / max(inside, matched))
    span = end - start + query.period
    reference_start = max(0.0, speed * start + offset)
    reference_end = max(reference_start, speed * end + offset)
    reference_span = reference_end - reference_start + reference.period
    return Segment(
        query_start=round(start, 3),
        query_end=round(end + query.period, 3),
        reference_start=round(reference_start, 3),
        reference_end=round(reference_end + reference.period, 3),
        speed=round(speed, 3),
        score=score,
        matched_frames=matched,
        query_coverage=round(min(1.0, span / query.duration) if query.duration else 1.0, 3),
        reference_coverage=round(
            min(1.0, reference_span / reference.duration) if reference.duration else 1.0, 3
        ),
    )
