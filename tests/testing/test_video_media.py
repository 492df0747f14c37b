"""The synthetic video generators: deterministic, small, and shaped as the tests need."""

from __future__ import annotations

import io

import av
import numpy as np
import pdqhash
import pytest
from PIL import ImageOps

from fireline.testing import (
    audio_only,
    empty_video,
    long_video,
    synthetic_frame,
    synthetic_video,
    truncated_video,
)


def frames_of(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def pdq(pixels: np.ndarray) -> int:
    bits, _ = pdqhash.compute(np.ascontiguousarray(pixels))
    return int("".join(str(int(b)) for b in bits), 2)


@pytest.mark.parametrize(
    "options",
    [{}, {"codec": "mpeg4"}, {"border": "letterbox"}, {"mirror": True}, {"container": "matroska"}],
    ids=["h264", "mpeg4", "letterbox", "mirror", "mkv"],
)
def test_synthetic_video_is_deterministic(options: dict[str, object]) -> None:
    first = synthetic_video(1, 2.0, **options)  # type: ignore[arg-type]
    assert first == synthetic_video(1, 2.0, **options)  # type: ignore[arg-type]
    assert first != synthetic_video(2, 2.0, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "fps", "size", "count"),
    [(2.0, 10, (320, 240), 20), (1.0, 25, (176, 144), 25), (3.0, 4, (64, 48), 12)],
)
def test_synthetic_video_has_the_frames_asked_for(
    seconds: float, fps: int, size: tuple[int, int], count: int
) -> None:
    data = synthetic_video(3, seconds, fps=fps, size=size)
    frames = frames_of(data)
    assert len(frames) == count
    assert frames[0].shape == (size[1], size[0], 3)
    assert len(data) < 200_000  # small: tests stay fast


def test_frames_follow_the_scenes_and_pan_slowly() -> None:
    one_second_apart = pdq(np.asarray(synthetic_frame(4, 0.0))) ^ pdq(
        np.asarray(synthetic_frame(4, 1.0))
    )
    new_scene = pdq(np.asarray(synthetic_frame(4, 2.9))) ^ pdq(np.asarray(synthetic_frame(4, 3.0)))
    assert one_second_apart.bit_count() <= 31
    assert new_scene.bit_count() > 80


def test_decoded_frames_look_like_the_synthetic_frames() -> None:
    frames = frames_of(synthetic_video(5, 2.0, fps=10))
    for number in (0, 10, 19):
        expected = np.asarray(synthetic_frame(5, number / 10), dtype=np.int16)
        assert np.abs(frames[number].astype(np.int16) - expected).mean() < 6


def test_mirror_flips_every_frame() -> None:
    frames = frames_of(synthetic_video(6, 1.0, mirror=True))
    expected = np.asarray(ImageOps.mirror(synthetic_frame(6, 0.0)), dtype=np.int16)
    assert np.abs(frames[0].astype(np.int16) - expected).mean() < 6


@pytest.mark.parametrize(
    ("border", "bars"),
    [("letterbox", (slice(0, 28), slice(None))), ("pillarbox", (slice(None), slice(0, 38)))],
)
def test_borders_are_black_bars(border: str, bars: tuple[slice, slice]) -> None:
    frame = frames_of(synthetic_video(7, 1.0, border=border))[0]  # type: ignore[arg-type]
    assert frame.shape == (240, 320, 3)
    assert frame[bars].max() <= 16
    assert frame[120, 160].max() > 0


def test_unknown_border_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown border"):
        synthetic_video(1, 1.0, border="frame")  # type: ignore[arg-type]


def test_truncated_video_is_a_prefix() -> None:
    whole = synthetic_video(8, 4.0, container="matroska")
    cut = truncated_video(8, 4.0, keep=0.5)
    assert whole.startswith(cut)
    assert len(cut) == len(whole) // 2


def test_long_video_is_tiny_but_long() -> None:
    data = long_video(10 * 3600)
    assert len(data) < 2048
    with av.open(io.BytesIO(data)) as container:
        assert container.duration is not None
        assert container.duration / av.time_base > 10 * 3600


def test_empty_video_and_audio_only_have_no_video_stream() -> None:
    with av.open(io.BytesIO(empty_video())) as container:
        assert len(container.streams) == 0
    with av.open(io.BytesIO(audio_only())) as container:
        assert [s.type for s in container.streams] == ["audio"]
