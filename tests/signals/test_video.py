"""Decoding video under limits: sampling like vpdq, and a clear error for every bad input."""

from __future__ import annotations

import io
import resource
import time
import wave
from collections.abc import Callable
from fractions import Fraction

import av
import numpy as np
import pytest

from fireline.domain import FirelineError, InvalidInput, MediaTooLarge, UnsupportedMedia
from fireline.signals import MediaLimits, open_video
from fireline.testing.media import (
    audio_only,
    empty_video,
    encode,
    long_video,
    random_photo,
    synthetic_frame,
    synthetic_video,
    truncated_video,
)

SMALL = synthetic_video(21, 3.0, fps=10)


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(bytes(16000))
    return out.getvalue()


def corrupted(data: bytes, start: float = 1 / 3, end: float = 2 / 3) -> bytes:
    """The bytes from ``start`` to ``end`` (fractions of the file) overwritten with zeros."""
    first, last = int(len(data) * start), int(len(data) * end)
    return data[:first] + bytes(last - first) + data[last:]


def decode_all(data: bytes, limits: MediaLimits, fps: float = 1.0) -> int:
    return len(list(open_video(data, limits, frames_per_second=fps).frames()))


# (input, limits, error class, code): every one refused, none decoded past its limit.
BAD_INPUT: list[tuple[str, Callable[[], bytes], MediaLimits, type[FirelineError], str]] = [
    ("empty-file", lambda: b"", MediaLimits(), InvalidInput, "empty_file"),
    ("text", lambda: b"this is not a video at all", MediaLimits(), UnsupportedMedia, "not_a_video"),
    ("png-photo", lambda: encode(random_photo(1)), MediaLimits(), UnsupportedMedia, "not_a_video"),
    ("wav-audio", wav, MediaLimits(), UnsupportedMedia, "not_a_video"),
    ("aac-in-mp4", audio_only, MediaLimits(), UnsupportedMedia, "no_video_stream"),
    ("no-streams-mp4", empty_video, MediaLimits(), InvalidInput, "zero_duration"),
    (
        "truncated-mp4",
        lambda: truncated_video(22, container="mp4"),
        MediaLimits(),
        UnsupportedMedia,
        "not_a_video",
    ),
    (
        "truncated-mkv",
        lambda: truncated_video(22, container="matroska"),
        MediaLimits(),
        UnsupportedMedia,
        "truncated_video",
    ),
    (
        "mkv-cut-in-its-header",
        lambda: truncated_video(22, container="matroska", keep=0.05),
        MediaLimits(),
        UnsupportedMedia,
        "corrupt_video",
    ),
    (
        "mkv-zeroed-middle",
        lambda: corrupted(synthetic_video(23, 6.0, container="matroska")),
        MediaLimits(),
        UnsupportedMedia,
        "truncated_video",
    ),
    ("ten-hours", lambda: long_video(10 * 3600), MediaLimits(), MediaTooLarge, "too_long"),
    (
        "ten-hours-mkv",
        lambda: long_video(10 * 3600, container="matroska"),
        MediaLimits(),
        MediaTooLarge,
        "too_long",
    ),
    (
        "over-configured-duration",
        lambda: SMALL,
        MediaLimits(max_duration_s=2.5),
        MediaTooLarge,
        "too_long",
    ),
    (
        # A raw H.264 stream declares no length: the frames give it away as they arrive.
        "undeclared-duration",
        lambda: synthetic_video(24, 3.0, container="h264"),
        MediaLimits(max_duration_s=1.0),
        MediaTooLarge,
        "too_long",
    ),
    (
        "frame-over-pixel-limit",
        lambda: SMALL,
        MediaLimits(max_pixels=320 * 240 - 1),
        MediaTooLarge,
        "too_many_pixels",
    ),
    (
        "over-byte-limit",
        lambda: SMALL,
        MediaLimits(max_bytes=len(SMALL) - 1),
        MediaTooLarge,
        "too_many_bytes",
    ),
    (
        "decode-budget-spent",
        lambda: SMALL,
        MediaLimits(max_decode_s=0),
        MediaTooLarge,
        "decode_too_slow",
    ),
]


@pytest.mark.parametrize(
    ("make", "limits", "error", "code"),
    [row[1:] for row in BAD_INPUT],
    ids=[row[0] for row in BAD_INPUT],
)
def test_bad_video_gets_a_clear_error(
    make: Callable[[], bytes], limits: MediaLimits, error: type[FirelineError], code: str
) -> None:
    with pytest.raises(error) as caught:
        decode_all(make(), limits)
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.message


def test_ten_hour_file_is_refused_from_its_header_in_bounded_time_and_memory() -> None:
    data = long_video(10 * 3600)
    assert len(data) < 2048
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(MediaTooLarge) as caught:
        open_video(data, MediaLimits())
    assert time.monotonic() - started < 5  # generous: a refusal, not a benchmark
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024
    assert "declares 36,001.0 s" in caught.value.message


