"""Normalising text: reformatting and common evasions leave the words unchanged."""

from __future__ import annotations

import pytest

from fireline.signals.text_normal import words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("  spaced\tout\n\nacross   lines ", ["spaced", "out", "across", "llnes"]),
        ("UPPER lower MiXeD", ["upper", "lower", "mlxed"]),
        ("caf\u00e9 na\u00efve fa\u00e7ade", ["cafe", "nalve", "facade"]),
        ("cafe\u0301", ["cafe"]),  # a combining accent
        ("ter\u200bror\u200dist", ["terrorlst"]),  # zero-width space and joiner
        ("soft\u00adhyphen", ["softhyphen"]),
        ("\u0422\u0435\u0445\u0422", ["text"]),  # Cyrillic look-alikes of "TexT"
        ("\u0440\u0430\u0443", ["pay"]),  # Cyrillic
        ("\u039f\u03bd\u0435", ["ove"]),  # Greek omicron and nu, Cyrillic ie
        ("\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48", ["fullwldth"]),
        ("\U0001d41b\U0001d428\U0001d425\U0001d41d", ["bold"]),  # mathematical bold
        ("\ufb01nal", ["flnal"]),  # the fi ligature
        ("stra\u00dfe", ["strasse"]),
        ("g0od 1ist 5ome", ["good", "llst", "some"]),  # OCR confusions
        ("modern swimming", ["modem", "swlmmlng"]),
        ("vvave", ["wave"]),
        ("don't re-post", ["don", "t", "re", "post"]),
        ("\u201cquoted\u201d \u2014 dash\u2026", ["quoted", "dash"]),
        ("", []),
    ],
)
def test_words_are_folded(text: str, expected: list[str]) -> None:
    assert words(text).tokens() == expected


@pytest.mark.parametrize(
    "text",
    [
        "plain ascii words here",
        "Zw\u200bsp and caf\u00e9 and \ufb01ne",
        "\u0422\u0435\u0445\u0422 \uff26\uff55\uff4c\uff4c stra\u00dfe end",
        "x\u0301\u0302\u0303 y",
    ],
)
def test_each_word_keeps_its_place_in_the_original(text: str) -> None:
    found = words(text)
    for token, start, end in zip(found.tokens(), found.starts, found.ends, strict=True):
        assert words(text[start:end]).tokens() == [token]
