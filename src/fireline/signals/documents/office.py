"""The text of Word documents (DOCX), after checking the zip for bombs.

The zip directory is read first and nothing is inflated until it passes: the sizes it
declares bound what python-docx can inflate, since Python's zipfile stops at the
declared size.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError

from fireline.domain import MediaTooLarge, UnsupportedMedia
from fireline.signals.documents.paragraphs import Paragraphs
from fireline.signals.media import MediaLimits

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: The stream an encrypted OOXML file (DOCX, XLSX) keeps inside its OLE2 container.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
DOCX_MAIN = "word/document.xml"

#: Most members a DOCX may have; Word writes a few dozen.
MAX_MEMBERS = 10_000
#: Highest compression ratio of one member over 1 MiB. Prose deflates 5-20 to 1, but a
#: long empty table 265 to 1; deflate's ceiling, which bombs reach, is about 1030 to 1.
MAX_RATIO = 500
_RATIO_FLOOR = 1024 * 1024
#: Bounds on the bytes all members may inflate to, whatever the text limit: room for a
#: document's images and styles at least, and never more than this at most.
MIN_INFLATED = 64 * 1024 * 1024
MAX_INFLATED = 512 * 1024 * 1024
#: Bytes of XML allowed per character of text: Word's markup runs ~5-20 per character.
_XML_PER_CHAR = 20

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
#: Subtrees whose text is not the document a reader sees: deleted and moved-away
#: revisions, and the fallback copy of content already given in mc:Choice.
_SKIP = frozenset({_W + "del", _W + "moveFrom", _MC_FALLBACK})
_NODES_PER_CHECK = 4096


def ole2_error(data: bytes) -> UnsupportedMedia:
    """The error for an OLE2 compound file: encrypted Office document, or legacy format."""
    if ENCRYPTED_PACKAGE in data:
        return UnsupportedMedia(
            "the document is encrypted (a password-protected Office file); "
            "send it without the password protection",
            code="encrypted_document",
        )
    return UnsupportedMedia(
        "the file is a legacy Office file (Word 97-2003 .doc, .xls or .ppt), which "
        "fireline does not read; save it as DOCX or PDF",
        code="not_a_document",
    )


def inflated_bound(limits: MediaLimits) -> int:
    """Most bytes a DOCX's members may declare in all: 20 per character of the text
    limit, but at least 64 MiB and at most 512 MiB (400 MiB with the default limits)."""
    return min(max(_XML_PER_CHAR * limits.max_text_chars, MIN_INFLATED), MAX_INFLATED)


def extract_docx(data: bytes, limits: MediaLimits, deadline: float) -> str:
    """The text of a DOCX's body, a paragraph per Word paragraph; may be empty."""
    _check_zip(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except (
        PackageNotFoundError,
        KeyError,
        ValueError,  # also "not a Word file": a macro-enabled document or a template
        SyntaxError,  # lxml's XMLSyntaxError: a part that is not well-formed XML
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,  # a compression method zipfile lacks
    ) as exc:
        raise UnsupportedMedia(
            f"the DOCX is malformed and cannot be read ({type(exc).__name__}: {exc})",
            code="corrupt_document",
        ) from exc
    out = Paragraphs(limits, deadline)
    out.check_time()
    _walk(document.element.body, out)
    return out.text()


def _check_zip(data: bytes, limits: MediaLimits) -> None:
    """Refuses a corrupt zip, or one whose directory declares a bomb; inflates nothing."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,  # a zip version or compression method zipfile lacks
        ValueError,
        EOFError,
        OSError,
    ) as exc:
        raise UnsupportedMedia(
            f"the DOCX is not a readable zip archive ({exc})", code="corrupt_document"
        ) from exc
    if len(members) > MAX_MEMBERS:
        raise MediaTooLarge(
            f"the DOCX holds {len(members):,} files, over the limit of {MAX_MEMBERS:,}",
            code="document_bomb",
        )
    bound = inflated_bound(limits)
    declared = sum(member.file_size for member in members)
    if declared > bound:
        raise MediaTooLarge(
            f"the DOCX would inflate to {declared:,} bytes, over the limit of {bound:,}",
            code="document_bomb",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR and ratio > MAX_RATIO:
            raise MediaTooLarge(
                f"the DOCX member {member.filename} is compressed {ratio:,.0f} to 1 "
                f"(a zip bomb); the limit is {MAX_RATIO} to 1",
                code="document_bomb",
            )
    if DOCX_MAIN not in {member.filename for member in members}:
        raise UnsupportedMedia(
            f"the zip archive is not a Word document: it has no {DOCX_MAIN}",
            code="corrupt_document",
        )


def _walk(body: Any, out: Paragraphs) -> None:
    """The body's paragraphs in document order: text, table cells, text boxes, fields.

    Walks python-docx's element tree itself, because Paragraph.text leaves out runs
    inside tracked insertions, content controls and smart tags. Headers, footers,
    footnotes and comments are other parts, and are not read.
    """
    stack: list[tuple[Any, Any]] = [(body, iter(body))]
    nodes = 0
    while stack:
        element, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if element.tag == _W + "p":
                out.end()
            continue
        nodes += 1
        if nodes % _NODES_PER_CHECK == 0:
            out.check_time()
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            # Comments and processing instructions have a function for a tag.
            continue
        if tag == _W + "t":
            out.add(child.text or "")
        elif tag in (_W + "tab", _W + "ptab"):
            out.add("\t")
        elif tag in (_W + "br", _W + "cr"):
            out.line_break()
        elif tag == _W + "noBreakHyphen":
            out.add("-")
        else:
            if tag == _W + "p":
                # A paragraph inside a paragraph (in a text box) stands on its own.
                out.end()
            stack.append((child, iter(child)))
