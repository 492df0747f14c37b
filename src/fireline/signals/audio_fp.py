"""audio_fp: Chromaprint fingerprints of audio and video soundtracks, matched as aligned segments.

**Fingerprints.** Chromaprint (the AcoustID project's library, Debian's
``libchromaprint1``) turns sound into one 32-bit item per 1365 samples at 11,025 Hz
(0.1238 s): each item says how the energy of the twelve pitch classes changes across
time and pitch, so it survives re-encoding, lower bit rates and a changed picture, but
not speed or pitch changes. The library is reached through pyacoustid's ``chromaprint``
ctypes module, loaded when audio is first hashed: without it, validating and comparing
fingerprints still works and hashing fails with an error naming the package. PCM is
decoded and resampled by PyAV (``fireline.signals.audio``) to 16-bit mono at 11,025 Hz,
the rate Chromaprint works at, so its own resampler never runs and the items do not
depend on how the library was built.

**The string.** The canonical form is Chromaprint's own compressed fingerprint in
URL-safe base64 without padding: what ``fpcalc`` prints and AcoustID stores, so
fingerprints move between fireline and those tools unchanged. Only Chromaprint's default
algorithm (``TEST2``, id 1) is accepted: items of other algorithms mean other things.
The format is read and written here, with numpy, so that validating and comparing need
no library (the tests check both directions against the library's own codec).

**Matching.** ``compare(query, reference)`` pairs every usable query item with every
usable reference item at most ``ITEM_DISTANCE`` (2) bits apart, aligns the pairs in
time (``fireline.signals.alignment``: any offset, speeds 0.5x to 2x), then scores each
segment item by item: a usable query item inside it matches when a reference item
within the alignment's tolerance (two items) of its aligned time is at most
``MATCH_BITS`` (5) bits away. Close pairs find the alignment; once it is known, the
looser test keeps copies whole that re-encoding or a start off the item grid moved by
a few bits. The distance is 100 minus the best segment's score.

**Silence and steady sounds.** Silence, a steady tone or hum, and steady noise make
items that barely change, and much the same items in every file: they would match each
other. An item is *usable* only when it differs on average by ``MIN_CHANGE`` (8) bits
or more from the items within a second either side; unusable items are never paired or
counted. A segment needs ``MIN_SEGMENT_ITEMS`` matched items (about 3 s of changing
sound). A signal's quality is the share of its items that are usable, rounded up, and
0 when it has too few to make a segment: such a signal (silence, a test tone) matches
nothing, itself included, and is refused as too low quality.
"""

from __future__ import annotations

import base64
import binascii
import functools
import importlib
import re
from dataclasses import dataclass, replace
from types import ModuleType
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from fireline.domain import InvalidInput, MissingComponent, Segment, Signal
from fireline.signals.alignment import (
    MAX_SPEED,
    MIN_SPEED,
    Pairs,
    Timeline,
    find_segments,
    segment_distance,
)
from fireline.signals.audio import DecodedAudio
from fireline.signals.base import AudioHasher, ContentType, IndexKind, SignalType

#: Chromaprint's default algorithm (``CHROMAPRINT_ALGORITHM_TEST2``), as fpcalc uses it.
ALGORITHM = 1
#: The rate Chromaprint analyses audio at, and its step between items (in samples).
SAMPLE_RATE = 11025
ITEM_STEP = 1365
#: Seconds of audio per fingerprint item: 0.1238 s.
ITEM_SECONDS = ITEM_STEP / SAMPLE_RATE
#: The longest fingerprint accepted: 24 hours of audio.
MAX_ITEMS = 700_000
#: Two items pair up (and may align a segment) when at most this many bits differ.
ITEM_DISTANCE = 2
#: Once a segment is aligned, a query item matches when a reference item within the
#: alignment's tolerance of its aligned time is at most this many bits away.
MATCH_BITS = 5
#: An item is usable when it differs, on average, by at least this many bits...
MIN_CHANGE = 8
#: ...from the items within this many items (one second) either side.
CHANGE_WINDOW = 8
#: The fewest matched items that make a segment: about 3 s.
MIN_SEGMENT_ITEMS = 24
#: The Debian package that provides the library.
DEBIAN_PACKAGE = "libchromaprint1"

# A compressed item takes at most 99 bits (32 set bits: 33 three-bit values), 13 bytes;
# refuse absurd input before decoding anything.
_MAX_BYTES_PER_ITEM = 13
_MAX_CHARS = 8 + MAX_ITEMS * _MAX_BYTES_PER_ITEM * 4 // 3
# About ten minutes of audio: 4,800 items of at most ~13 characters.
_CACHED_CHARS = 64 * 1024
_BASE64 = re.compile(r"[A-Za-z0-9_+/-]+={0,2}")


