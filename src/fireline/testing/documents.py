"""Synthetic, benign documents (PDF, scanned PDF, DOCX, HTML, zip bombs) for tests.

Every document is built here from the paragraphs a test passes in; nothing is
downloaded. The PDFs are written object by object with the standard Helvetica font in
WinAnsiEncoding, so they carry a real text layer that any reader extracts, but only
Latin-1 (cp1252) text: accents and curly quotes survive, Cyrillic or CJK do not (a
standard Type1 font cannot show them; use ``docx_document`` or ``html_document`` for
those).
"""

from __future__ import annotations

import html
import io
import random
import struct
import textwrap
import zlib

import docx
from pypdf import PdfReader, PdfWriter

from fireline.testing.containers import (
    CFB_STREAM,
    compound_file,
    deflated_member,
    repeated_deflate,
    zip_archive,
)

#: Letter paper, in points; text starts an inch from the top and left edges.
PAGE_WIDTH, PAGE_HEIGHT = 612, 792
_MARGIN = 72
_FONT_SIZE = 10
_LEADING = 13
#: Characters per line before a PDF paragraph wraps (10-point Helvetica fits ~90 in 468 pt).
PDF_LINE_CHARS = 90
_LINES_PER_PAGE = (PAGE_HEIGHT - 2 * _MARGIN) // _LEADING


def pdf_document(
    paragraphs: list[str], *, pages: int | None = None, encrypt: str | None = None
) -> bytes:
    """A PDF whose text layer holds ``paragraphs``, wrapped at ~90 characters, a blank line apart.

    ``pages`` None flows the text over as many pages as it needs, starting a paragraph
    on a new page rather than splitting it (unless it is longer than a page), since a
    text extractor cannot tell a paragraph continued on the next page from a new one.
    A number spreads the paragraphs in order over exactly that many pages (pages past
    the last paragraph are blank) and raises ValueError when a page's share does not
    fit on it. ``encrypt`` encrypts the file (AES-256) with that user password: "" gives
    a PDF that any reader opens without asking, anything else one that only opens with
    the password. Text must be Latin-1 (cp1252): ValueError otherwise.
    """
    wrapped = [_wrap(paragraph) for paragraph in paragraphs]
    if pages is None:
        page_lines = _flow(wrapped)
    else:
        if pages < 1:
            raise ValueError("a PDF has at least one page")
        page_lines = []
        share, extra = divmod(len(wrapped), pages)
        start = 0
        for index in range(pages):
            count = share + (1 if index < extra else 0)
            lines = _join_paragraphs(wrapped[start : start + count])
            start += count
            if len(lines) > _LINES_PER_PAGE:
                raise ValueError(
                    f"page {index + 1} needs {len(lines)} lines; a page holds {_LINES_PER_PAGE}"
                )
            page_lines.append(lines)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    contents = [_text_stream(lines) for lines in page_lines]
    data = _pdf_file(contents, resources=b"<< /Font << /F1 %d 0 R >> >>", extra_objects=[font])
    if encrypt is None:
        return data
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    # A distinct owner password, so that encrypt="" still gives a really encrypted file.
    writer.encrypt(user_password=encrypt, owner_password="fireline-owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned_pdf(pages: int = 1, *, seed: int = 0) -> bytes:
    """A PDF like a scanner makes: each page shows one greyscale image and has no text layer."""
    if pages < 1:
        raise ValueError("a PDF has at least one page")
    width, height = 64, 48
    # A deterministic texture, so no two seeds give the same image.
    pixels = bytes((x * 4 + y * 5 + seed * 7) % 256 for y in range(height) for x in range(width))
    image = _stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d "
        b"/ColorSpace /DeviceGray /BitsPerComponent 8" % (width, height),
        pixels,
    )
    draw = b"q 468 0 0 351 72 369 cm /Im1 Do Q"
    return _pdf_file(
        [draw] * pages, resources=b"<< /XObject << /Im1 %d 0 R >> >>", extra_objects=[image]
    )


def docx_document(paragraphs: list[str], *, table: list[list[str]] | None = None) -> bytes:
    """A Word document (DOCX, written by python-docx) with ``paragraphs``, then ``table``.

    ``table`` is a list of rows of cell texts, added after the paragraphs; any Unicode
    text survives.
    """
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        columns = max(len(row) for row in table)
        grid = document.add_table(rows=len(table), cols=columns)
        for row, cells in zip(grid.rows, table, strict=True):
            for cell, text in zip(row.cells, cells, strict=False):
                cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def html_document(paragraphs: list[str], *, title: str = "A page of benign prose") -> bytes:
    """A UTF-8 HTML page: ``title``, then one <p> per paragraph, wrapped over source lines.

    The page also holds a script, a style sheet, a noscript block and head metadata whose
    words (``HIDDEN_WORDS``) a text extractor must leave out.
    """
    body = "\n".join(
        "    <p>" + "\n      ".join(textwrap.wrap(html.escape(p), 60) or [""]) + "</p>"
        for p in paragraphs
    )
    page = f"""<!DOCTYPE html>
<!-- generated by fireline.testing.documents -->
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{html.escape(title)}</title>
    <meta name="description" content="{HIDDEN_WORDS[0]} description">
    <style>body {{ font-family: serif; }} .{HIDDEN_WORDS[1]} {{ color: red; }}</style>
    <script>var {HIDDEN_WORDS[2]} = "<p>not a paragraph</p>";</script>
  </head>
  <body>
    <noscript>{HIDDEN_WORDS[3]}</noscript>
{body}
    <script type="module">console.log("{HIDDEN_WORDS[2]}");</script>
  </body>
</html>
"""
    return page.encode("utf-8")


