"""Decoding bytes that claim to be text, and refusing those that are not."""

from __future__ import annotations

import codecs
import unicodedata

import charset_normalizer

from fireline.signals.documents.paragraphs import CONTROLS

#: How much of a file sniffing and encoding detection look at.
SNIFF_BYTES = 64 * 1024
_BOMS = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Most junk (controls and U+FFFD replacement characters) a text may hold: 1 in 100,
#: and one more, so that one stray control character does not make a short text binary.
JUNK_SHARE = 0.01


def decode_text(
    data: bytes, *, complete: bool = True, declared: str | None = None
) -> tuple[str, str] | None:
    """(text, encoding) of ``data`` with control characters removed, or None if not text.

    In order: a BOM (UTF-8, UTF-16, UTF-32); valid UTF-8; the ``declared`` encoding (an
    HTML meta charset); windows-1252 when its letters read as a Western language; then
    charset-normalizer's guess. NUL bytes outside UTF-16/32 mean binary, and so does
    more than 1 character in 100 (plus one) that is a control character (other than tab,
    newline, CR and form feed) or undecodable. ``complete`` False means ``data`` is a prefix of
    the file, so a character cut off at its end is not an error.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = codecs.getincrementaldecoder(encoding)("replace").decode(data, final=complete)
            break
    else:
        if b"\x00" in data:
            return None
        try:
            text = codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
            encoding = "utf-8"
        except UnicodeDecodeError as exc:
            guess = declared or _guess_encoding(data, exc.start)
            if guess is None:
                return None
            encoding = guess
            try:
                text = data.decode(encoding, "replace")
            except LookupError:  # a label Python does not know
                return None
    text = text.removeprefix("\ufeff")
    cleaned, controls = CONTROLS.subn("", text)
    if controls + cleaned.count("\ufffd") > JUNK_SHARE * len(text) + 1:
        return None
    return cleaned, encoding


def _guess_encoding(data: bytes, first_error: int) -> str | None:
    """The 8-bit encoding of ``data`` (not UTF-8), judged on a window around ``first_error``."""
    start = max(0, first_error - SNIFF_BYTES // 2)
    sample = data[start : start + SNIFF_BYTES]
    if _looks_western(sample):
        return "cp1252"
    best = charset_normalizer.from_bytes(sample).best()
    return None if best is None else best.encoding


#: Non-letters windows-1252 text commonly holds above ASCII: typographic punctuation.
_WESTERN_PUNCTUATION = frozenset("\xa0«»‘’‚“”„–—…•€°·×÷§©®™¢£¥¿¡´¨¯¸ªº¹²³¼½¾")


def _looks_western(sample: bytes) -> bool:
    """True when ``sample`` reads as a Western European language in windows-1252.

    charset-normalizer often takes short French or German text for a Baltic or Central
    European code page (î read as ī), so windows-1252, the web's default legacy
    encoding, is tried first. Its upper half is mostly letters, so a Cyrillic or Greek
    code page decodes to letters too: what gives those away is that nearly every letter
    is then accented, where Western text has a few accented letters in ten at most.
    """
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False
    upper = [c for c in text if c >= "\x80"]
    if not upper:
        return False
    if not all(c in _WESTERN_PUNCTUATION or unicodedata.category(c)[0] == "L" for c in upper):
        return False
    letters = sum(1 for c in text if c.isalpha())
    accented = sum(1 for c in upper if c.isalpha())
    return accented <= 0.3 * letters
