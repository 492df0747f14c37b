"""Finding pictures set inside a video's frame: picture-in-picture, split screens, insets.

A copy shown small in a corner of another video ("reaction" videos, news with a clip
beside the presenter, a compilation's grid) hashes nothing like the original: PDQ sees
the host. What gives such an inset away is its outline. The host and the inset change
independently, so wherever one meets the other the picture steps sharply, at the same
place in every frame, while the edges inside either picture move with its content.

:class:`InsetFinder` is fed a small greyscale copy of each sampled frame and keeps, per
pixel, how often a strong horizontal or vertical step is seen there. After the video, the
steps present in most frames are read as straight runs (lines), rectangles are formed from
them (a side may also be the frame's own edge), and each rectangle is scored by how much
of its outline the persistent steps cover. The best few, in fractions of the frame, are
returned as :class:`Inset` boxes; the hasher then crops every frame to each and hashes
the crop like a frame of its own.

Nothing here depends on how the inset is drawn: a white frame, a drop shadow, or none at
all (the step between two unrelated pictures is enough, over enough frames).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fireline.signals.borders import Borders

Pixels = npt.NDArray[np.uint8]

#: Width of the greyscale copy the statistics are kept on.
ANALYSIS_WIDTH = 640
#: A step between neighbouring pixels of the small copy counts as an edge above this.
STEP = 10
#: A pixel is on a persistent edge when it is an edge in at least this share of frames.
PERSISTENCE = 0.5
#: A persistent step is part of an outline only if it is seen in this share of frames
#: more than the steps near it (this many pixels away, across the line) on one side.
CONTRAST = 0.25
NEAR = (2, 6)
#: Frames needed before anything is claimed: a few frames of a still picture persist too.
MIN_FRAMES = 6
#: Lines shorter than this share of the frame's height (or width) are ignored.
MIN_LINE = 0.12
#: An inset is at least this share of the frame's width and height ...
MIN_SIDE = 0.15
#: ... and at most this share of its area (more is the frame, perhaps cropped).
MAX_AREA = 0.81
#: Share of a drawn side the persistent edges must cover.
MIN_SUPPORT = 0.7
#: At most this many insets are returned, best first.
MAX_INSETS = 3
#: Gaps of up to this many pixels do not break a line.
GAP = 2
#: At most this many lines of each direction are considered, the longest.
MAX_LINES = 16


@dataclass(frozen=True, slots=True)
class Inset:
    """A box inside the frame, in fractions of its width and height, and its score."""

    left: float
    top: float
    right: float
    bottom: float
    score: float

    def crop(self, pixels: Pixels) -> Pixels:
        """The box's pixels of a frame (a frame drawn around the inset is left to the
        hasher's border trimming: PDQ forgives a uniform border, not a cut into the
        picture, where every percent cut costs bits)."""
        height, width = pixels.shape[:2]
        x0, x1 = round(self.left * width), round(self.right * width)
        y0, y1 = round(self.top * height), round(self.bottom * height)
        return np.ascontiguousarray(pixels[y0:y1, x0:x1])

    def percent(self) -> str:
        """The box as ``left,top,right,bottom`` in whole percent of the frame."""
        values = (self.left, self.top, self.right, self.bottom)
        return ",".join(f"{round(v * 100)}" for v in values)


class InsetFinder:
    """Accumulates edge persistence over a video's frames; :meth:`insets` reads it."""

    def __init__(self) -> None:
        self._shape: tuple[int, int] | None = None
        self._vertical: npt.NDArray[np.uint16] | None = None  # steps between columns
        self._horizontal: npt.NDArray[np.uint16] | None = None  # steps between rows
        self._frames = 0
        self._skipped = 0
        self._content: Counter[tuple[int, int, int, int]] = Counter()

    @property
    def frames(self) -> int:
        return self._frames

    def add(self, pixels: Pixels, borders: Borders | None = None) -> None:
        """Count one frame (RGB or greyscale, any size; the size must not change).

        ``borders`` are the frame's uniform bars, when the caller has found them: the
        picture inside bars is hashed anyway, so it is not reported as an inset.
        """
        if borders:
            height, width = pixels.shape[:2]
            self._content[
                (
                    round(100 * borders.left / width),
                    round(100 * borders.top / height),
                    round(100 * (width - borders.right) / width),
                    round(100 * (height - borders.bottom) / height),
                )
            ] += 1
        grey = _small_grey(pixels)
        if self._shape is None:
            self._shape = grey.shape
            self._vertical = np.zeros((grey.shape[0], grey.shape[1] - 1), np.uint16)
            self._horizontal = np.zeros((grey.shape[0] - 1, grey.shape[1]), np.uint16)
        if grey.shape != self._shape or self._frames >= np.iinfo(np.uint16).max:
            self._skipped += 1  # a resolution change mid-stream: judge the first size
            return
        assert self._vertical is not None and self._horizontal is not None
        self._vertical += np.abs(np.diff(grey, axis=1)) > STEP
        self._horizontal += np.abs(np.diff(grey, axis=0)) > STEP
        self._frames += 1

    def insets(self) -> list[Inset]:
        """The likeliest insets, best first; none when the video shows no outline."""
        if self._frames < MIN_FRAMES or self._shape is None:
            return []
        assert self._vertical is not None and self._horizontal is not None
        vertical = _thin(self._vertical.T, self._frames).T  # (rows, columns - 1)
        horizontal = _thin(self._horizontal, self._frames)  # (rows - 1, columns)
        found = find_insets(vertical, horizontal)
        if self._content:
            (box, count), *_ = self._content.most_common(1)
            if count >= self._frames * PERSISTENCE:
                left, top, right, bottom = (v / 100 for v in box)
                bars = Inset(left, top, right, bottom, score=0.0)
                found = [inset for inset in found if _overlap(inset, bars) < 0.9]
        return found


