"""text_minhash: copies, excerpts and evasive edits of a banked text match; others do not."""

from __future__ import annotations

import random

import numpy as np
import pytest

from fireline.domain import InvalidInput
from fireline.index import TextSegmentIndex
from fireline.signals import DecodedText
from fireline.signals.text_minhash import TextMinhashSignal
from fireline.signals.text_sketch import (
    MIN_WORDS,
    TextSketch,
    decode,
    encode,
    peek,
    sketch,
)
from fireline.testing import SignalTypeContract
from fireline.testing.prose import (
    Prose,
    excerpt,
    homoglyphs,
    ocr_noise,
    paragraphs,
    reformat,
    reword,
    zero_width,
)

_PROSE = Prose(5)
#: A pool of paragraphs that random documents share, so the index test meets real overlaps.
_POOL = [_PROSE.paragraph() for _ in range(80)]


def hashed(text: str) -> str:
    return TextMinhashSignal.hash_text(DecodedText(text)).value


def _excerpt_of(found: TextSketch, first: int, last: int, rng: random.Random) -> str:
    """Windows ``first``..``last`` of a sketch as a sketch of their own, a few values changed."""
    words_from, words_to = found.window_words(first, last)
    offset = int(found.starts[first])
    mins = found.mins[first : last + 1].copy()
    for row in range(len(mins)):
        for column in rng.sample(range(mins.shape[1]), rng.randint(0, 6)):
            mins[row, column] = rng.randrange(65536)
    words = max(words_to - words_from, MIN_WORDS)
    starts = found.starts[first : last + 1] - offset
    ends = found.ends[first : last + 1] - offset
    part = TextSketch(
        words=words,
        chars=int(ends.max()),
        block=found.block,
        doc=found.doc.copy(),
        starts=starts.astype(np.uint32),
        ends=ends.astype(np.uint32),
        mins=mins,
        usable=found.usable[first : last + 1].copy(),
    )
    return encode(part)


class TestTextMinhashSignal(SignalTypeContract):
    signal_type = TextMinhashSignal
    valid_cases = [(f"  {hashed(_POOL[0] + ' ' + _POOL[1])}\n", hashed(_POOL[0] + " " + _POOL[1]))]
    invalid_cases = [
        "",
        "1:",
        "2:" + hashed(_POOL[0]).split(":", 1)[1],
        "1:not base64!",
        hashed(_POOL[0])[:-8],
        "1:AAAAAAAA",
        "deadbeef",
    ]
    close_pairs = [
        (hashed("\n\n".join(_POOL[3:7])), hashed("\n\n".join(_POOL[:12]))),
        (hashed(_POOL[20].upper()), hashed(_POOL[20])),
    ]
    far_pairs = [(hashed("\n\n".join(_POOL[30:34])), hashed("\n\n".join(_POOL[40:48])))]
    compare_is_symmetric = False
    index_size = 36

    def random_signal(self, rng: random.Random) -> str:
        if rng.random() < 0.3:
            return hashed(" ".join(_PROSE.sentence() for _ in range(rng.randint(3, 30))))
        first = rng.randrange(len(_POOL))
        chosen = [_POOL[(first + n) % len(_POOL)] for n in range(rng.randint(1, 6))]
        return hashed("\n\n".join(chosen))

    def near_signal(self, value: str, rng: random.Random) -> str:
        found = decode(value)
        first = rng.randrange(found.windows)
        last = min(found.windows - 1, first + rng.randint(0, 4))
        return _excerpt_of(found, first, last, rng)


@pytest.fixture(scope="module")
def bank() -> list[str]:
    rng = random.Random(11)
    return [Prose(100 + n).document(rng.randint(2500, 4000)) for n in range(3)]


