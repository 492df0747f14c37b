"""Finding and trimming uniform borders (letterbox and pillarbox bars) around a frame.

A copy re-framed into another aspect ratio gains bars that move every PDQ bit; hashing
what lies inside them makes the copy hash like the original. A line (row or column) is
part of a bar when nearly all its pixels are within a tolerance of the line's own median
colour, so bars of any colour are found and compression noise does not stop the search.
Bars are peeled from the outside in, one uniform band after another, and never more than
``MAX_BORDER_FRACTION`` of the frame per side: a frame without bars is left as it is,
and a frame that is uniform all over keeps its centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Pixels = npt.NDArray[np.uint8]

#: The most of the height (or width) trimmed from each side.
MAX_BORDER_FRACTION = 0.4
#: A pixel belongs to a bar when no channel is further than this from the bar colour:
#: enough for the ringing and blocking of a low-bitrate encode.
PIXEL_TOLERANCE = 24
#: A line is a bar when at most this share of its pixels is outside the tolerance.
OUTLIER_SHARE = 0.02


@dataclass(frozen=True, slots=True)
class Borders:
    """How many rows and columns of bar lie on each side of a frame."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    def __bool__(self) -> bool:
        return any((self.top, self.bottom, self.left, self.right))


def find_borders(pixels: Pixels) -> Borders:
    """The uniform bars around an RGB (or greyscale) frame, capped per side."""
    height, width = pixels.shape[:2]
    top = _bar_depth(pixels)
    bottom = _bar_depth(pixels[::-1])
    inner = pixels[top : height - bottom]
    # Columns are judged within the rows left after trimming, so the corners of a
    # letterbox do not count as part of a pillarbox, nor the reverse.
    left = _bar_depth(inner.swapaxes(0, 1))
    right = _bar_depth(inner[:, ::-1].swapaxes(0, 1))
    if top + bottom >= height or left + right >= width:
        return Borders()
    return Borders(top=top, bottom=bottom, left=left, right=right)


def trim_borders(pixels: Pixels) -> Pixels:
    """The frame without its uniform bars (the frame itself when it has none)."""
    return inside(pixels, find_borders(pixels))


def inside(pixels: Pixels, borders: Borders) -> Pixels:
    """The frame within the given bars."""
    if not borders:
        return pixels
    height, width = pixels.shape[:2]
    inner = pixels[borders.top : height - borders.bottom, borders.left : width - borders.right]
    return np.ascontiguousarray(inner)


def _bar_depth(lines: Pixels) -> int:
    """How many leading lines (first axis) form uniform bands, up to the cap."""
    limit = int(lines.shape[0] * MAX_BORDER_FRACTION)
    if limit == 0 or lines.shape[1] == 0:
        return 0
    depth = 0
    while depth < limit:
        # Each band is measured against its own first line's median colour, so a black
        # bar inside a grey one (or a uniform sky under a bar) is peeled off in turn.
        colour = np.median(_channels(lines[depth : depth + 1]), axis=1)
        end = depth
        step = 8  # most frames have no bar: look at a few lines first, then more
        while end < limit:
            chunk = _channels(lines[end : min(limit, end + step)])
            distance = np.abs(chunk - colour[:, np.newaxis, :]).max(axis=2)
            outside = (distance > PIXEL_TOLERANCE).mean(axis=1) > OUTLIER_SHARE
            if outside.any():
                end += int(np.argmax(outside))
                break
            end += len(chunk)
            step *= 2
        if end == depth:
            break
        depth = end
    return depth


def _channels(lines: Pixels) -> npt.NDArray[np.int16]:
    wide = lines.astype(np.int16)
    return wide if wide.ndim == 3 else wide[:, :, np.newaxis]
