"""vORB: keypoints of sampled video frames, matched by geometry, so rotated, zoomed and
cropped copies are found where every PDQ bit has moved.

PDQ hashes a frame's coarse picture: turn it 2 degrees, zoom 8% or cut a tenth from one
edge and most of its 256 bits flip. Local features survive those edits. Each sampled
frame (borders trimmed, as vPDQ does, and scaled to a fixed working size) keeps its
``KEYPOINTS`` strongest ORB keypoints (OpenCV): where each lies in the frame, and a
256-bit binary descriptor of the patch around it. Two frames match when enough of their
descriptors pair up *and* the pairs agree on one affine map from the query frame onto
the reference (RANSAC): a rotation, zoom, crop, aspect change or shift, never a mirror.
Unrelated frames share a few look-alike patches but not a geometry. The matched frame
pairs are then aligned in time exactly as vPDQ's are (``fireline.signals.alignment``),
so a copy must also hold together over several seconds.

Descriptor pairs are *candidates* when they share at least one of fourteen 18-bit runs
of their bits exactly and differ in at most ``DESCRIPTOR_DISTANCE`` bits. That rule is what an
index can look up (one table per run), so ``compare`` and the index
(``fireline.index.keypoints``) find the same pairs and give the same distances.

The canonical string is ``1:`` and the base64 of the frames in time order, each as
little-endian milliseconds (uint32), a keypoint count (uint16), the keypoints' x and y
in 1/65535ths of the frame (uint16 pairs), then their 32-byte descriptors. The leading
``1`` is the feature recipe's version: descriptors made another way do not compare.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np
import numpy.typing as npt

from fireline.domain import InvalidInput, Segment, Signal
from fireline.signals.alignment import Pairs, Timeline, find_segments, segment_distance
from fireline.signals.base import ContentType, IndexKind, SignalType, VideoHasher
from fireline.signals.borders import trim_borders
from fireline.signals.video import DecodedVideo

VERSION = "1"
#: Keypoints kept per frame (the strongest by ORB's Harris score).
KEYPOINTS = 96
#: Frames are scaled so their longer side is this many pixels before keypoints are found.
WORK_SIZE = 320
#: A signal holds at most this many frames: a longer video is sampled more sparsely.
MAX_FRAMES = 1200
#: Two descriptors are a candidate pair at most this many bits apart (of 256): 99% of
#: the pairs a verified copy keeps are this close; unrelated pairs are about 120 apart.
DESCRIPTOR_DISTANCE = 48
#: Two frames match when at least this many candidate pairs fit one affine map. Copies
#: under rotation, zoom, crop, blur, noise and re-encoding keep 40 to 75 of 96;
#: unrelated frames reach about 20.
MIN_INLIERS = 30
#: Each query frame is verified against at most this many reference frames: those it
#: shares the most candidate pairs with.
FRAMES_VERIFIED = 3
#: How far (in thousandths of the frame) a pair may sit from the fitted map.
RANSAC_TOLERANCE = 10.0
#: The map's scales (singular values) must lie within these: a copy is not shrunk to a
#: sliver nor blown up from a corner.
MIN_SCALE = 0.4
MAX_SCALE = 2.5
#: A frame with fewer keypoints cannot match; a signal with no such frame is refused.
MIN_FRAME_KEYPOINTS = MIN_INLIERS

# Frames are small: OpenCV's own thread pool costs more than it saves, and would crowd
# out the worker processes that hash videos side by side.
cv2.setNumThreads(1)

#: A candidate pair shares one run of ``CHUNK_BITS`` bits exactly (14 runs of 18 bits):
#: shorter runs let nearly every true pair through but bring floods of chance pairs
#: on plain pictures; longer ones lose true pairs.
CHUNK_BITS = 18
CHUNKS = 256 // CHUNK_BITS

_COORDINATE_SCALE = 65535
_FRAME_HEADER = struct.Struct("<IH")
_DESCRIPTOR_BYTES = 32
_MAX_CHARS = 4 * (MAX_FRAMES * (_FRAME_HEADER.size + 255 * (4 + _DESCRIPTOR_BYTES))) // 3 + 8
#: Points are compared in thousandths of the frame, so tolerances do not depend on size.
_UNIT = 1000.0


@dataclass(frozen=True, slots=True)
class Keyframe:
    """One frame's keypoints: seconds from the start, positions (0-1), descriptors."""

    timestamp: float
    #: (n, 2) float32: x and y as fractions of the frame's width and height.
    points: npt.NDArray[np.float32]
    #: (n, 32) uint8: ORB descriptors.
    descriptors: npt.NDArray[np.uint8]


