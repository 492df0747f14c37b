"""Extracting the text of documents (plain text, HTML, PDF, DOCX) under limits.

The text comes back as a reader sees it: paragraphs a blank line apart, and inside a
paragraph the line breaks a layout inserted (PDF line wraps, HTML source newlines)
collapsed to single spaces. Every format is read under ``MediaLimits``: bytes first, then
pages (PDF), characters of text, and wall-clock time, checked between pages, elements
and content-stream operators. Bad input gets a clear error with a stable code (see
docs/text.md); junk never escapes as a library's own exception. Each format's reader
lives in ``fireline.signals.documents``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from fireline.domain import InvalidInput, UnsupportedMedia
from fireline.signals.documents.encoding import SNIFF_BYTES, decode_text
from fireline.signals.documents.html import extract_html
from fireline.signals.documents.office import (
    DOCX_MAIN,
    ENCRYPTED_PACKAGE,
    OLE2_MAGIC,
    extract_docx,
    ole2_error,
)
from fireline.signals.documents.paragraphs import no_text, too_much_text
from fireline.signals.documents.pdf import extract_pdf
from fireline.signals.media import MediaLimits, check_size

#: The document formats whose text is extracted.
TEXT_FORMATS = ("text", "html", "pdf", "docx")


@dataclass(frozen=True, slots=True)
class DecodedText:
    """A document's text, as a reader would see it, and where it came from.

    Paragraphs are separated by blank lines. ``format`` is one of TEXT_FORMATS; ``pages``
    is the page count of a PDF (None for other formats); ``encoding`` is the character
    encoding plain text or HTML was decoded from (None for PDF and DOCX).
    """

    text: str
    format: str = "text"
    pages: int | None = None
    encoding: str | None = None


_PDF_HEADER = re.compile(rb"%PDF-\d")
_HTML_START = re.compile(r"<!doctype\s+html|<(?:html|head|body)[\s>/]", re.IGNORECASE)


def sniff_document(data: bytes) -> str | None:
    """The format of ``data``, one of TEXT_FORMATS, or None when it is none of them.

    Never raises, and stays cheap on big inputs: it decodes at most the first 64 KiB
    (a DOCX's member name is searched for in the whole file, a fast byte search). An
    encrypted Office file (an OLE2 container holding an encrypted package) sniffs as
    "docx", so that extracting it says it is encrypted; other OLE2 files (legacy .doc)
    sniff as None.
    """
    if not data:
        return None
    if _PDF_HEADER.search(data, 0, 1024):
        # Readers accept the header anywhere in the first kilobyte.
        return "pdf"
    if data.startswith(OLE2_MAGIC):
        return "docx" if ENCRYPTED_PACKAGE in data else None
    if data.startswith(b"PK\x03\x04"):
        return "docx" if DOCX_MAIN.encode() in data else None
    decoded = decode_text(data[:SNIFF_BYTES], complete=len(data) <= SNIFF_BYTES)
    if decoded is None:
        return None
    if _HTML_START.match(_skip_prologue(decoded[0][:4096])):
        return "html"
    return "text"


def _skip_prologue(text: str) -> str:
    """``text`` after leading whitespace, comments and an XML declaration."""
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if text.startswith("<!--", position):
            end = text.find("-->", position + 4)
            if end < 0:
                return ""
            position = end + 3
        elif text.startswith("<?", position):
            end = text.find("?>", position + 2)
            if end < 0:
                return ""
            position = end + 2
        else:
            return text[position:]


def extract_text(data: bytes, limits: MediaLimits, *, format: str | None = None) -> DecodedText:
    """The text of a plain-text, HTML, PDF or DOCX document, or a clear error.

    ``format`` None sniffs it (``sniff_document``); a given format is trusted, so binary
    junk labelled "text" is refused as ``not_text`` (an OLE2 Office file is recognised
    whatever its label). Raises InvalidInput (``empty_file``, ``unknown_format``,
    ``no_text``, ``no_text_layer``: a scanned PDF, which needs OCR), UnsupportedMedia
    (``not_a_document``, ``not_text``, ``encrypted_document``, ``corrupt_document``) or
    MediaTooLarge (``too_many_bytes``, ``too_many_pages``, ``too_much_text``,
    ``document_bomb``, ``decode_too_slow``); docs/text.md describes each.
    """
    check_size(data, limits)
    if format is not None and format not in TEXT_FORMATS:
        raise InvalidInput(
            f"unknown document format {format!r}; known: {', '.join(TEXT_FORMATS)}",
            code="unknown_format",
        )
    if data.startswith(OLE2_MAGIC):
        # Whatever the caller called it, an Office container is not text, HTML or PDF.
        raise ole2_error(data)
    fmt = format or sniff_document(data)
    if fmt is None:
        raise UnsupportedMedia(
            "the file is not a document fireline reads (plain text, HTML, PDF or DOCX)",
            code="not_a_document",
        )
    deadline = time.monotonic() + limits.max_decode_s
    if fmt == "pdf":
        text, pages = extract_pdf(data, limits, deadline)
        return DecodedText(text=text, format="pdf", pages=pages)
    if fmt == "docx":
        text = extract_docx(data, limits, deadline)
        if not text:
            raise no_text("DOCX document")
        return DecodedText(text=text, format="docx")
    if fmt == "html":
        text, encoding = extract_html(data, limits, deadline)
        if not text:
            raise no_text("HTML page")
        return DecodedText(text=text, format="html", encoding=encoding)
    return _extract_plain(data, limits)


def _extract_plain(data: bytes, limits: MediaLimits) -> DecodedText:
    """Plain text: newlines normalised, and blank lines (paragraph breaks) made uniform."""
    decoded = decode_text(data)
    if decoded is None:
        raise UnsupportedMedia(
            "the file is not text: it is binary, or in no single character encoding "
            "(more than 1 character in 100 is a control character or undecodable)",
            code="not_text",
        )
    text, encoding = decoded
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    # A form feed (a page break) and a Unicode paragraph separator end a paragraph.
    text = text.replace("\f", "\n\n").replace("\u2029", "\n\n")
    # Lines of only spaces are blank lines; a run of blank lines is one paragraph break.
    text = re.sub(r"[ \t]+(?=\n)", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    if len(text) > limits.max_text_chars:
        raise too_much_text(limits)
    if not text.strip():
        raise no_text("text file")
    return DecodedText(text=text, format="text", encoding=encoding)
