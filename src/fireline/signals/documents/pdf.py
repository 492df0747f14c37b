"""The text layer of PDFs, read with pypdf, a page at a time, under limits."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pypdf
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError

from fireline.domain import InvalidInput, MediaTooLarge, UnsupportedMedia
from fireline.signals.documents.paragraphs import Paragraphs, no_text
from fireline.signals.media import MediaLimits

#: What pypdf raises on malformed files besides its own errors: it walks untrusted
#: structure with plain dict, list, struct and zlib operations. Anything else (our own
#: errors, MemoryError, a KeyboardInterrupt) passes through.
_JUNK_ERRORS = (
    PyPdfError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
    OverflowError,
    ZeroDivisionError,
    EOFError,
    NotImplementedError,
    struct.error,
    zlib.error,
)
#: A line starts a new paragraph when it sits more than this many font sizes below the
#: line before: the lines of a paragraph are ~1.2 sizes apart, paragraphs further.
PARAGRAPH_GAP = 1.5
#: Content-stream operators between checks of the clock.
_OPS_PER_CHECK = 256


def extract_pdf(data: bytes, limits: MediaLimits, deadline: float) -> tuple[str, int]:
    """(text, pages) of a PDF; refuses one without a text layer as ``no_text_layer``."""
    reader, pages = _open(data)
    if pages > limits.max_pages:
        raise MediaTooLarge(
            f"the PDF has {pages:,} pages, over the limit of {limits.max_pages:,}",
            code="too_many_pages",
        )
    out = Paragraphs(limits, deadline)
    for number in range(pages):
        out.check_time()
        try:
            lines = _lines(reader.pages[number], out.check_time)
        except LimitReachedError as exc:
            raise _bomb(exc) from exc
        except _JUNK_ERRORS as exc:
            raise _corrupt(exc, page=number + 1) from exc
        _paragraphs(lines, out)
    text = out.text()
    if not text:
        if pages == 0:
            raise no_text("PDF (it has no pages)")
        raise InvalidInput(
            f"the PDF has {pages} page(s) but no text layer: it looks like a scanned PDF, "
            "whose text is only in images and needs OCR, which fireline does not do",
            code="no_text_layer",
        )
    return text, pages


def _open(data: bytes) -> tuple[pypdf.PdfReader, int]:
    """The reader and page count, opening an encrypted PDF with the empty password."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        opened = not reader.is_encrypted or (reader.decrypt("") != pypdf.PasswordType.NOT_DECRYPTED)
        pages = len(reader.pages) if opened else 0
    except LimitReachedError as exc:
        raise _bomb(exc) from exc
    except (FileNotDecryptedError, DependencyError) as exc:
        raise UnsupportedMedia(
            f"the PDF is encrypted in a way fireline cannot open ({exc})",
            code="encrypted_document",
        ) from exc
    except _JUNK_ERRORS as exc:
        raise _corrupt(exc) from exc
    if not opened:
        raise UnsupportedMedia(
            "the PDF is encrypted with a password; send it without the password",
            code="encrypted_document",
        )
    return reader, pages


def _corrupt(exc: BaseException, *, page: int | None = None) -> UnsupportedMedia:
    where = "" if page is None else f" (page {page})"
    return UnsupportedMedia(
        f"the PDF is malformed or truncated and cannot be read{where}: {type(exc).__name__}: {exc}",
        code="corrupt_document",
    )


def _bomb(exc: LimitReachedError) -> MediaTooLarge:
    return MediaTooLarge(
        f"the PDF holds a stream or structure over pypdf's safety limits ({exc})",
        code="document_bomb",
    )


@dataclass(slots=True)
class _Line:
    text: str
    #: Height of the baseline on the page (points, up is positive) and font size in
    #: points, of the line's first visible piece; y is None until there is one.
    y: float | None = None
    size: float = 0.0


def _lines(page: pypdf.PageObject, check_time: Callable[[], None]) -> list[_Line]:
    """The page's lines, as pypdf's plain extraction breaks them, with where each sits.

    pypdf reports every piece of text it emits, with the matrices in force, to a
    visitor; the pieces concatenate to exactly its extract_text() output.
    """
    lines = [_Line("")]
    ops = 0

    def visit_text(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        y, scale = _baseline(cm, tm)
        parts = text.split("\n")
        for index, part in enumerate(parts):
            line = lines[-1]
            line.text += part
            if line.y is None and part.strip():
                line.y = y
                line.size = abs(float(size) * scale) if isinstance(size, int | float) else 0.0
            if index < len(parts) - 1:
                lines.append(_Line(""))

    def visit_operator(operator: Any, operands: Any, cm: Any, tm: Any) -> None:
        # The clock, between content-stream operators: one page can take long.
        nonlocal ops
        ops += 1
        if ops % _OPS_PER_CHECK == 0:
            check_time()

    page.extract_text(visitor_text=visit_text, visitor_operand_before=visit_operator)
    return [line for line in lines if line.text.strip()]


def _baseline(cm: Any, tm: Any) -> tuple[float | None, float]:
    """The y of the text matrix's origin in page space, and the matrices' vertical scale."""
    try:
        _, _, c, d, e, f = (float(v) for v in tm)
        ca, cb, cc, cd, _, cf = (float(v) for v in cm)
    except (TypeError, ValueError):
        return None, 1.0
    # The rows of tm x cm that give y and the scale of the text's vertical axis.
    y = e * cb + f * cd + cf
    return y, ((c * ca + d * cc) ** 2 + (c * cb + d * cd) ** 2) ** 0.5


def _paragraphs(lines: list[_Line], out: Paragraphs) -> None:
    """Joins a page's lines into paragraphs; a paragraph never spans two pages.

    A new paragraph starts where a line sits more than 1.5 font sizes below the one
    before, or above it (a new column). Paragraphs marked only by indentation, with no
    extra spacing, stay joined; double-spaced text comes out a paragraph per line.
    Hyphenated line ends are joined with a space, as they are.
    """
    out.end()
    previous: _Line | None = None
    for line in lines:
        if previous is not None:
            same = True
            if line.y is not None and previous.y is not None:
                drop = previous.y - line.y
                same = 0 < drop <= PARAGRAPH_GAP * max(previous.size, line.size, 1.0)
            if same:
                out.add(" ")
            else:
                out.end()
        out.add(line.text)
        previous = line
    out.end()