def format_vorb(frames: Sequence[Keyframe]) -> str:
    """The canonical string of a keyframe list."""
    parts = []
    for frame in frames:
        count = len(frame.points)
        coordinates = np.clip(np.rint(frame.points * _COORDINATE_SCALE), 0, _COORDINATE_SCALE)
        parts.append(_FRAME_HEADER.pack(int(round(frame.timestamp * 1000)), count))
        parts.append(coordinates.astype("<u2").tobytes())
        parts.append(np.ascontiguousarray(frame.descriptors, dtype=np.uint8).tobytes())
    return f"{VERSION}:" + base64.b64encode(b"".join(parts)).decode("ascii")


def parse_vorb(value: str) -> list[Keyframe]:
    """Read a vORB signal string, or raise InvalidInput saying what is wrong."""
    if len(value) > _MAX_CHARS:
        raise _malformed(f"a vorb signal holds at most {MAX_FRAMES:,} frames")
    version, colon, payload = value.partition(":")
    if not colon or version != VERSION:
        raise _malformed(
            f"a vorb signal starts with its version {VERSION!r} and a colon; got {value[:20]!r}"
        )
    try:
        blob = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("a vorb signal's payload is not base64") from None
    frames: list[Keyframe] = []
    offset = 0
    while offset < len(blob):
        if len(frames) >= MAX_FRAMES:
            raise _malformed(f"a vorb signal holds at most {MAX_FRAMES:,} frames")
        if offset + _FRAME_HEADER.size > len(blob):
            raise _malformed(f"frame {len(frames)}: truncated header")
        millis, count = _FRAME_HEADER.unpack_from(blob, offset)
        offset += _FRAME_HEADER.size
        end = offset + count * (4 + _DESCRIPTOR_BYTES)
        if count > 255 or end > len(blob):
            raise _malformed(f"frame {len(frames)}: {count} keypoints do not fit the signal")
        coordinates = np.frombuffer(blob, dtype="<u2", count=2 * count, offset=offset)
        descriptors = np.frombuffer(
            blob, dtype=np.uint8, count=count * _DESCRIPTOR_BYTES, offset=offset + 4 * count
        )
        offset = end
        frames.append(
            Keyframe(
                timestamp=millis / 1000,
                points=(
                    coordinates.reshape(count, 2).astype(np.float32) / np.float32(_COORDINATE_SCALE)
                ),
                descriptors=descriptors.reshape(count, _DESCRIPTOR_BYTES),
            )
        )
    if not frames:
        raise _malformed("a vorb signal needs at least one frame")
    for earlier, later in zip(frames, frames[1:], strict=False):
        if later.timestamp < earlier.timestamp:
            raise _malformed(
                f"timestamps must not decrease: {later.timestamp:.3f} s follows "
                f"{earlier.timestamp:.3f} s"
            )
    return frames


def _malformed(message: str) -> InvalidInput:
    return InvalidInput(message, code="malformed_signal")


def frame_keypoints(pixels: npt.NDArray[np.uint8], timestamp: float) -> Keyframe:
    """The keypoints of one RGB frame (borders already trimmed, if wanted)."""
    grey = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2GRAY)
    height, width = grey.shape
    scale = WORK_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    grey = cv2.resize(grey, size, interpolation=interpolation)
    orb = cv2.ORB_create(nfeatures=KEYPOINTS)  # type: ignore[attr-defined]
    keypoints, descriptors = orb.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        return Keyframe(
            round(timestamp, 3), np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
        )
    keypoints, descriptors = keypoints[:KEYPOINTS], descriptors[:KEYPOINTS]
    points = np.array([k.pt for k in keypoints], dtype=np.float32) / np.array(
        size, dtype=np.float32
    )
    return Keyframe(round(timestamp, 3), np.clip(points, 0, 1), descriptors)