def test_errors_come_from_the_header_before_any_frame_is_decoded() -> None:
    # open_video alone refuses what the header shows; frames() is never needed.
    with pytest.raises(MediaTooLarge):
        open_video(SMALL, MediaLimits(max_pixels=1000))
    with pytest.raises(UnsupportedMedia):
        open_video(audio_only(), MediaLimits())


@pytest.mark.parametrize(
    ("fps", "per_second", "numbers", "timestamps"),
    [
        (10, 1.0, [0, 10, 20], [0.0, 1.0, 2.0]),
        (10, 2.0, [0, 5, 10, 15, 20, 25], [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]),
        (10, 0.5, [0, 20], [0.0, 2.0]),
        # More than the frame rate asks for every frame, never the same frame twice.
        (4, 10.0, list(range(12)), [n / 4 for n in range(12)]),
        # 3 per second of 10 fps: every 3rd frame (floor of 10 / 3), as vpdq does.
        (10, 3.0, list(range(0, 30, 3)), [n / 10 for n in range(0, 30, 3)]),
        (25, 1.0, [0, 25, 50], [0.0, 1.0, 2.0]),
    ],
    ids=["10fps-at-1", "10fps-at-2", "10fps-at-half", "4fps-at-10", "10fps-at-3", "25fps-at-1"],
)
def test_frames_are_sampled_like_vpdq(
    fps: int, per_second: float, numbers: list[int], timestamps: list[float]
) -> None:
    video = open_video(
        synthetic_video(25, 3.0, fps=fps), MediaLimits(), frames_per_second=per_second
    )
    frames = list(video.frames())
    assert [f.frame_number for f in frames] == numbers
    assert [f.timestamp for f in frames] == pytest.approx(timestamps)
    for frame in frames:
        assert frame.pixels.shape == (240, 320, 3)
        assert frame.pixels.dtype.name == "uint8"
        assert frame.pixels.flags.c_contiguous


@pytest.mark.parametrize("container", ["mp4", "matroska", "mpegts"], ids=["mp4", "mkv", "ts"])
def test_common_containers_decode_alike(container: str) -> None:
    video = open_video(synthetic_video(26, 3.0, container=container), MediaLimits())
    assert (video.info.width, video.info.height) == (320, 240)
    assert video.info.frame_rate == pytest.approx(10.0)
    assert [f.timestamp for f in video.frames()] == [0.0, 1.0, 2.0]


def test_header_is_described() -> None:
    info = open_video(SMALL, MediaLimits()).info
    assert (info.codec, info.width, info.height, info.frame_rate) == ("h264", 320, 240, 10.0)
    assert info.duration == pytest.approx(3.0)
    assert "mp4" in info.format


def test_each_pass_decodes_anew_and_stopping_early_is_clean() -> None:
    video = open_video(SMALL, MediaLimits())
    first = next(iter(video.frames()))
    again = list(video.frames())
    assert len(again) == 3
    assert (again[0].pixels == first.pixels).all()


def test_frames_per_second_must_be_positive() -> None:
    with pytest.raises(ValueError):
        open_video(SMALL, MediaLimits(), frames_per_second=0)


def test_damage_the_decoder_conceals_is_still_hashed() -> None:
    # Zeros over a tenth of an MP4's frames: players show glitches, and so do we;
    # refusing would let anyone dodge matching by flipping a byte.
    whole = synthetic_video(27, 8.0)
    damaged = list(open_video(corrupted(whole, 0.8, 0.9), MediaLimits()).frames())
    intact = list(open_video(whole, MediaLimits()).frames())
    assert [f.timestamp for f in damaged] == [f.timestamp for f in intact]
    assert (damaged[0].pixels == intact[0].pixels).all()


def test_mostly_undecodable_video_is_refused() -> None:
    whole = synthetic_video(27, 8.0)
    with pytest.raises(UnsupportedMedia) as caught:
        decode_all(corrupted(whole, 0.05, 0.95), MediaLimits())
    assert caught.value.code in {"corrupt_video", "truncated_video"}


def test_a_clock_that_starts_late_is_not_a_long_video() -> None:
    # Broadcast captures (MPEG-TS) start their clock anywhere: here at 10 hours.
    out = io.BytesIO()
    with av.open(out, mode="w", format="mpegts") as output:
        stream = output.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for n in range(30):
            pixels = np.asarray(synthetic_frame(28, n / 10), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = 10 * 3600 * 10 + n, Fraction(1, 10)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    video = open_video(out.getvalue(), MediaLimits(max_duration_s=60))
    assert [f.timestamp for f in video.frames()] == [0.0, 1.0, 2.0]
