"""Indexes per signal type: exact lookups and Hamming scans, checked against brute force."""

from fireline.index.base import SignalIndex
from fireline.index.exact import ExactIndex
from fireline.index.hamming import HammingIndex, hex_to_words
from fireline.signals import IndexKind, SignalType


def index_for(signal_type: type[SignalType]) -> SignalIndex | None:
    """A new empty index suited to the signal type, or None where there is none yet.

    Segment types (``vpdq``) have no index yet: the matcher skips them, and their
    signals are only compared by brute force.
    """
    if signal_type.index_kind is IndexKind.HAMMING:
        return HammingIndex(bits=signal_type.bits)
    if signal_type.index_kind is IndexKind.EXACT:
        return ExactIndex()
    return None


__all__ = ["ExactIndex", "HammingIndex", "SignalIndex", "hex_to_words", "index_for"]
