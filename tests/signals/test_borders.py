"""Uniform borders: found robustly, trimmed before hashing, never where there are none."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pdqhash
import pytest

from fireline.signals import Borders, MediaLimits, find_borders, open_video, trim_borders
from fireline.signals.borders import MAX_BORDER_FRACTION
from fireline.testing.media import VideoBorder, random_photo, synthetic_video

Pixels = npt.NDArray[np.uint8]


def photo(seed: int = 1, size: tuple[int, int] = (320, 240)) -> Pixels:
    return np.asarray(random_photo(seed, size), dtype=np.uint8)


def framed(
    inner: Pixels,
    top: int = 0,
    bottom: int = 0,
    left: int = 0,
    right: int = 0,
    colour: tuple[int, int, int] = (0, 0, 0),
    noise: int = 0,
) -> Pixels:
    """``inner`` inside bars of ``colour``, with +-``noise`` of compression-like jitter."""
    height, width = inner.shape[:2]
    canvas = np.empty((height + top + bottom, width + left + right, 3), dtype=np.int16)
    canvas[:] = colour
    if noise:
        rng = np.random.default_rng(7)
        canvas += rng.integers(-noise, noise + 1, size=canvas.shape, dtype=np.int16)
    canvas[top : top + height, left : left + width] = inner
    return np.clip(canvas, 0, 255).astype(np.uint8)


def pdq_distance(a: Pixels, b: Pixels) -> int:
    bits_a, _ = pdqhash.compute(np.ascontiguousarray(a))
    bits_b, _ = pdqhash.compute(np.ascontiguousarray(b))
    return int((bits_a != bits_b).sum())


@pytest.mark.parametrize(
    ("bars", "colour", "noise", "expected"),
    [
        ({"top": 30, "bottom": 30}, (0, 0, 0), 0, Borders(top=30, bottom=30)),
        ({"left": 40, "right": 40}, (0, 0, 0), 0, Borders(left=40, right=40)),
        ({"top": 20, "bottom": 20, "left": 20, "right": 20}, (0, 0, 0), 0, Borders(20, 20, 20, 20)),
        ({"top": 25}, (0, 0, 0), 0, Borders(top=25)),
        ({"top": 30, "bottom": 30}, (128, 128, 128), 0, Borders(top=30, bottom=30)),
        ({"left": 30, "right": 30}, (250, 250, 250), 0, Borders(left=30, right=30)),
        ({"top": 30, "bottom": 30}, (20, 40, 200), 0, Borders(top=30, bottom=30)),
        ({"top": 30, "bottom": 30}, (16, 16, 16), 12, Borders(top=30, bottom=30)),
        ({"left": 24, "right": 24}, (0, 0, 0), 20, Borders(left=24, right=24)),
        ({"top": 1, "bottom": 1}, (0, 0, 0), 0, Borders(top=1, bottom=1)),
    ],
    ids=[
        "letterbox",
        "pillarbox",
        "windowbox",
        "one-side",
        "grey-bars",
        "white-bars",
        "coloured-bars",
        "noisy-dark-bars",
        "very-noisy-bars",
        "one-pixel-bars",
    ],
)
def test_bars_are_found(
    bars: dict[str, int], colour: tuple[int, int, int], noise: int, expected: Borders
) -> None:
    frame = framed(photo(), colour=colour, noise=noise, **bars)
    assert find_borders(frame) == expected
    assert trim_borders(frame).shape == photo().shape


def test_nested_bars_of_two_colours_are_both_trimmed() -> None:
    grey = framed(photo(2), top=10, bottom=10, colour=(90, 90, 90))
    assert find_borders(framed(grey, top=20, bottom=20)) == Borders(top=30, bottom=30)


@pytest.mark.parametrize("seed", range(1, 21))
def test_frames_without_bars_are_left_alone(seed: int) -> None:
    frame = photo(seed, (320 - seed, 240 + seed))
    assert not find_borders(frame)
    assert trim_borders(frame) is frame


def test_a_uniform_edge_stripe_is_a_bar_and_a_dashed_one_is_not() -> None:
    frame = photo(3).copy()
    frame[:, :4] = (200, 30, 30)  # any uniform colour: trimmed up to the content
    assert find_borders(frame) == Borders(left=4)
    frame[:, :4] = 0
    frame[::7, :4] = 255  # one pixel in seven differs: over the 2% outlier share
    assert find_borders(frame).left == 0


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((240, 320, 3), dtype=np.uint8),
        np.full((240, 320, 3), 77, dtype=np.uint8),
        framed(photo(4, (32, 24)), top=108, bottom=108, left=144, right=144),
    ],
    ids=["black", "grey", "tiny-picture-in-huge-bars"],
)
def test_trimming_is_capped_per_side(frame: Pixels) -> None:
    borders = find_borders(frame)
    height, width = frame.shape[:2]
    assert max(borders.top, borders.bottom) <= height * MAX_BORDER_FRACTION
    assert max(borders.left, borders.right) <= width * MAX_BORDER_FRACTION
    assert trim_borders(frame).size > 0


def test_greyscale_frames_work_too() -> None:
    grey = framed(photo(5), top=16, bottom=16)[:, :, 0]
    assert find_borders(grey) == Borders(top=16, bottom=16)
    assert trim_borders(grey).shape == (240, 320)


def test_tiny_frames_are_never_emptied() -> None:
    for shape in [(1, 1, 3), (2, 2, 3), (1, 50, 3), (50, 1, 3)]:
        frame = np.zeros(shape, dtype=np.uint8)
        assert trim_borders(frame).size > 0


@pytest.fixture(scope="module")
def original_frames() -> list[Pixels]:
    return [f.pixels for f in open_video(synthetic_video(31, 6.0), MediaLimits()).frames()]


@pytest.mark.parametrize("border", ["letterbox", "pillarbox"])
@pytest.mark.parametrize("codec", ["libx264", "mpeg4"])
def test_bordered_copy_hashes_like_the_original(
    original_frames: list[Pixels], border: VideoBorder, codec: str
) -> None:
    copy = open_video(synthetic_video(31, 6.0, border=border, codec=codec), MediaLimits())
    bordered = [f.pixels for f in copy.frames()]
    assert len(bordered) == len(original_frames) == 6
    for original, frame in zip(original_frames, bordered, strict=True):
        assert find_borders(frame), "the bars were not found"
        trimmed = pdq_distance(trim_borders(original), trim_borders(frame))
        untrimmed = pdq_distance(original, frame)
        assert trimmed <= 20, f"trimmed copy is {trimmed} bits away"
        assert untrimmed > 60  # what the bars cost without trimming


def test_decoded_frames_without_bars_are_not_trimmed(original_frames: list[Pixels]) -> None:
    for frame in original_frames:
        assert not find_borders(frame)
