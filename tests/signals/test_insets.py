"""Finding pictures set inside a video's frame by their persistent outline."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from fireline.signals.borders import find_borders
from fireline.signals.insets import Inset, InsetFinder
from fireline.testing.clips import Clip, inset, letterboxed, render, source

HOST_SIZE = (320, 240)


def decoded_frames(clip: Clip, fps: int = 2) -> list[np.ndarray]:
    with av.open(io.BytesIO(render(clip, fps=fps))) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def insets_of(clip: Clip, *, with_borders: bool = False) -> list[Inset]:
    finder = InsetFinder()
    for pixels in decoded_frames(clip):
        finder.add(pixels, find_borders(pixels) if with_borders else None)
    return finder.insets()


def close_to(found: Inset, left: float, top: float, right: float, bottom: float) -> bool:
    # The outline is found on the pixel grid of a frame as small as 320x240.
    tolerance = 0.015
    return all(
        abs(a - b) <= tolerance
        for a, b in zip(
            (found.left, found.top, found.right, found.bottom),
            (left, top, right, bottom),
            strict=True,
        )
    )


@pytest.mark.parametrize(
    ("box", "frame"),
    [
        ((0.04, 0.05, 0.45), (255, 255, 255)),  # top-left, framed in white
        ((0.51, 0.52, 0.45), None),  # bottom-right, no frame at all
        ((0.25, 0.25, 0.5), (0, 0, 0)),  # centred, framed in black
        ((0.6, 0.1, 0.3), None),  # small, off-centre
    ],
)
def test_an_inset_is_found_where_it_was_put(
    box: tuple[float, float, float], frame: tuple[int, int, int] | None
) -> None:
    clip = inset(source(1, 20.0, (160, 120)), source(2, 20.0, HOST_SIZE), box=box, frame=frame)
    left, top, fraction = box
    # The inset keeps the clip's 4:3 shape inside the 4:3 host.
    expected = (left, top, left + fraction, top + fraction)
    found = insets_of(clip)
    assert found, "no inset found"
    assert close_to(found[0], *expected), (found[0], expected)


def test_an_inset_over_a_host_of_noise_is_found() -> None:
    # Fine noise steps somewhere in most frames; the outline still stands out.
    rng = np.random.default_rng(7)
    noise = [rng.integers(0, 255, (120, 160), dtype=np.uint8) for _ in range(40)]

    def host_picture(t: float) -> Image.Image:
        grain = Image.fromarray(noise[int(t * 2) % len(noise)]).convert("RGB")
        return grain.resize(HOST_SIZE, Image.Resampling.NEAREST)

    clip = inset(
        source(8, 20.0, (160, 120)),
        Clip(host_picture, 20.0),
        box=(0.1, 0.2, 0.5),
        frame=(255, 255, 255),
    )
    found = insets_of(clip)
    assert found and close_to(found[0], 0.1, 0.2, 0.6, 0.7), found


def test_a_split_screen_gives_each_half() -> None:
    # Two unrelated videos side by side: each half is a picture of its own.
    def picture(t: float):  # type: ignore[no-untyped-def]
        canvas = source(3, 20.0, HOST_SIZE).picture(t).copy()
        canvas.paste(source(4, 20.0, (160, 240)).picture(t), (160, 0))
        return canvas

    found = insets_of(Clip(picture, 20.0))
    boxes = [(round(b.left, 2), round(b.right, 2)) for b in found]
    assert (0.0, 0.5) in boxes and (0.5, 1.0) in boxes, found


def test_an_ordinary_video_has_no_inset() -> None:
    assert insets_of(source(5, 20.0, HOST_SIZE)) == []


def test_letterbox_bars_are_not_an_inset_when_the_hasher_trims_them() -> None:
    clip = letterboxed(source(6, 20.0, HOST_SIZE))
    assert insets_of(clip, with_borders=True) == []


def test_a_few_frames_are_not_enough_to_claim_an_inset() -> None:
    clip = inset(
        source(1, 2.0, (160, 120)),
        source(2, 2.0, HOST_SIZE),
        box=(0.1, 0.1, 0.5),
        frame=(255, 255, 255),
    )
    assert insets_of(clip) == []


def test_the_crop_is_the_box_in_the_frames_own_pixels() -> None:
    pixels = np.zeros((200, 400, 3), np.uint8)
    box = Inset(0.25, 0.1, 0.75, 0.6, score=1.0)
    assert box.crop(pixels).shape == (100, 200, 3)
    assert box.percent() == "25,10,75,60"


def test_frames_of_another_size_are_skipped_not_mixed_in() -> None:
    finder = InsetFinder()
    rng = np.random.default_rng(0)
    for _ in range(8):
        finder.add(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    finder.add(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8))
    assert finder.frames == 8
    assert finder.insets() == []
