"""Decoding audio under limits: PCM for fingerprinting, from audio files and video soundtracks.

The first audio stream is decoded with PyAV and resampled (``av.AudioResampler``) to
16-bit mono at the rate a fingerprinter asks for, and handed over in chunks as it is
decoded, so memory stays flat however long the file is.

The same care as for video (``fireline.signals.video``): bytes are checked before
anything is parsed; the container's declared duration on its header; the playing time
of the decoded samples as they arrive (a header can lie or say nothing, as in raw ADTS
AAC); and a wall-clock budget, checked between packets. Only common audio and video
containers are probed, and no protocol may be opened, so playlists and concat scripts
are never followed.

Damage the decoder conceals or skips (a few broken packets) is decoded as a player would
play it. A file that cannot be opened, decodes to nothing, stops well short of the
length its header states exactly, or is mostly broken packets is refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer

from fireline.domain import InvalidInput, MediaTooLarge, UnsupportedMedia
from fireline.signals.media import MediaLimits, check_size
from fireline.signals.video import (
    VIDEO_FORMATS,
    PacketDecoder,
    open_container,
    stream_duration,
    too_long,
)

#: Demuxers untrusted bytes may reach (FFmpeg's names): MP3, WAV, FLAC, Ogg (Vorbis,
#: Opus, FLAC), raw ADTS AAC, MP4/M4A, Matroska/WebM, and every video container (for
#: soundtracks).
AUDIO_FORMATS = f"mp3,wav,flac,ogg,aac,{VIDEO_FORMATS}"

#: Formats whose header states the audio's length exactly, so that samples stopping
#: well short of it mean a truncated file. MP3 and ADTS lengths may be guesses from the
#: first frames' bit rate (wrong for variable bit rates); WAV's and Ogg's follow the
#: bytes actually there, so a cut file of those formats is a shorter sound.
_EXACT_LENGTH_FORMATS = frozenset({"flac", "matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2"})


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the container header says about its first audio stream."""

    format: str
    codec: str
    sample_rate: int
    channels: int
    #: Seconds, when the container declares it (the longest of its streams).
    duration: float | None
    #: Seconds, when the audio stream states its own length exactly (see above).
    audio_duration: float | None = None


class DecodedAudio:
    """An audio stream checked against the limits; ``pcm()`` decodes it on each call."""

    def __init__(self, data: bytes, info: AudioInfo, limits: MediaLimits) -> None:
        self._data = data
        self.info = info
        self.limits = limits

    def pcm(self, sample_rate: int) -> Iterator[npt.NDArray[np.int16]]:
        """Decode and yield 16-bit mono samples at ``sample_rate``, in order, in chunks.

        Raises as soon as a limit is hit. The time budget runs from the first call to the
        last chunk, so it bounds what the caller does with the samples too.
        """
        started = time.monotonic()
        frames = 0
        played = 0.0
        resampler = _Resampler(sample_rate)
        with _open(self._data) as container:
            stream = container.streams.audio[0]
            packets = PacketDecoder(container, stream, lambda: self._check_budget(started))
            try:
                for frame in packets.frames():
                    if frame.samples == 0:
                        continue
                    frames += 1
                    played += frame.samples / frame.sample_rate
                    if played > self.limits.max_duration_s:
                        raise too_long(played, self.limits, declared=False, what="audio")
                    yield from resampler.resample(frame)
                yield from resampler.resample(None)
            except (av.FFmpegError, ValueError) as exc:
                raise UnsupportedMedia(
                    f"the audio is corrupt and cannot be decoded ({exc})", code="corrupt_audio"
                ) from exc
        refused = packets.refused
        if frames == 0:
            if self.info.duration or refused:
                raise UnsupportedMedia(
                    "the audio is truncated or corrupt: nothing could be decoded",
                    code="corrupt_audio",
                )
            raise InvalidInput("the audio has no samples (zero duration)", code="zero_duration")
        self._check_complete(played)
        if refused > frames:
            raise UnsupportedMedia(
                f"the audio is corrupt: {refused} of its packets cannot be decoded "
                f"and only {frames} can",
                code="corrupt_audio",
            )

    def _check_budget(self, started: float) -> None:
        if time.monotonic() - started > self.limits.max_decode_s:
            raise MediaTooLarge(
                f"decoding the audio took longer than {self.limits.max_decode_s:g} s "
                "(FIRELINE_MAX_DECODE_SECONDS); stopped",
                code="decode_too_slow",
            )

    def _check_complete(self, played: float) -> None:
        declared = self.info.audio_duration
        if declared is not None and played < declared - max(2.0, 0.1 * declared):
            raise UnsupportedMedia(
                f"the audio is truncated: it declares {declared:,.1f} s but its samples stop "
                f"at {played:,.1f} s",
                code="truncated_audio",
            )


