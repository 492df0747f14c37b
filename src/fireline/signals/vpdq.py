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

from fireline.domain import InvalidInput, Signal
from fireline.signals.base import ContentType, IndexKind, SignalType, VideoHasher
from fireline.signals.borders import trim_borders
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
    frames: list[VpdqFrame] = []
    for frame in video.frames():
        if len(frames) >= MAX_FRAMES:
            raise InvalidInput(
                f"the video gives more than {MAX_FRAMES:,} sampled frames; sample fewer "
                "frames per second (FIRELINE_VIDEO_FRAMES_PER_SECOND)",
                code="too_many_frames",
            )
        bits, quality = pdqhash.compute(trim_borders(frame.pixels))
        frames.append(
            VpdqFrame(
                pdq_hex=bytes(np.packbits(bits.astype(np.uint8))).hex(),
                quality=int(quality),
                timestamp=round(frame.timestamp, 3),
                frame_number=frame.frame_number,
            )
        )
    return frames


class VpdqSignal(SignalType, VideoHasher):
    """Per-frame PDQ hashes of a video, matched frame by frame.

    ``compare`` is a brute-force coverage distance, 0 to 100: take each video's frames of
    quality 50 or more, and for each video the share of those frames with no frame of
    the other within PDQ distance 31; the distance is the smaller share, as a percentage
    rounded up. An excerpt of a banked video is therefore close to it (every frame of
    the excerpt is found). Only an identical string is at 0 (anything else is at least
    1), and a video with no usable frame is at 100 from every other. It is symmetric but
    not a metric: an excerpt is close to two unrelated videos that both contain it.
    """

    name: ClassVar[str] = "vpdq"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.VIDEO})
    index_kind: ClassVar[IndexKind] = IndexKind.SEGMENT
    #: At most 20% of the better-covered video's frames unmatched: python-threatexchange's
    #: default of an 80% match.
    default_threshold: ClassVar[int] = 20

    @classmethod
    def validate(cls, value: str) -> str:
        return format_vpdq(parse_vpdq(value.strip()))

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        if a == b:
            return 0
        left, right = _usable_words(parse_vpdq(a)), _usable_words(parse_vpdq(b))
        if len(left) == 0 or len(right) == 0:
            return 100
        left_found, right_found = _matched(left, right)
        unmatched = min(1 - float(left_found.mean()), 1 - float(right_found.mean()))
        return max(1, math.ceil(round(100 * unmatched, 9)))

    @classmethod
    def too_low_quality(cls, quality: int | None) -> bool:
        # A vpdq signal's quality is its best frame's: below 50, no frame can match.
        return quality is not None and quality < MIN_FRAME_QUALITY

    @classmethod
    def hash_video(cls, video: DecodedVideo) -> Signal:
        frames = hash_frames(video)
        return Signal(cls.name, format_vpdq(frames), max(f.quality for f in frames))


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


def _usable_words(frames: Sequence[VpdqFrame]) -> npt.NDArray[np.uint64]:
    """The distinct hashes of frames good enough to match, as rows of four 64-bit words."""
    unique = sorted({f.pdq_hex for f in frames if f.quality >= MIN_FRAME_QUALITY})
    raw = b"".join(bytes.fromhex(h) for h in unique)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


def _matched(
    left: npt.NDArray[np.uint64], right: npt.NDArray[np.uint64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """For each row of each side: whether some row of the other is within FRAME_DISTANCE."""
    left_found = np.zeros(len(left), dtype=bool)
    right_found = np.zeros(len(right), dtype=bool)
    # Blocks of about a million hash pairs keep memory flat for the longest videos.
    block = max(1, 1_000_000 // len(right))
    for start in range(0, len(left), block):
        rows = left[start : start + block]
        distances = np.bitwise_count(rows[:, np.newaxis, :] ^ right[np.newaxis, :, :]).sum(axis=2)
        close = distances <= FRAME_DISTANCE
        left_found[start : start + block] = close.any(axis=1)
        right_found |= close.any(axis=0)
    return left_found, right_found
