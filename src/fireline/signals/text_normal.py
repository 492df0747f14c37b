"""Normalising text into words before it is hashed, so common evasions change nothing.

Copies of a text are reformatted (line breaks, spacing, punctuation, case), and people
who want them to slip past filters add evasions: look-alike letters from other scripts
("Cyrillic а for Latin a"), zero-width characters inside words, accents, fullwidth or
mathematical letters, and OCR-style confusions (0 for o, 1 for l, rn for m). Every
character is folded once, by a table built from Unicode's own data:

1. format characters (zero-width spaces and joiners, soft hyphens, bidi marks) and
   combining marks (accents) are removed;
2. compatibility forms are unfolded (NFKC: fullwidth, ligatures, mathematical letters)
   and case is folded;
3. characters Unicode lists as confusable with a Latin letter or digit
   (``confusable_homoglyphs``' copy of Unicode's confusables data) become that letter;
4. what OCR confuses is merged: ``0``→``o``, ``1``/``i``→``l``, ``5``→``s``,
   ``rn``→``m``, ``vv``→``w``;
5. anything neither letter nor digit separates words.

The words are what the text signals hash; each keeps the character offsets of where it
stood in the original text, so a match can say which passage it found.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

#: Single characters OCR confuses, merged into one (after case folding).
_OCR_CHARS = {"0": "o", "1": "l", "i": "l", "5": "s"}
#: Pairs of letters OCR reads as one, merged into it; each replaces word characters with
#: a word character, so words keep their places.
_OCR_PAIRS = (("rn", "m"), ("vv", "w"))


@dataclass(frozen=True, slots=True)
class Words:
    """A text's normalised words and where each stood in the original text.

    ``starts[i]``/``ends[i]`` are the character offsets of word ``i`` in the text given
    (end exclusive). The words themselves are kept as ``codes``, the folded text as code
    points, and ``bounds``, each word's start and end in it interleaved, so that hashers
    work on arrays instead of a Python string per word.
    """

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    codes: npt.NDArray[np.uint32]
    bounds: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.starts)

    def tokens(self) -> list[str]:
        """The words as strings (for people and tests; hashers use the arrays)."""
        text = self.codes.tobytes().decode("utf-32-le")
        return [text[a:b] for a, b in zip(self.bounds[0::2], self.bounds[1::2], strict=True)]


class _FoldTable(dict[int, str]):
    """Code point -> folded string, computed on first sight of each character.

    ``str.translate`` looks every character up here; the first lookup of a character
    computes its fold (``__missing__``) and keeps it, so a text costs one C-level pass.
    """

    def __init__(self, homoglyphs: dict[str, str]) -> None:
        super().__init__()
        self._homoglyphs = homoglyphs
        for code in range(128):
            self[code] = self._fold(chr(code))

    def __missing__(self, code: int) -> str:
        folded = self._fold(chr(code))
        self[code] = folded
        return folded

    def _fold(self, char: str) -> str:
        if unicodedata.category(char) == "Cf":
            return ""  # zero-width and bidi controls: invisible, so never part of a word
        mapped = self._homoglyphs.get(char)
        if mapped is None:
            mapped = "".join(
                self._homoglyphs.get(piece, piece)
                for part in _strip_marks(unicodedata.normalize("NFKD", char)).casefold()
                for piece in _strip_marks(unicodedata.normalize("NFKC", part))
            )
        return "".join(_OCR_CHARS.get(c, c) if c.isalnum() else " " for c in mapped)


def _strip_marks(text: str) -> str:
    return "".join(c for c in text if not unicodedata.category(c).startswith("M"))


@cache
def _homoglyph_map() -> dict[str, str]:
    """Non-ASCII characters Unicode lists as confusable with an ASCII letter or digit."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    data: dict[str, list[dict[str, str]]] = json.loads(raw)
    mapping: dict[str, str] = {}
    # Sorted, so a glyph confusable with several letters always folds to the same one.
    for target in sorted(data):
        ascii_target = target.casefold()
        if len(ascii_target) != 1 or not (ascii_target.isascii() and ascii_target.isalnum()):
            continue
        for glyph in data[target]:
            char = glyph["c"].strip("\u200e\u200f")
            if len(char) == 1 and not char.isascii():
                mapping.setdefault(char, ascii_target)
    for source, glyphs in sorted(data.items()):
        if len(source) == 1 and not source.isascii():
            for glyph in glyphs:
                char = glyph["c"].strip("\u200e\u200f").casefold()
                if len(char) == 1 and char.isascii() and char.isalnum():
                    mapping.setdefault(source, char)
                    break
    return mapping


@cache
def _fold_table() -> _FoldTable:
    return _FoldTable(_homoglyph_map())


def fold(text: str) -> str:
    """The text folded character by character (steps 1-3 and 5 of the module docstring)."""
    return text.translate(_fold_table())


def words(text: str) -> Words:
    """The normalised words of ``text``, with their offsets in it."""
    folded = fold(text)
    table = _fold_table()
    if len(folded) == len(text) and (text.isascii() or _one_for_one(text, table)):
        offsets = None
    else:
        # Some characters folded to nothing or to several: map positions back one by one.
        lengths = np.fromiter((len(table[ord(c)]) for c in text), dtype=np.int64, count=len(text))
        offsets = np.concatenate(([0], np.cumsum(lengths)))
    merged = folded
    for pair, single in _OCR_PAIRS:
        merged = merged.replace(pair, single)
    codes = _code_points(merged)
    bounds = _word_bounds(codes)
    starts, ends = _word_bounds_pair(_code_points(folded))
    if offsets is not None:
        # Folded position p came from the original character whose fold covers p.
        starts = np.searchsorted(offsets, starts, side="right") - 1
        ends = np.searchsorted(offsets, ends, side="left")
    return Words(
        starts=starts.astype(np.int64),
        ends=ends.astype(np.int64),
        codes=codes,
        bounds=bounds,
    )


def _one_for_one(text: str, table: _FoldTable) -> bool:
    """Whether every character of ``text`` folds to exactly one character."""
    unusual = {c for c in set(text) if len(table[ord(c)]) != 1}
    return not unusual


def _code_points(text: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _word_bounds_pair(
    codes: npt.NDArray[np.uint32],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    bounds = _word_bounds(codes)
    return bounds[0::2], bounds[1::2]


def _word_bounds(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    """Start and end offsets of the runs of non-spaces, interleaved: s0, e0, s1, e1..."""
    is_word = np.concatenate(([False], codes != 32, [False]))
    return np.flatnonzero(is_word[1:] != is_word[:-1]).astype(np.int64)