#: Words ``html_document`` hides in its script, style, noscript and head metadata.
HIDDEN_WORDS = ("zanzibarmeta", "zanzibarstyle", "zanzibarscript", "zanzibarnoscript")


def docx_bomb(size: int = 256 * 1024 * 1024) -> bytes:
    """A valid DOCX of a few hundred kilobytes whose word/document.xml inflates to ``size`` bytes.

    The document is one paragraph of the letter A repeated, deflated about 1000 to 1, and
    every declared size and CRC is honest: a reader that inflates it without looking at
    the zip directory first really does inflate ``size`` bytes. Built in milliseconds
    (see ``containers.repeated_deflate``).
    """
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>"
    )
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    deflated, length, crc, _ = repeated_deflate(head, b"A", size - len(head) - len(tail), tail)
    members = [
        deflated_member("[Content_Types].xml", _CONTENT_TYPES),
        deflated_member("_rels/.rels", _PACKAGE_RELS),
        ("word/document.xml", deflated, length, crc),
    ]
    return zip_archive(members)


def pdf_bomb(size: int = 80 * 1000 * 1000) -> bytes:
    """A one-page PDF whose content stream inflates to ``size`` bytes (mostly spaces).

    pypdf refuses to inflate a stream past 75,000,000 bytes, so the default is a bomb
    to it; the stream is honest (a correct Adler-32), and the file a few hundred KB.
    """
    head = b"BT /F1 10 Tf 72 700 Td (A page of nothing but spaces) Tj ET\n"
    deflated, _, _, adler = repeated_deflate(head, b" ", size - len(head), b"")
    # FlateDecode is the zlib format: a two-byte header, raw deflate, then the Adler-32.
    stream = b"\x78\x9c" + deflated + struct.pack(">I", adler)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    content = b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        len(stream),
        stream,
    )
    return _pdf_file(
        [content], resources=b"<< /Font << /F1 %d 0 R >> >>", extra_objects=[font], raw=True
    )


def encrypted_docx(seed: int = 0) -> bytes:
    """A file shaped like a password-protected DOCX: an OLE2 container with the streams
    EncryptionInfo and EncryptedPackage, as Office writes it.

    The container is a valid compound file; the streams hold random bytes, not a real
    encryption, since only the shape is needed to recognise it.
    """
    rng = random.Random(seed)
    return compound_file(
        {
            "EncryptionInfo": rng.randbytes(CFB_STREAM),
            "EncryptedPackage": rng.randbytes(CFB_STREAM),
        }
    )


def legacy_doc(seed: int = 0) -> bytes:
    """A file shaped like a Word 97-2003 document: an OLE2 container with a WordDocument
    stream (of random bytes)."""
    rng = random.Random(seed)
    return compound_file({"WordDocument": rng.randbytes(CFB_STREAM)})


# --- PDF writing ---------------------------------------------------------------------


def _wrap(paragraph: str) -> list[str]:
    try:
        paragraph.encode("cp1252")
    except UnicodeEncodeError as exc:
        raise ValueError(
            "pdf_document writes Helvetica in WinAnsiEncoding: Latin-1 (cp1252) text only; "
            f"cannot write {paragraph[exc.start : exc.end]!r}"
        ) from exc
    return textwrap.wrap(paragraph, PDF_LINE_CHARS) or [""]


def _join_paragraphs(paragraphs: list[list[str]]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        if lines:
            lines.append("")
        lines.extend(paragraph)
    return lines


def _flow(paragraphs: list[list[str]]) -> list[list[str]]:
    """Lines per page; a paragraph that fits on a page is never split across two."""
    pages: list[list[str]] = [[]]
    for paragraph in paragraphs:
        page = pages[-1]
        needed = len(paragraph) + (1 if page else 0)
        if page and len(page) + needed > _LINES_PER_PAGE and len(paragraph) <= _LINES_PER_PAGE:
            pages.append([])
        elif pages[-1]:
            pages[-1].append("")
        for line in paragraph:
            if len(pages[-1]) == _LINES_PER_PAGE:
                pages.append([])
            pages[-1].append(line)
    return pages


def _pdf_string(text: str) -> bytes:
    out = bytearray(b"(")
    for byte in text.encode("cp1252"):
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


def _text_stream(lines: list[str]) -> bytes:
    ops = [
        b"BT /F1 %d Tf %d TL %d %d Td"
        % (_FONT_SIZE, _LEADING, _MARGIN, PAGE_HEIGHT - _MARGIN - _FONT_SIZE)
    ]
    for index, line in enumerate(lines):
        if index:
            ops.append(b"T*")
        if line:
            ops.append(_pdf_string(line) + b" Tj")
    ops.append(b"ET")
    return b"\n".join(ops)


def _stream(dictionary: bytes, body: bytes) -> bytes:
    deflated = zlib.compress(body, 9)
    return (
        b"<< %s /Filter /FlateDecode /Length %d >>\nstream\n" % (dictionary, len(deflated))
        + deflated
        + b"\nendstream"
    )


def _pdf_file(
    contents: list[bytes], *, resources: bytes, extra_objects: list[bytes], raw: bool = False
) -> bytes:
    """Catalog (1), page tree (2), shared objects (3...), then a page and its content each.

    ``resources`` has one %d: the number of the first shared object. ``raw`` contents are
    whole stream objects already; otherwise each is deflated into one.
    """
    shared = 3
    first_page = shared + len(extra_objects)
    page_numbers = [first_page + 2 * index for index in range(len(contents))]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % n for n in page_numbers), len(contents)),
        *extra_objects,
    ]
    for number, content in zip(page_numbers, contents, strict=True):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources %s /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, resources % shared, number + 1)
        )
        objects.append(content if raw else _stream(b"", content))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# --- DOCX parts --------------------------------------------------------------------

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
_PACKAGE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/>'
    b"</Relationships>"
)
