"""Streams the live tests share, encoded once per process (each takes about a second).

The banked reference is ``synthetic_video(REFERENCE_SEED, 20 s)``; ``MATCHING`` carries
10 seconds of it (from 5 s in) between unrelated footage; ``CLEAN`` none of it.
"""

from __future__ import annotations

import functools

from fireline.testing.live import HlsRecording, Piece, pieces_frames, record_hls
from fireline.testing.media import synthetic_video

REFERENCE_SEED = 7
#: Where the excerpt lies in the matching stream, seconds.
EXCERPT = (6.0, 16.0)
MATCHING = (Piece(3, 0, 6), Piece(REFERENCE_SEED, 5, 10), Piece(4, 0, 4))
CLEAN = (Piece(3, 0, 6), Piece(4, 0, 4))


@functools.cache
def reference_video() -> bytes:
    return synthetic_video(REFERENCE_SEED, 20.0)


@functools.cache
def hls(name: str, segment_type: str = "mpegts") -> HlsRecording:
    """``matching``, ``clean`` or ``mirrored`` (the matching stream flipped left to right)."""
    pieces = CLEAN if name == "clean" else MATCHING
    frames = pieces_frames(pieces)
    if name == "mirrored":
        from PIL import ImageOps

        frames = (ImageOps.mirror(frame) for frame in frames)
    return record_hls(frames, segment_type=segment_type)  # type: ignore[arg-type]


def stream_bytes(name: str) -> bytes:
    """The stream as one MPEG-TS file (its segments end to end)."""
    return b"".join(segment.data for segment in hls(name).segments)
