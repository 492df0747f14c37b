"""Extracting document text: each format gives back its paragraphs, bad input its code."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable

import pytest

from fireline.domain import FirelineError, InvalidInput, MediaTooLarge, UnsupportedMedia
from fireline.signals.media import MediaLimits
from fireline.signals.text_extract import DecodedText, extract_text, sniff_document
from fireline.testing.documents import (
    HIDDEN_WORDS,
    docx_bomb,
    docx_document,
    encrypted_docx,
    html_document,
    legacy_doc,
    pdf_bomb,
    pdf_document,
    scanned_pdf,
)

# Public-domain prose (Melville, 1851; Austen, 1813) and generated sentences.
PROSE = [
    "Call me Ishmael. Some years ago - never mind how long precisely - having little or no "
    "money in my purse, and nothing particular to interest me on shore, I thought I would "
    "sail about a little and see the watery part of the world.",
    "It is a truth universally acknowledged, that a single man in possession of a good "
    "fortune, must be in want of a wife.",
    "Short paragraph (with parentheses) and a back\\slash.",
    "Café crème, déjà vu, naïve façade: “curly quotes”, an en dash – and €5 at the bakery "
    "on the corner of the Rue de la Paix, where the croissants are said to be the best in "
    "town and the queue starts well before seven o'clock every morning of the week.",
]
LATIN1 = ["Déjà l'été s'achève; où êtes-vous, mes amis? Ça va très bien. Grüße aus München."]
CYRILLIC = ["Привет, мир! Добро пожаловать в наш тихий город у реки."]
LIMITS = MediaLimits()


def paragraphs(text: str) -> list[str]:
    return [" ".join(paragraph.split()) for paragraph in text.split("\n\n")]


def random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def plain(paragraphs: list[str], encoding: str = "utf-8") -> bytes:
    return "\n\n".join(paragraphs).encode(encoding)


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


# --- Round trips ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt", "expected"),
    [
        (plain(PROSE + CYRILLIC), "text", PROSE + CYRILLIC),
        (plain(PROSE, "utf-16"), "text", PROSE),
        (plain(PROSE, "cp1252"), "text", PROSE),
        (plain(LATIN1, "latin-1"), "text", LATIN1),
        (plain(CYRILLIC * 3, "cp1251"), "text", CYRILLIC * 3),
        (html_document(PROSE + CYRILLIC, title="Benign"), "html", ["Benign", *PROSE, *CYRILLIC]),
        (pdf_document(PROSE), "pdf", PROSE),
        (pdf_document(PROSE * 30), "pdf", PROSE * 30),
        (pdf_document(PROSE, pages=2), "pdf", PROSE),
        (pdf_document(PROSE, encrypt=""), "pdf", PROSE),
        (b"mail headers a reader skips\n" + pdf_document(PROSE), "pdf", PROSE),
        (docx_document(PROSE + CYRILLIC), "docx", PROSE + CYRILLIC),
    ],
    ids=[
        "text-utf8",
        "text-utf16-bom",
        "text-windows-1252",
        "text-latin1",
        "text-cp1251",
        "html",
        "pdf",
        "pdf-many-pages",
        "pdf-two-pages",
        "pdf-owner-password-only",
        "pdf-after-junk",
        "docx",
    ],
)
def test_each_format_gives_back_its_paragraphs(data: bytes, fmt: str, expected: list[str]) -> None:
    sniffed = extract_text(data, LIMITS)
    assert sniffed.format == fmt
    assert paragraphs(sniffed.text) == expected
    assert extract_text(data, LIMITS, format=fmt) == sniffed


def test_a_pdf_counts_its_pages() -> None:
    decoded = extract_text(pdf_document(PROSE, pages=3), LIMITS)
    assert decoded == DecodedText(text="\n\n".join(PROSE), format="pdf", pages=3)


def test_pdf_line_wraps_are_joined_into_one_paragraph() -> None:
    # One long paragraph wraps over several lines; the reader sees one paragraph.
    long = " ".join(PROSE[:2] * 4)
    assert extract_text(pdf_document([long, "Next."]), LIMITS).text == f"{long}\n\nNext."


def test_the_pdf_generator_writes_latin1_only() -> None:
    with pytest.raises(ValueError, match="Latin-1"):
        pdf_document(CYRILLIC)


def test_docx_tables_are_read_in_document_order() -> None:
    data = docx_document(["Before the table."], table=[["Name", "Колір"], ["Ann", "синій"]])
    assert extract_text(data, LIMITS).text.split("\n\n") == [
        "Before the table.",
        "Name",
        "Колір",
        "Ann",
        "синій",
    ]


def test_html_leaves_out_scripts_styles_and_head_metadata() -> None:
    text = extract_text(html_document(PROSE), LIMITS).text
    assert [word for word in HIDDEN_WORDS if word in text] == []
    assert "not a paragraph" not in text


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>one\n  two</p><p>three</p>", "one two\n\nthree"),
        ("<p>a<b>b</b>c <i>d</i></p>", "abc d"),
        ("<div>first<div>nested</div>after</div>", "first\n\nnested\n\nafter"),
        ("line one<br>line two", "line one\n\nline two"),
        ("<ul><li>apples</li><li>pears</li></ul>", "apples\n\npears"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><th>c</th></tr></table>", "a b\n\nc"),
        ("<pre>x = 1\ny = 2\n\nz = 3</pre>", "x = 1\ny = 2\n\nz = 3"),
        ("<p>caf&eacute; &amp; cr&#232;me&nbsp;br&ucirc;l&#xe9;e</p>", "café & crème brûlée"),
        ("<h1>Title</h1>text<!-- a comment -->more", "Title\n\ntextmore"),
        ("<p>shown</p><template><p>held</p></template><svg><text>drawn</text></svg>", "shown"),
        ("<head><title>T</title><meta name=x content=y></head><p>body</p>", "T\n\nbody"),
        ("<script>var a = '</p>text';</script><style>p {}</style><p>only</p>", "only"),
    ],
    ids=[
        "source-newlines",
        "inline",
        "nested-blocks",
        "br",
        "list",
        "table",
        "pre",
        "entities",
        "comment",
        "template-svg",
        "head",
        "script-style",
    ],
)
def test_html_structure_becomes_paragraphs(markup: str, expected: str) -> None:
    page = f"<!DOCTYPE html><html><body>{markup}</body></html>".encode()
    assert extract_text(page, LIMITS).text == expected


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (
            b'<html><head><meta charset="iso-8859-1"></head><body>Caf\xe9 cr\xe8me</body></html>',
            "Café crème",
            "cp1252",
        ),
        (
            b'<html><head><meta http-equiv="Content-Type" content="text/html; '
            b'charset=windows-1251"></head><body>\xcf\xf0\xe8\xe2\xe5\xf2</body></html>',
            "Привет",
            "cp1251",
        ),
        (
            '<meta charset="iso-8859-1"><html><body>Café – UTF-8 wins</body></html>'.encode(),
            "Café – UTF-8 wins",
            "utf-8",
        ),
        ("<html><body>Привет</body></html>".encode("utf-16"), "Привет", "utf-16"),
    ],
    ids=["meta-charset-latin1", "http-equiv-cp1251", "valid-utf8-over-meta", "utf16-bom"],
)
def test_html_is_decoded_from_its_bom_or_meta_charset(
    data: bytes, text: str, encoding: str
) -> None:
    decoded = extract_text(data, LIMITS, format="html")
    assert (decoded.text, decoded.encoding) == (text, encoding)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"one\r\ntwo\r\n\r\nthree", "one\ntwo\n\nthree"),
        (b"old mac\rnewlines\r\rsecond", "old mac\nnewlines\n\nsecond"),
        (b"\n\n  \n\nfirst\n \t \n\n\n\nsecond  \n\n", "first\n\nsecond"),
        (b"page one\fpage two", "page one\n\npage two"),
        (b"\xef\xbb\xbfwith a BOM", "with a BOM"),
        (b"a bell\x07 rings once in a long line of otherwise ordinary text", None),
    ],
    ids=["crlf", "cr", "blank-lines", "form-feed", "utf8-bom", "stray-control"],
)
def test_plain_text_newlines_are_normalised(data: bytes, expected: str | None) -> None:
    text = extract_text(data, LIMITS, format="text").text
    assert text == (expected or data.decode().replace("\x07", ""))


# --- Sniffing -------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (pdf_document(PROSE[:1]), "pdf"),
        (b"junk before the header\n" + pdf_document(PROSE[:1]), "pdf"),
        (docx_document(PROSE[:1]), "docx"),
        (encrypted_docx(), "docx"),
        (legacy_doc(), None),
        (zip_of({"xl/workbook.xml": b"<workbook/>"}), None),
        (html_document(PROSE[:1]), "html"),
        (b"\xef\xbb\xbf  <!-- hi -->\n<?xml version='1.0'?><HTML lang=en>", "html"),
        (b"<body><p>fragment</p></body>", "html"),
        ("<html><body>x</body></html>".encode("utf-16"), "html"),
        (b"<htmlish> is not a tag we know", "text"),
        (plain(PROSE), "text"),
        (plain(PROSE + CYRILLIC, "utf-16"), "text"),
        (plain(CYRILLIC, "utf-32"), "text"),
        (plain(LATIN1 * 3, "latin-1"), "text"),
        (plain(CYRILLIC * 5, "cp1251"), "text"),
        (PNG, None),
        (random_bytes(4096), None),
        (bytes(4096), None),
        (b"text\x00with\x00nuls\x00" * 100, None),
        (plain(PROSE, "utf-16-le"), None),
        (b"", None),
    ],
    ids=[
        "pdf",
        "pdf-after-junk",
        "docx",
        "encrypted-docx",
        "legacy-doc",
        "xlsx-like-zip",
        "html",
        "html-after-bom-comment-prolog",
        "html-fragment",
        "html-utf16",
        "not-a-tag",
        "text-utf8",
        "text-utf16-bom",
        "text-utf32-bom",
        "text-latin1",
        "text-cp1251",
        "png",
        "random",
        "all-nul",
        "nul-heavy",
        "utf16-without-bom",
        "empty",
    ],
)
def test_sniffing_names_the_format(data: bytes, expected: str | None) -> None:
    assert sniff_document(data) == expected


def test_sniffing_looks_at_a_prefix_of_big_text() -> None:
    # 48 MiB of text with junk past the first 64 KiB: the prefix decides.
    assert sniff_document(b"plain words " * (4 * 1024 * 1024) + random_bytes(1024)) == "text"


@pytest.mark.parametrize("seed", range(20))
def test_sniffing_never_raises(seed: int) -> None:
    rng = random.Random(seed)
    samples = [pdf_document(PROSE[:1]), docx_document(PROSE[:1]), html_document(PROSE[:1])]
    data = bytearray(rng.choice(samples)[: rng.randrange(1, 3000)])
    for _ in range(rng.randrange(1, 20)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    assert sniff_document(bytes(data)) in (None, "pdf", "docx", "html", "text")


# --- Bad input ------------------------------------------------------------------------

SMALL_DOCX = docx_document(PROSE)
SMALL_PDF = pdf_document(PROSE)


def members(count: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", b"<w:document/>")
        for index in range(count - 1):
            archive.writestr(f"word/media/{index}.bin", b"")
    return out.getvalue()


BAD_INPUT: list[tuple[str, Callable[[], bytes], str | None, MediaLimits, type, str]] = [
    ("empty", lambda: b"", None, LIMITS, InvalidInput, "empty_file"),
    ("over-bytes", lambda: SMALL_PDF, None, MediaLimits(max_bytes=100), MediaTooLarge,
     "too_many_bytes"),
    ("unknown-format", lambda: b"words", "rtf", LIMITS, InvalidInput, "unknown_format"),
    ("random-megabyte", lambda: random_bytes(1 << 20), None, LIMITS, UnsupportedMedia,
     "not_a_document"),
    ("random-megabyte-as-text", lambda: random_bytes(1 << 20), "text", LIMITS,
     UnsupportedMedia, "not_text"),
    ("random-megabyte-as-html", lambda: random_bytes(1 << 20), "html", LIMITS,
     UnsupportedMedia, "not_text"),
    ("random-no-nul-as-text", lambda: random_bytes(1 << 16).replace(b"\0", b"x"), "text",
     LIMITS, UnsupportedMedia, "not_text"),
    ("nul-heavy-as-text", lambda: b"a\x00b\x00" * 1000, "text", LIMITS, UnsupportedMedia,
     "not_text"),
    ("png-as-text", lambda: PNG, "text", LIMITS, UnsupportedMedia, "not_text"),
    ("pdf-as-text", lambda: SMALL_PDF, "text", LIMITS, UnsupportedMedia, "not_text"),
    ("whitespace-text", lambda: b" \n\t\r\n ", None, LIMITS, InvalidInput, "no_text"),
    ("text-over-chars", lambda: plain(PROSE), None, MediaLimits(max_text_chars=100),
     MediaTooLarge, "too_much_text"),
    ("encrypted-pdf", lambda: pdf_document(PROSE, encrypt="secret"), None, LIMITS,
     UnsupportedMedia, "encrypted_document"),
    ("truncated-pdf", lambda: SMALL_PDF[: len(SMALL_PDF) // 2], None, LIMITS,
     UnsupportedMedia, "corrupt_document"),
    ("pdf-header-then-garbage", lambda: b"%PDF-1.7\n" + random_bytes(5000), None, LIMITS,
     UnsupportedMedia, "corrupt_document"),
    ("png-as-pdf", lambda: PNG, "pdf", LIMITS, UnsupportedMedia, "corrupt_document"),
    ("scanned-pdf", lambda: scanned_pdf(2), None, LIMITS, InvalidInput, "no_text_layer"),
    ("pdf-over-pages", lambda: pdf_document(PROSE, pages=4), None, MediaLimits(max_pages=3),
     MediaTooLarge, "too_many_pages"),
    ("pdf-over-chars", lambda: SMALL_PDF, None, MediaLimits(max_text_chars=100),
     MediaTooLarge, "too_much_text"),
    ("pdf-bomb", pdf_bomb, None, LIMITS, MediaTooLarge, "document_bomb"),
    ("pdf-too-slow", lambda: SMALL_PDF, None, MediaLimits(max_decode_s=0), MediaTooLarge,
     "decode_too_slow"),
    ("docx-bomb", docx_bomb, None, LIMITS, MediaTooLarge, "document_bomb"),
    ("truncated-docx", lambda: SMALL_DOCX[: len(SMALL_DOCX) // 2], "docx", LIMITS,
     UnsupportedMedia, "corrupt_document"),
    ("zip-without-document", lambda: zip_of({"word/other.xml": b"<x/>"}), "docx", LIMITS,
     UnsupportedMedia, "corrupt_document"),
    ("docx-not-a-package", lambda: zip_of({"word/document.xml": b"<w:document/>"}), None,
     LIMITS, UnsupportedMedia, "corrupt_document"),
    ("pdf-as-docx", lambda: SMALL_PDF, "docx", LIMITS, UnsupportedMedia, "corrupt_document"),
    ("encrypted-docx", encrypted_docx, None, LIMITS, UnsupportedMedia, "encrypted_document"),
    ("encrypted-docx-as-text", encrypted_docx, "text", LIMITS, UnsupportedMedia,
     "encrypted_document"),
    ("legacy-doc", legacy_doc, "docx", LIMITS, UnsupportedMedia, "not_a_document"),
    ("empty-docx", lambda: docx_document(["", "  "]), None, LIMITS, InvalidInput, "no_text"),
    ("docx-over-chars", lambda: SMALL_DOCX, None, MediaLimits(max_text_chars=100),
     MediaTooLarge, "too_much_text"),
    ("docx-too-slow", lambda: SMALL_DOCX, None, MediaLimits(max_decode_s=0), MediaTooLarge,
     "decode_too_slow"),
    ("html-only-script", lambda: b"<html><script>var a;</script></html>", None, LIMITS,
     InvalidInput, "no_text"),
    ("html-over-chars", lambda: html_document(PROSE), None, MediaLimits(max_text_chars=100),
     MediaTooLarge, "too_much_text"),
    ("html-too-slow", lambda: html_document(PROSE), None, MediaLimits(max_decode_s=0),
     MediaTooLarge, "decode_too_slow"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "fmt", "limits", "error", "code"),
    [row[1:] for row in BAD_INPUT],
    ids=[row[0] for row in BAD_INPUT],
)
def test_bad_input_gets_a_clear_error(
    build: Callable[[], bytes],
    fmt: str | None,
    limits: MediaLimits,
    error: type[FirelineError],
    code: str,
) -> None:
    with pytest.raises(error) as caught:
        extract_text(build(), limits, format=fmt)
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.message


def test_a_scanned_pdf_is_reported_as_needing_ocr() -> None:
    with pytest.raises(InvalidInput, match="scanned PDF.*no text layer|no text layer.*scanned"):
        extract_text(scanned_pdf(), LIMITS)
    with pytest.raises(InvalidInput, match="OCR"):
        extract_text(scanned_pdf(), LIMITS)


@pytest.mark.parametrize(
    ("build", "limits", "reason"),
    [
        (docx_bomb, LIMITS, "compressed 1,0"),
        (lambda: docx_bomb(1024 * 1024 * 1024), LIMITS, "would inflate to 1,073,"),
        (lambda: docx_bomb(80 * 1024 * 1024), MediaLimits(max_text_chars=10), "would inflate"),
        (lambda: members(10_001), LIMITS, "10,001 files"),
    ],
    ids=["ratio", "total", "total-floor-64MiB", "members"],
)
def test_zip_bombs_are_refused_from_the_directory_without_inflating(
    monkeypatch: pytest.MonkeyPatch,
    build: Callable[[], bytes],
    limits: MediaLimits,
    reason: str,
) -> None:
    data = build()

    def inflate(*args: object, **kwargs: object) -> None:
        raise AssertionError("a zip member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", inflate)
    with pytest.raises(MediaTooLarge) as caught:
        extract_text(data, limits, format="docx")
    assert caught.value.code == "document_bomb"
    assert reason in caught.value.message


def test_a_long_empty_table_is_not_taken_for_a_bomb() -> None:
    # 40,000 empty one-cell rows: 1.6 MB of XML deflated 340 to 1. Repetitive, not a bomb.
    with zipfile.ZipFile(io.BytesIO(SMALL_DOCX)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    row = b"<w:tr><w:tc><w:tcPr/><w:p/></w:tc></w:tr>"
    parts["word/document.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>Before.</w:t></w:r></w:p><w:tbl>"
        + row * 40_000
        + b"</w:tbl><w:p><w:r><w:t>After.</w:t></w:r></w:p></w:body></w:document>"
    )
    data = zip_of(parts)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = archive.getinfo("word/document.xml")
    assert 200 < member.file_size / member.compress_size < 500
    assert extract_text(data, LIMITS).text == "Before.\n\nAfter."


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("source", ["pdf", "docx", "html"])
def test_damaged_documents_give_text_or_a_clear_error(source: str, seed: int) -> None:
    # Bytes flipped at random: pypdf, zipfile, python-docx and lxml meet junk, and the
    # caller still gets text or one of fireline's errors, never a library's exception.
    rng = random.Random(seed)
    whole = {"pdf": SMALL_PDF, "docx": SMALL_DOCX, "html": html_document(PROSE)}[source]
    data = bytearray(whole)
    for _ in range(rng.randrange(1, 40)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if rng.random() < 0.3:
        data = data[: rng.randrange(1, len(data))]
    try:
        decoded = extract_text(bytes(data), LIMITS, format=source)
    except (InvalidInput, UnsupportedMedia, MediaTooLarge) as exc:
        assert exc.code != "invalid_input"
    else:
        assert decoded.format == source
