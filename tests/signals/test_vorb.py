"""vORB: keypoints matched by geometry find the rotated, zoomed and cropped copies PDQ loses."""

from __future__ import annotations

import base64
import random
import struct
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from fireline.bootstrap import hashing_service
from fireline.domain import InvalidInput, Signal
from fireline.settings import Settings
from fireline.signals import vorb
from fireline.signals.vorb import VorbSignal, format_vorb, parse_vorb
from fireline.signals.vpdq import VpdqSignal
from fireline.testing import (
    Media,
    SignalTypeContract,
    benign_video,
    clips,
    edit,
    livestream,
    render_media,
)

SECONDS = 12
SIZE = (320, 240)

Hasher = Callable[[Media], dict[str, dict[str, Signal]]]


@pytest.fixture(scope="module")
def hash_media() -> Hasher:
    """Render a media and hash it, variants included: type -> transform -> signal."""
    service = hashing_service(Settings())

    def hashed(media: Media) -> dict[str, dict[str, Signal]]:
        return service.hash_content(render_media(media), variants=True).variants

    return hashed


@pytest.fixture(scope="module")
def stream() -> Media:
    return livestream(2019, SECONDS, size=SIZE)


@pytest.fixture(scope="module")
def reference(stream: Media, hash_media: Hasher) -> dict[str, dict[str, Signal]]:
    return hash_media(stream)


def edited(stream: Media, *names: str, seed: int = 7) -> Media:
    rng = np.random.default_rng(seed)
    for name in names:
        stream = edit(stream, name, rng)
    return stream


def test_a_video_hashes_to_a_canonical_string_with_its_quality(
    reference: dict[str, dict[str, Signal]],
) -> None:
    signal = reference["vorb"]["original"]
    assert signal.value.startswith("1:")
    assert VorbSignal.validate(signal.value) == signal.value
    frames = parse_vorb(signal.value)
    # One frame a second (the sampling vPDQ uses), each with at most KEYPOINTS keypoints.
    assert len(frames) == SECONDS
    assert all(0 < len(f.points) <= vorb.KEYPOINTS for f in frames)
    assert all(f.points.min() >= 0 and f.points.max() <= 1 for f in frames)
    assert format_vorb(frames) == signal.value
    assert signal.quality == 100
    assert not VorbSignal.too_low_quality(signal.quality)
    assert VorbSignal.compare(signal.value, signal.value) == 0


@pytest.mark.parametrize(
    "names",
    [
        ("rotate", "mute"),
        ("zoom", "mute"),
        ("crop_corner", "new_sound"),
        ("rotate", "mute", "letterbox"),
        ("screen_recording", "mute"),
        ("low_quality", "rotate"),
    ],
)
def test_geometric_edits_that_defeat_vpdq_still_match(
    names: tuple[str, ...],
    stream: Media,
    reference: dict[str, dict[str, Signal]],
    hash_media: Hasher,
) -> None:
    copy = hash_media(edited(stream, *names))
    distance = VorbSignal.compare(
        copy["vorb"]["original"].value, reference["vorb"]["original"].value
    )
    assert distance <= VorbSignal.default_threshold


def test_a_rotated_copy_is_lost_by_vpdq_and_found_by_vorb(
    stream: Media, reference: dict[str, dict[str, Signal]], hash_media: Hasher
) -> None:
    copy = hash_media(edited(stream, "rotate", "mute"))
    vpdq = VpdqSignal.compare(copy["vpdq"]["original"].value, reference["vpdq"]["original"].value)
    found = VorbSignal.compare(copy["vorb"]["original"].value, reference["vorb"]["original"].value)
    assert vpdq > VpdqSignal.default_threshold
    assert found <= VorbSignal.default_threshold


@pytest.mark.parametrize(
    "seed,name",
    [(301, "rotate"), (302, "zoom"), (303, "captions"), (304, "screen_recording"), (305, "noise")],
)
def test_unrelated_videos_with_the_same_edits_do_not_match(
    seed: int, name: str, reference: dict[str, dict[str, Signal]], hash_media: Hasher
) -> None:
    other = hash_media(edited(benign_video(seed, SECONDS, size=SIZE), name))
    for transform in ("original", "flip_horizontal"):
        distance = VorbSignal.compare(
            other["vorb"][transform].value, reference["vorb"]["original"].value
        )
        assert distance == 100


def test_a_mirrored_copy_matches_through_its_mirrored_variant_only(
    stream: Media, reference: dict[str, dict[str, Signal]], hash_media: Hasher
) -> None:
    copy = hash_media(edited(stream, "mirror"))
    banked = reference["vorb"]["original"].value
    # Keypoints are not mirror-invariant: the plain signal misses, the flipped one finds it.
    assert VorbSignal.compare(copy["vorb"]["original"].value, banked) == 100
    assert VorbSignal.compare(copy["vorb"]["flip_horizontal"].value, banked) <= 10


