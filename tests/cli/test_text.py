"""`fireline hash` and `fireline match` with documents, --text and --url; bad ones exit 3."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from fireline.testing.documents import docx_bomb, docx_document, pdf_document, scanned_pdf
from fireline.testing.prose import Prose, excerpt, ocr_noise, paragraphs
from tests.cli.conftest import Cli

_PROSE = Prose(77)
MANIFESTO = _PROSE.document(1200)


@pytest.fixture
def banked(cli: Cli, tmp_path: Path) -> Path:
    """A document banked as a PDF in `texts`, and a URL rule in `links`."""
    path = tmp_path / "manifesto.pdf"
    path.write_bytes(pdf_document(paragraphs(MANIFESTO)))
    cli.ok("bank", "create", "texts")
    cli.ok("bank", "add", "texts", path, "--label", "category:attacker_manifesto")
    cli.ok("bank", "create", "links")
    cli.ok("bank", "add", "links", "--signal", "url:https://files.example/manifesto/*")
    return path


def test_hash_prints_text_signals_of_a_document(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    path.write_bytes(docx_document(paragraphs(MANIFESTO)[:4]))
    lines = dict(line.split(" ", 1) for line in cli.ok("hash", path).stdout.splitlines())
    assert sorted(lines) == ["md5", "sha256", "text_minhash", "text_tlsh"]
    assert lines["text_minhash"].startswith("1:")


def test_hash_takes_texts_from_options_and_standard_input(cli: Cli) -> None:
    post = paragraphs(MANIFESTO)[0] + " see https://Files.Example/manifesto/a.pdf?utm_source=x"
    result = cli(
        "hash",
        "--json",
        "--text",
        post,
        "--text",
        "-",
        "--url",
        "www.Example.com/a/../b",
        input=post,
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in rows][1:] == ["<stdin>", "url:www.Example.com/a/../b"]
    assert rows[0]["signals"] == rows[1]["signals"]
    assert rows[0]["links"] == [
        {"signal_type": "url", "value": "https://files.example/manifesto/a.pdf", "quality": None}
    ]
    assert rows[2]["signals"] == [
        {"signal_type": "url", "value": "https://www.example.com/b", "quality": None}
    ]


def test_match_finds_an_excerpt_of_a_banked_document(cli: Cli, banked: Path) -> None:
    rng = random.Random(1)
    post, _ = excerpt(ocr_noise(MANIFESTO, 0.01, rng), 2, _PROSE.document(500), rng)
    result = cli("match", "--text", post)
    assert result.exit_code == 1, result.output
    assert "text_minhash" in result.stdout and "chars" in result.stdout
    [row] = [
        json.loads(line) for line in cli("match", "--json", "--text", post).stdout.splitlines()
    ]
    [found] = [m for m in row["matches"] if m["signal_type"] == "text_minhash"]
    assert found["labels"] == ["category:attacker_manifesto"]
    assert found["segments"][0]["unit"] == "characters"
    assert set(found["measures"]) == {"containment", "jaccard"}


def test_match_finds_links_covered_by_a_rule(cli: Cli, banked: Path) -> None:
    assert cli("match", "--url", "http://FILES.example/manifesto/v2.pdf").exit_code == 1
    assert cli("match", "--url", "https://files.example/other.pdf").exit_code == 0
    unrelated = _PROSE.document(200)
    assert cli("match", "--text", unrelated).exit_code == 0
    assert cli("match", "--text", unrelated + " https://files.example/manifesto/x").exit_code == 1


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("scan.pdf", scanned_pdf(), "no_text_layer"),
        ("locked.pdf", pdf_document(["secret words"] * 30, encrypt="pw"), "encrypted_document"),
        ("bomb.docx", docx_bomb(), "document_bomb"),
        ("short.txt", b"just a few words", "text_too_short"),
    ],
)
def test_bad_documents_exit_3_with_their_code(
    cli: Cli, tmp_path: Path, name: str, data: bytes, code: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    for command in (("hash",), ("match",)):
        result = cli(*command, "--json", path)
        assert result.exit_code == 3, result.output
        assert json.loads(result.stdout.splitlines()[0])["error"]["code"] == code


@pytest.mark.parametrize(
    ("option", "value", "code"),
    [
        ("--url", "javascript:alert(1)", "malformed_url"),
        ("--url", "https://exa mple.com/", "malformed_url"),
        ("--text", "too short", "text_too_short"),
    ],
)
def test_bad_texts_and_links_exit_3(cli: Cli, option: str, value: str, code: str) -> None:
    result = cli("hash", "--json", option, value)
    assert result.exit_code == 3
    assert json.loads(result.stdout)["error"]["code"] == code


def test_hash_with_nothing_to_hash_is_a_usage_error(cli: Cli) -> None:
    assert cli("hash").exit_code == 2