def find_insets(vertical: npt.NDArray[np.bool_], horizontal: npt.NDArray[np.bool_]) -> list[Inset]:
    """Rectangles outlined by persistent steps.

    ``vertical[y, x]`` says the picture steps between columns ``x`` and ``x + 1`` on row
    ``y``; ``horizontal[y, x]`` between rows ``y`` and ``y + 1`` in column ``x``.
    """
    height, width = vertical.shape[0], horizontal.shape[1]
    # Boundaries are numbered by the pixel they precede: boundary b lies between pixels
    # b - 1 and b; 0 and the width (or height) are the frame's own edges.
    columns = _lines(vertical.T, min_length=MIN_LINE * height)
    rows = _lines(horizontal, min_length=MIN_LINE * width)
    xs = sorted({0, width, *(c + 1 for c in columns)})
    ys = sorted({0, height, *(r + 1 for r in rows)})
    # Prefix sums along each boundary give any side's coverage in O(1).
    v_cover = _boundary_cover(vertical.T, width)  # (width + 1, height + 1)
    h_cover = _boundary_cover(horizontal, height)  # (height + 1, width + 1)
    found: list[Inset] = []
    for i, left in enumerate(xs):
        for right in xs[i + 1 :]:
            if right - left < MIN_SIDE * width:
                continue
            for j, top in enumerate(ys):
                for bottom in ys[j + 1 :]:
                    if bottom - top < MIN_SIDE * height:
                        continue
                    if (right - left) * (bottom - top) > MAX_AREA * width * height:
                        continue
                    score = _outline_score(
                        left, top, right, bottom, width, height, v_cover, h_cover
                    )
                    if score is not None:
                        found.append(
                            Inset(left / width, top / height, right / width, bottom / height, score)
                        )
    return _best(found)


def _thin(counts: npt.NDArray[np.uint16], frames: int) -> npt.NDArray[np.bool_]:
    """Persistent steps that stand out across the first axis: an outline, not texture.

    A boundary between two pictures steps in (nearly) every frame along a thin line;
    noise, fine texture or a still picture make steps persist all around too. A step
    counts when it persists and, on at least one side of it, is seen in clearly more
    frames (``CONTRAST`` of them) than the steps nearby on that side. "Nearby" is the
    second most persistent of the steps 2 to 6 pixels away, so that one other line
    close by (the far edge of a frame drawn around an inset) does not hide it, while a
    texture (whose steps recur every pixel or two) does.
    """
    needed = max(2, int(np.ceil(frames * PERSISTENCE)))
    margin = int(np.ceil(frames * CONTRAST))
    wide = counts.astype(np.int32)
    offsets = range(NEAR[0], NEAR[1] + 1)
    before = np.zeros((len(offsets), *wide.shape), np.int32)
    after = np.zeros_like(before)
    for row, offset in enumerate(offsets):
        before[row, offset:] = wide[:-offset]
        after[row, :-offset] = wide[offset:]
    nearby = np.minimum(np.sort(before, axis=0)[-2], np.sort(after, axis=0)[-2])
    outline: npt.NDArray[np.bool_] = (wide >= needed) & (wide >= nearby + margin)
    return outline