def hash_keyframes(video: DecodedVideo, *, mirrored: bool = False) -> dict[str, list[Keyframe]]:
    """Keyframes of the video as it is ("original") and, if asked, mirrored.

    Every sampled frame is kept until ``MAX_FRAMES``; past that, every other one is
    dropped and the spacing doubles, so any length fits the same bound.
    """
    original: list[Keyframe] = []
    flipped: list[Keyframe] = []
    spacing = 0.0
    last = -1.0
    for frame in video.frames():
        if original and frame.timestamp - last < spacing - 1e-6:
            continue
        last = frame.timestamp
        pixels = trim_borders(frame.pixels)
        original.append(frame_keypoints(pixels, frame.timestamp))
        if mirrored:
            flipped.append(frame_keypoints(pixels[:, ::-1], frame.timestamp))
        if len(original) >= MAX_FRAMES:
            original, flipped = original[::2], flipped[::2]
            spacing = 2 * max(spacing, original[1].timestamp - original[0].timestamp)
    hashed = {"original": original}
    if mirrored:
        hashed["flip_horizontal"] = flipped
    return hashed


def quality_of(frames: Sequence[Keyframe]) -> int:
    """The share of frames (percent) with enough keypoints to match."""
    usable = sum(1 for f in frames if len(f.points) >= MIN_FRAME_KEYPOINTS)
    return round(100 * usable / len(frames)) if frames else 0


@dataclass(frozen=True, slots=True)
class KeyframeTable:
    """A vorb signal's usable frames' keypoints flattened, with its timeline."""

    #: (n, 2) float32 positions in thousandths of the frame.
    points: npt.NDArray[np.float32]
    #: (n, 32) uint8 descriptors.
    descriptors: npt.NDArray[np.uint8]
    #: Per keypoint: its frame's row among the usable frames, and its place in that frame.
    frame: npt.NDArray[np.int64]
    place: npt.NDArray[np.int64]
    #: Per usable frame: seconds from the start.
    times: npt.NDArray[np.float64]
    timeline: Timeline

    @classmethod
    def of(cls, frames: Sequence[Keyframe]) -> KeyframeTable:
        usable = [f for f in frames if len(f.points) >= MIN_FRAME_KEYPOINTS]
        counts = [len(f.points) for f in usable]
        if usable:
            points = np.concatenate([f.points for f in usable]) * np.float32(_UNIT)
            descriptors = np.concatenate([f.descriptors for f in usable])
        else:
            points = np.zeros((0, 2), np.float32)
            descriptors = np.zeros((0, _DESCRIPTOR_BYTES), np.uint8)
        frame = np.repeat(np.arange(len(usable), dtype=np.int64), counts)
        place = np.concatenate(
            [np.arange(c, dtype=np.int64) for c in counts] or [np.zeros(0, np.int64)]
        )
        times = np.array([f.timestamp for f in usable], dtype=np.float64)
        every = np.array([f.timestamp for f in frames], dtype=np.float64)
        return cls(
            points=points.astype(np.float32),
            descriptors=np.ascontiguousarray(descriptors, dtype=np.uint8),
            frame=frame,
            place=place,
            times=times,
            timeline=Timeline.of(times, every),
        )