@pytest.mark.parametrize(
    ("edit", "matches"),
    [
        ("reformatted copy", True),
        ("two paragraphs inside another text", True),
        ("three paragraphs inside another text", True),
        ("5% of words changed or deleted", True),
        ("OCR noise, 2% of characters", True),
        ("two paragraphs with OCR noise", True),
        ("look-alike letters of other scripts", True),
        ("zero-width characters inside words", True),
        ("an unrelated text", False),
        ("unrelated text about as long", False),
    ],
)
def test_edited_copies_match_and_unrelated_texts_do_not(
    bank: list[str], edit: str, matches: bool
) -> None:
    rng = random.Random(edit)
    prose = Prose(7)
    host = prose.document(1200)
    for text in bank:
        query = {
            "reformatted copy": lambda t=text: reformat(t, rng),
            "two paragraphs inside another text": lambda t=text: excerpt(t, 2, host, rng)[0],
            "three paragraphs inside another text": lambda t=text: excerpt(t, 3, host, rng)[0],
            "5% of words changed or deleted": lambda t=text: reword(t, 0.05, rng, prose),
            "OCR noise, 2% of characters": lambda t=text: ocr_noise(t, 0.02, rng),
            "two paragraphs with OCR noise": lambda t=text: excerpt(
                ocr_noise(t, 0.015, rng), 2, host, rng
            )[0],
            "look-alike letters of other scripts": lambda t=text: homoglyphs(t, 0.4, rng),
            "zero-width characters inside words": lambda t=text: zero_width(t, 0.4, rng),
            "an unrelated text": lambda: host,
            "unrelated text about as long": lambda: prose.document(3000),
        }[edit]()
        distance = TextMinhashSignal.compare(hashed(query), hashed(text))
        assert (distance <= TextMinhashSignal.default_threshold) is matches, (edit, distance)


def test_the_passage_found_is_where_the_excerpt_lies(bank: list[str]) -> None:
    rng = random.Random(3)
    document, taken = excerpt(bank[0], 3, Prose(8).document(1500), rng)
    index = TextSegmentIndex()
    index.add([1], [hashed(bank[0])])
    [(entry_id, distance, segments)] = index.query_segments(hashed(document), 50)
    assert entry_id == 1 and distance == 0
    best = segments[0]
    assert best.unit == "characters"
    where_query = document.index(taken)
    where_reference = bank[0].index(taken)
    window = 40 * 12  # passages are found to within a window of words
    assert abs(best.query_start - where_query) < window
    assert abs(best.query_end - (where_query + len(taken))) < window
    assert abs(best.reference_start - where_reference) < window
    assert abs(best.reference_end - (where_reference + len(taken))) < window
    measures = TextMinhashSignal.measures(hashed(document), hashed(bank[0]), segments)
    assert 0.02 < measures["containment"] < 0.3
    assert measures["jaccard"] < 0.3


def test_a_full_copy_contains_all_of_the_banked_text(bank: list[str]) -> None:
    query, reference = hashed(reformat(bank[1], random.Random(1))), hashed(bank[1])
    index = TextSegmentIndex()
    index.add([1], [reference])
    [(_, _, segments)] = index.query_segments(query, 50)
    measures = TextMinhashSignal.measures(query, reference, segments)
    assert measures["containment"] > 0.95
    assert measures["jaccard"] > 0.8


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("", True),
        ("one two three four five", True),
        (" ".join(f"w{n}" for n in range(MIN_WORDS - 1)), True),
        (" ".join(f"w{n}" for n in range(MIN_WORDS)), False),
        ("!!! ... ??? " * 100, True),
    ],
)
def test_texts_too_short_are_refused_with_the_minimum(text: str, refused: bool) -> None:
    if not refused:
        assert hashed(text).startswith("1:")
        return
    with pytest.raises(InvalidInput) as caught:
        hashed(text)
    assert caught.value.code == "text_too_short"
    assert str(MIN_WORDS) in caught.value.message


def test_repetitive_windows_are_never_paired() -> None:
    spam = "buy now " * 200
    other = "buy now " * 150 + paragraphs(_PROSE.document(300))[0]
    assert not sketch(spam).usable.any()
    assert TextMinhashSignal.compare(hashed(other), hashed(spam)) == 100


def test_long_texts_keep_a_bounded_number_of_windows() -> None:
    long = _PROSE.document(400_000)
    found = sketch(long)
    assert found.windows <= 20_000
    assert decode(encode(found)).windows == found.windows
    assert (
        TextMinhashSignal.compare(hashed("\n\n".join(paragraphs(long)[100:104])), encode(found))
        == 0
    )


def test_the_head_of_a_signal_reads_as_its_whole() -> None:
    for text in (_POOL[0], "\n\n".join(_POOL[:30])):
        value = hashed(text)
        chars, doc = peek(value)
        whole = decode(value)
        assert chars == whole.chars and (doc == whole.doc).all()
    with pytest.raises(InvalidInput):
        peek("1:not base64!")
