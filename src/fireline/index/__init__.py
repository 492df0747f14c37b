"""Indexes per signal type: exact lookups, Hamming scans and time-aligned segments.

Each is checked against its signal type's brute-force ``compare``.
"""

from collections.abc import Callable

from fireline.index.audio import AudioSegmentIndex
from fireline.index.base import SegmentIndex, SignalIndex
from fireline.index.exact import ExactIndex
from fireline.index.hamming import HammingIndex, hex_to_words
from fireline.index.keypoints import KeypointSegmentIndex
from fireline.index.segments import FrameSegmentIndex, SegmentHit
from fireline.signals import IndexKind, SignalType

#: Segment indexes by signal type name: each pairs a type's per-frame hashes its own way.
SEGMENT_INDEXES: dict[str, Callable[[], SegmentIndex]] = {
    "vpdq": FrameSegmentIndex,
    "audio_fp": AudioSegmentIndex,
    "vorb": KeypointSegmentIndex,
}


def index_for(signal_type: type[SignalType]) -> SignalIndex | None:
    """A new empty index suited to the signal type, or None where there is none."""
    if signal_type.index_kind is IndexKind.HAMMING:
        return HammingIndex(bits=signal_type.bits)
    if signal_type.index_kind is IndexKind.EXACT:
        return ExactIndex()
    factory = SEGMENT_INDEXES.get(signal_type.name)
    return None if factory is None else factory()


__all__ = [
    "SEGMENT_INDEXES",
    "AudioSegmentIndex",
    "ExactIndex",
    "FrameSegmentIndex",
    "HammingIndex",
    "KeypointSegmentIndex",
    "SegmentHit",
    "SegmentIndex",
    "SignalIndex",
    "hex_to_words",
    "index_for",
]