def chunks(descriptors: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
    """Each descriptor's ``CHUNKS`` keys: its bits in runs of ``CHUNK_BITS``, as integers."""
    data = np.ascontiguousarray(descriptors, dtype=np.uint8)
    keys = np.zeros((len(data), CHUNKS), dtype=np.uint32)
    weights = np.uint32(1) << np.arange(CHUNK_BITS, dtype=np.uint32)
    for start in range(0, len(data), 8192):  # bounded memory for a large index
        bits = np.unpackbits(data[start : start + 8192], axis=1)[:, : CHUNKS * CHUNK_BITS]
        runs = bits.reshape(len(bits), CHUNKS, CHUNK_BITS).astype(np.uint32)
        keys[start : start + 8192] = (runs * weights).sum(axis=2, dtype=np.uint32)
    return keys


def descriptor_distances(
    left: npt.NDArray[np.uint8], right: npt.NDArray[np.uint8]
) -> npt.NDArray[np.int64]:
    """Bits differing between ``left[i]`` and ``right[i]``, row by row."""
    a = np.ascontiguousarray(left).view(np.uint64)
    b = np.ascontiguousarray(right).view(np.uint64)
    distances: npt.NDArray[np.int64] = np.bitwise_count(a ^ b).sum(axis=1).astype(np.int64)
    return distances


def candidate_pairs(
    query: npt.NDArray[np.uint8], reference: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Brute force: every (query row, reference row, distance) candidate pair."""
    found: list[tuple[npt.NDArray[np.int64], ...]] = []
    if len(query) == 0 or len(reference) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    # Word by word (each a contiguous column), summed in 16 bits: several times faster
    # than one popcount over a three-dimensional array.
    query_words = np.ascontiguousarray(np.ascontiguousarray(query).view(np.uint64).T)
    reference_words = np.ascontiguousarray(np.ascontiguousarray(reference).view(np.uint64).T)
    query_chunks, reference_chunks = chunks(query), chunks(reference)
    block = max(1, 500_000 // len(reference))
    for start in range(0, len(query), block):
        rows = slice(start, start + block)
        distance = np.zeros((len(query_words[0, rows]), len(reference)), dtype=np.uint16)
        for word in range(4):
            distance += np.bitwise_count(
                query_words[word, rows, np.newaxis] ^ reference_words[word, np.newaxis, :]
            )
        left, right = np.nonzero(distance <= DESCRIPTOR_DISTANCE)
        left += start
        shared = (query_chunks[left] == reference_chunks[right]).any(axis=1)
        left, right = left[shared], right[shared]
        found.append((left, right, distance[left - start, right].astype(np.int64)))
    return tuple(np.concatenate(parts).astype(np.int64) for parts in zip(*found, strict=True))  # type: ignore[return-value]


def matched_frames(
    query: KeyframeTable,
    query_rows: npt.NDArray[np.int64],
    reference_frame: npt.NDArray[np.int64],
    reference_place: npt.NDArray[np.int64],
    reference_points: npt.NDArray[np.float32],
    distances: npt.NDArray[np.int64],
) -> list[tuple[int, int, int]]:
    """(query frame, reference frame, inliers) of every frame pair whose keypoints agree.

    The input is one reference's candidate pairs: each query keypoint's row, and the
    reference keypoint's frame, place in its frame, position, and the distance. Within
    each frame pair a query keypoint keeps its nearest reference keypoint (ties: the
    earlier place). For each query frame, the ``FRAMES_VERIFIED`` reference frames with
    the most pairs (at least ``MIN_INLIERS``) are fitted with an affine map by RANSAC
    (deterministic: OpenCV seeds it the same on every call).
    """
    if len(query_rows) < MIN_INLIERS:
        return []
    query_frame = query.frame[query_rows]
    order = np.lexsort((reference_place, distances, query_rows, reference_frame, query_frame))
    qf, rf = query_frame[order], reference_frame[order]
    qr = query_rows[order]
    # The first of each (query frame, reference frame, query keypoint) run is its nearest.
    first = np.ones(len(order), dtype=bool)
    first[1:] = (qf[1:] != qf[:-1]) | (rf[1:] != rf[:-1]) | (qr[1:] != qr[:-1])
    keep = order[first]
    qf, rf = query_frame[keep], reference_frame[keep]
    boundaries = np.flatnonzero((qf[1:] != qf[:-1]) | (rf[1:] != rf[:-1])) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(keep)]])
    sizes = ends - starts
    # Each query frame is verified against the few reference frames it shares the most
    # pairs with: a slow scene offers many alike, and one agreeing is enough to align.
    ranked = np.lexsort((rf[starts], -sizes, qf[starts]))
    rank = np.zeros(len(ranked), dtype=np.int64)
    first_of_frame = np.ones(len(ranked), dtype=bool)
    first_of_frame[1:] = qf[starts][ranked][1:] != qf[starts][ranked][:-1]
    run_start = np.maximum.accumulate(np.where(first_of_frame, np.arange(len(ranked)), 0))
    rank[ranked] = np.arange(len(ranked)) - run_start
    chosen = (rank < FRAMES_VERIFIED) & (sizes >= MIN_INLIERS)
    matched: list[tuple[int, int, int]] = []
    for start, end in zip(starts[chosen].tolist(), ends[chosen].tolist(), strict=True):
        rows = keep[start:end]
        inliers = _agreeing(query.points[query_rows[rows]], reference_points[rows])
        if inliers >= MIN_INLIERS:
            matched.append((int(qf[start]), int(rf[start]), inliers))
    return matched


def _agreeing(source: npt.NDArray[np.float32], target: npt.NDArray[np.float32]) -> int:
    """How many point pairs one plausible affine map carries onto each other (0: none)."""
    transform, mask = cv2.estimateAffine2D(
        np.ascontiguousarray(source, dtype=np.float32),
        np.ascontiguousarray(target, dtype=np.float32),
        method=cv2.RANSAC,
        ransacReprojThreshold=RANSAC_TOLERANCE,
        maxIters=2000,
        confidence=0.99,
        refineIters=0,
    )
    if transform is None or mask is None:
        return 0
    linear = transform[:, :2]
    scales = np.linalg.svd(linear, compute_uv=False)
    if np.linalg.det(linear) <= 0 or scales.min() < MIN_SCALE or scales.max() > MAX_SCALE:
        return 0
    return int(mask.sum())


def segments_from_frames(
    query: KeyframeTable,
    reference_times: npt.NDArray[np.float64],
    reference_timeline: Timeline,
    matched: Iterable[tuple[int, int, int]],
) -> list[Segment]:
    """Align matched frame pairs in time, as vPDQ's frame pairs are."""
    found = list(matched)
    if not found:
        return []
    query_frame = np.array([q for q, _, _ in found], dtype=np.int64)
    reference_frame = np.array([r for _, r, _ in found], dtype=np.int64)
    inliers = np.array([n for _, _, n in found], dtype=np.int64)
    pairs = Pairs(
        query_frame=query_frame,
        query_time=query.times[query_frame],
        reference_time=reference_times[reference_frame],
        # More keypoints agreeing: nearer; alignment prefers the nearest pair of a frame.
        distance=KEYPOINTS - inliers,
    )
    return find_segments(pairs, query.timeline, reference_timeline)


def segments_between(query: KeyframeTable, reference: KeyframeTable) -> list[Segment]:
    """Brute force: every candidate pair of keypoints, verified per frame pair, aligned."""
    rows, columns, distances = candidate_pairs(query.descriptors, reference.descriptors)
    matched = matched_frames(
        query,
        rows,
        reference.frame[columns],
        reference.place[columns],
        reference.points[columns],
        distances,
    )
    return segments_from_frames(query, reference.times, reference.timeline, matched)


class VorbSignal(SignalType, VideoHasher):
    """Keypoints of sampled video frames, matched by geometry and aligned in time.

    The distance is vPDQ's: 100 minus the best segment's score (the share of the query's
    frames inside the segment that match at the aligned time), 100 with none.
    """

    name: ClassVar[str] = "vorb"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.VIDEO})
    index_kind: ClassVar[IndexKind] = IndexKind.SEGMENT
    default_threshold: ClassVar[int] = 50
    # Verifying geometry costs about 30 ms per banked copy found: asked only when the
    # upload's vPDQ, audio and exact hashes matched nothing.
    fallback: ClassVar[bool] = True

    @classmethod
    def validate(cls, value: str) -> str:
        return format_vorb(parse_vorb(value.strip()))

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        return segment_distance(
            segments_between(KeyframeTable.of(parse_vorb(a)), KeyframeTable.of(parse_vorb(b)))
        )

    @classmethod
    def too_low_quality(cls, quality: int | None) -> bool:
        # Quality is the share of frames with enough keypoints: at 0 nothing can match.
        return quality is not None and quality < 1

    @classmethod
    def hash_video(cls, video: DecodedVideo) -> Signal:
        frames = hash_keyframes(video)["original"]
        return Signal(cls.name, format_vorb(frames), quality_of(frames))

    @classmethod
    def hash_video_variants(cls, video: DecodedVideo) -> dict[str, Signal]:
        return {
            transform: Signal(cls.name, format_vorb(frames), quality_of(frames))
            for transform, frames in hash_keyframes(video, mirrored=True).items()
        }
