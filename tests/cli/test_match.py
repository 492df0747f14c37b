"""`fireline match`: files, directories and raw signals; the exit status contract."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from fireline.testing.media import encode, random_photo
from tests.cli.conftest import Cli, PhotoFactory
from tests.cli.scripts import fireline


@pytest.fixture
def banked(cli: Cli, photo: PhotoFactory) -> Path:
    """A photo banked in `incident`, labelled; `other` is an empty bank."""
    path = photo(1)
    cli.ok("bank", "create", "incident")
    cli.ok("bank", "create", "other")
    cli.ok("bank", "add", "incident", path, "--label", "category:glorification")
    return path


def records(cli: Cli, *args: str | Path) -> tuple[int, list[dict[str, Any]]]:
    result = cli("match", "--json", *args)
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def test_banked_photo_matches_and_exits_1(cli: Cli, banked: Path) -> None:
    result = cli("match", banked)
    assert result.exit_code == 1
    assert "files matched" in result.stdout
    assert "incident" in result.stdout and "category:glorification" in result.stdout


def test_unrelated_photo_exits_0(cli: Cli, banked: Path, photo: PhotoFactory) -> None:
    result = cli("match", photo(2))
    assert result.exit_code == 0
    assert "Matches" not in result.stdout


def test_json_reports_each_signal_that_matched(cli: Cli, banked: Path) -> None:
    code, (record,) = records(cli, banked)
    assert code == 1
    assert record["file"] == str(banked) and record["matched"] is True
    by_type = {m["signal_type"]: m for m in record["matches"]}
    assert sorted(by_type) == ["md5", "pdq", "sha256"]
    pdq = by_type["pdq"]
    assert (pdq["distance"], pdq["threshold"], pdq["transform"]) == (0, 31, "original")
    assert pdq["bank"] == "incident"
    assert pdq["labels"] == ["category:glorification"]


def test_an_edited_copy_matches_by_pdq_only(cli: Cli, banked: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(encode(random_photo(1), "JPEG", quality=60))
    code, (record,) = records(cli, copy)
    assert code == 1
    assert [m["signal_type"] for m in record["matches"]] == ["pdq"]
    assert 0 < record["matches"][0]["distance"] <= 31


def test_directory_json_skips_hidden_and_reports_errors(
    cli: Cli, banked: Path, photo: PhotoFactory, tmp_path: Path
) -> None:
    tree = tmp_path / "uploads"
    photo(1, "again.png", directory=tree / "day1")
    photo(2, "other.jpg", fmt="JPEG", directory=tree)
    photo(1, "hidden.png", directory=tree / ".cache")
    photo(1, ".hidden.png", directory=tree)
    (tree / "readme.txt").write_text("too short to be a text worth hashing")

    code, lines = records(cli, tree)
    assert code == 1  # a match outranks an unreadable file
    by_file = {Path(r["file"]).relative_to(tree).as_posix(): r for r in lines}
    # Top-down: a directory's files (sorted) before its subdirectories (sorted).
    assert list(by_file) == ["other.jpg", "readme.txt", "day1/again.png"]
    assert by_file["day1/again.png"]["matched"] is True
    assert by_file["other.jpg"]["matched"] is False
    assert by_file["readme.txt"]["error"]["code"] == "text_too_short"


def test_a_directory_with_special_files_and_link_loops_is_scanned_to_the_end(
    banked: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "odd"
    (tree / "sub").mkdir(parents=True)
    shutil.copyfile(banked, tree / "a.png")
    os.mkfifo(tree / "fifo")  # opening it blocked `match` forever, waiting for a writer
    (tree / "loop1").symlink_to("loop2")
    (tree / "loop2").symlink_to("loop1")
    (tree / "dangling").symlink_to("nowhere")
    (tree / "sub" / "up").symlink_to("..")  # a link to a directory: not followed

    result = fireline("match", "--json", tree, timeout=60)
    assert result.returncode == 1, result.stderr
    by_file = {Path(r["file"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert sorted(by_file) == ["a.png", "dangling", "loop1", "loop2"]
    assert by_file["a.png"]["matched"] is True
    assert by_file["dangling"]["error"]["code"] == "file_not_found"
    assert by_file["loop1"]["error"]["code"] == "file_unreadable"
    assert "Traceback" not in result.stderr


def test_directory_summary_table(
    cli: Cli, banked: Path, photo: PhotoFactory, tmp_path: Path
) -> None:
    tree = tmp_path / "uploads"
    photo(1, "again.png", directory=tree)
    photo(2, "other.png", directory=tree)
    (tree / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    result = cli("match", "--quiet", tree)
    assert result.exit_code == 1
    summary = {
        line.strip("│ ").rsplit("│", 1)[0].strip(): line.strip("│ ").rsplit("│", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("│") and "files" in line
    }
    assert summary == {"files scanned": "3", "files matched": "1", "files with errors": "1"}
    assert f"error: {tree / 'broken.png'}: " in result.stderr


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["unrelated"], 0),
        (["unrelated", "broken"], 3),
        (["broken"], 3),
        (["missing"], 3),
        (["banked", "broken"], 1),
        (["banked"], 1),
        ([], 2),
    ],
)
def test_exit_status(
    cli: Cli, banked: Path, photo: PhotoFactory, tmp_path: Path, files: list[str], expected: int
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really")
    paths = {
        "banked": banked,
        "unrelated": photo(2),
        "broken": broken,
        "missing": tmp_path / "missing.png",
    }
    assert cli("match", *(paths[f] for f in files)).exit_code == expected


def test_bank_option_restricts_the_banks(cli: Cli, banked: Path) -> None:
    assert cli("match", "--bank", "other", banked).exit_code == 0
    assert cli("match", "--bank", "other", "--bank", "incident", banked).exit_code == 1
    unknown = cli("match", "--bank", "nope", banked)
    assert (unknown.exit_code, unknown.stderr) == (4, "error: no bank named 'nope'\n")


def test_retracted_entries_no_longer_match(cli: Cli, banked: Path) -> None:
    shown = json.loads(cli.ok("bank", "show", "incident", "--json").stdout)
    for entry in shown["entries"]:
        cli.ok("bank", "retract", str(entry["id"]), "--reason", "banked in error")
    code, (record,) = records(cli, banked)
    assert (code, record["matched"]) == (0, False)


def test_rotated_copy_matches_only_with_dihedral(cli: Cli, banked: Path, tmp_path: Path) -> None:
    rotated = tmp_path / "rotated.png"
    rotated.write_bytes(encode(random_photo(1).rotate(90, expand=True)))
    code, (record,) = records(cli, rotated)
    assert code == 1
    assert record["matches"][0]["transform"] != "original"
    assert cli("match", "--no-dihedral", rotated).exit_code == 0


def test_raw_signals(cli: Cli, banked: Path) -> None:
    hashed = json.loads(cli.ok("hash", "--json", banked).stdout)
    pdq = next(s["value"] for s in hashed["signals"] if s["signal_type"] == "pdq")
    flipped = format(int(pdq, 16) ^ 0b111, "064x")  # 3 bits away: still a match

    code, lines = records(cli, "--signal", f"pdq:{flipped}", "--signal", f"md5:{'0' * 32}")
    assert code == 1
    assert [(r["signal"]["signal_type"], r["matched"]) for r in lines] == [
        ("pdq", True),
        ("md5", False),
    ]
    assert lines[0]["matches"][0]["distance"] == 3
    assert cli("match", "--signal", f"md5:{'0' * 32}").exit_code == 0


@pytest.mark.parametrize(
    ("signal", "words"),
    [
        ("pdq:xyz", "64 hexadecimal"),
        ("tlsh:abc", "unknown signal type"),
        ("abc", "TYPE:VALUE"),
        ("pdq:", "TYPE:VALUE"),
    ],
)
def test_bad_signal_exits_3(cli: Cli, banked: Path, signal: str, words: str) -> None:
    result = cli("match", "--signal", signal, banked)
    assert (result.exit_code, result.stdout) == (3, "")
    assert words in result.stderr
