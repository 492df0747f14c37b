"""vPDQ and video_md5: the signal-type contract, string forms, the coverage distance."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from fireline.domain import InvalidInput
from fireline.signals import MediaLimits, open_video
from fireline.signals.digests import VideoMd5Signal
from fireline.signals.vpdq import (
    MAX_FRAMES,
    VpdqFrame,
    VpdqSignal,
    format_vpdq,
    format_vpdq_text,
    hash_frames,
    parse_vpdq,
    parse_vpdq_text,
)
from fireline.testing import SignalTypeContract, flip_bits, random_hex
from fireline.testing.media import synthetic_video

H1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
H2 = "0f5e6ec9b7f39b6a1e82a1f3c5e5ab0b6f57cf3a17f7e8c6bf0a8d5c5e6fa712"
H3 = "3c3c3c3c0f0f0f0fc3c3c3c3f0f0f0f03c3c3c3c0f0f0f0fc3c3c3c3f0f0f0f0"


def signal(*frames: tuple[str, int, float]) -> str:
    """A canonical vpdq string from (hash, quality, seconds) rows."""
    return format_vpdq(VpdqFrame(h, q, t) for h, q, t in frames)


def random_frames(rng: random.Random, count: int) -> list[VpdqFrame]:
    seconds = 0.0
    frames = []
    for _ in range(count):
        frames.append(VpdqFrame(random_hex(rng, 256), rng.randint(50, 100), round(seconds, 3)))
        seconds += rng.choice((0.5, 1.0, 1.0, 2.0))
    return frames


class TestVideoMd5Contract(SignalTypeContract):
    signal_type = VideoMd5Signal
    valid_cases = [("D41D8CD98F00B204E9800998ECF8427E ", "d41d8cd98f00b204e9800998ecf8427e")]
    invalid_cases = ["", "d41d8cd98f00b204e9800998ecf8427", "z" * 32, H1]
    far_pairs = [("0" * 32, "1" * 32)]

    def random_signal(self, rng: random.Random) -> str:
        return random_hex(rng, 128)


class TestVpdqContract(SignalTypeContract):
    signal_type = VpdqSignal
    # Coverage is symmetric and 0 only on identical strings, but an excerpt is close
    # to two unrelated videos that both contain it: no triangle inequality.
    compare_is_metric = False
    # The segment index is the next slice of issue 3; until then vpdq is not indexed.
    has_index = False
    valid_cases = [
        # python-threatexchange's own form: three significant digits, ", " separators.
        (
            f'["{H1},100,0.0", "{H2},87,1.0", "{H3},50,1.23e+02"]',
            f'["{H1},100,0.000", "{H2},87,1.000", "{H3},50,123.000"]',
        ),
        (f'[" {H1.upper()} , 100 , 0.0004 "]', f'["{H1},100,0.000"]'),
        (f'\n["{H1},0,5","{H1},0,5"]\n', f'["{H1},0,5.000", "{H1},0,5.000"]'),
    ]
    invalid_cases = [
        "",
        "[]",
        "null",
        "not json",
        f"{H1},100,0.0",
        f'{{"0": "{H1},100,0.0"}}',
        "[1, 2]",
        f'[["{H1}", 100, 0.0]]',
        f'["{H1},100"]',
        f'["{H1},100,0.0,7"]',
        f'["{H1[:-1]},100,0.0"]',
        f'["{H1}0,100,0.0"]',
        f'["{"g" * 64},100,0.0"]',
        f'["{H1},101,0.0"]',
        f'["{H1},-1,0.0"]',
        f'["{H1},9.5,0.0"]',
        f'["{H1},,0.0"]',
        f'["{H1},100,-0.5"]',
        f'["{H1},100,nan"]',
        f'["{H1},100,inf"]',
        f'["{H1},100,soon"]',
        f'["{H1},100,2.0", "{H2},100,1.0"]',
        json.dumps([f"{H1},100,{n}" for n in range(MAX_FRAMES + 1)]),
        " " * (MAX_FRAMES * 100 + 1),
    ]
    close_pairs = [
        (signal((H1, 100, 0), (H2, 100, 1)), signal((H1, 100, 0))),
        (signal((H1, 100, 0)), signal((flip_bits(H1, 31, random.Random(1)), 90, 7))),
    ]
    far_pairs = [
        (signal((H1, 100, 0)), signal((H2, 100, 0))),
        (signal((H1, 100, 0), (H2, 100, 1)), signal((H1, 100, 0), (H3, 100, 1))),
    ]
    index_size = 40

    def random_signal(self, rng: random.Random) -> str:
        return format_vpdq(random_frames(rng, rng.randint(1, 12)))

    def near_signal(self, value: str, rng: random.Random) -> str:
        frames = parse_vpdq(value)
        near = [
            VpdqFrame(flip_bits(f.pdq_hex, rng.randint(0, 20), rng), f.quality, f.timestamp)
            for f in frames
        ]
        if len(near) > 1 and rng.random() < 0.5:
            near.pop(rng.randrange(len(near)))  # an excerpt: one frame fewer
        return format_vpdq(near)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        (signal((H1, 100, 0)), signal((H1, 100, 0)), 0),
        # Same frames, other timestamps or qualities: covered, but not the same string.
        (signal((H1, 100, 0)), signal((H1, 100, 3)), 1),
        (signal((H1, 100, 0)), signal((H1, 60, 0)), 1),
        # An excerpt is fully covered by its source, whichever side it is on.
        (signal((H1, 100, 0)), signal((H1, 100, 0), (H2, 100, 1), (H3, 100, 2)), 1),
        (signal((H1, 100, 0), (H2, 100, 1), (H3, 100, 2)), signal((H2, 100, 5)), 1),
        # Half of the better-covered video's frames are found.
        (signal((H1, 100, 0), (H2, 100, 1)), signal((H1, 100, 0), (H3, 100, 1)), 50),
        # One of three found (2/3 unmatched, rounded up); one of four on the other side.
        (
            signal((H1, 100, 0), (H2, 100, 1), (H3, 100, 2)),
            signal(
                (H1, 100, 0), *((flip_bits(H1, 128, random.Random(n)), 100, n) for n in (1, 2, 3))
            ),
            67,
        ),
        # Within PDQ distance 31 a frame matches; at 32 it does not.
        (signal((H1, 100, 0)), signal((flip_bits(H1, 31, random.Random(3)), 100, 0)), 1),
        (signal((H1, 100, 0)), signal((flip_bits(H1, 32, random.Random(3)), 100, 0)), 100),
        # Frames below quality 50 never count: here nothing is left to compare.
        (signal((H1, 49, 0)), signal((H1, 100, 1)), 100),
        (signal((H1, 49, 0), (H2, 100, 1)), signal((H1, 100, 0), (H2, 100, 1)), 1),
    ],
    ids=[
        "identical",
        "other-timestamp",
        "other-quality",
        "excerpt-of-source",
        "source-of-excerpt",
        "half-covered",
        "rounded-up",
        "pdq-31-matches",
        "pdq-32-does-not",
        "low-quality-only",
        "low-quality-ignored",
    ],
)
def test_compare_is_coverage_of_the_better_covered_video(a: str, b: str, distance: int) -> None:
    assert VpdqSignal.compare(a, b) == distance
    assert VpdqSignal.compare(b, a) == distance


def test_compare_scales_to_thousands_of_frames() -> None:
    rng = random.Random(4)
    frames = random_frames(rng, 3000)
    excerpt = frames[1000:1300]
    assert VpdqSignal.compare(format_vpdq(frames), format_vpdq(excerpt)) == 1
    other = random_frames(rng, 3000)
    assert VpdqSignal.compare(format_vpdq(frames), format_vpdq(other)) == 100


TEXT = f"0,100,{H1},0.000\n30,87,{H2},1.001\n60,0,{H3},2.002\n"


def test_text_form_round_trips() -> None:
    frames = parse_vpdq_text(TEXT)
    assert [(f.frame_number, f.quality, f.pdq_hex, f.timestamp) for f in frames] == [
        (0, 100, H1, 0.0),
        (30, 87, H2, 1.001),
        (60, 0, H3, 2.002),
    ]
    assert format_vpdq_text(frames) == TEXT
    assert format_vpdq(frames) == f'["{H1},100,0.000", "{H2},87,1.001", "{H3},0,2.002"]'


def test_text_form_without_frame_numbers_numbers_frames_by_position() -> None:
    frames = parse_vpdq(signal((H1, 100, 0), (H2, 90, 1.5)))
    assert format_vpdq_text(frames) == f"0,100,{H1},0.000\n1,90,{H2},1.500\n"


def test_text_form_reads_crlf_and_blank_lines() -> None:
    frames = parse_vpdq_text(TEXT.replace("\n", "\r\n") + "\r\n\r\n")
    assert len(frames) == 3


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        f"0,100,{H1}\n",
        f"0,100,{H1},0.000,extra\n",
        f"x,100,{H1},0.000\n",
        f"-1,100,{H1},0.000\n",
        f"0,100,{H1[:-2]},0.000\n",
        f"0,200,{H1},0.000\n",
        f"0,100,{H1},-1.000\n",
        f"0,100,{H1},1.000\n1,100,{H2},0.500\n",
        f"0,100,{H1},0.000\n" * (MAX_FRAMES + 1),
    ],
    ids=[
        "empty",
        "blank-lines",
        "three-fields",
        "five-fields",
        "bad-frame-number",
        "negative-frame-number",
        "short-hash",
        "quality-200",
        "negative-time",
        "time-goes-back",
        "too-many-frames",
    ],
)
def test_malformed_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_vpdq_text(text)
    assert caught.value.code == "malformed_signal"


@pytest.fixture(scope="module")
def video() -> bytes:
    return synthetic_video(11, 5.0, fps=10)


def test_video_hashes_one_frame_per_second_with_timestamps(video: bytes) -> None:
    frames = hash_frames(open_video(video, MediaLimits()))
    assert [f.timestamp for f in frames] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [f.frame_number for f in frames] == [0, 10, 20, 30, 40]
    assert all(f.quality >= 80 for f in frames)
    signal_ = VpdqSignal.hash_video(open_video(video, MediaLimits()))
    assert parse_vpdq(signal_.value) == [
        VpdqFrame(f.pdq_hex, f.quality, f.timestamp) for f in frames
    ]
    assert signal_.quality == max(f.quality for f in frames)


def test_video_md5_is_the_md5_of_the_file(video: bytes) -> None:
    assert VideoMd5Signal.hash_bytes(video).value == hashlib.md5(video).hexdigest()


def test_a_re_encoded_video_is_close() -> None:
    original = VpdqSignal.hash_video(open_video(synthetic_video(12, 6.0), MediaLimits()))
    mpeg4 = VpdqSignal.hash_video(
        open_video(synthetic_video(12, 6.0, codec="mpeg4"), MediaLimits())
    )
    other = VpdqSignal.hash_video(open_video(synthetic_video(13, 6.0), MediaLimits()))
    assert VpdqSignal.compare(original.value, mpeg4.value) <= VpdqSignal.default_threshold
    assert VpdqSignal.compare(original.value, other.value) == 100
