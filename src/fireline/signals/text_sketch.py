"""Word-shingle MinHash sketches of a text, per passage, and how two sketches align.

A text's normalised words (``text_normal``) are cut into shingles of ``SHINGLE`` words.
The shingles are grouped in blocks of ``BLOCK``; a *window* is two neighbouring blocks,
so windows overlap by half and every passage of about ``2 * BLOCK`` words lies inside
one. Each window keeps a MinHash of its shingles (``PERMUTATIONS`` values of 16 bits,
"b-bit MinHash"), and the whole text keeps one of ``DOC_PERMUTATIONS`` values, from
which the texts' Jaccard similarity is estimated.

Two windows are *paired* when they share at least one LSH band (``ROWS`` consecutive
values) and agree on at least ``MIN_AGREEMENT`` of their values: a window Jaccard of
about 0.2 or more. Pairs are what an index finds by looking bands up, so a brute-force
comparison and an indexed search see exactly the same pairs. Pairs are then chained
along the banked text in order (a copied passage keeps its order, give or take a
window for inserted or deleted words), and each chain is a *passage*: where in the
query and where in the banked text, in characters.

Windows with fewer than ``MIN_DISTINCT`` distinct shingles ("ha ha ha ha...") say
nothing about where a text came from, and are never paired.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fireline.domain import InvalidInput, Segment
from fireline.signals.text_normal import Words, words

VERSION = "1"
#: Words per shingle: three survive word edits and OCR noise better than four (a
#: changed word breaks three shingles, not four), and unrelated texts still share too
#: few to pair a window (see MIN_AGREEMENT).
SHINGLE = 3
#: Shingles per block; a window is two blocks.
BLOCK = 16
#: MinHash values per window, and per band.
PERMUTATIONS = 32
ROWS = 2
BANDS = PERMUTATIONS // ROWS
#: MinHash values of the whole text (the first PERMUTATIONS are the windows').
DOC_PERMUTATIONS = 64
#: Values two windows must share to be paired (7 of 32: a Jaccard of about 0.2).
MIN_AGREEMENT = 7
#: Fewer distinct shingles than this, and a window is not paired at all.
MIN_DISTINCT = 8
#: Fewest words a text must have to be hashed: below, too many texts share them.
MIN_WORDS = 20
#: Most windows per text; longer texts get longer blocks.
MAX_WINDOWS = 20_000
#: Words of the banked text a match must cover to score 100 (50 to match, at distance 50).
PASSAGE_WORDS = 100
#: Windows a passage may skip (words edited away) and still be one passage.
MAX_GAP = 4

_HEADER = struct.Struct("<BBHIII")
_MASK16 = np.uint64(0xFFFF)
_rng = np.random.Generator(np.random.PCG64(20190315))
#: Multiply-shift hash functions, one per MinHash value: odd multipliers and offsets.
_MULTIPLIERS = _rng.integers(0, 2**63, DOC_PERMUTATIONS, dtype=np.uint64) * np.uint64(
    2
) + np.uint64(1)
_OFFSETS = _rng.integers(0, 2**63, DOC_PERMUTATIONS, dtype=np.uint64)
#: The polynomial base of the word hash, odd so that it is invertible modulo 2**64.
_BASE = 0x9E3779B97F4A7C15
_BASE_INVERSE = pow(_BASE, -1, 2**64)
_SHINGLE_FACTORS = np.array(
    [0xD6E8FEB86659FD93, 0xA0761D6478BD642F, 0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3],
    dtype=np.uint64,
)
del _rng


@dataclass(frozen=True, slots=True)
class TextSketch:
    """What a text_minhash signal holds: sizes, the whole text's MinHash, its windows'.

    ``starts``/``ends`` are each window's character offsets in the hashed text; ``mins``
    holds PERMUTATIONS 16-bit values per window; ``usable`` is False for windows with too
    few distinct shingles to be paired.
    """

    words: int
    chars: int
    block: int
    doc: npt.NDArray[np.uint16]
    starts: npt.NDArray[np.uint32]
    ends: npt.NDArray[np.uint32]
    mins: npt.NDArray[np.uint16]
    usable: npt.NDArray[np.bool_]

    @property
    def windows(self) -> int:
        return len(self.starts)

    def window_words(self, first: int, last: int) -> tuple[int, int]:
        """The words (start, end exclusive) windows ``first`` to ``last`` cover."""
        end = min((last + 2) * self.block + SHINGLE - 1, self.words)
        return first * self.block, end


def sketch(text: str) -> TextSketch:
    """The sketch of ``text``; InvalidInput ``text_too_short`` below MIN_WORDS words."""
    found = words(text)
    if len(found) < MIN_WORDS:
        raise InvalidInput(
            f"the text has {len(found)} words after normalisation; at least {MIN_WORDS} words "
            "are needed to hash it meaningfully",
            code="text_too_short",
        )
    shingles = _shingle_hashes(found)
    count = len(shingles)
    block = max(BLOCK, -(-count // (MAX_WINDOWS + 1)))
    block_starts = np.arange(0, count, block)
    mins = _block_mins(shingles, block)
    distinct = _block_distinct(shingles, block)
    if len(block_starts) > 1:
        window_mins = np.minimum(mins[:-1, :PERMUTATIONS], mins[1:, :PERMUTATIONS])
        # Distinct shingles of two blocks: at least the larger block's count.
        usable = np.maximum(distinct[:-1], distinct[1:]) >= MIN_DISTINCT
    else:
        window_mins = mins[:, :PERMUTATIONS]
        usable = distinct >= MIN_DISTINCT
    windows = len(window_mins)
    first_word = np.arange(windows, dtype=np.int64) * block
    last_word = np.minimum(first_word + 2 * block + SHINGLE - 1, len(found)) - 1
    return TextSketch(
        words=len(found),
        chars=len(text),
        block=block,
        doc=(mins.min(axis=0) & _MASK16).astype(np.uint16),
        starts=found.starts[first_word].astype(np.uint32),
        ends=found.ends[last_word].astype(np.uint32),
        mins=(window_mins & _MASK16).astype(np.uint16),
        usable=usable,
    )


def _word_hashes(found: Words) -> npt.NDArray[np.uint64]:
    """One 64-bit hash per word: a polynomial of its code points, computed on arrays."""
    codes = found.codes.astype(np.uint64)
    n = len(codes)
    with np.errstate(over="ignore"):
        powers = np.empty(n + 1, dtype=np.uint64)
        powers[0] = 1
        powers[1:] = np.uint64(_BASE)
        np.cumprod(powers, out=powers)
        inverse = np.empty(n + 1, dtype=np.uint64)
        inverse[0] = 1
        inverse[1:] = np.uint64(_BASE_INVERSE)
        np.cumprod(inverse, out=inverse)
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(codes * powers[:n], out=prefix[1:])
        starts, ends = found.bounds[0::2], found.bounds[1::2]
        hashes = (prefix[ends] - prefix[starts]) * inverse[starts]
        return _mix(hashes + (ends - starts).astype(np.uint64))


def _shingle_hashes(found: Words) -> npt.NDArray[np.uint64]:
    hashes = _word_hashes(found)
    count = len(hashes) - SHINGLE + 1
    with np.errstate(over="ignore"):
        combined = np.zeros(count, dtype=np.uint64)
        for offset in range(SHINGLE):
            combined += hashes[offset : offset + count] * _SHINGLE_FACTORS[offset]
        return _mix(combined)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser: every input bit reaches every output bit."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _block_mins(shingles: npt.NDArray[np.uint64], block: int) -> npt.NDArray[np.uint64]:
    """Each block's minimum under every hash function, computed a slice at a time."""
    blocks = -(-len(shingles) // block)
    out = np.empty((blocks, DOC_PERMUTATIONS), dtype=np.uint64)
    per_slice = max(1, 65_536 // block)  # bounds the (shingles x functions) array
    with np.errstate(over="ignore"):
        for first in range(0, blocks, per_slice):
            last = min(first + per_slice, blocks)
            values = shingles[first * block : last * block, None] * _MULTIPLIERS[None, :]
            values = (values + _OFFSETS[None, :]) >> np.uint64(32)
            starts = np.arange(0, len(values), block)
            out[first:last] = np.minimum.reduceat(values, starts, axis=0)
    return out


def _block_distinct(shingles: npt.NDArray[np.uint64], block: int) -> npt.NDArray[np.int64]:
    blocks = np.arange(len(shingles), dtype=np.int64) // block
    order = np.lexsort((shingles, blocks))
    sorted_blocks, sorted_values = blocks[order], shingles[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (sorted_blocks[1:] != sorted_blocks[:-1]) | (sorted_values[1:] != sorted_values[:-1])
    return np.bincount(sorted_blocks[new], minlength=int(blocks[-1]) + 1)


# -- the canonical string ---------------------------------------------------------------


def encode(found: TextSketch) -> str:
    """The canonical string: ``1:`` and the base64 of the sketch's binary form."""
    header = _HEADER.pack(SHINGLE, 0, found.block, found.words, found.chars, found.windows)
    parts = [
        header,
        found.doc.astype("<u2").tobytes(),
        found.starts.astype("<u4").tobytes(),
        found.ends.astype("<u4").tobytes(),
        found.mins.astype("<u2").tobytes(),
        np.packbits(found.usable, bitorder="little").tobytes(),
    ]
    return f"{VERSION}:" + base64.b64encode(b"".join(parts)).decode("ascii")


def decode(value: str) -> TextSketch:
    """Parse a canonical or near-canonical string; InvalidInput ``malformed_signal`` if bad."""
    version, colon, payload = value.strip().partition(":")
    if not colon or version != VERSION:
        raise _malformed(f"starts with its version {VERSION!r} and a colon")
    try:
        blob = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("has a payload that is not base64") from None
    if len(blob) < _HEADER.size:
        raise _malformed("is too short to hold its header")
    shingle, _reserved, block, count, chars, windows = _HEADER.unpack_from(blob)
    if shingle != SHINGLE or block < BLOCK or count < MIN_WORDS or windows < 1:
        raise _malformed("has a header this version does not read")
    if windows > MAX_WINDOWS:
        raise _malformed(f"holds more than {MAX_WINDOWS} windows")
    usable_bytes = -(-windows // 8)
    expected = _HEADER.size + 2 * DOC_PERMUTATIONS + windows * (8 + 2 * PERMUTATIONS) + usable_bytes
    if len(blob) != expected:
        raise _malformed(f"is {len(blob)} bytes, not the {expected} its header promises")
    at = _HEADER.size
    doc = np.frombuffer(blob, "<u2", DOC_PERMUTATIONS, at).astype(np.uint16)
    at += 2 * DOC_PERMUTATIONS
    starts = np.frombuffer(blob, "<u4", windows, at).astype(np.uint32)
    at += 4 * windows
    ends = np.frombuffer(blob, "<u4", windows, at).astype(np.uint32)
    at += 4 * windows
    mins = np.frombuffer(blob, "<u2", windows * PERMUTATIONS, at).astype(np.uint16)
    at += 2 * PERMUTATIONS * windows
    bits = np.frombuffer(blob, np.uint8, usable_bytes, at)
    usable = np.unpackbits(bits, count=windows, bitorder="little").astype(bool)
    if (
        np.any(starts > ends)
        or np.any(ends > chars)
        or np.any(np.diff(starts.astype(np.int64)) < 0)
    ):
        raise _malformed("has window offsets out of order")
    if (windows - 1) * block >= count:
        raise _malformed("has more windows than words")
    return TextSketch(
        words=count,
        chars=chars,
        block=block,
        doc=doc,
        starts=starts,
        ends=ends,
        mins=mins.reshape(windows, PERMUTATIONS),
        usable=usable,
    )


def _malformed(what: str) -> InvalidInput:
    return InvalidInput(f"a text_minhash signal {what}", code="malformed_signal")


# -- pairing and aligning -------------------------------------------------------------


def band_keys(mins: npt.NDArray[np.uint16]) -> npt.NDArray[np.uint64]:
    """Each window's LSH band keys (windows x BANDS): band number and its ROWS values."""
    values = mins.astype(np.uint64).reshape(len(mins), BANDS, ROWS)
    keys = np.arange(BANDS, dtype=np.uint64)[None, :] << np.uint64(32)
    for row in range(ROWS):
        keys = keys | (values[:, :, row] << np.uint64(16 * (ROWS - 1 - row)))
    return keys


def agreements(a: npt.NDArray[np.uint16], b: npt.NDArray[np.uint16]) -> npt.NDArray[np.int64]:
    """How many MinHash values rows of ``a`` share with the same rows of ``b``."""
    counts: npt.NDArray[np.int64] = np.count_nonzero(a == b, axis=1).astype(np.int64)
    return counts


def brute_pairs(
    query: TextSketch, reference: TextSketch
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every paired (query window, reference window, agreement), by comparing all of them."""
    found_q, found_r, found_a = [], [], []
    q_rows = np.flatnonzero(query.usable)
    r_rows = np.flatnonzero(reference.usable)
    r_mins = reference.mins[r_rows]
    step = max(1, 2_000_000 // max(1, len(r_rows) * PERMUTATIONS))
    for first in range(0, len(q_rows), step):
        rows = q_rows[first : first + step]
        equal = query.mins[rows][:, None, :] == r_mins[None, :, :]
        banded = (equal[:, :, 0::2] & equal[:, :, 1::2]).any(axis=2)
        agree = equal.sum(axis=2)
        qi, rj = np.nonzero(banded & (agree >= MIN_AGREEMENT))
        found_q.append(rows[qi])
        found_r.append(r_rows[rj])
        found_a.append(agree[qi, rj])
    if not found_q:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return (
        np.concatenate(found_q).astype(np.int64),
        np.concatenate(found_r).astype(np.int64),
        np.concatenate(found_a).astype(np.int64),
    )


@dataclass(frozen=True, slots=True)
class Passage:
    """A run of paired windows: a passage of the banked text found in the query."""

    query_first: int
    query_last: int
    reference_first: int
    reference_last: int
    pairs: int
    agreement: float


def passages(
    qi: npt.NDArray[np.int64], rj: npt.NDArray[np.int64], agree: npt.NDArray[np.int64]
) -> list[Passage]:
    """Chain pairs along the banked text: each reference window keeps its best query window."""
    if len(rj) == 0:
        return []
    order = np.lexsort((qi, -agree, rj))
    first = np.ones(len(rj), dtype=bool)
    first[1:] = rj[order][1:] != rj[order][:-1]
    keep = order[first]
    refs: list[int] = rj[keep].tolist()
    queries: list[int] = qi[keep].tolist()
    agreed: list[int] = agree[keep].tolist()
    found: list[Passage] = []
    run = [0]
    for n in range(1, len(refs)):
        last = run[-1]
        step_r, step_q = refs[n] - refs[last], queries[n] - queries[last]
        if step_r <= MAX_GAP and step_q > 0 and abs(step_q - step_r) <= 1:
            run.append(n)
        else:
            found.append(_passage(run, queries, refs, agreed))
            run = [n]
    found.append(_passage(run, queries, refs, agreed))
    return found


def _passage(run: list[int], qi: list[int], rj: list[int], agree: list[int]) -> Passage:
    return Passage(
        query_first=min(qi[n] for n in run),
        query_last=max(qi[n] for n in run),
        reference_first=rj[run[0]],
        reference_last=rj[run[-1]],
        pairs=len(run),
        agreement=sum(agree[n] for n in run) / (len(run) * PERMUTATIONS),
    )


def covered_words(reference: TextSketch, found: list[Passage]) -> int:
    """Words of the banked text the passages cover, overlaps counted once."""
    return int(
        covered_length(reference.window_words(p.reference_first, p.reference_last) for p in found)
    )


def covered_length(spans: Iterable[tuple[float, float]]) -> float:
    """The length of the union of [start, end) spans."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        start = max(start, reach)
        if end > start:
            total += end - start
            reach = end
    return total


def distance(reference: TextSketch, found: list[Passage]) -> int:
    """100 minus the score: the share of PASSAGE_WORDS (or of a shorter banked text) covered.

    Only passages of two windows or more count towards a match (one window for a banked
    text of two windows or fewer); a lone window scores at most 49, a near miss.
    """
    if not found:
        return 100
    needed = 1 if reference.windows <= 2 else 2
    base = min(reference.words, PASSAGE_WORDS)
    strong = [p for p in found if p.pairs >= needed]
    if strong:
        score = min(100, round(100 * covered_words(reference, strong) / base))
    else:
        score = min(49, round(100 * covered_words(reference, found) / base))
    return 100 - score


def segments(query: TextSketch, reference: TextSketch, found: list[Passage]) -> tuple[Segment, ...]:
    """The passages as segments, in characters of each text, longest first."""
    out = []
    for p in found:
        q_start, q_end = query.window_words(p.query_first, p.query_last)
        r_start, r_end = reference.window_words(p.reference_first, p.reference_last)
        out.append(
            Segment(
                query_start=float(query.starts[p.query_first]),
                query_end=float(query.ends[p.query_last]),
                reference_start=float(reference.starts[p.reference_first]),
                reference_end=float(reference.ends[p.reference_last]),
                speed=1.0,
                score=round(100 * p.agreement),
                matched_frames=p.pairs,
                query_coverage=round((q_end - q_start) / query.words, 4),
                reference_coverage=round((r_end - r_start) / reference.words, 4),
                unit="characters",
            )
        )
    return tuple(sorted(out, key=lambda s: (-(s.reference_end - s.reference_start), s.query_start)))


def jaccard(a: TextSketch, b: TextSketch) -> float:
    """The texts' Jaccard similarity (of their shingle sets), estimated from the sketches."""
    return doc_jaccard(a.doc, b.doc)


def doc_jaccard(a: npt.NDArray[np.uint16], b: npt.NDArray[np.uint16]) -> float:
    """Jaccard similarity estimated from two whole-text MinHashes (b-bit corrected)."""
    share = float(np.mean(a == b))
    chance = 1 / 65536  # two different minima agree on their low 16 bits by chance
    return round(max(0.0, (share - chance) / (1 - chance)), 4)


def peek(value: str) -> tuple[int, npt.NDArray[np.uint16]]:
    """A signal's character count and whole-text MinHash, without reading its windows."""
    version, colon, payload = value.strip().partition(":")
    head = _HEADER.size + 2 * DOC_PERMUTATIONS
    try:
        # Base64 decodes in groups of 4 characters to 3 bytes: read just enough of them.
        blob = base64.b64decode(payload[: 4 * -(-head // 3)], validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("has a payload that is not base64") from None
    if not colon or version != VERSION or len(blob) < head:
        raise _malformed(f"starts with its version {VERSION!r} and a colon")
    chars = _HEADER.unpack_from(blob)[4]
    return chars, np.frombuffer(blob, "<u2", DOC_PERMUTATIONS, _HEADER.size).astype(np.uint16)
