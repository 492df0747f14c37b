"""text_minhash: word-shingle MinHash per passage, so copies and excerpts of texts match.

The sketch and the alignment live in ``text_sketch``; this is the signal type around
them. A text matches a banked one when passages of the banked text, together at least
half of ``PASSAGE_WORDS`` words (or half of a shorter banked text), appear in it in
order: a reformatted copy, an excerpt of a paragraph or more inside another text, a copy
with words changed or OCR noise. The answer's segments say which characters of the
upload copy which characters of the banked text, and the match's measures give the
texts' Jaccard similarity and the containment (the share of the banked text found).

``compare(query, reference)`` is directional: an excerpt is at distance 0 from the
long text it came from, not the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from fireline.domain import Segment, Signal
from fireline.signals.base import ContentType, IndexKind, SignalType, TextHasher
from fireline.signals.text_extract import DecodedText
from fireline.signals.text_sketch import (
    brute_pairs,
    covered_length,
    decode,
    distance,
    doc_jaccard,
    encode,
    passages,
    peek,
    sketch,
)


class TextMinhashSignal(SignalType, TextHasher):
    """Per-passage MinHash of a text's normalised word shingles (``1:`` + base64)."""

    name: ClassVar[str] = "text_minhash"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.TEXT})
    index_kind: ClassVar[IndexKind] = IndexKind.SEGMENT
    #: 100 minus the score; at 50, half of PASSAGE_WORDS words of the banked text are found.
    default_threshold: ClassVar[int] = 50

    @classmethod
    def validate(cls, value: str) -> str:
        return encode(decode(value))

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        query, reference = decode(a), decode(b)
        return distance(reference, passages(*brute_pairs(query, reference)))

    @classmethod
    def measures(cls, query: str, reference: str, segments: Sequence[Segment]) -> dict[str, float]:
        q_chars, q_doc = peek(query)
        r_chars, r_doc = peek(reference)
        spans = [(s.reference_start, s.reference_end) for s in segments if s.unit == "characters"]
        return {
            "jaccard": doc_jaccard(q_doc, r_doc),
            "containment": round(min(1.0, covered_length(spans) / max(1, r_chars)), 4),
        }

    @classmethod
    def hash_text(cls, text: DecodedText) -> Signal:
        return Signal(cls.name, encode(sketch(text.text)))
