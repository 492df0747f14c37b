"""Decoding a live stream as its bytes arrive: sampled frames, with when their bytes came.

A live stream has no end to check against, so the whole-file limits of ``video.py``
(bytes, declared duration, a decode budget) give way to live ones: every frame's size is
still checked, the source bounds how long it waits for bytes (its stall timeout) and how
large one chunk may be, and the caller keeps only a window of recent frames.

Bytes come from a ``ChunkSource`` (HLS segments, the new end of a growing file), read by
FFmpeg through ``ArrivingBytes``, a blocking, non-seekable file object. Containers that
can be read front to back work: MPEG-TS, Matroska/WebM, FLV and fragmented MP4. An MP4
whose index (``moov``) comes after its media (``mdat``) cannot be read until it is
finished, and is refused at once.

Frames are sampled by stream time (the first frame at or after each 1/fps boundary),
timed from the first frame; a clock that jumps back, or forward by more than a minute
(an HLS discontinuity, a restarted encoder), is re-based to continue where it was.
"""

from __future__ import annotations

import bisect
import math
import struct
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

import av
import numpy as np
import numpy.typing as npt
from av.container import InputContainer

from fireline.domain import MediaTooLarge, UnsupportedMedia

#: Demuxers live bytes may reach: streamable containers only (FFmpeg's names).
LIVE_FORMATS = "mpegts,matroska,webm,flv,mov,mp4,m4a,3gp,3g2,mj2"
#: Enough to find the streams of MPEG-TS, Matroska or FLV; FFmpeg's default (5 MB, 5 s)
#: would hold the first frames back until seconds of a live stream had arrived.
_PROBE_BYTES = 16 * 1024
#: A stream clock jump larger than this (seconds) is a discontinuity, not a gap.
MAX_CLOCK_JUMP = 60.0
#: Chunk boundaries remembered, to tell when a frame's bytes arrived.
_CHUNKS_KEPT = 4096
#: Packet positions remembered, to map a decoded frame back to its bytes.
_POSITIONS_KEPT = 512
#: How far into an MP4 to look for its index before leaving the question to FFmpeg.
_MP4_HEAD_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes that arrived together (an HLS segment, a read of a growing file)."""

    data: bytes
    #: ``time.monotonic()`` when the last byte arrived.
    arrived: float
    #: Where the bytes came from, for people: "segment 17 (live17.ts)", "bytes 0-65535".
    label: str
    #: Something to tell the watcher (segments skipped before this one), or "".
    notice: str = ""


class SourceClosed(Exception):
    """The source was closed while a reader waited on it (the watch is stopping)."""


class ChunkSource(Protocol):
    """Where live bytes come from. ``next_chunk`` blocks; ``close`` may come from any thread."""

    def open(self) -> Mapping[str, object]:
        """Connect and check the source; returns facts for people (the variant chosen...).

        Raises InvalidInput (or a subclass) when the source cannot be read.
        """
        ...

    def next_chunk(self) -> Chunk | None:
        """The next bytes, waiting for them; None when the stream has ended.

        Raises StreamStalled when nothing arrives within the stall timeout, InvalidInput
        when the source turns bad, SourceClosed after ``close``.
        """
        ...

    def close(self) -> None:
        """Stop waiting and free what the source holds; idempotent."""
        ...

    @property
    def container(self) -> str | None:
        """The FFmpeg demuxer the bytes are in, when the source knows it."""
        ...

    @property
    def end_reason(self) -> str:
        """Why ``next_chunk`` returned None, for people ("end of playlist")."""
        ...


class ArrivingBytes:
    """A blocking, non-seekable file object over a ChunkSource, for FFmpeg to read.

    Errors from the source never go through FFmpeg: the reader records the first one,
    reports end of file, and ``failure`` holds it for the caller to raise once FFmpeg has
    returned (so the frames decoded before a stall are kept).
    """

    def __init__(
        self, source: ChunkSource, *, on_wait: Callable[[bool], None] | None = None
    ) -> None:
        """``on_wait(True)`` is called before waiting on the source, ``on_wait(False)`` after."""
        self._source = source
        self._on_wait = on_wait
        self._buffer = memoryview(b"")
        self._held = bytearray()  # bytes peeked at but not yet read
        self._offset = 0  # bytes handed out or held, from the stream's start
        self._starts: deque[int] = deque(maxlen=_CHUNKS_KEPT)
        self._chunks: deque[Chunk] = deque(maxlen=_CHUNKS_KEPT)
        self.notices: deque[str] = deque(maxlen=100)
        self.failure: BaseException | None = None
        self.ended = False
        self.chunks = 0
        self.total_bytes = 0

    def read(self, size: int = -1) -> bytes:
        if self._held:
            take = len(self._held) if size < 0 else min(size, len(self._held))
            out = bytes(self._held[:take])
            del self._held[:take]
            return out
        if not self._buffer and not self._fill():
            return b""
        take = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        out = self._buffer[:take].tobytes()
        self._buffer = self._buffer[take:]
        return out

    def peek(self, size: int) -> bytes:
        """The next ``size`` bytes (fewer at the end) without consuming them; waits for them."""
        while len(self._held) < size:
            if not self._buffer and not self._fill():
                break
            take = min(size - len(self._held), len(self._buffer))
            self._held += self._buffer[:take]
            self._buffer = self._buffer[take:]
        return bytes(self._held[:size])

    def chunk_at(self, position: int) -> Chunk | None:
        """The chunk that holds byte ``position`` (the oldest remembered, if older).

        Remembered chunks carry their label and arrival time, not their bytes.
        """
        if not self._chunks:
            return None
        index = bisect.bisect_right(self._starts, position) - 1
        return self._chunks[max(index, 0)]

    @property
    def latest(self) -> Chunk | None:
        return self._chunks[-1] if self._chunks else None

    def _fill(self) -> bool:
        while not self.ended:
            if self._on_wait is not None:
                self._on_wait(True)
            try:
                chunk = self._source.next_chunk()
            except BaseException as exc:  # recorded for the caller; FFmpeg sees the end
                self.failure = exc
                self.ended = True
                return False
            finally:
                if self._on_wait is not None:
                    self._on_wait(False)
            if chunk is None:
                self.ended = True
                return False
            if chunk.notice:
                self.notices.append(chunk.notice)
            if not chunk.data:
                continue
            self._starts.append(self.total_bytes)
            # Remember when and where, not the bytes: frames point back at these.
            self._chunks.append(replace(chunk, data=b""))
            self.chunks += 1
            self.total_bytes += len(chunk.data)
            self._buffer = memoryview(chunk.data)
            return True
        return False


@dataclass(frozen=True, slots=True)
class LiveFrame:
    """One sampled frame: RGB pixels, its stream time and the chunk its bytes came in."""

    pixels: npt.NDArray[np.uint8]
    timestamp: float
    chunk: Chunk | None
    frame_number: int


@dataclass
class _Clock:
    """Stream time from the first frame, re-based across discontinuities."""

    origin: float | None = None
    shift: float = 0.0
    last: float = -1.0
    step: float = 1 / 30

    def time_of(self, raw: float | None) -> float:
        if raw is None:
            now = self.last + self.step if self.last >= 0 else 0.0
        else:
            if self.origin is None:
                self.origin = raw
            now = raw - self.origin + self.shift
            if self.last >= 0 and (now < self.last - 0.5 or now > self.last + MAX_CLOCK_JUMP):
                self.shift += self.last + self.step - now
                now = self.last + self.step
        if self.last >= 0 and now > self.last:
            self.step = min(max(now - self.last, 1 / 240), 1.0)
        self.last = max(self.last, now)
        return self.last


@dataclass
class _Positions:
    """Byte positions of recent packets by presentation time, to time a decoded frame."""

    by_pts: OrderedDict[int, int] = field(default_factory=OrderedDict)

    def add(self, pts: int | None, position: int | None) -> None:
        if pts is None or position is None or position < 0:
            return
        self.by_pts[pts] = position
        if len(self.by_pts) > _POSITIONS_KEPT:
            self.by_pts.popitem(last=False)

    def of(self, pts: int | None, fallback: int) -> int:
        if pts is None:
            return fallback
        return self.by_pts.get(pts, fallback)


def follow_video(
    reader: ArrivingBytes,
    *,
    max_pixels: int,
    frames_per_second: float = 1.0,
    container: str | None = None,
) -> Iterator[LiveFrame]:
    """Decode the stream as it arrives and yield sampled frames, until it ends.

    Raises what the source raised (StreamStalled, InvalidInput...) once the frames before
    it are out; UnsupportedMedia when the bytes are not a followable video;
    MediaTooLarge for a frame over ``max_pixels``.
    """
    if not frames_per_second > 0:
        raise ValueError(f"frames_per_second must be positive; got {frames_per_second}")
    check_followable(reader)
    decoded = 0
    try:
        with _open(reader, container) as stream_container:
            if not stream_container.streams.video:
                raise UnsupportedMedia("the stream has no video", code="no_video_stream")
            stream = stream_container.streams.video[0]
            # Frame threads hold frames back (one per thread); slices do not.
            stream.thread_type = "SLICE"
            clock = _Clock()
            positions = _Positions()
            last_sample = -1
            for packet in stream_container.demux(stream):
                positions.add(packet.pts, packet.pos)
                try:
                    frames = stream.decode(packet)
                except av.InvalidDataError:
                    continue  # a damaged packet: skipped, as players do
                for frame in frames:
                    if frame.width * frame.height > max_pixels:
                        raise _too_many_pixels(frame.width, frame.height, max_pixels)
                    decoded += 1
                    seconds = clock.time_of(frame.time)
                    index = math.floor(seconds * frames_per_second + 1e-6)
                    if index <= last_sample:
                        continue
                    last_sample = index
                    fallback = packet.pos if packet.pos is not None else -1
                    position = positions.of(frame.pts, fallback)
                    chunk = reader.chunk_at(position) if position >= 0 else reader.latest
                    yield LiveFrame(
                        pixels=np.ascontiguousarray(frame.to_ndarray(format="rgb24")),
                        timestamp=round(seconds, 3),
                        chunk=chunk,
                        frame_number=decoded - 1,
                    )
    except av.FFmpegError as exc:
        if reader.failure is not None:
            raise reader.failure from None
        raise UnsupportedMedia(
            f"the stream is not a video FFmpeg can follow, or it is corrupt ({exc})",
            code="not_a_video",
        ) from exc
    if reader.failure is not None:
        raise reader.failure
    if decoded == 0:
        raise UnsupportedMedia(
            "no video frame could be decoded from the stream", code="corrupt_video"
        )


def check_followable(reader: ArrivingBytes) -> None:
    """Refuse an MP4 whose media comes before its index: it cannot be read as it grows."""
    position = 0
    for _ in range(8):  # ftyp, free, wide... a few small boxes before moov or mdat
        header = reader.peek(position + 8)[position:]
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        if position == 0 and kind != b"ftyp":
            return  # not MP4: FFmpeg decides
        if kind in (b"moov", b"moof"):
            return
        if kind == b"mdat":
            raise UnsupportedMedia(
                "this MP4 keeps its index (moov) after the media, so it cannot be followed "
                "while it is written: record to MPEG-TS, Matroska, FLV or fragmented MP4, or "
                "match the finished file with `fireline match`",
                code="unfollowable_mp4",
            )
        if size < 8 or position + size > _MP4_HEAD_BYTES:
            return
        position += size


def _open(reader: ArrivingBytes, container: str | None) -> InputContainer:
    options = {
        "format_whitelist": LIVE_FORMATS,
        "protocol_whitelist": "none",
        "probesize": str(_PROBE_BYTES),
        "analyzeduration": "0",
    }
    try:
        return av.open(reader, mode="r", format=container, options=options)
    except av.FFmpegError as exc:
        if reader.failure is not None:
            raise reader.failure from None
        raise UnsupportedMedia(
            "the stream is not video in a container that can be followed as it arrives "
            "(MPEG-TS, Matroska/WebM, FLV, fragmented MP4)",
            code="not_a_video",
        ) from exc


def _too_many_pixels(width: int, height: int, limit: int) -> MediaTooLarge:
    return MediaTooLarge(
        f"the stream's frames are {width}x{height} ({width * height:,} pixels), over the "
        f"limit of {limit:,} pixels (FIRELINE_MAX_IMAGE_PIXELS)",
        code="too_many_pixels",
    )
