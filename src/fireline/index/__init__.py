"""Indexes per signal type: exact lookups and Hamming scans, checked against brute force."""

from fireline.index.base import SignalIndex
from fireline.index.exact import ExactIndex
from fireline.index.hamming import HammingIndex, hex_to_words
from fireline.signals import IndexKind, SignalType


def index_for(signal_type: type[SignalType]) -> SignalIndex:
    """A new empty index suited to the signal type."""
    if signal_type.index_kind is IndexKind.HAMMING:
        return HammingIndex(bits=signal_type.bits)
    return ExactIndex()


__all__ = ["ExactIndex", "HammingIndex", "SignalIndex", "hex_to_words", "index_for"]