def _small_grey(pixels: Pixels) -> npt.NDArray[np.int16]:
    """Luma (integer BT.601 weights) box-averaged down to the analysis width."""
    if pixels.ndim == 3:
        weighted = (
            pixels[..., 0].astype(np.uint16) * 77
            + pixels[..., 1].astype(np.uint16) * 150
            + pixels[..., 2].astype(np.uint16) * 29
        )
        grey = (weighted >> 8).astype(np.int16)
    else:
        grey = pixels.astype(np.int16)
    height, width = grey.shape
    factor = int(np.ceil(width / ANALYSIS_WIDTH))
    if factor == 1:
        return grey
    # Box-average by the same factor both ways, keeping steps sharp.
    rows, cols = height // factor, width // factor
    blocks = grey[: rows * factor, : cols * factor].reshape(rows, factor, cols, factor)
    means = blocks.sum(axis=(1, 3), dtype=np.int32) // (factor * factor)
    return np.asarray(means, dtype=np.int16)


def _lines(steps: npt.NDArray[np.bool_], *, min_length: float) -> list[int]:
    """Indices (first axis) whose steps hold a run at least ``min_length`` long.

    At most ``MAX_LINES``, the longest: a busy picture (text, a grid) persists in many
    short lines, and the rectangles formed grow with the square of their number.
    """
    runs = [(_longest_run(line), index) for index, line in enumerate(steps) if line.any()]
    runs = [(length, index) for length, index in runs if length >= min_length]
    runs.sort(reverse=True)
    return sorted(index for _, index in runs[:MAX_LINES])


def _longest_run(line: npt.NDArray[np.bool_]) -> int:
    """The longest run of True, gaps of up to ``GAP`` pixels closed first."""
    reach = (GAP + 1) // 2
    grown = line.copy()
    for shift in range(1, reach + 1):
        grown[shift:] |= line[:-shift]
        grown[:-shift] |= line[shift:]
    closed = grown.copy()
    for shift in range(1, reach + 1):
        closed[shift:] &= grown[:-shift]
        closed[:-shift] &= grown[shift:]
    padded = np.concatenate(([False], closed, [False]))
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    if changes.size == 0:
        return 0
    return int((changes[1::2] - changes[::2]).max())


def _boundary_cover(steps: npt.NDArray[np.bool_], size: int) -> npt.NDArray[np.int32]:
    """Cumulative step counts along each boundary 0..size (the frame's edges count full).

    ``steps`` has one row per inner boundary (1..size-1) and one column per pixel along
    it; the result has a row per boundary 0..size and a prefix-sum column per pixel.
    """
    length = steps.shape[1]
    cover = np.zeros((size + 1, length + 1), np.int32)
    cover[0, 1:] = np.arange(1, length + 1)
    cover[size, 1:] = np.arange(1, length + 1)
    # Allow the outline to sit one pixel either way of the step (the small copy blurs).
    near = steps.copy()
    near[1:] |= steps[:-1]
    near[:-1] |= steps[1:]
    cover[1:size, 1:] = np.cumsum(near, axis=1)
    return cover


def _outline_score(
    left: int,
    top: int,
    right: int,
    bottom: int,
    width: int,
    height: int,
    v_cover: npt.NDArray[np.int32],
    h_cover: npt.NDArray[np.int32],
) -> float | None:
    """Mean coverage of the drawn sides; None unless every drawn side is well covered.

    Sides on the frame's edge are not drawn and do not count; at least one side must be.
    """
    sides = []
    for boundary, edge in ((left, 0), (right, width)):
        if boundary != edge:
            covered = v_cover[boundary, bottom] - v_cover[boundary, top]
            sides.append(covered / (bottom - top))
    for boundary, edge in ((top, 0), (bottom, height)):
        if boundary != edge:
            covered = h_cover[boundary, right] - h_cover[boundary, left]
            sides.append(covered / (right - left))
    if not sides or min(sides) < MIN_SUPPORT:
        return None
    # Prefer boxes with more drawn sides: a lone line (a caption band's edge) splits the
    # frame in two, which is a weaker sign of an inset than a closed outline.
    return float(np.mean(sides)) * (0.7 + 0.1 * len(sides))


def _best(found: list[Inset]) -> list[Inset]:
    """The best-scoring boxes, leaving out any that mostly overlaps a better one."""
    chosen: list[Inset] = []
    # Among equal scores the smaller box first: the inner edge of a frame line.
    for inset in sorted(found, key=lambda b: (-round(b.score, 3), _area(b))):
        if all(_overlap(inset, other) < 0.7 for other in chosen):
            chosen.append(inset)
        if len(chosen) == MAX_INSETS:
            break
    return chosen


def _area(box: Inset) -> float:
    return (box.right - box.left) * (box.bottom - box.top)


def _overlap(a: Inset, b: Inset) -> float:
    """Intersection over union."""
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return 0.0
    common = width * height
    return common / (_area(a) + _area(b) - common)