def parse_fingerprint(value: str) -> npt.NDArray[np.uint32]:
    """The items of a compressed Chromaprint fingerprint (base64), or raise InvalidInput."""
    text = value.strip()
    if not text:
        raise _malformed("an audio_fp signal is a Chromaprint fingerprint in base64; got nothing")
    if len(text) > _MAX_CHARS:
        raise _malformed(f"an audio_fp signal holds at most {MAX_ITEMS:,} items")
    if not _BASE64.fullmatch(text):
        raise _malformed(
            f"an audio_fp signal is a Chromaprint fingerprint in base64; got {text[:80]!r}"
        )
    text = text.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise _malformed(f"the fingerprint is not valid base64: {text[:80]!r}") from None
    return decompress(raw)


def format_fingerprint(items: npt.NDArray[np.uint32]) -> str:
    """The canonical audio_fp string of the items: compressed, URL-safe base64, no padding."""
    return base64.urlsafe_b64encode(compress(items)).rstrip(b"=").decode("ascii")


def compress(items: npt.NDArray[np.uint32]) -> bytes:
    """Chromaprint's compressed form of the items (algorithm 1).

    A 4-byte header (the algorithm, then the item count, 24-bit big-endian); then each
    item XOR the one before it, written as the gaps between its set bits (counted from
    1) and a 0 after the last one, in 3-bit values; gaps of 7 or more are written as 7
    with the rest in a second array of 5-bit values. Both arrays are packed least
    significant bit first.
    """
    items = np.asarray(items, dtype=np.uint32)
    count = len(items)
    if not 0 < count <= MAX_ITEMS:
        raise ValueError(f"a fingerprint holds 1 to {MAX_ITEMS:,} items; got {count:,}")
    changes = items ^ np.concatenate([np.zeros(1, np.uint32), items[:-1]])
    as_bytes = changes.astype("<u4").view(np.uint8).reshape(count, 4)
    bits = np.unpackbits(as_bytes, axis=1, bitorder="little")
    rows, columns = np.nonzero(bits)  # item by item, lowest bit first
    positions = columns.astype(np.int32) + 1
    previous = np.zeros_like(positions)
    same_item = np.flatnonzero(rows[1:] == rows[:-1]) + 1
    previous[same_item] = positions[same_item - 1]
    # Item i's gaps start after the gaps and closing zeros of the items before it.
    set_bits = bits.sum(axis=1, dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(set_bits + 1)[:-1]])
    rank = np.arange(len(rows)) - (first[rows] - rows)
    values = np.zeros(int(set_bits.sum()) + count, dtype=np.uint8)
    values[first[rows] + rank] = positions - previous
    normal = np.minimum(values, 7)
    exceptions = values[values >= 7] - 7
    header = bytes([ALGORITHM]) + count.to_bytes(3, "big")
    return header + _pack(normal, 3) + _pack(exceptions, 5)


