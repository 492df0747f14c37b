"""Following a video as its bytes arrive: sampling, timing, refusals, errors after frames."""

from __future__ import annotations

import pytest

from fireline.domain import MediaTooLarge, UnsupportedMedia
from fireline.domain.watches import StreamStalled
from fireline.signals import MediaLimits, open_video, trim_borders
from fireline.signals.live import ArrivingBytes, follow_video
from fireline.signals.vpdq import hash_frame, hash_frames
from fireline.testing.live import ListedSource
from fireline.testing.media import synthetic_video

PIXELS = 64_000_000


def follow(data: bytes, **source: object) -> list[tuple[float, str]]:
    reader = ArrivingBytes(ListedSource(data, **source))  # type: ignore[arg-type]
    return [
        (frame.timestamp, frame.chunk.label if frame.chunk else "")
        for frame in follow_video(reader, max_pixels=PIXELS)
    ]


@pytest.mark.parametrize("container", ["mpegts", "matroska", "flv"])
def test_streamable_containers_are_sampled_once_a_second_by_stream_time(container: str) -> None:
    data = synthetic_video(1, 5.0, container=container)
    frames = follow(data, chunk_bytes=4096)
    assert [t for t, _ in frames] == [0.0, 1.0, 2.0, 3.0, 4.0]
    # Each frame knows which chunk its bytes came in, and later frames came later.
    numbers = [int(label.removeprefix("piece ")) for _, label in frames]
    assert numbers == sorted(numbers) and numbers[-1] > numbers[0] >= 1


def test_a_followed_stream_hashes_like_the_whole_file() -> None:
    data = synthetic_video(2, 6.0, container="mpegts")
    reader = ArrivingBytes(ListedSource(data, chunk_bytes=1000))
    followed = [
        hash_frame(trim_borders(f.pixels), f.frame_number, f.timestamp).pdq_hex
        for f in follow_video(reader, max_pixels=PIXELS)
    ]
    whole = [f.pdq_hex for f in hash_frames(open_video(data, MediaLimits()))]
    assert followed == whole


def test_a_clock_that_jumps_back_is_rebased_to_keep_time_moving() -> None:
    # Two encodings end to end: the second starts its clock again at zero.
    data = synthetic_video(1, 3.0, container="mpegts") + synthetic_video(2, 3.0, container="mpegts")
    times = [t for t, _ in follow(data)]
    assert times == sorted(times) and len(times) == 6
    assert times[-1] == pytest.approx(5.0, abs=0.2)


def test_an_mp4_with_its_index_at_the_end_is_refused_at_once() -> None:
    data = synthetic_video(1, 2.0, container="mp4")
    source = ListedSource(data, chunk_bytes=512)
    with pytest.raises(UnsupportedMedia) as caught:
        list(follow_video(ArrivingBytes(source), max_pixels=PIXELS))
    assert caught.value.code == "unfollowable_mp4"
    assert source.served <= 2, "refused from its first bytes, not after reading it all"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<!DOCTYPE html><html><body>not found</body></html>" * 200, "not_a_video"),
        (b"\x00" * 50_000, "not_a_video"),
    ],
    ids=["html", "zeros"],
)
def test_bytes_that_are_not_video_are_refused(data: bytes, code: str) -> None:
    with pytest.raises(UnsupportedMedia) as caught:
        list(follow_video(ArrivingBytes(ListedSource(data)), max_pixels=PIXELS))
    assert caught.value.code == code


def test_frames_over_the_pixel_limit_are_refused() -> None:
    data = synthetic_video(1, 2.0, container="mpegts")
    with pytest.raises(MediaTooLarge) as caught:
        list(follow_video(ArrivingBytes(ListedSource(data)), max_pixels=320 * 240 - 1))
    assert caught.value.code == "too_many_pixels"


def test_a_source_failure_is_raised_after_the_frames_that_came_before_it() -> None:
    data = synthetic_video(1, 4.0, container="mpegts")
    stall = StreamStalled("no new segment for 1 s")
    source = ListedSource(data[: len(data) * 3 // 4], then=stall)
    reader = ArrivingBytes(source)
    frames = []
    with pytest.raises(StreamStalled):
        frames.extend(follow_video(reader, max_pixels=PIXELS))
    assert len(frames) >= 2
    assert reader.failure is stall


def test_the_reader_remembers_when_chunks_came_but_not_their_bytes() -> None:
    data = synthetic_video(1, 3.0, container="mpegts")
    reader = ArrivingBytes(ListedSource(data, chunk_bytes=1000))
    frames = list(follow_video(reader, max_pixels=PIXELS))
    assert reader.chunks == -(-len(data) // 1000)
    remembered = [reader.chunk_at(position) for position in range(0, len(data), 1000)]
    assert all(chunk is not None and chunk.data == b"" for chunk in remembered)
    assert all(frame.chunk is not None and frame.chunk.data == b"" for frame in frames)
