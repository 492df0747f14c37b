"""The document generators: real files, honest bombs, and the shapes the tests rely on."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

import docx
import pytest
from pypdf import PdfReader

from fireline.testing.documents import (
    PDF_LINE_CHARS,
    docx_bomb,
    docx_document,
    encrypted_docx,
    html_document,
    legacy_doc,
    pdf_bomb,
    pdf_document,
    scanned_pdf,
)


@pytest.mark.parametrize("size", [3 * 1024 * 1024, 5 * 1024 * 1024 + 123])
def test_a_docx_bomb_inflates_to_its_declared_size_with_a_correct_crc(size: int) -> None:
    with zipfile.ZipFile(io.BytesIO(docx_bomb(size))) as archive:
        # read() checks the CRC; a wrong one raises BadZipFile.
        body = archive.read("word/document.xml")
        assert archive.testzip() is None
    assert len(body) == archive.getinfo("word/document.xml").file_size
    assert abs(len(body) - size) < 1024 * 1024
    assert body.endswith(b"</w:document>")


def test_a_pdf_bomb_stream_is_honest_zlib() -> None:
    data = pdf_bomb(3_000_000)
    match = re.search(rb"/Length (\d+) >>\nstream\n", data)
    assert match is not None
    start = match.end()
    stream = data[start : start + int(match.group(1))]
    # zlib.decompress checks the Adler-32 the generator computed arithmetically.
    assert len(zlib.decompress(stream)) == 3_000_000


def test_pdf_pages_and_wrapping() -> None:
    paragraph = "word " * 100
    reader = PdfReader(io.BytesIO(pdf_document([paragraph, "two", "three"], pages=5)))
    assert len(reader.pages) == 5
    lines = reader.pages[0].extract_text().splitlines()
    assert max(len(line) for line in lines) <= PDF_LINE_CHARS
    assert [page.extract_text() for page in reader.pages[3:]] == ["", ""]
    with pytest.raises(ValueError, match="holds"):
        pdf_document(["word " * 2000], pages=1)


def test_an_encrypted_pdf_needs_its_password() -> None:
    reader = PdfReader(io.BytesIO(pdf_document(["secret text"], encrypt="pw")))
    assert reader.is_encrypted
    assert reader.decrypt("pw") != 0
    assert "secret text" in reader.pages[0].extract_text()


def test_a_scanned_pdf_has_images_and_no_text() -> None:
    reader = PdfReader(io.BytesIO(scanned_pdf(3)))
    assert len(reader.pages) == 3
    assert all(page.extract_text() == "" and len(page.images) == 1 for page in reader.pages)


def test_a_docx_document_opens_in_python_docx() -> None:
    document = docx.Document(io.BytesIO(docx_document(["one", "два"], table=[["a", "b"]])))
    assert [p.text for p in document.paragraphs] == ["one", "два"]
    assert document.tables[0].cell(0, 1).text == "b"


def test_an_html_document_is_utf8_with_hidden_words() -> None:
    page = html_document(["é"], title="T").decode("utf-8")
    assert "<script>" in page and "<style>" in page and "<p>é</p>" in page


@pytest.mark.parametrize(
    ("data", "names"),
    [
        (encrypted_docx(), ["Root Entry", "EncryptionInfo", "EncryptedPackage"]),
        (legacy_doc(), ["Root Entry", "WordDocument"]),
    ],
    ids=["encrypted-docx", "legacy-doc"],
)
def test_office_containers_are_compound_files(data: bytes, names: list[str]) -> None:
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    assert len(data) % 512 == 0
    (first_directory,) = struct.unpack_from("<I", data, 48)
    directory = data[512 * (1 + first_directory) : 512 * (2 + first_directory)]
    found = []
    for offset in range(0, 512, 128):
        (length,) = struct.unpack_from("<H", directory, offset + 64)
        if length:
            found.append(directory[offset : offset + length - 2].decode("utf-16-le"))
    assert found == names