def open_audio(data: bytes, limits: MediaLimits) -> DecodedAudio:
    """Check an audio file's header against the limits; samples are decoded later.

    Raises InvalidInput (empty, no streams), MediaTooLarge (bytes, declared duration) or
    UnsupportedMedia (not a supported container, no audio stream).
    """
    check_size(data, limits)
    audio = _describe_first_audio(data, limits)
    if audio is None:
        raise UnsupportedMedia("the file has no audio stream", code="no_audio_stream")
    return audio


def open_soundtrack(data: bytes, limits: MediaLimits) -> DecodedAudio | None:
    """A video's soundtrack (its first audio stream) under the limits, or None without one.

    For a video already opened with ``fireline.signals.open_video``; raises as
    ``open_audio`` does for a file that is no longer readable.
    """
    check_size(data, limits)
    return _describe_first_audio(data, limits)


def _describe_first_audio(data: bytes, limits: MediaLimits) -> DecodedAudio | None:
    with _open(data) as container:
        if not container.streams:
            raise InvalidInput(
                "the container holds no streams at all (zero duration)", code="zero_duration"
            )
        if not container.streams.audio:
            return None
        info = _describe(container, container.streams.audio[0])
    if info.duration is not None and info.duration > limits.max_duration_s:
        raise too_long(info.duration, limits, declared=True, what="audio")
    return DecodedAudio(data, info, limits)


class _Resampler:
    """``av.AudioResampler`` to 16-bit mono, rebuilt if the input's format changes midway.

    A stream may switch sample rate or channel layout between frames (ADTS and MP3
    allow it); PyAV's resampler refuses a frame unlike its first.
    """

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._resampler: av.AudioResampler | None = None
        self._input: tuple[str, str, int] | None = None

    def resample(self, frame: AudioFrame | None) -> Iterator[npt.NDArray[np.int16]]:
        if frame is not None:
            shape = (frame.format.name, frame.layout.name, frame.sample_rate)
            if self._resampler is not None and shape != self._input:
                yield from self._drain()
            if self._resampler is None:
                self._input = shape
                self._resampler = av.AudioResampler(
                    format="s16", layout="mono", rate=self.sample_rate
                )
            for out in self._resampler.resample(frame):
                yield _samples(out)
        else:
            yield from self._drain()

    def _drain(self) -> Iterator[npt.NDArray[np.int16]]:
        if self._resampler is not None:
            for out in self._resampler.resample(None):
                yield _samples(out)
        self._resampler = None


def _samples(frame: AudioFrame) -> npt.NDArray[np.int16]:
    # Packed s16 mono: one plane, possibly padded past the samples.
    plane = np.frombuffer(memoryview(frame.planes[0]), dtype=np.int16)
    return plane[: frame.samples].copy()


def _open(data: bytes) -> InputContainer:
    return open_container(
        data,
        AUDIO_FORMATS,
        UnsupportedMedia(
            "the file is not audio in a supported container (MP3, WAV, FLAC, Ogg, AAC, "
            "M4A/MP4, Matroska/WebM, or a video container), or its header is truncated or "
            "corrupt",
            code="not_audio",
        ),
    )


def _describe(container: InputContainer, stream: AudioStream) -> AudioInfo:
    context = stream.codec_context
    if not context.sample_rate or context.sample_rate <= 0:
        raise UnsupportedMedia("the audio stream declares no sample rate", code="corrupt_audio")
    declared = stream_duration(stream)
    duration = declared
    if container.duration is not None and container.duration > 0:
        duration = max(container.duration / av.time_base, declared or 0.0)
    exact = container.format.name in _EXACT_LENGTH_FORMATS
    return AudioInfo(
        format=container.format.name,
        codec=context.name,
        sample_rate=context.sample_rate,
        channels=context.channels,
        duration=duration,
        audio_duration=declared if exact else None,
    )
