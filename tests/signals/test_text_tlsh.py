"""text_tlsh: python-threatexchange's TLSH of texts, the same string and the same distance."""

from __future__ import annotations

import random

import pytest
import tlsh
from threatexchange.extensions.tlsh.text_tlsh import TextTLSHSignal

from fireline.domain import InvalidInput
from fireline.index import TlshIndex
from fireline.signals import DecodedText
from fireline.signals.text_tlsh import TextTlshSignal, distances, to_bytes
from fireline.testing import SignalTypeContract
from fireline.testing.prose import Prose, reword

_PROSE = Prose(9)
_HEX = "0123456789ABCDEF"


def hashed(text: str) -> str:
    return TextTlshSignal.hash_text(DecodedText(text)).value


def _random_hash(rng: random.Random) -> str:
    return "T1" + "".join(rng.choice(_HEX) for _ in range(70))


def _near(value: str, rng: random.Random) -> str:
    chars = list(value)
    for position in rng.sample(range(2, 72), rng.randint(1, 6)):
        chars[position] = rng.choice(_HEX)
    return "".join(chars)


class TestTextTlshSignal(SignalTypeContract):
    signal_type = TextTlshSignal
    _one = hashed(_PROSE.document(300))
    valid_cases = [(_one, _one), (" " + _one.lower() + " ", _one)]
    invalid_cases = ["", "TNULL", "T1" + "0" * 69, "T1" + "G" * 70, _one[2:], "T2" + _one[2:]]
    close_pairs = [
        (hashed(d := _PROSE.document(400)), hashed(reword(d, 0.02, random.Random(1), _PROSE)))
    ]
    far_pairs = [(hashed(_PROSE.document(400)), hashed(_PROSE.document(400)))]
    # TLSH's distance is symmetric and 0 on equal hashes, but not a proven metric.
    compare_is_metric = False

    def random_signal(self, rng: random.Random) -> str:
        return _random_hash(rng)

    def near_signal(self, value: str, rng: random.Random) -> str:
        return _near(value, rng)


@pytest.mark.parametrize("words", [20, 100, 1000, 5000])
def test_hashes_and_distances_are_python_threatexchanges(words: int) -> None:
    text = _PROSE.document(words)
    edited = reword(text, 0.05, random.Random(words), _PROSE)
    ours, theirs = hashed(text), TextTLSHSignal.hash_from_str(text)
    assert ours == theirs
    assert TextTLSHSignal.validate_signal_str(ours) == ours
    distance = TextTlshSignal.compare(ours, hashed(edited))
    expected = TextTLSHSignal.compare_hash(theirs, TextTLSHSignal.hash_from_str(edited))
    assert distance == expected.distance.distance
    assert (distance <= TextTlshSignal.default_threshold) is expected.match


def test_array_distance_is_diffxlen() -> None:
    rng = random.Random(4)
    values = [_random_hash(rng) for _ in range(60)]
    values += [_near(rng.choice(values), rng) for _ in range(60)]
    rows = to_bytes(values)
    for at, value in enumerate(values):
        got = distances(rows[at], rows).tolist()
        assert got == [tlsh.diffxlen(value, other) for other in values]


def test_index_finds_a_lightly_edited_text() -> None:
    text = _PROSE.document(800)
    index = TlshIndex()
    index.add([1, 2], [hashed(text), hashed(_PROSE.document(800))])
    found = index.query(hashed(reword(text, 0.02, random.Random(2), _PROSE)), 30)
    assert [entry_id for entry_id, _ in found] == [1]


@pytest.mark.parametrize("text", ["short", "a" * 300, "ab" * 20])
def test_texts_tlsh_cannot_hash_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        hashed(text)
    assert caught.value.code == "text_too_short"
