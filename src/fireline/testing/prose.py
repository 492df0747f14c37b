"""Generated prose and the edits people make to texts they re-post, for tests and benchmarks.

Nothing here is real extremist text: the prose is made of invented words drawn with
Zipf's law (as word frequencies in real languages are) between common English function
words, so word sequences repeat about as often as in real writing. ``Prose(seed)``
makes documents of paragraphs; the edit functions make what copies look like in the
wild: reformatted, excerpted inside other text, reworded, OCR-damaged, or dressed up
with evasions (look-alike letters, zero-width characters).
"""

from __future__ import annotations

import itertools
import random
import textwrap

#: Common English words, which give prose the repeated phrases real text has.
_FUNCTION_TEXT = """
the of and to a in that is was he for it with as his on be at by i this had not are
but from or have an they which one you were her all she there would their we him
been has when who will more no if out so said what up its about into than them can
only other new some could time these two may then do first any my now such like our
over man me even most made after also did many before must through back years where
much your way well down should because each just those people how too little state
good very make world still own see men work long get here between both life being
under never day same another know while last might us great old year off come since
"""
FUNCTION_WORDS = tuple(_FUNCTION_TEXT.split())

_SYLLABLE_TEXT = """
ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko la le li lo lu ma me mi mo mu
na ne ni no nu pa pe pi po ra re ri ro ru sa se si so ta te ti to tu va ve vi wa we
an en in on ar er ir or al el il ol as es is os ant ent ing ion est ard ell orm ust
"""
_SYLLABLES = tuple(_SYLLABLE_TEXT.split())

#: Latin letters and the letters of other scripts that look the same.
HOMOGLYPHS = {
    "a": "\u0430",  # Cyrillic a
    "c": "\u0441",
    "e": "\u0435",
    "i": "\u0456",
    "o": "\u043e",
    "p": "\u0440",
    "x": "\u0445",
    "y": "\u0443",
    "s": "\u0455",
    "j": "\u0458",
    "h": "\u04bb",
    "A": "\u0391",  # Greek Alpha
    "B": "\u0392",
    "E": "\u0395",
    "H": "\u0397",
    "K": "\u039a",
    "M": "\u039c",
    "O": "\u039f",
    "T": "\u03a4",
}
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff")
#: What OCR reads one character (or pair) as.
OCR_CONFUSIONS = {
    "l": "1",
    "I": "l",
    "o": "0",
    "O": "0",
    "m": "rn",
    "e": "c",
    "c": "e",
    "h": "b",
    "n": "ri",
    "w": "vv",
    "s": "5",
    ",": ".",
}


class Prose:
    """A seeded source of documents: paragraphs of sentences of invented and common words."""

    def __init__(self, seed: int, *, vocabulary: int = 20_000) -> None:
        self.rng = random.Random(seed)
        words: set[str] = set()
        vocab_rng = random.Random(seed * 7919 + 1)
        while len(words) < vocabulary:
            words.add(
                "".join(vocab_rng.choices(_SYLLABLES, k=vocab_rng.choice((1, 2, 2, 3, 3, 4))))
            )
        self.vocabulary = sorted(words)
        vocab_rng.shuffle(self.vocabulary)
        weights = [1 / (rank + 1) for rank in range(len(self.vocabulary))]
        self._cumulative = list(itertools.accumulate(weights))

    def word(self) -> str:
        if self.rng.random() < 0.45:
            return self.rng.choice(FUNCTION_WORDS)
        return self.rng.choices(self.vocabulary, cum_weights=self._cumulative)[0]

    def sentence(self) -> str:
        count = max(3, int(self.rng.gauss(17, 7)))
        words = [self.word() for _ in range(count)]
        if count > 8 and self.rng.random() < 0.4:
            words[self.rng.randrange(2, count - 2)] += ","
        return " ".join(words).capitalize() + self.rng.choice(".......?!;")[0]

    def paragraph(self, words: int | None = None) -> str:
        target = words or max(25, int(self.rng.gauss(90, 35)))
        sentences: list[str] = []
        total = 0
        while total < target:
            sentence = self.sentence()
            sentences.append(sentence)
            total += len(sentence.split())
        return " ".join(sentences)

    def document(self, words: int) -> str:
        """About ``words`` words in paragraphs separated by blank lines."""
        paragraphs: list[str] = []
        total = 0
        while total < words:
            paragraph = self.paragraph()
            paragraphs.append(paragraph)
            total += len(paragraph.split())
        return "\n\n".join(paragraphs)


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def reformat(text: str, rng: random.Random) -> str:
    """The same words laid out anew: wrapped, spaced, quoted, cased and bulleted differently."""
    out = []
    width = rng.randint(50, 90)
    for paragraph in paragraphs(text):
        if rng.random() < 0.15:
            paragraph = paragraph.upper()
        paragraph = paragraph.replace(". ", ".  ") if rng.random() < 0.5 else paragraph
        paragraph = paragraph.replace(",", " ,") if rng.random() < 0.2 else paragraph
        lines = textwrap.wrap(paragraph, width)
        prefix = rng.choice(("", "", "> ", "* ", "    "))
        out.append("\n".join(prefix + line for line in lines))
    return ("\n\n" if rng.random() < 0.5 else "\r\n\r\n\r\n").join(out)


def excerpt(text: str, count: int, host: str, rng: random.Random) -> tuple[str, str]:
    """``count`` consecutive paragraphs of ``text`` set inside ``host``; (document, excerpt)."""
    own = paragraphs(text)
    start = rng.randrange(0, max(1, len(own) - count + 1))
    taken = "\n\n".join(own[start : start + count])
    around = paragraphs(host)
    cut = rng.randrange(0, len(around) + 1)
    return "\n\n".join([*around[:cut], taken, *around[cut:]]), taken


def reword(text: str, rate: float, rng: random.Random, prose: Prose) -> str:
    """About ``rate`` of the words replaced by others, and as many deleted."""
    out = []
    for paragraph in paragraphs(text):
        words = []
        for word in paragraph.split(" "):
            roll = rng.random()
            if roll < rate:
                words.append(prose.word())
            elif roll < 2 * rate:
                continue
            else:
                words.append(word)
        out.append(" ".join(words))
    return "\n\n".join(out)


def ocr_noise(text: str, rate: float, rng: random.Random) -> str:
    """Characters misread as OCR misreads them, at about ``rate`` per character."""
    out = []
    for char in text:
        if char in OCR_CONFUSIONS and rng.random() < rate * 3:
            out.append(OCR_CONFUSIONS[char])
        elif char.isalpha() and rng.random() < rate / 3:
            continue  # a dropped letter
        else:
            out.append(char)
    return "".join(out)


def homoglyphs(text: str, rate: float, rng: random.Random) -> str:
    """About ``rate`` of the letters that have one swapped for a look-alike of another script."""
    return "".join(HOMOGLYPHS[c] if c in HOMOGLYPHS and rng.random() < rate else c for c in text)


def zero_width(text: str, rate: float, rng: random.Random) -> str:
    """Invisible characters slipped inside about ``rate`` of the words."""
    out = []
    for word in text.split(" "):
        if len(word) > 2 and rng.random() < rate:
            at = rng.randrange(1, len(word))
            word = word[:at] + rng.choice(ZERO_WIDTH) + word[at:]
        out.append(word)
    return " ".join(out)
