"""vPDQ and video_md5: the signal-type contract, string forms, the coverage distance."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from fireline.domain import InvalidInput, Segment
from fireline.signals import MediaLimits, open_video
from fireline.signals.digests import VideoMd5Signal
from fireline.signals.vpdq import (
    MAX_FRAMES,
    FrameTable,
    VpdqFrame,
    VpdqSignal,
    format_vpdq,
    format_vpdq_text,
    hash_frames,
    parse_vpdq,
    parse_vpdq_text,
    segments_between,
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
    # A segment distance: an excerpt is at 0 from its source, and the query's frames
    # are the ones counted.
    compare_is_metric = False
    compare_is_symmetric = False
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
        (signal((H1, 100, 0)), signal((H1, 100, 0), (H2, 100, 1))),
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
    ("a", "b", "distance", "reverse"),
    [
        (signal((H1, 100, 0)), signal((H1, 100, 0)), 0, 0),
        # Same frame, another time or quality: still the same one-frame video.
        (signal((H1, 100, 0)), signal((H1, 100, 3)), 0, 0),
        (signal((H1, 100, 0)), signal((H1, 60, 0)), 0, 0),
        # One frame found of a two-frame query: fewer frames than a segment needs.
        (signal((H1, 100, 0), (H2, 100, 1)), signal((H1, 100, 0), (H3, 100, 1)), 100, 100),
        # Within PDQ distance 31 a frame matches; at 32 it does not.
        (signal((H1, 100, 0)), signal((flip_bits(H1, 31, random.Random(3)), 100, 0)), 0, 0),
        (signal((H1, 100, 0)), signal((flip_bits(H1, 32, random.Random(3)), 100, 0)), 100, 100),
        # Frames below quality 50 never count: here nothing is left to compare.
        (signal((H1, 49, 0)), signal((H1, 100, 1)), 100, 100),
        # Counted on the query's side: one usable frame found (a segment), or one of two.
        (signal((H1, 49, 0), (H2, 100, 1)), signal((H1, 100, 0), (H2, 100, 1)), 0, 100),
    ],
    ids=[
        "identical",
        "other-timestamp",
        "other-quality",
        "too-few-frames",
        "pdq-31-matches",
        "pdq-32-does-not",
        "low-quality-only",
        "low-quality-ignored",
    ],
)
def test_compare_small_cases(a: str, b: str, distance: int, reverse: int) -> None:
    assert VpdqSignal.compare(a, b) == distance
    assert VpdqSignal.compare(b, a) == reverse


def scenes(rng: random.Random, seconds: int, scene: int = 3) -> list[VpdqFrame]:
    """One frame per second; the picture changes every ``scene`` seconds."""
    hashes = [random_hex(rng, 256) for _ in range(seconds // scene + 1)]
    return [VpdqFrame(hashes[t // scene], 90, float(t)) for t in range(seconds)]


def noisy(frames: list[VpdqFrame], rng: random.Random, start: float = 0.0) -> list[VpdqFrame]:
    """The frames re-encoded (up to 12 bits changed) and re-timed from ``start``."""
    base = frames[0].timestamp
    return [
        VpdqFrame(flip_bits(f.pdq_hex, rng.randint(0, 12), rng), 80, start + f.timestamp - base)
        for f in frames
    ]


def segments(query: list[VpdqFrame], reference: list[VpdqFrame]) -> list[Segment]:
    return segments_between(FrameTable.of(query), FrameTable.of(reference))


def test_an_excerpt_inside_a_compilation_is_found_and_localised() -> None:
    rng = random.Random(5)
    source = scenes(rng, 600)
    before, after = scenes(rng, 100), scenes(rng, 180)
    excerpt = noisy(source[200:220], rng, start=100.0)
    compilation = [*before, *excerpt, *noisy(after, rng, start=120.0)]
    [found] = segments(compilation, source)
    assert abs(found.query_start - 100) <= 2 and abs(found.query_end - 120) <= 2
    assert abs(found.reference_start - 200) <= 2 and abs(found.reference_end - 220) <= 2
    assert found.speed == pytest.approx(1.0, abs=0.1)
    assert found.score == 100 and found.matched_frames == 20
    assert found.query_coverage == pytest.approx(20 / 300, abs=0.01)
    assert found.reference_coverage == pytest.approx(20 / 600, abs=0.01)
    assert VpdqSignal.compare(format_vpdq(compilation), format_vpdq(source)) == 0


@pytest.mark.parametrize("speed", [0.5, 0.8, 1.25, 2.0])
def test_sped_up_and_slowed_down_copies_align(speed: float) -> None:
    rng = random.Random(int(speed * 100))
    source = scenes(rng, 300, scene=2)
    # The copy shows source time 100 + speed * t at its own second t, for 30 source seconds.
    copy = [
        VpdqFrame(flip_bits(source[int(100 + speed * t)].pdq_hex, 6, rng), 80, float(t))
        for t in range(int(30 / speed))
    ]
    [found] = segments(copy, source)
    assert found.speed == pytest.approx(speed, rel=0.1)
    assert abs(found.reference_start - 100) <= 2
    assert abs(found.reference_end - 130) <= 2 + speed


def test_two_excerpts_of_one_source_are_two_segments() -> None:
    rng = random.Random(6)
    source = scenes(rng, 400)
    filler = scenes(rng, 60)
    query = [
        *noisy(source[50:80], rng, start=0.0),
        *noisy(filler, rng, start=30.0),
        *noisy(source[300:320], rng, start=90.0),
    ]
    first, second = segments(query, source)
    assert abs(first.reference_start - 50) <= 2 and abs(second.reference_start - 300) <= 2
    assert abs(first.query_start - 0) <= 2 and abs(second.query_start - 90) <= 2


def test_frames_that_match_out_of_order_do_not_match() -> None:
    rng = random.Random(7)
    source = scenes(rng, 300, scene=1)
    shuffled = [source[t] for t in rng.sample(range(300), 40)]
    query = [VpdqFrame(f.pdq_hex, 90, float(n * 5)) for n, f in enumerate(shuffled)]
    # Chance lines through scattered pairs exist, but few of their frames match.
    threshold = VpdqSignal.default_threshold
    assert all(100 - found.score > threshold for found in segments(query, source))
    assert VpdqSignal.compare(format_vpdq(query), format_vpdq(source)) > threshold


def test_the_score_counts_the_query_frames_that_match_inside_the_segment() -> None:
    rng = random.Random(8)
    source = scenes(rng, 100, scene=1)
    copy = noisy(source[10:30], rng)
    for n in (4, 9, 14):  # three frames defeated by an edit
        copy[n] = VpdqFrame(random_hex(rng, 256), 80, copy[n].timestamp)
    [found] = segments(copy, source)
    assert found.score == 85 and found.matched_frames == 17
    assert VpdqSignal.compare(format_vpdq(copy), format_vpdq(source)) == 15


def test_compare_scales_to_thousands_of_frames() -> None:
    rng = random.Random(4)
    frames = scenes(rng, 3000)
    excerpt = frames[1000:1300]
    assert VpdqSignal.compare(format_vpdq(excerpt), format_vpdq(frames)) == 0
    other = scenes(rng, 3000)
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
