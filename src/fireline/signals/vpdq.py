"""vPDQ: a PDQ hash per sampled video frame, with its quality and timestamp.

The canonical string is python-threatexchange's ``vpdq`` signal string, so hashes move
between fireline, HMA and the exchanges without conversion: a JSON list with one
``"<pdq hex>,<quality>,<seconds>"`` string per frame, in time order. Timestamps are
written with three decimals (milliseconds). python-threatexchange itself writes three
*significant* digits (``"1.23e+02"`` for 123.4 s); those strings are read as they are and
canonicalised to three decimals, so nothing is lost that the exporter kept.

The vpdq command line's text form (one ``<frame number>,<quality>,<pdq hex>,<seconds>``
line per frame) is read and written by ``parse_vpdq_text`` and ``format_vpdq_text``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pdqhash

from fireline.domain import InvalidInput, Segment, Signal
from fireline.signals.alignment import Pairs, Timeline, find_segments, segment_distance
from fireline.signals.base import ContentType, IndexKind, SignalType, VideoHasher
from fireline.signals.borders import find_borders, inside, trim_borders
from fireline.signals.insets import Inset, InsetFinder
from fireline.signals.video import DecodedVideo

#: The longest frame list accepted: 27 hours at one frame per second.
MAX_FRAMES = 100_000
#: Frames below this PDQ quality are flat or featureless; they never count as matching.
MIN_FRAME_QUALITY = 50
#: Two frames match when their PDQ hashes are at most this far apart.
FRAME_DISTANCE = 31

_HEX64 = re.compile(r"[0-9a-f]{64}")
# One serialised frame is at most ~90 characters; refuse absurd input before parsing it.
_MAX_CHARS = MAX_FRAMES * 100
_FRAME_FORM = "<pdq hex>,<quality>,<seconds>"


@dataclass(frozen=True, slots=True)
class VpdqFrame:
    """One hashed frame: PDQ hash (hex), quality 0-100, seconds from the start."""

    pdq_hex: str
    quality: int
    timestamp: float
    #: The frame's number in the video, when known (the text form carries it).
    frame_number: int | None = None

    def __str__(self) -> str:
        return f"{self.pdq_hex},{self.quality},{self.timestamp:.3f}"


def parse_vpdq(value: str) -> list[VpdqFrame]:
    """Read a vPDQ signal string (a JSON list of frame strings), or raise InvalidInput."""
    if len(value) > _MAX_CHARS:
        raise _malformed(f"a vpdq signal holds at most {MAX_FRAMES:,} frames")
    try:
        items = json.loads(value)
    except (ValueError, RecursionError):
        raise _malformed(
            f"a vpdq signal is a JSON list of frame strings; got {value[:80]!r}"
        ) from None
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise _malformed(f"a vpdq signal is a JSON list of {_FRAME_FORM!r} strings")
    frames = []
    for position, item in enumerate(items):
        parts = item.split(",")
        if len(parts) != 3:
            raise _malformed(f"frame {position}: expected {_FRAME_FORM!r}; got {item[:100]!r}")
        frames.append(_frame(parts[0], parts[1], parts[2], None, position))
    return _checked(frames)


def format_vpdq(frames: Iterable[VpdqFrame]) -> str:
    """The canonical vPDQ signal string of the frames (python-threatexchange's form)."""
    return json.dumps([str(frame) for frame in frames])


def parse_vpdq_text(text: str) -> list[VpdqFrame]:
    """Read the vpdq command line's text form, one frame per line, or raise InvalidInput.

    Each line is ``<frame number>,<quality>,<pdq hex>,<seconds>``; blank lines are skipped.
    """
    if len(text) > _MAX_CHARS:
        raise _malformed(f"a vpdq hash file holds at most {MAX_FRAMES:,} frames")
    frames = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(",")
        if len(parts) != 4:
            raise _malformed(
                f'line {line_number}: expected "<frame number>,<quality>,<pdq hex>,<seconds>"; '
                f"got {line[:100]!r}"
            )
        number = _integer(parts[0], f"line {line_number}: frame number")
        if number < 0:
            raise _malformed(f"line {line_number}: the frame number is negative")
        frames.append(_frame(parts[2], parts[1], parts[3], number, line_number))
    return _checked(frames)


def format_vpdq_text(frames: Sequence[VpdqFrame]) -> str:
    """The vpdq command line's text form; frames without a number take their position."""
    lines = []
    for position, frame in enumerate(frames):
        number = position if frame.frame_number is None else frame.frame_number
        lines.append(f"{number},{frame.quality},{frame.pdq_hex},{frame.timestamp:.3f}\n")
    return "".join(lines)


def hash_frames(video: DecodedVideo) -> list[VpdqFrame]:
    """PDQ-hash each sampled frame of the video, inside its uniform borders."""
    return hash_frames_mirrored(video, mirrored=False)["original"]


def hash_frames_mirrored(
    video: DecodedVideo, *, mirrored: bool = True, insets: bool = False
) -> dict[str, list[VpdqFrame]]:
    """Frame hashes of the video as it is ("original") and mirrored ("flip_horizontal").

    Mirroring is the commonest edit made to dodge matching. The mirrored frames are
    really flipped and hashed (PDQ's own dihedral shortcut drifts up to 25 bits), from
    the same decoding pass.

    With ``insets``, pictures set inside the frame (picture-in-picture, split screens;
    ``fireline.signals.insets``) are looked for on the way, and when there are any, a
    second pass hashes each inset's crop of every frame, keyed ``inset(l,t,r,b)`` with
    the box in percent of the frame (and ``inset(l,t,r,b)+flip_horizontal`` mirrored).
    """
    original: list[VpdqFrame] = []
    flipped: list[VpdqFrame] = []
    finder = InsetFinder() if insets else None
    for frame in video.frames():
        _check_frame_count(len(original))
        borders = find_borders(frame.pixels)
        pixels = inside(frame.pixels, borders)
        original.append(hash_frame(pixels, frame.frame_number, frame.timestamp))
        if mirrored:
            flip = np.ascontiguousarray(pixels[:, ::-1])
            flipped.append(hash_frame(flip, frame.frame_number, frame.timestamp))
        if finder is not None:
            finder.add(frame.pixels, borders)
    hashed = {"original": original}
    if mirrored:
        hashed["flip_horizontal"] = flipped
    if finder is not None:
        hashed.update(_hash_insets(video, finder.insets(), mirrored=mirrored))
    return hashed


def _hash_insets(
    video: DecodedVideo, boxes: Sequence[Inset], *, mirrored: bool
) -> dict[str, list[VpdqFrame]]:
    hashed: dict[str, list[VpdqFrame]] = {}
    if not boxes:
        return hashed
    names = [f"inset({box.percent()})" for box in boxes]
    for name in names:
        hashed[name] = []
        if mirrored:
            hashed[name + "+flip_horizontal"] = []
    for frame in video.frames():
        for box, name in zip(boxes, names, strict=True):
            _check_frame_count(len(hashed[name]))
            pixels = trim_borders(box.crop(frame.pixels))
            hashed[name].append(hash_frame(pixels, frame.frame_number, frame.timestamp))
            if mirrored:
                flip = np.ascontiguousarray(pixels[:, ::-1])
                hashed[name + "+flip_horizontal"].append(
                    hash_frame(flip, frame.frame_number, frame.timestamp)
                )
    return hashed


def _check_frame_count(count: int) -> None:
    if count >= MAX_FRAMES:
        raise InvalidInput(
            f"the video gives more than {MAX_FRAMES:,} sampled frames; sample fewer "
            "frames per second (FIRELINE_VIDEO_FRAMES_PER_SECOND)",
            code="too_many_frames",
        )


def hash_frame(pixels: npt.NDArray[np.uint8], number: int, timestamp: float) -> VpdqFrame:
    """PDQ-hash one frame's RGB pixels (borders already trimmed, if wanted)."""
    bits, quality = pdqhash.compute(pixels)
    return VpdqFrame(
        pdq_hex=bytes(np.packbits(bits.astype(np.uint8))).hex(),
        quality=int(quality),
        timestamp=round(timestamp, 3),
        frame_number=number,
    )


class VpdqSignal(SignalType, VideoHasher):
    """Per-frame PDQ hashes of a video, matched as segments aligned in time.

    ``compare(query, reference)`` finds where the query copies the reference: frames of
    quality 50 or more whose hashes are within PDQ distance 31 are paired, the pairs are
    aligned in time (``fireline.signals.alignment``: any offset, speeds 0.5x to 2x), and
    the distance is 100 minus the best segment's score, the share of the query's frames
    inside the segment that match at the aligned time; 100 when there is no segment.
    An excerpt of a banked video is therefore at 0 from it, wherever it starts. The
    distance is directional (the query's frames are counted), so it is not symmetric.
    """

    name: ClassVar[str] = "vpdq"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.VIDEO})
    index_kind: ClassVar[IndexKind] = IndexKind.SEGMENT
    #: A segment matches when at least half its query frames match at the aligned time:
    #: edits that defeat a frame here and there (captions, re-encoding, filming a
    #: screen) still match, while chance pairs never line up in time.
    default_threshold: ClassVar[int] = 50

    @classmethod
    def validate(cls, value: str) -> str:
        return format_vpdq(parse_vpdq(value.strip()))

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        return segment_distance(
            segments_between(FrameTable.of(parse_vpdq(a)), FrameTable.of(parse_vpdq(b)))
        )

    @classmethod
    def too_low_quality(cls, quality: int | None) -> bool:
        # A vpdq signal's quality is its best frame's: below 50, no frame can match.
        return quality is not None and quality < MIN_FRAME_QUALITY

    @classmethod
    def hash_video(cls, video: DecodedVideo) -> Signal:
        frames = hash_frames(video)
        return Signal(cls.name, format_vpdq(frames), max(f.quality for f in frames))

    @classmethod
    def hash_video_variants(cls, video: DecodedVideo) -> dict[str, Signal]:
        by_transform = hash_frames_mirrored(video, insets=True)
        return {
            transform: Signal(cls.name, format_vpdq(frames), max(f.quality for f in frames))
            for transform, frames in by_transform.items()
        }


