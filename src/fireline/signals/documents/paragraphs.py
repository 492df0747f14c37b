"""Paragraphs under limits: the builder every format's reader writes into."""

from __future__ import annotations

import re
import time

from fireline.domain import InvalidInput, MediaTooLarge
from fireline.signals.media import MediaLimits

#: Characters no reader sees: C0 and C1 controls except tab, newline, CR and form feed,
#: and lone surrogates (which pypdf can produce, and which no database can store).
CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: A hard line break inside a paragraph (HTML <pre>, a DOCX <w:br/>): a control character
#: no text needs (decoded text has none left; in a PDF's text one is a line break at worst).
LINE = "\x1f"


class Paragraphs:
    """Collects a document's paragraphs, collapsing the whitespace inside each line.

    Readers ``add`` text, mark hard ``line_break``s and ``end`` paragraphs; ``text``
    joins the non-empty paragraphs with blank lines. Raises ``too_much_text`` as soon
    as the text kept passes ``limits.max_text_chars``, and ``decode_too_slow`` from
    ``check_time`` once the deadline (a ``time.monotonic`` value) has passed.
    """

    def __init__(self, limits: MediaLimits, deadline: float) -> None:
        self._limits = limits
        self._deadline = deadline
        self._paragraphs: list[str] = []
        self._parts: list[str] = []
        self._chars = 0

    def add(self, text: str) -> None:
        self._parts.append(text)

    def line_break(self) -> None:
        self._parts.append(LINE)

    def end(self) -> None:
        """Ends the current paragraph; nothing happens if it holds no text."""
        if not self._parts:
            return
        raw = "".join(self._parts)
        self._parts.clear()
        lines: list[str] = []
        # Blank lines inside a paragraph (a <pre> block, two breaks in a row) split it.
        for line in [*raw.split(LINE), ""]:
            collapsed = " ".join(CONTROLS.sub("", line).split())
            if collapsed:
                lines.append(collapsed)
            elif lines:
                self._keep("\n".join(lines))
                lines = []

    def _keep(self, paragraph: str) -> None:
        self._chars += len(paragraph) + (2 if self._paragraphs else 0)
        if self._chars > self._limits.max_text_chars:
            raise too_much_text(self._limits)
        self._paragraphs.append(paragraph)

    def check_time(self) -> None:
        check_deadline(self._deadline, self._limits)

    def text(self) -> str:
        self.end()
        return "\n\n".join(self._paragraphs)


def check_deadline(deadline: float, limits: MediaLimits) -> None:
    """Raise ``decode_too_slow`` once ``time.monotonic()`` has passed ``deadline``."""
    if time.monotonic() > deadline:
        raise MediaTooLarge(
            f"extracting the document's text took longer than the limit of "
            f"{limits.max_decode_s:g} s (FIRELINE_MAX_DECODE_SECONDS)",
            code="decode_too_slow",
        )


def too_much_text(limits: MediaLimits) -> MediaTooLarge:
    return MediaTooLarge(
        f"the document holds more than the limit of {limits.max_text_chars:,} characters of text",
        code="too_much_text",
    )


def no_text(what: str) -> InvalidInput:
    return InvalidInput(f"the {what} holds no text", code="no_text")
