"""Synthetic livestreams with sound, and the edits re-uploaders make: rendered and matched."""

from __future__ import annotations

import io
from collections.abc import Iterator

import av
import numpy as np
import pytest

from fireline.bootstrap import Container, build
from fireline.domain import MatchResult
from fireline.settings import Settings
from fireline.signals import ContentType
from fireline.testing import (
    EDIT_NAMES,
    SAMPLE_RATE,
    Captions,
    Media,
    benign_video,
    edit,
    livestream,
    render_media,
)
from fireline.testing.media import random_photo

SIZE = (160, 120)


def rendered_facts(data: bytes) -> tuple[tuple[int, int], int, float | None]:
    """(width, height), the number of frames, and seconds of decoded sound (None: silent)."""
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        size = (video.codec_context.width, video.codec_context.height)
        frames = sum(1 for _ in container.decode(video=0))
    with av.open(io.BytesIO(data)) as container:
        if not container.streams.audio:
            return size, frames, None
        samples = sum(frame.samples for frame in container.decode(audio=0))
        rate = container.streams.audio[0].codec_context.sample_rate
    return size, frames, samples / rate


def check_renders(media: Media) -> bytes:
    """Render the media and check what comes back: its size, length and sound."""
    if media.sound is not None:
        assert media.sound.dtype == np.float32
        assert len(media.sound) == round(media.seconds * SAMPLE_RATE)
        assert np.abs(media.sound).max() <= 1.0
    data = render_media(media)
    size, frames, sound_seconds = rendered_facts(data)
    assert size == SIZE
    assert frames == round(media.seconds * 2)
    if media.sound is None:
        assert sound_seconds is None
    else:
        # AAC adds a little padding at the start and the end.
        assert sound_seconds == pytest.approx(media.seconds, abs=0.2)
    return data


@pytest.fixture(scope="module")
def stream() -> Media:
    return livestream(3, 8.0, size=SIZE)


@pytest.fixture(scope="module")
def stream_bytes(stream: Media) -> bytes:
    return render_media(stream)


@pytest.mark.parametrize("name", EDIT_NAMES)
def test_every_edit_renders_a_video_of_the_same_size(stream: Media, name: str) -> None:
    edited = edit(stream, name, np.random.default_rng(1))
    check_renders(edited)
    assert (edited.sound is None) == (name == "mute")


@pytest.mark.parametrize("name", EDIT_NAMES)
def test_every_edit_is_deterministic(stream: Media, stream_bytes: bytes, name: str) -> None:
    first = render_media(edit(stream, name, np.random.default_rng(2)))
    assert first == render_media(edit(stream, name, np.random.default_rng(2)))
    assert first != stream_bytes


@pytest.mark.parametrize(
    ("name", "shortest", "longest"),
    [
        ("excerpt", 0.3 * 8, 0.8 * 8),
        ("speed", 8 / 1.25, 8 / 0.8),
        ("compilation", 8 + 2 * 5, 8 + 2 * 15),
        ("mirror", 8, 8),
        ("pip", 8, 8),
    ],
)
def test_edits_keep_to_their_lengths(
    stream: Media, name: str, shortest: float, longest: float
) -> None:
    for seed in range(10):
        seconds = edit(stream, name, np.random.default_rng(seed)).seconds
        assert shortest - 1e-9 <= seconds <= longest + 1e-9


def test_an_unknown_edit_is_refused(stream: Media) -> None:
    with pytest.raises(ValueError, match="unknown edit 'sepia'"):
        edit(stream, "sepia", np.random.default_rng(0))


@pytest.mark.parametrize(
    "chain",
    [
        ("excerpt", "mirror", "captions"),
        ("compilation", "pip", "speed"),
        ("mute", "zoom", "new_sound"),
        ("screen_recording", "noise", "low_quality"),
        ("rotate", "crop_corner", "voiceover"),
        ("mute", "compilation", "letterbox"),
    ],
    ids="+".join,
)
def test_edits_chain(stream: Media, chain: tuple[str, ...]) -> None:
    rng = np.random.default_rng(3)
    media = stream
    for name in chain:
        media = edit(media, name, rng)
    check_renders(media)


def test_media_are_deterministic_and_seeds_differ() -> None:
    one = render_media(livestream(4, 3.0, size=SIZE))
    assert one == render_media(livestream(4, 3.0, size=SIZE))
    assert one != render_media(livestream(5, 3.0, size=SIZE))
    assert one != render_media(benign_video(4, 3.0, size=SIZE))


def test_a_longer_livestream_starts_like_a_shorter_one() -> None:
    short, long = livestream(6, 3.0, size=SIZE), livestream(6, 6.0, size=SIZE)
    assert short.sound is not None and long.sound is not None
    assert np.array_equal(short.sound, long.sound[: len(short.sound)])
    assert short.clip.picture(2.5).tobytes() == long.clip.picture(2.5).tobytes()


def test_captions_change_every_four_seconds() -> None:
    captions = Captions(np.random.default_rng(7))
    picture = random_photo(1, SIZE)
    first, same, next_line = (captions(picture, t).tobytes() for t in (0.0, 3.9, 4.0))
    assert first == same != next_line
    assert first != picture.tobytes()
    assert captions.mark.startswith("@")


# -- matching ------------------------------------------------------------------------

SECONDS = 16.0


@pytest.fixture(scope="module")
def original() -> Media:
    return livestream(1, SECONDS)


@pytest.fixture(scope="module")
def banked(original: Media) -> Iterator[Container]:
    """An in-memory instance whose bank holds the rendered livestream."""
    container = build(Settings(database_url="memory://"))
    container.banks.create(name="stream")
    container.banks.add_content(
        bank="stream", data=render_media(original), content_type=ContentType.VIDEO
    )
    yield container
    container.close()


def matched_by(container: Container, media: Media) -> set[str]:
    result: MatchResult = container.matcher.match_content(
        render_media(media), content_type=ContentType.VIDEO
    )
    return {match.entry.signal_type for match in result.matches}


def test_an_excerpt_matches_by_picture_and_sound(banked: Container, original: Media) -> None:
    excerpt = edit(original, "excerpt", np.random.default_rng(0))
    assert {"vpdq", "audio_fp"} <= matched_by(banked, excerpt)


def test_unrelated_videos_match_nothing(banked: Container) -> None:
    assert matched_by(banked, benign_video(2, SECONDS)) == set()
    assert matched_by(banked, livestream(2, SECONDS)) == set()


def test_a_zoomed_copy_with_new_sound_is_found_by_its_keypoints_alone(
    banked: Container, original: Media
) -> None:
    # The zoom moves every PDQ bit and the sound is replaced: only vorb is left.
    rng = np.random.default_rng(0)
    copy = edit(edit(edit(original, "mute", rng), "zoom", rng), "new_sound", rng)
    assert matched_by(banked, copy) == {"vorb"}