def decompress(raw: bytes) -> npt.NDArray[np.uint32]:
    """The items of Chromaprint's compressed form; raises InvalidInput for anything else."""
    if len(raw) < 4:
        raise _malformed("the fingerprint is shorter than its 4-byte header")
    algorithm, count = raw[0], int.from_bytes(raw[1:4], "big")
    if algorithm != ALGORITHM:
        raise _malformed(
            f"the fingerprint was made with Chromaprint algorithm {algorithm}; audio_fp holds "
            f"the default algorithm ({ALGORITHM}, TEST2) only"
        )
    if count == 0:
        raise _malformed("the fingerprint holds no items")
    if count > MAX_ITEMS:
        raise _malformed(f"an audio_fp signal holds at most {MAX_ITEMS:,} items; got {count:,}")
    if len(raw) > 4 + _MAX_BYTES_PER_ITEM * count:
        raise _malformed("the fingerprint is longer than the items it declares can take")
    body = np.frombuffer(raw, dtype=np.uint8, offset=4)
    normal = _unpack(body, 3)
    end = _end_of_items(normal, count)
    normal = normal[:end]
    normal_bytes = -(-end * 3 // 8)
    escaped = np.flatnonzero(normal == 7)
    if len(body) != normal_bytes + -(-len(escaped) * 5 // 8):
        raise _malformed("the fingerprint's length does not match the items it declares")
    values = normal.copy()
    values[escaped] += _unpack(body[normal_bytes:], 5)[: len(escaped)]
    # Each value is the gap to the next set bit of its item; a 0 closes the item.
    closes = np.flatnonzero(values == 0)
    starts = np.concatenate([[0], closes[:-1] + 1])
    total = np.cumsum(values, dtype=np.int32)
    before = np.concatenate([[0], total[closes[:-1]]]).astype(np.int32)
    position = total - np.repeat(before, np.diff(np.concatenate([[0], closes + 1])))
    if int(position.max()) > 32:
        raise _malformed("the fingerprint sets a bit past the 32 of an item")
    bit = np.left_shift(np.uint32(1), (position - 1).clip(0, 31).astype(np.uint32))
    bit[closes] = 0
    changes = np.bitwise_or.reduceat(bit, starts)
    items: npt.NDArray[np.uint32] = np.bitwise_xor.accumulate(changes.astype(np.uint32))
    return items


def usable_items(items: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """Which items carry sound that changes: on average at least ``MIN_CHANGE`` bits from
    the items within ``CHANGE_WINDOW`` either side (see the module's notes)."""
    total = np.zeros(len(items), dtype=np.int64)
    neighbours = np.zeros(len(items), dtype=np.int64)
    for step in range(1, min(CHANGE_WINDOW, len(items) - 1) + 1):
        apart = np.bitwise_count(items[step:] ^ items[:-step]).astype(np.int64)
        total[step:] += apart
        total[:-step] += apart
        neighbours[step:] += 1
        neighbours[:-step] += 1
    usable: npt.NDArray[np.bool_] = total >= MIN_CHANGE * np.maximum(neighbours, 1)
    return usable


def fingerprint_quality(items: npt.NDArray[np.uint32]) -> int:
    """The share of usable items (0-100, rounded up); 0 when too few to make a segment."""
    usable = int(np.count_nonzero(usable_items(items)))
    if usable < MIN_SEGMENT_ITEMS:
        return 0
    return -(-100 * usable // len(items))


@dataclass(frozen=True, slots=True)
class ItemTable:
    """A fingerprint's usable items with their times, and its timeline."""

    #: The usable items, in time order.
    items: npt.NDArray[np.uint32]
    #: Each usable item's time, seconds from the start.
    times: npt.NDArray[np.float64]
    timeline: Timeline

    @classmethod
    def of(cls, items: npt.NDArray[np.uint32]) -> ItemTable:
        usable = usable_items(items)
        times = (np.flatnonzero(usable) * ITEM_SECONDS).astype(np.float64)
        # Items come at a fixed step: the timeline's period is that, never an estimate.
        timeline = Timeline(times=times, duration=len(items) * ITEM_SECONDS, period=ITEM_SECONDS)
        return cls(items=items[usable], times=times, timeline=timeline)

    @property
    def matchable(self) -> bool:
        """Whether it has enough usable items to make a segment (quality above 0)."""
        return len(self.items) >= MIN_SEGMENT_ITEMS


def item_table(value: str) -> ItemTable:
    """The usable items of an audio_fp string; raises InvalidInput if it is malformed.

    Tables of fingerprints up to ten minutes long are cached (a few dozen), so that a
    brute-force scan reads its query once, not once per reference.
    """
    if len(value) <= _CACHED_CHARS:
        return _cached_table(value)
    return ItemTable.of(parse_fingerprint(value))


@functools.lru_cache(maxsize=64)
def _cached_table(value: str) -> ItemTable:
    table = ItemTable.of(parse_fingerprint(value))
    for array in (table.items, table.times, table.timeline.times):
        array.setflags(write=False)  # shared between callers
    return table


def segments_between(query: ItemTable, reference: ItemTable) -> list[Segment]:
    """Brute force: pair every usable item of each within ``ITEM_DISTANCE``, then align."""
    if not (query.matchable and reference.matchable):
        return []
    query_rows, reference_rows = close_pairs(query.items, reference.items)
    return align(query, query_rows, reference_rows, reference)


def align(
    query: ItemTable,
    query_rows: npt.NDArray[np.intp],
    reference_rows: npt.NDArray[np.intp],
    reference: ItemTable,
) -> list[Segment]:
    """The segments that pairs of usable items (query row, reference row) make, scored.

    The pairs align the segments (``fireline.signals.alignment``); each segment is then
    scored by comparing every usable query item inside it with the reference items at
    its aligned time: a segment's score is the share within ``MATCH_BITS``.
    """
    # One order, whoever found the pairs: the line fits then agree to the last bit.
    order = np.lexsort((reference_rows, query_rows))
    query_rows, reference_rows = query_rows[order], reference_rows[order]
    distance = np.bitwise_count(
        np.bitwise_xor(query.items[query_rows], reference.items[reference_rows])
    ).astype(np.int64)
    pairs = Pairs(
        query_frame=query_rows.astype(np.int64),
        query_time=query.times[query_rows],
        reference_time=reference.times[reference_rows],
        distance=distance,
    )
    segments = find_segments(
        pairs, query.timeline, reference.timeline, min_frames=MIN_SEGMENT_ITEMS
    )
    return [_scored(segment, pairs, query, reference) for segment in segments]


def _scored(segment: Segment, pairs: Pairs, query: ItemTable, reference: ItemTable) -> Segment:
    tolerance = 2 * ITEM_SECONDS  # the alignment's own: two items either way
    # The segment's times are rounded to milliseconds; items lie on a grid, so half a
    # step either way picks exactly the items from its first to its last.
    start = segment.query_start - ITEM_SECONDS / 2
    end = segment.query_end - ITEM_SECONDS + ITEM_SECONDS / 2
    speed, offset = _line(segment, pairs, start, end, tolerance)
    inside = np.flatnonzero((query.times >= start) & (query.times <= end))
    aligned = speed * query.times[inside] + offset
    low = np.searchsorted(reference.times, aligned - tolerance, side="left")
    high = np.searchsorted(reference.times, aligned + tolerance, side="right")
    nearest = np.full(len(inside), 33, dtype=np.uint8)
    for step in range(int((high - low).max(initial=0))):
        rows = low + step
        there = rows < high
        apart = np.bitwise_count(query.items[inside[there]] ^ reference.items[rows[there]])
        nearest[there] = np.minimum(nearest[there], apart)
    matched = int(np.count_nonzero(nearest <= MATCH_BITS))
    score = round(100 * matched / len(inside)) if len(inside) else 0
    return replace(segment, score=score, matched_frames=matched)


def _line(
    segment: Segment, pairs: Pairs, start: float, end: float, tolerance: float
) -> tuple[float, float]:
    """The segment's line (speed, offset), refitted to its pairs.

    The segment's own fields are rounded (speed to 0.001, which drifts by seconds over an
    hour) and its reference start is clipped at 0; its end and speed pick the pairs, and
    a least-squares fit of those gives the line.
    """
    speed = segment.speed
    last = segment.query_end - ITEM_SECONDS
    offset = (segment.reference_end - ITEM_SECONDS) - speed * last
    q, r = pairs.query_time, pairs.reference_time
    inside = (q >= start) & (q <= end)
    for _ in range(3):
        near = inside & (np.abs(r - (speed * q + offset)) <= tolerance)
        q_near, r_near = q[near], r[near]
        if len(q_near) == 0:
            break
        if float(q_near.max() - q_near.min()) >= 2 * tolerance:
            fitted, _ = np.polyfit(q_near, r_near, 1)
            speed = float(np.clip(fitted, MIN_SPEED, MAX_SPEED))
        offset = float(np.median(r_near - speed * q_near))
    return speed, offset


def close_pairs(
    left: npt.NDArray[np.uint32], right: npt.NDArray[np.uint32]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Row numbers (left, right) of every pair of items within ``ITEM_DISTANCE`` bits."""
    lefts: list[npt.NDArray[np.intp]] = [np.zeros(0, np.intp)]
    rights: list[npt.NDArray[np.intp]] = [np.zeros(0, np.intp)]
    # Blocks of about four million item pairs keep memory flat for the longest files.
    block = max(1, 4_000_000 // max(1, len(right)))
    for start in range(0, len(left), block):
        rows = left[start : start + block]
        distances = np.bitwise_count(rows[:, np.newaxis] ^ right[np.newaxis, :])
        found_left, found_right = np.nonzero(distances <= ITEM_DISTANCE)
        lefts.append(found_left + start)
        rights.append(found_right)
    return np.concatenate(lefts), np.concatenate(rights)


class AudioFpSignal(SignalType, AudioHasher):
    """Chromaprint fingerprints of audio files and video soundtracks, matched as segments.

    ``compare(query, reference)`` is 100 minus the score of the best segment of the query
    found in the reference (any offset, speeds 0.5x to 2x): an excerpt is at 0 from its
    source, wherever it starts, and a re-encoded copy close to it. The distance is
    directional (the query's items are counted), so it is not symmetric; a fingerprint
    with too little changing sound (quality 0) is at 100 from everything, itself
    included.
    """

    name: ClassVar[str] = "audio_fp"
    content_types: ClassVar[frozenset[ContentType]] = frozenset(
        {ContentType.AUDIO, ContentType.VIDEO}
    )
    index_kind: ClassVar[IndexKind] = IndexKind.SEGMENT
    #: A segment matches when at least half its query items match at the aligned time.
    default_threshold: ClassVar[int] = 50

    @classmethod
    def validate(cls, value: str) -> str:
        return format_fingerprint(parse_fingerprint(value))

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        return segment_distance(segments_between(item_table(a), item_table(b)))

    @classmethod
    def too_low_quality(cls, quality: int | None) -> bool:
        # Quality 0: too little changing sound for any segment to be found.
        return quality is not None and quality < 1

    @classmethod
    def hash_audio(cls, audio: DecodedAudio) -> Signal:
        items = fingerprint_items(audio)
        return Signal(cls.name, format_fingerprint(items), fingerprint_quality(items))


def fingerprint_items(audio: DecodedAudio) -> npt.NDArray[np.uint32]:
    """Chromaprint's items for the decoded audio; raises InvalidInput if it is too short."""
    library = chromaprint()
    fingerprinter = library.Fingerprinter()
    fingerprinter.start(SAMPLE_RATE, 1)
    for samples in audio.pcm(SAMPLE_RATE):
        fingerprinter.feed(samples.astype("<i2").tobytes())
    compressed = fingerprinter.finish()
    raw = base64.urlsafe_b64decode(compressed + b"=" * (-len(compressed) % 4))
    if len(raw) >= 4 and int.from_bytes(raw[1:4], "big") == 0:
        raise InvalidInput(
            "the audio is too short to fingerprint: Chromaprint needs at least 3 seconds",
            code="too_short",
        )
    if len(raw) >= 4 and int.from_bytes(raw[1:4], "big") > MAX_ITEMS:
        raise InvalidInput(
            f"the audio gives more than {MAX_ITEMS:,} fingerprint items (24 hours); "
            "lower FIRELINE_MAX_VIDEO_SECONDS",
            code="too_many_items",
        )
    return decompress(raw)


def chromaprint() -> ModuleType:
    """pyacoustid's ``chromaprint`` module, with the library loaded; raises if either is missing.

    pyacoustid's module is a thin ctypes binding of the library's C API: it adds no code
    of its own to trust, and loads the library when imported, so it is imported here,
    on first use, and a missing library never stops fireline from starting.
    """
    try:
        return importlib.import_module("chromaprint")
    except ImportError as exc:
        raise MissingComponent(
            "audio_fp needs the Chromaprint library: install the Debian package "
            f"{DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}) and the Python package "
            f"pyacoustid ({exc})",
            code="chromaprint_missing",
        ) from exc


def _pack(values: npt.NDArray[np.uint8], width: int) -> bytes:
    """``width``-bit values, least significant bit first, in as few bytes as they fill."""
    if len(values) == 0:
        return b""
    bits = (values[:, np.newaxis] >> np.arange(width, dtype=np.uint8)) & 1
    return np.packbits(bits.ravel(), bitorder="little").tobytes()


def _unpack(data: npt.NDArray[np.uint8], width: int) -> npt.NDArray[np.uint8]:
    """Every whole ``width``-bit value in the bytes, least significant bit first.

    Groups of ``width`` bytes hold eight values each: each group is read as one integer
    and the values are shifted out of it, a byte per value in memory.
    """
    groups = np.zeros((-(-len(data) // width), width), dtype=np.uint8)
    groups.ravel()[: len(data)] = data
    word = np.zeros(len(groups), dtype=np.uint64)
    for byte in range(width):
        word |= groups[:, byte].astype(np.uint64) << np.uint64(8 * byte)
    values = np.empty((len(groups), 8), dtype=np.uint8)
    mask = np.uint64((1 << width) - 1)
    for slot in range(8):
        values[:, slot] = (word >> np.uint64(width * slot)) & mask
    unpacked: npt.NDArray[np.uint8] = values.ravel()[: len(data) * 8 // width]
    return unpacked


def _end_of_items(normal: npt.NDArray[np.uint8], count: int) -> int:
    """How many 3-bit values the ``count`` items take (through the count-th zero)."""
    seen = 0
    chunk = 1 << 20
    for start in range(0, len(normal), chunk):
        zeros = np.flatnonzero(normal[start : start + chunk] == 0)
        if seen + len(zeros) >= count:
            return start + int(zeros[count - seen - 1]) + 1
        seen += len(zeros)
    raise _malformed(f"the fingerprint is cut short: it declares {count:,} items")


def _malformed(message: str) -> InvalidInput:
    return InvalidInput(message, code="malformed_signal")
