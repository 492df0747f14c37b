"""Hashing and matching audio: audio files, video soundtracks, and copies with another picture."""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
import pytest

from fireline.bootstrap import Container, build
from fireline.domain import InvalidInput, MediaTooLarge, Signal, UnsupportedMedia
from fireline.services import HashingService
from fireline.settings import Settings
from fireline.signals import ContentType, MediaLimits, SignalRegistry
from fireline.signals.audio_fp import AudioFpSignal
from fireline.signals.vpdq import VpdqSignal
from fireline.testing.media import (
    MUSIC_RATE,
    encode_audio,
    synthetic_music,
    synthetic_video,
    video_with_soundtrack,
)


@functools.cache
def soundtrack() -> npt.NDArray[np.float32]:
    return synthetic_music(41, 12)


def service(limits: MediaLimits | None = None) -> HashingService:
    return HashingService(
        registry=SignalRegistry.from_entry_points(), limits=limits or MediaLimits()
    )


def signal_of(signals: tuple[Signal, ...], name: str) -> Signal:
    [signal] = [s for s in signals if s.signal_type == name]
    return signal


def test_an_audio_file_gives_its_fingerprint() -> None:
    data = encode_audio(soundtrack(), codec="libmp3lame", container="mp3", bit_rate=64_000)
    hashed = service().hash_content(data, content_type=ContentType.AUDIO)
    assert hashed.content_type is ContentType.AUDIO
    assert [s.signal_type for s in hashed.signals] == ["audio_fp"]
    [signal] = hashed.signals
    assert signal.quality is not None and signal.quality >= 90
    assert AudioFpSignal.validate(signal.value) == signal.value


def test_a_video_gives_its_soundtracks_fingerprint_beside_its_pictures() -> None:
    hashed = service().hash_content(
        video_with_soundtrack(1, soundtrack()), content_type=ContentType.VIDEO
    )
    assert {s.signal_type for s in hashed.signals} == {"audio_fp", "video_md5", "vorb", "vpdq"}
    audio = encode_audio(soundtrack())
    alone = signal_of(
        service().hash_content(audio, content_type=ContentType.AUDIO).signals, "audio_fp"
    )
    found = signal_of(hashed.signals, "audio_fp")
    assert AudioFpSignal.compare(found.value, alone.value) <= 10
    assert AudioFpSignal.compare(alone.value, found.value) <= 10


def test_a_video_with_no_soundtrack_just_has_no_audio_signal() -> None:
    hashed = service().hash_content(synthetic_video(1, 2.0), content_type=ContentType.VIDEO)
    assert {s.signal_type for s in hashed.signals} == {"video_md5", "vorb", "vpdq"}


def test_a_video_whose_soundtrack_is_too_short_keeps_its_other_signals() -> None:
    short = video_with_soundtrack(2, soundtrack()[: 2 * MUSIC_RATE])
    hashed = service().hash_content(short, content_type=ContentType.VIDEO)
    assert {s.signal_type for s in hashed.signals} == {"video_md5", "vorb", "vpdq"}


def test_an_audio_file_without_sound_is_refused() -> None:
    with pytest.raises(UnsupportedMedia) as raised:
        service().hash_content(synthetic_video(1, 2.0), content_type=ContentType.AUDIO)
    assert raised.value.code == "no_audio_stream"


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"not audio at all" * 64, "not_audio"), (b"", "empty_file")],
    ids=["text", "empty"],
)
def test_bad_audio_is_refused_by_the_service(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        service().hash_content(data, content_type=ContentType.AUDIO)
    assert raised.value.code == code


def test_limits_refuse_a_video_for_its_soundtrack_too() -> None:
    video = video_with_soundtrack(3, soundtrack())
    with pytest.raises(MediaTooLarge) as raised:
        service(MediaLimits(max_duration_s=5)).hash_content(video, content_type=ContentType.VIDEO)
    assert raised.value.code == "too_long"


# -- matching ------------------------------------------------------------------------


@pytest.fixture
def banked() -> Container:
    """An in-memory instance whose bank holds a video with the soundtrack."""
    container = build(Settings(database_url="memory://"))
    container.banks.create(name="videos")
    original = video_with_soundtrack(4, soundtrack())
    container.banks.add_content(bank="videos", data=original, content_type=ContentType.VIDEO)
    return container


def test_a_copy_with_another_picture_is_found_by_its_sound(banked: Container) -> None:
    # Nothing of the picture is left (another seed, another size and container), and the
    # sound is re-encoded at a lower bit rate with another codec.
    copy = video_with_soundtrack(
        5,
        soundtrack()[int(1.7 * MUSIC_RATE) :],
        size=(192, 144),
        container="matroska",
        audio_codec="libopus",
        bit_rate=24_000,
    )
    hashed = banked.hashing.hash_content(copy, content_type=ContentType.VIDEO)
    banked_vpdq = [e for e in banked.banks.entries(bank="videos") if e.signal_type == "vpdq"]
    assert VpdqSignal.compare(signal_of(hashed.signals, "vpdq").value, banked_vpdq[0].value) > (
        VpdqSignal.default_threshold
    )
    result = banked.matcher.match_content(copy, content_type=ContentType.VIDEO)
    assert {m.entry.signal_type for m in result.matches} == {"audio_fp"}
    [match] = result.matches
    assert match.distance <= match.threshold == AudioFpSignal.default_threshold
    top = max(match.segments, key=lambda s: s.score)
    assert top.reference_start - top.query_start == pytest.approx(1.7, abs=0.5)


def test_an_audio_file_matches_the_video_it_was_taken_from(banked: Container) -> None:
    audio = encode_audio(soundtrack(), codec="aac", container="adts", bit_rate=48_000)
    result = banked.matcher.match_content(audio, content_type=ContentType.AUDIO)
    [match] = result.matches
    assert match.entry.signal_type == "audio_fp"


def test_silence_is_refused_as_too_low_quality(banked: Container) -> None:
    silence = encode_audio(np.zeros(10 * MUSIC_RATE, dtype=np.float32))
    result = banked.matcher.match_content(silence, content_type=ContentType.AUDIO)
    assert result.matches == ()
    [refusal] = result.refused
    assert refusal.signal.signal_type == "audio_fp"
