"""Indexes that keep canonical values save as JSON and load back to the same answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from fireline.index import ExactIndex, TextSegmentIndex, TlshIndex
from fireline.index.urls import UrlRuleIndex
from fireline.signals import DecodedText
from fireline.signals.text_minhash import TextMinhashSignal
from fireline.signals.text_tlsh import TextTlshSignal
from fireline.testing.prose import Prose

_PROSE = Prose(3)
_TEXTS = [_PROSE.document(300) for _ in range(3)]


def _text(kind: type[TextMinhashSignal] | type[TextTlshSignal], n: int) -> str:
    return kind.hash_text(DecodedText(_TEXTS[n])).value


@pytest.mark.parametrize(
    ("index_class", "values", "query", "threshold"),
    [
        (ExactIndex, ["a" * 32, "b" * 32], "a" * 32, 0),
        (UrlRuleIndex, ["https://x.example/a/*", "https://y.example/"], "https://x.example/a/b", 0),
        (
            TlshIndex,
            [_text(TextTlshSignal, 0), _text(TextTlshSignal, 1)],
            _text(TextTlshSignal, 0),
            30,
        ),
        (
            TextSegmentIndex,
            [_text(TextMinhashSignal, 0), _text(TextMinhashSignal, 2)],
            _text(TextMinhashSignal, 2),
            50,
        ),
    ],
)
def test_a_saved_index_loads_back_with_the_same_answers(
    tmp_path: Path, index_class: type, values: list[str], query: str, threshold: int
) -> None:
    index = index_class()
    index.add([7, 9], values)
    path = tmp_path / "index.json"
    index.save(path)
    loaded = index_class.load(path)
    assert len(loaded) == 2
    assert loaded.query(query, threshold) == index.query(query, threshold) != []
