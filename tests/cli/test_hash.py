"""`fireline hash`: python-threatexchange-style lines, JSON, and bad files (exit 3)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from threatexchange.signal_type.pdq.signal import PdqSignal as TxPdqSignal
from typer.testing import CliRunner

from fireline.cli import app
from fireline.signals.vpdq import parse_vpdq
from fireline.testing.media import (
    encode,
    flat_image,
    png_bomb,
    synthetic_video,
    truncated_jpeg,
    truncated_video,
)
from tests.cli.conftest import PhotoFactory

# `hash` needs no database: these tests run with no FIRELINE_DATABASE_URL at all.
pytestmark = pytest.mark.usefixtures("clean_env")


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_hash_prints_one_threatexchange_line_per_signal(photo: PhotoFactory) -> None:
    path = photo(1)
    code, out, err = run("hash", path)
    assert (code, err) == (0, "")
    lines = dict(line.split(" ") for line in out.splitlines())
    assert sorted(lines) == ["md5", "pdq", "sha256"]
    data = path.read_bytes()
    assert lines["md5"] == hashlib.md5(data).hexdigest()
    assert lines["sha256"] == hashlib.sha256(data).hexdigest()
    # The same PDQ hash python-threatexchange computes for the same file.
    assert lines["pdq"] == TxPdqSignal.hash_from_file(path)


def test_hash_output_is_in_file_order(photo: PhotoFactory) -> None:
    first, second = photo(1), photo(2)
    _, out_first, _ = run("hash", first)
    _, out_second, _ = run("hash", second)
    code, out_both, _ = run("hash", first, second)
    assert code == 0
    assert out_both == out_first + out_second


def test_hash_json_is_one_object_per_file(photo: PhotoFactory) -> None:
    paths = [photo(1), photo(2, fmt="JPEG")]
    code, out, _ = run("hash", "--json", *paths)
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in records] == [str(p) for p in paths]
    for record in records:
        by_type = {s["signal_type"]: s for s in record["signals"]}
        assert sorted(by_type) == ["md5", "pdq", "sha256"]
        assert re.fullmatch(r"[0-9a-f]{64}", by_type["pdq"]["value"])
        assert by_type["pdq"]["quality"] >= 50
        assert by_type["md5"]["quality"] is None


def test_content_type_file_hashes_bytes_of_any_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"not an image")
    code, out, _ = run("hash", "--content-type", "file", path)
    assert code == 0
    assert out.splitlines() == [
        f"md5 {hashlib.md5(b'not an image').hexdigest()}",
        f"sha256 {hashlib.sha256(b'not an image').hexdigest()}",
    ]


def test_low_quality_photo_is_still_hashed_with_its_quality(tmp_path: Path) -> None:
    path = tmp_path / "flat.png"
    path.write_bytes(encode(flat_image()))
    code, out, _ = run("hash", "--json", path)
    assert code == 0
    (pdq,) = [s for s in json.loads(out)["signals"] if s["signal_type"] == "pdq"]
    assert pdq["quality"] < 50


BAD_FILES = [
    # (name, content, code in --json, words the message must hold)
    ("notes.bin", b"\x00\x01\x02\xff binary, not an image", "not_an_image", "not an image"),
    ("notes.txt", b"plain text, too short", "text_too_short", "at least 20 words"),
    ("empty.png", b"", "empty_file", "empty"),
    ("cut.jpg", truncated_jpeg(3), "corrupt_image", "truncated"),
    ("bomb.png", png_bomb(), "too_many_pixels", "pixels"),
]


@pytest.mark.parametrize(("name", "content", "code", "words"), BAD_FILES)
def test_bad_file_exits_3_and_the_other_files_are_still_hashed(
    photo: PhotoFactory, tmp_path: Path, name: str, content: bytes, code: str, words: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    good_before, good_after = photo(1), photo(2)
    exit_code, out, err = run("hash", good_before, bad, good_after)
    assert exit_code == 3
    assert len(out.splitlines()) == 6  # three signals for each good file
    assert err.startswith(f"error: {bad}: ")
    assert words in err
    assert "Traceback" not in err

    exit_code, out, _ = run("hash", "--json", good_before, bad, good_after)
    assert exit_code == 3
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in records] == [str(good_before), str(bad), str(good_after)]
    assert records[1]["error"]["code"] == code
    assert "signals" in records[0] and "signals" in records[2]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["hash", "{missing}"], 3),
        (["hash", "{dir}"], 3),
        (["hash"], 2),
        (["hash", "--content-type", "hologram", "{photo}"], 2),
        # A photo is not a video: a clear refusal, not a usage error.
        (["hash", "--content-type", "video", "{photo}"], 3),
        (["hash", "--content-type", "FILE", "{photo}"], 0),
    ],
)
def test_hash_exit_codes(
    photo: PhotoFactory, tmp_path: Path, args: list[str], expected: int
) -> None:
    values = {"missing": tmp_path / "nope.png", "dir": tmp_path, "photo": photo(1)}
    code, _, _ = run(*(a.format(**values) for a in args))
    assert code == expected


def test_oversized_file_is_refused_before_hashing(
    photo: PhotoFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = photo(1)
    monkeypatch.setenv("FIRELINE_MAX_UPLOAD_BYTES", "100")
    code, out, err = run("hash", path)
    assert (code, out) == (3, "")
    assert "limit of 100 bytes" in err


def test_interrupt_exits_130(photo: PhotoFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("fireline.services.hashing.HashingService.hash_content", interrupted)
    code, _, err = run("hash", photo(1))
    assert code == 130
    assert err == "error: interrupted\n"


def test_content_type_video_prints_video_md5_and_vpdq(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(synthetic_video(1, 3.0))
    code, out, err = run("hash", "--content-type", "video", path)
    assert (code, err) == (0, "")
    # python-threatexchange's "<type> <value>" lines; the vpdq value is its JSON list.
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert sorted(lines) == ["video_md5", "vorb", "vpdq"]
    assert lines["video_md5"] == hashlib.md5(path.read_bytes()).hexdigest()
    assert [f.timestamp for f in parse_vpdq(lines["vpdq"])] == [0.0, 1.0, 2.0]


def test_truncated_video_exits_3_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "cut.mkv"
    path.write_bytes(truncated_video(2))
    code, out, err = run("hash", "--content-type", "video", path)
    assert (code, out) == (3, "")
    assert "truncated" in err


def test_a_video_is_told_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "clip.bin"  # the name says nothing: the header does
    path.write_bytes(synthetic_video(4, 3.0))
    code, out, _ = run("hash", path)
    assert code == 0
    assert sorted(line.split(" ")[0] for line in out.splitlines()) == ["video_md5", "vorb", "vpdq"]