@dataclass(frozen=True, slots=True)
class FrameTable:
    """A vpdq signal's usable frames as packed words, with its timeline."""

    #: Rows of four 64-bit words, one per usable frame (quality 50 or more), in time order.
    words: npt.NDArray[np.uint64]
    #: Each usable frame's time, seconds.
    times: npt.NDArray[np.float64]
    #: Each usable frame's PDQ hash (hex), for indexes that take strings.
    hexes: tuple[str, ...]
    timeline: Timeline

    @classmethod
    def of(cls, frames: Sequence[VpdqFrame]) -> FrameTable:
        usable = [f for f in frames if f.quality >= MIN_FRAME_QUALITY]
        raw = b"".join(bytes.fromhex(f.pdq_hex) for f in usable)
        words = np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)
        times = np.array([f.timestamp for f in usable], dtype=np.float64)
        every = np.array([f.timestamp for f in frames], dtype=np.float64)
        return cls(
            words=words,
            times=times,
            hexes=tuple(f.pdq_hex for f in usable),
            timeline=Timeline.of(times, every),
        )


def segments_between(
    query: FrameTable, reference: FrameTable, *, min_frames: int = 3
) -> list[Segment]:
    """Brute force: pair every usable frame of each, then align the pairs."""
    if len(query.words) == 0 or len(reference.words) == 0:
        return []
    query_rows, reference_rows, distances = _close_pairs(query.words, reference.words)
    pairs = Pairs(
        query_frame=query_rows.astype(np.int64),
        query_time=query.times[query_rows],
        reference_time=reference.times[reference_rows],
        distance=distances.astype(np.int64),
    )
    return find_segments(pairs, query.timeline, reference.timeline, min_frames=min_frames)