def test_an_excerpt_matches_where_it_lies(
    stream: Media, reference: dict[str, dict[str, Signal]], hash_media: Hasher
) -> None:
    copy = hash_media(edited(stream, "excerpt", "rotate", seed=11))
    query = vorb.KeyframeTable.of(parse_vorb(copy["vorb"]["original"].value))
    banked = vorb.KeyframeTable.of(parse_vorb(reference["vorb"]["original"].value))
    segments = vorb.segments_between(query, banked)
    assert segments
    best = max(segments, key=lambda s: s.score)
    assert best.score >= 50
    # The excerpt starts somewhere inside the stream and is at most as long.
    assert 0 <= best.reference_start < SECONDS
    assert best.reference_end - best.reference_start <= SECONDS


def test_a_featureless_video_has_quality_0(hash_media: Hasher) -> None:
    blank = Media(clips.Clip(lambda t: Image.new("RGB", SIZE, (120, 120, 120)), 4.0), None)
    signal = hash_media(blank)["vorb"]["original"]
    assert signal.quality == 0
    assert VorbSignal.too_low_quality(signal.quality)


def test_a_long_video_is_sampled_more_sparsely_within_the_bound(
    monkeypatch: pytest.MonkeyPatch, stream: Media, hash_media: Hasher
) -> None:
    monkeypatch.setattr(vorb, "MAX_FRAMES", 5)
    frames = parse_vorb(hash_media(stream)["vorb"]["original"].value)
    assert len(frames) <= 5
    gaps = np.diff([f.timestamp for f in frames])
    assert len(frames) >= 3 and gaps.min() >= 2.0


def _blob(*frames: tuple[int, int, bytes]) -> str:
    return (
        "1:"
        + base64.b64encode(
            b"".join(struct.pack("<IH", ms, n) + body for ms, n, body in frames)
        ).decode()
    )


@pytest.mark.parametrize(
    "value,words",
    [
        ("", "version"),
        ("2:AAAA", "version"),
        ("1:not base64!", "base64"),
        ("1:", "at least one frame"),
        ("1:" + base64.b64encode(b"\x01\x02").decode(), "truncated"),
        (_blob((0, 3, b"\x00" * 10)), "do not fit"),
        (_blob((0, 300, b"\x00" * (300 * 36))), "do not fit"),
        (_blob((2000, 0, b""), (1000, 0, b"")), "must not decrease"),
    ],
)
def test_malformed_signals_are_refused_with_the_reason(value: str, words: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        VorbSignal.validate(value)
    assert raised.value.code == "malformed_signal"
    assert words in str(raised.value)


def test_too_many_frames_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vorb, "MAX_FRAMES", 2)
    with pytest.raises(InvalidInput, match="at most 2 frames"):
        parse_vorb(_blob((0, 0, b""), (1, 0, b""), (2, 0, b"")))


def random_keyframes(rng: random.Random, count: int) -> list[vorb.Keyframe]:
    generator = np.random.default_rng(rng.randrange(2**32))
    frames = []
    for second in range(count):
        n = int(generator.integers(vorb.MIN_FRAME_KEYPOINTS, vorb.KEYPOINTS + 1))
        frames.append(
            vorb.Keyframe(
                float(second),
                generator.random((n, 2)).astype(np.float32),
                generator.integers(0, 256, (n, 32), dtype=np.uint8),
            )
        )
    return frames


def moved(frames: list[vorb.Keyframe], rng: random.Random) -> list[vorb.Keyframe]:
    """The frames turned a little, zoomed out and shifted, with a few bits of each
    descriptor flipped: what a rotated, re-encoded copy looks like to the matcher."""
    generator = np.random.default_rng(rng.randrange(2**32))
    angle = np.radians(rng.uniform(-6, 6))
    scale = rng.uniform(0.8, 0.95)
    turn = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    out = []
    for frame in frames:
        points = (frame.points - 0.5) @ turn.T.astype(np.float32) + 0.5
        flips = np.zeros(frame.descriptors.shape, dtype=np.uint8)
        for row in range(len(flips)):
            for bit in generator.choice(256, size=int(generator.integers(0, 9)), replace=False):
                flips[row, bit // 8] |= np.uint8(1 << (bit % 8))
        out.append(vorb.Keyframe(frame.timestamp, np.clip(points, 0, 1), frame.descriptors ^ flips))
    return out


_ONE = format_vorb(random_keyframes(random.Random(1), 3))
_TWO = format_vorb(random_keyframes(random.Random(2), 3))


class TestVorbContract(SignalTypeContract):
    signal_type = VorbSignal
    # A segment distance, like vPDQ's: directional, not a metric.
    compare_is_metric = False
    compare_is_symmetric = False
    valid_cases = [(f"  {_ONE}\n", _ONE), (_TWO, _TWO)]
    invalid_cases = [
        "",
        "1:",
        "2:" + _ONE[2:],
        _ONE[2:],
        "1:***",
        _ONE[:-8],
        _blob((2000, 0, b""), (1000, 0, b"")),
        " " * (vorb._MAX_CHARS + 1),
    ]
    close_pairs = [(_ONE, format_vorb(moved(parse_vorb(_ONE), random.Random(3))))]
    far_pairs = [(_ONE, _TWO)]
    index_size = 24

    def random_signal(self, rng: random.Random) -> str:
        return format_vorb(random_keyframes(rng, rng.randint(1, 4)))

    def near_signal(self, value: str, rng: random.Random) -> str:
        return format_vorb(moved(parse_vorb(value), rng))
