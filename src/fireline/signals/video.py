"""Decoding video under limits: sampled frames and their timestamps, never past the limits.

Frames are chosen the way the vpdq reference (facebook/ThreatExchange, ``vpdq/``) chooses
them, so that per-frame hashes line up with hashes made by python-threatexchange and HMA:
every n-th decoded frame, n being the stream's average frame rate divided by the frames
per second asked for (rounded down, at least 1), stamped with its frame number divided
by the frame rate. For variable-frame-rate video those stamps are approximate, as there.

Damage the decoder conceals (a few broken packets) is hashed as a player would show it:
refusing it would let anyone dodge matching by flipping a byte. A file that cannot be
opened, decodes to nothing, stops well short of its declared length, or is mostly
damaged frames is refused.

Every limit is enforced: bytes before anything is parsed; the container's declared
duration and the frame size on the header; each decoded frame's size and time as it
arrives (a header can lie); and a wall-clock budget, checked between packets, so a
pathological file costs at most that long. Only common video containers are probed, so
playlists and concat scripts (which make FFmpeg open other files) are never followed.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.video.stream import VideoStream

from fireline.domain import InvalidInput, MediaTooLarge, UnsupportedMedia
from fireline.signals.media import MediaLimits, check_size

#: Demuxers untrusted bytes may reach (FFmpeg's names): MP4/MOV, Matroska/WebM, AVI,
#: MPEG-TS/PS, FLV, ASF/WMV, Ogg, animated GIF, raw H.264/HEVC/MPEG-4 and IVF streams.
VIDEO_FORMATS = (
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,flv,asf,ogg,gif,"
    "h264,hevc,m4v,mpegvideo,ivf"
)

#: The default sampling rate: one frame per second, as vpdq and HMA hash by default.
DEFAULT_FRAMES_PER_SECOND = 1.0


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One sampled frame: RGB pixels (height x width x 3, uint8), its number and time."""

    pixels: npt.NDArray[np.uint8]
    frame_number: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the container header says about its video stream."""

    format: str
    codec: str
    width: int
    height: int
    frame_rate: float
    #: Seconds, when the container declares it (the longest of its streams).
    duration: float | None
    #: Seconds, when the video stream declares its own length: truncation is judged by it.
    video_duration: float | None = None


class DecodedVideo:
    """A video checked against the limits; ``frames()`` decodes its sampled frames.

    Each call to ``frames()`` decodes the file anew under the same limits and budget, so
    several hashers can each take a pass without the frames being held in memory.
    """

    def __init__(
        self, data: bytes, info: VideoInfo, limits: MediaLimits, frames_per_second: float
    ) -> None:
        self._data = data
        self.info = info
        self.limits = limits
        self.frames_per_second = frames_per_second
        #: Every frame_step-th decoded frame is sampled (the vpdq reference's rule).
        self.frame_step = max(1, int(info.frame_rate / frames_per_second + 1e-9))

    def frames(self) -> Iterator[VideoFrame]:
        """Decode and yield the sampled frames in order; raises as soon as a limit is hit.

        The time budget runs from the first call to the last frame, so it bounds what the
        caller does with the frames (hashing them) as well as the decoding.
        """
        started = time.monotonic()
        decoded = damaged = 0
        played = 0.0
        origin: float | None = None  # a stream's clock may start anywhere (MPEG-TS)
        with _open(self._data) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            packets = PacketDecoder(container, stream, lambda: self._check_budget(started))
            try:
                for frame in packets.frames():
                    if origin is None and frame.time is not None:
                        origin = frame.time
                    since = None if frame.time is None else frame.time - (origin or 0.0)
                    played = self._check_frame(frame.width, frame.height, decoded, since)
                    damaged += frame.is_corrupt
                    if decoded % self.frame_step == 0:
                        pixels = frame.to_ndarray(format="rgb24")
                        yield VideoFrame(
                            pixels=np.ascontiguousarray(pixels, dtype=np.uint8),
                            frame_number=decoded,
                            timestamp=decoded / self.info.frame_rate,
                        )
                    decoded += 1
            except av.FFmpegError as exc:
                raise UnsupportedMedia(
                    f"the video is corrupt and cannot be decoded ({exc})", code="corrupt_video"
                ) from exc
        if decoded == 0:
            if self.info.duration:
                raise UnsupportedMedia(
                    "the video is truncated or corrupt: no frame could be decoded",
                    code="corrupt_video",
                )
            raise InvalidInput("the video has no frames (zero duration)", code="zero_duration")
        self._check_complete(played + 1 / self.info.frame_rate)
        refused = packets.refused
        if 2 * (damaged + refused) > decoded + refused:
            raise UnsupportedMedia(
                f"the video is corrupt: {damaged} of its {decoded} frames are damaged and "
                f"{refused} packets cannot be decoded",
                code="corrupt_video",
            )

    def _check_budget(self, started: float) -> None:
        elapsed = time.monotonic() - started
        if elapsed > self.limits.max_decode_s:
            raise MediaTooLarge(
                f"decoding the video took longer than {self.limits.max_decode_s:g} s "
                "(FIRELINE_MAX_DECODE_SECONDS); stopped",
                code="decode_too_slow",
            )

    def _check_frame(self, width: int, height: int, number: int, since: float | None) -> float:
        """Refuse a frame over the limits; returns how far into the video it is, in seconds.

        ``since`` is the frame's time after the first frame's, when the stream has one.
        """
        if width * height > self.limits.max_pixels:
            raise _too_many_pixels(width, height, self.limits)
        played = max(number / self.info.frame_rate, since or 0.0)
        if played > self.limits.max_duration_s:
            raise too_long(played, self.limits, declared=False)
        return played

    def _check_complete(self, played: float) -> None:
        # A cut-off Matroska file decodes without complaint up to the cut; the length its
        # video track declares gives it away. (MPEG-TS declares none: a cut TS file is
        # a shorter video.) The slack absorbs rounding and timestamp quirks.
        declared = self.info.video_duration
        if declared is not None and played < declared - max(2.0, 0.1 * declared):
            raise UnsupportedMedia(
                f"the video is truncated: it declares {declared:,.1f} s but its frames stop "
                f"at {played:,.1f} s",
                code="truncated_video",
            )


class PacketDecoder:
    """A stream's frames in order, skipping packets the decoder refuses, as players do.

    ``before_packet`` runs before each packet is decoded (a time budget's check);
    ``refused`` counts the packets skipped, for judging how corrupt the file is.
    """

    def __init__(
        self,
        container: InputContainer,
        stream: VideoStream | AudioStream,
        before_packet: Callable[[], None],
    ) -> None:
        self._container = container
        self._stream = stream
        self._before_packet = before_packet
        self.refused = 0

    def frames(self) -> Iterator[Any]:
        """Video or audio frames, as the stream gives (typed Any: the callers know which)."""
        for packet in self._container.demux(self._stream):
            self._before_packet()
            try:
                frames = self._stream.decode(packet)
            except av.InvalidDataError:
                self.refused += 1
                continue
            yield from frames


def open_video(
    data: bytes, limits: MediaLimits, *, frames_per_second: float = DEFAULT_FRAMES_PER_SECOND
) -> DecodedVideo:
    """Check a video's header against the limits; frames are decoded later, on demand.

    Raises InvalidInput (empty), MediaTooLarge (bytes, frame size, declared duration) or
    UnsupportedMedia (not a video container, no video stream, no frame rate).
    """
    if not frames_per_second > 0:
        raise ValueError(f"frames_per_second must be positive; got {frames_per_second}")
    check_size(data, limits)
    with _open(data) as container:
        if not container.streams:
            raise InvalidInput(
                "the container holds no streams at all (zero duration)", code="zero_duration"
            )
        if not container.streams.video:
            raise UnsupportedMedia("the file has no video stream", code="no_video_stream")
        stream = container.streams.video[0]
        info = _describe(container, stream)
    if info.width * info.height > limits.max_pixels:
        raise _too_many_pixels(info.width, info.height, limits)
    if info.duration is not None and info.duration > limits.max_duration_s:
        raise too_long(info.duration, limits, declared=True)
    return DecodedVideo(data, info, limits, frames_per_second)


def _open(data: bytes) -> InputContainer:
    return open_container(
        data,
        VIDEO_FORMATS,
        UnsupportedMedia(
            "the file is not a video in a supported container "
            "(MP4/MOV, Matroska/WebM, AVI, MPEG-TS, FLV, WMV, Ogg, GIF), or its header is "
            "truncated or corrupt",
            code="not_a_video",
        ),
    )


def open_container(data: bytes, formats: str, refusal: UnsupportedMedia) -> InputContainer:
    """Open bytes with only the ``formats`` demuxers and no protocols, or raise ``refusal``."""
    try:
        return av.open(
            io.BytesIO(data),
            mode="r",
            options={"format_whitelist": formats, "protocol_whitelist": "none"},
        )
    except av.FFmpegError as exc:
        raise refusal from exc


def _describe(container: InputContainer, stream: VideoStream) -> VideoInfo:
    rate = _frame_rate(stream)
    if rate is None:
        raise UnsupportedMedia("the video stream declares no frame rate", code="corrupt_video")
    video_duration = stream_duration(stream)
    duration = video_duration
    if container.duration is not None and container.duration > 0:
        duration = max(container.duration / av.time_base, video_duration or 0.0)
    context = stream.codec_context
    return VideoInfo(
        format=container.format.name,
        codec=context.name,
        width=context.width,
        height=context.height,
        frame_rate=float(rate),
        duration=duration,
        video_duration=video_duration,
    )


def stream_duration(stream: av.stream.Stream) -> float | None:
    """The length a stream declares (its own duration, or Matroska's tag), in seconds."""
    if stream.duration is not None and stream.duration > 0 and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    # Matroska keeps each track's length in a tag, written by FFmpeg and mkvmerge.
    tag = stream.metadata.get("DURATION") or stream.metadata.get("duration")
    if tag:
        try:
            hours, minutes, seconds = tag.split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        except ValueError:
            return None
    return None


def _frame_rate(stream: VideoStream) -> Fraction | None:
    # The reference reads avg_frame_rate and falls back to r_frame_rate.
    for rate in (stream.average_rate, stream.base_rate, stream.guessed_rate):
        if rate is not None and rate > 0:
            return rate
    return None


def _too_many_pixels(width: int, height: int, limits: MediaLimits) -> MediaTooLarge:
    return MediaTooLarge(
        f"the video's frames are {width}x{height} ({width * height:,} pixels), over the limit "
        f"of {limits.max_pixels:,} pixels (FIRELINE_MAX_IMAGE_PIXELS)",
        code="too_many_pixels",
    )


def too_long(
    seconds: float, limits: MediaLimits, *, declared: bool, what: str = "video"
) -> MediaTooLarge:
    """The refusal of media longer than FIRELINE_MAX_VIDEO_SECONDS."""
    verb = "declares" if declared else "plays for more than"
    return MediaTooLarge(
        f"the {what} {verb} {seconds:,.1f} s, over the limit of {limits.max_duration_s:,.0f} s "
        "(FIRELINE_MAX_VIDEO_SECONDS)",
        code="too_long",
    )