def _frame(pdq_hex: str, quality: str, timestamp: str, number: int | None, where: int) -> VpdqFrame:
    canonical = pdq_hex.strip().lower()
    if not _HEX64.fullmatch(canonical):
        raise _malformed(
            f"frame {where}: a PDQ hash is 64 hexadecimal characters; got {pdq_hex[:80]!r}"
        )
    score = _integer(quality, f"frame {where}: quality")
    if not 0 <= score <= 100:
        raise _malformed(f"frame {where}: quality is 0-100; got {score}")
    try:
        seconds = float(timestamp)
    except ValueError:
        raise _malformed(
            f"frame {where}: the timestamp is not a number: {timestamp[:40]!r}"
        ) from None
    if not math.isfinite(seconds) or seconds < 0:
        raise _malformed(
            f"frame {where}: the timestamp must be 0 or more seconds; got {timestamp[:40]!r}"
        )
    return VpdqFrame(canonical, score, round(seconds, 3), number)


def _integer(raw: str, what: str) -> int:
    text = raw.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,9}", text):
        raise _malformed(f"{what} is not an integer: {raw[:40]!r}")
    return int(text)


def _checked(frames: list[VpdqFrame]) -> list[VpdqFrame]:
    if not frames:
        raise _malformed("a vpdq signal needs at least one frame")
    if len(frames) > MAX_FRAMES:
        raise _malformed(f"a vpdq signal holds at most {MAX_FRAMES:,} frames; got {len(frames):,}")
    for earlier, later in zip(frames, frames[1:], strict=False):
        if later.timestamp < earlier.timestamp:
            raise _malformed(
                f"timestamps must not decrease: {later.timestamp:.3f} s follows "
                f"{earlier.timestamp:.3f} s"
            )
    return frames


def _malformed(message: str) -> InvalidInput:
    return InvalidInput(message, code="malformed_signal")


def _close_pairs(
    left: npt.NDArray[np.uint64], right: npt.NDArray[np.uint64]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """Row numbers (left, right) and distance of every pair within FRAME_DISTANCE."""
    lefts: list[npt.NDArray[np.intp]] = []
    rights: list[npt.NDArray[np.intp]] = []
    gaps: list[npt.NDArray[np.int64]] = []
    # Blocks of about a million hash pairs keep memory flat for the longest videos.
    block = max(1, 1_000_000 // len(right))
    for start in range(0, len(left), block):
        rows = left[start : start + block]
        distances = np.bitwise_count(rows[:, np.newaxis, :] ^ right[np.newaxis, :, :]).sum(axis=2)
        found_left, found_right = np.nonzero(distances <= FRAME_DISTANCE)
        lefts.append(found_left + start)
        rights.append(found_right)
        gaps.append(distances[found_left, found_right].astype(np.int64))
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(gaps)
