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
from fireline.index.text import TextSegmentIndex
from fireline.index.tlsh import TlshIndex
from fireline.index.urls import UrlRuleIndex
from fireline.signals import IndexKind, SignalType

#: Segment indexes by signal type name: each pairs a type's per-frame hashes its own way.
SEGMENT_INDEXES: dict[str, Callable[[], SegmentIndex]] = {
    "vpdq": FrameSegmentIndex,
    "audio_fp": AudioSegmentIndex,
    "vorb": KeypointSegmentIndex,
    "text_minhash": TextSegmentIndex,
}


#: Indexes of their own for types whose kind alone does not say how to find candidates
#: (an exact type whose banked values may be rules, a distance no generic index knows).
NAMED_INDEXES: dict[str, Callable[[], SignalIndex]] = {
    "text_tlsh": TlshIndex,
    "url": UrlRuleIndex,
}


def index_for(signal_type: type[SignalType]) -> SignalIndex | None:
    """A new empty index suited to the signal type, or None where there is none."""
    named = NAMED_INDEXES.get(signal_type.name)
    if named is not None:
        return named()
    if signal_type.index_kind is IndexKind.HAMMING:
        return HammingIndex(bits=signal_type.bits)
    if signal_type.index_kind is IndexKind.EXACT:
        return ExactIndex()
    factory = SEGMENT_INDEXES.get(signal_type.name)
    return None if factory is None else factory()


__all__ = [
    "NAMED_INDEXES",
    "SEGMENT_INDEXES",
    "AudioSegmentIndex",
    "ExactIndex",
    "FrameSegmentIndex",
    "HammingIndex",
    "KeypointSegmentIndex",
    "SegmentHit",
    "SegmentIndex",
    "TextSegmentIndex",
    "TlshIndex",
    "SignalIndex",
    "UrlRuleIndex",
    "hex_to_words",
    "index_for",
]
