"""`fireline bank`: the lifecycle, refusals with their exit codes, import and export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli, PhotoFactory

PDQ = "f" * 32 + "0" * 32
MD5 = "0123456789abcdef" * 2


def show(cli: Cli, name: str, *extra: str) -> dict[str, Any]:
    result = cli.ok("bank", "show", name, "--json", *extra)
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_bank_lifecycle(cli: Cli, photo: PhotoFactory) -> None:
    created = cli.ok(
        "bank",
        "create",
        "christchurch",
        "--description",
        "incident 2019-03",
        "--pdq-threshold",
        "20",
        "--sharing",
        "members",
    )
    assert "created bank christchurch" in created.stdout

    listed = cli.json_lines("bank", "list", "--json")
    assert [(b["name"], b["sharing"], b["pdq_threshold"], b["entry_count"]) for b in listed] == [
        ("christchurch", "members", 20, 0)
    ]
    assert "christchurch" in cli.ok("bank", "list").stdout

    added = cli.json_lines(
        "bank",
        "add",
        "christchurch",
        photo(1),
        "--label",
        "category:perpetrator_livestream",
        "--label",
        "BASIS:crisis_incident",
        "--note",
        "first upload",
        "--json",
    )
    assert [a["source"] for a in added] == [str(photo(1))]
    entries = added[0]["added"]
    assert sorted(e["signal_type"] for e in entries) == ["md5", "pdq", "sha256"]
    assert {tuple(e["labels"]) for e in entries} == {
        ("basis:crisis_incident", "category:perpetrator_livestream")
    }
    assert len({e["item"] for e in entries}) == 1  # one file, one item

    shown = show(cli, "christchurch")
    assert shown["bank"]["entry_count"] == 3
    assert shown["bank"]["description"] == "incident 2019-03"
    assert [e["id"] for e in shown["entries"]] == sorted(e["id"] for e in entries)
    table = cli.ok("bank", "show", "christchurch").stdout
    assert "perpetrator_livestream" in table and "incident 2019-03" in table

    # Adding the same file again doubles nothing.
    again = cli.json_lines("bank", "add", "christchurch", photo(1), "--json")
    assert (again[0]["added"], len(again[0]["existing"])) == ([], 3)

    deleted = cli.ok("bank", "delete", "christchurch", "--yes")
    assert "deleted bank christchurch" in deleted.stdout
    assert cli("bank", "show", "christchurch").exit_code == 4
    assert cli.json_lines("bank", "list", "--json") == []


def test_add_raw_signals_and_retract(cli: Cli) -> None:
    cli.ok("bank", "create", "hashes")
    added = cli.json_lines(
        "bank",
        "add",
        "hashes",
        "--signal",
        f"pdq:{PDQ.upper()}",
        "--signal",
        f"md5:{MD5}",
        "--json",
    )
    values = {e["signal_type"]: e["value"] for e in added[0]["added"]}
    assert values == {"pdq": PDQ, "md5": MD5}  # canonical (lower-case) forms

    entry_id = next(e["id"] for e in added[0]["added"] if e["signal_type"] == "pdq")
    retracted = cli.ok("bank", "retract", str(entry_id), "--reason", "false positive")
    assert f"retracted entry {entry_id} from bank hashes" in retracted.stdout
    active = show(cli, "hashes")["entries"]
    assert [e["signal_type"] for e in active] == ["md5"]
    everything = show(cli, "hashes", "--include-retracted")["entries"]
    (gone,) = [e for e in everything if e["id"] == entry_id]
    assert gone["retracted_at"] is not None
    assert gone["retraction_reason"] == "false positive"
    # Retracting again is harmless.
    cli.ok("bank", "retract", str(entry_id))


def test_add_refusals_change_nothing(cli: Cli, photo: PhotoFactory, tmp_path: Path) -> None:
    cli.ok("bank", "create", "b")
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    result = cli("bank", "add", "b", photo(1), text, photo(2))
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: {text}: ")
    assert "nothing was added" in result.stderr
    assert show(cli, "b")["bank"]["entry_count"] == 0


REFUSALS = [
    # (what, commands run first, the refused command, exit code, words on stderr)
    ("duplicate name", [["bank", "create", "b"]], ["bank", "create", "b"], 5, "already exists"),
    ("bad name", [], ["bank", "create", "no spaces"], 3, "bank name"),
    (
        "threshold out of range",
        [],
        ["bank", "create", "b", "--pdq-threshold", "200"],
        3,
        "0 and 128",
    ),
    ("unknown sharing", [], ["bank", "create", "b", "--sharing", "public"], 2, "Invalid value"),
    ("show unknown", [], ["bank", "show", "nope"], 4, "no bank named 'nope'"),
    (
        "unknown label",
        [["bank", "create", "b"]],
        ["bank", "add", "b", "--signal", f"md5:{MD5}", "--label", "category:cats"],
        3,
        "cats",
    ),
    (
        "unknown label dimension",
        [["bank", "create", "b"]],
        ["bank", "add", "b", "--signal", f"md5:{MD5}", "--label", "mood:sad"],
        3,
        "dimension",
    ),
    (
        "malformed signal value",
        [["bank", "create", "b"]],
        ["bank", "add", "b", "--signal", "pdq:abc"],
        3,
        "64 hexadecimal",
    ),
    (
        "signal without a type",
        [["bank", "create", "b"]],
        ["bank", "add", "b", "--signal", PDQ],
        3,
        "TYPE:VALUE",
    ),
    (
        "unknown signal type",
        [["bank", "create", "b"]],
        ["bank", "add", "b", "--signal", f"photodna:{MD5}"],
        3,
        "unknown signal type",
    ),
    ("add to unknown bank", [], ["bank", "add", "nope", "--signal", f"md5:{MD5}"], 4, "nope"),
    ("add nothing", [["bank", "create", "b"]], ["bank", "add", "b"], 2, "FILE or --signal"),
    ("retract unknown entry", [], ["bank", "retract", "999"], 4, "999"),
    ("retract a non-number", [], ["bank", "retract", "one"], 2, "Invalid value"),
    ("delete without --yes", [["bank", "create", "b"]], ["bank", "delete", "b"], 2, "--yes"),
    ("delete unknown", [], ["bank", "delete", "nope", "--yes"], 4, "nope"),
    ("export unknown", [], ["bank", "export", "nope"], 4, "nope"),
    (
        "export retracted as threatexchange",
        [["bank", "create", "b"]],
        ["bank", "export", "b", "--format", "threatexchange", "--include-retracted"],
        2,
        "jsonl",
    ),
    (
        "export as tat, an import-only format",
        [["bank", "create", "b"]],
        ["bank", "export", "b", "--format", "tat"],
        3,
        "import-only",
    ),
    (
        "import as hma, an export-only format",
        [["bank", "create", "b"]],
        ["bank", "import", "b", "-", "--format", "hma"],
        3,
        "export-only",
    ),
    (
        "import an empty tat document",
        [["bank", "create", "b"]],
        ["bank", "import", "b", "-", "--format", "tat"],
        3,
        "empty",
    ),
    ("import into unknown bank", [], ["bank", "import", "nope", "-"], 4, "nope"),
    (
        "import a missing file",
        [["bank", "create", "b"]],
        ["bank", "import", "b", "/nonexistent/list.txt"],
        3,
        "no such file",
    ),
    (
        "import with unknown --signal-type",
        [["bank", "create", "b"]],
        ["bank", "import", "b", "-", "--format", "threatexchange", "--signal-type", "x"],
        3,
        "unknown signal type",
    ),
    # An id no SQL integer holds: the driver's OverflowError was a traceback (exit 1).
    ("retract an id past 64 bits", [], ["bank", "retract", str(2**70)], 4, str(2**70)),
    # Non-UTF-8 arguments arrive as lone surrogates ("\udcff"), which no driver can
    # encode: a traceback (exit 1) before.
    (
        "non-UTF-8 description",
        [],
        ["bank", "create", "b", "--description", "caf\udce9"],
        3,
        "a description",
    ),
    (
        "non-UTF-8 note",
        [["bank", "create", "b"]],
        ["bank", "add", "b", "--signal", f"md5:{MD5}", "--note", "caf\udce9"],
        3,
        "a note",
    ),
    (
        "non-UTF-8 retraction reason",
        [["bank", "create", "b"], ["bank", "add", "b", "--signal", f"md5:{MD5}"]],
        ["bank", "retract", "1", "--reason", "caf\udce9"],
        3,
        "a reason",
    ),
    ("non-UTF-8 bank name", [], ["bank", "show", "caf\udce9"], 4, "no bank named"),
    (
        "import a binary file",
        [["bank", "create", "b"]],
        ["bank", "import", "b", "/bin/sh"],
        3,
        "not UTF-8",
    ),
]


@pytest.mark.parametrize(
    ("setup", "args", "expected", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in REFUSALS],
)
def test_refusals_have_their_exit_code(
    cli: Cli, setup: list[list[str]], args: list[str], expected: int, words: str
) -> None:
    for command in setup:
        cli.ok(*command)
    result = cli(*args, input="")
    assert result.exit_code == expected, result.output
    assert result.stdout == ""
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_delete_without_yes_keeps_the_bank(cli: Cli) -> None:
    cli.ok("bank", "create", "b")
    cli.ok("bank", "add", "b", "--signal", f"md5:{MD5}")
    assert cli("bank", "delete", "b").exit_code == 2
    assert show(cli, "b")["bank"]["entry_count"] == 1


def fill(cli: Cli, photo: PhotoFactory, bank: str) -> None:
    cli.ok("bank", "create", bank)
    cli.ok("bank", "add", bank, photo(1), photo(2), "--label", "entity:demo")
    cli.ok("bank", "add", bank, "--signal", f"md5:{MD5}", "--signal", f"pdq:{PDQ}")


def signals(cli: Cli, bank: str) -> list[str]:
    out = cli.ok("bank", "export", bank, "--format", "threatexchange").stdout
    return sorted(out.splitlines())


@pytest.mark.parametrize("fmt", ["jsonl", "threatexchange", "threatexchange_csv"])
def test_export_then_import_gives_the_same_signals(
    cli: Cli, photo: PhotoFactory, tmp_path: Path, fmt: str
) -> None:
    fill(cli, photo, "source")
    exported = tmp_path / f"source.{fmt}"
    cli.ok("bank", "export", "source", "--format", fmt, "-o", exported)
    cli.ok("bank", "create", "copy")
    imported = cli.ok("bank", "import", "copy", exported, "--format", fmt)
    assert "8 added" in imported.stdout
    assert len(signals(cli, "source")) == 8
    assert signals(cli, "copy") == signals(cli, "source")
    if fmt != "threatexchange":
        labels = {tuple(e["labels"]) for e in show(cli, "copy")["entries"]}
        assert labels == {("entity:demo",), ()}
    # Importing the same file twice doubles nothing.
    again = cli.ok("bank", "import", "copy", exported, "--format", fmt)
    assert "0 added, 8 already banked" in again.stdout


def test_import_reads_stdin_and_adds_labels(cli: Cli) -> None:
    cli.ok("bank", "create", "b")
    lines = f"# a python-threatexchange file\npdq {PDQ}\n\n{MD5}\n"
    result = cli.ok(
        "bank",
        "import",
        "b",
        "-",
        "--format",
        "threatexchange",
        "--signal-type",
        "md5",
        "--label",
        "basis:member_policy",
        input=lines,
    )
    assert "2 added" in result.stdout
    entries = show(cli, "b")["entries"]
    assert {(e["signal_type"], e["value"]) for e in entries} == {("pdq", PDQ), ("md5", MD5)}
    assert {tuple(e["labels"]) for e in entries} == {("basis:member_policy",)}


@pytest.mark.parametrize(
    ("fmt", "content", "words"),
    [
        ("threatexchange", f"pdq {PDQ}\npdq nothex\n", "line 2"),
        ("threatexchange", f"pdq {PDQ}\nhologram_md5 {MD5}\n", "unknown signal type"),
        ("jsonl", '{"signal_type": "md5", "value": "' + MD5 + '"}\n{oops\n', "line 2"),
        ("jsonl", '{"signal_type": "md5", "value": "' + MD5 + '", "labels": ["x:y"]}\n', "x:y"),
        (
            "tat",
            json.dumps([{"hash_digest": PDQ, "algorithm": "PDQ"}, {"hash_digest": PDQ}]),
            "record 2: no hash algorithm",
        ),
        ("tat", '{"results": [', "not valid JSON"),
        (
            "threatexchange_csv",
            f"signal_type,signal_str\npdq,{PDQ}\nmd5,nothex\n",
            "line 3: a md5 hash",
        ),
    ],
)
def test_a_bad_import_line_stores_nothing(cli: Cli, fmt: str, content: str, words: str) -> None:
    cli.ok("bank", "create", "b")
    result = cli("bank", "import", "b", "-", "--format", fmt, input=content)
    assert result.exit_code == 3, result.output
    assert words in result.stderr
    assert show(cli, "b")["bank"]["entry_count"] == 0


def test_import_reads_files_written_on_windows(cli: Cli, tmp_path: Path) -> None:
    # A byte-order mark, CRLF line ends and blank lines, as Notepad saves them: the first
    # line's type was read as "\ufeffmd5", an unknown signal type.
    listing = tmp_path / "list.txt"
    listing.write_bytes(f"\ufeffmd5 {MD5}\r\n\r\npdq {PDQ}\r\nmd5 {MD5}\r\n".encode())
    cli.ok("bank", "create", "b")
    result = cli.ok("bank", "import", "b", listing, "--format", "threatexchange")
    assert "2 added, 1 already banked" in result.stdout


def test_export_jsonl_can_include_retracted_entries(cli: Cli) -> None:
    cli.ok("bank", "create", "b")
    added = cli.json_lines("bank", "add", "b", "--signal", f"md5:{MD5}", "--json")
    cli.ok("bank", "retract", str(added[0]["added"][0]["id"]))
    assert cli.ok("bank", "export", "b").stdout == ""
    lines = cli.ok("bank", "export", "b", "--include-retracted").stdout.splitlines()
    assert [json.loads(line)["retracted_at"] is not None for line in lines] == [True]


def test_export_to_an_unwritable_place_exits_3(cli: Cli, tmp_path: Path) -> None:
    cli.ok("bank", "create", "b")
    result = cli("bank", "export", "b", "-o", tmp_path / "missing-dir" / "out.jsonl")
    assert result.exit_code == 3
    assert "cannot be written" in result.stderr


def test_a_tat_hash_list_imports_with_its_designation(cli: Cli, tmp_path: Path) -> None:
    listing = tmp_path / "tat.json"
    records = [
        {"hash_digest": PDQ, "algorithm": "PDQ", "ideology": "islamist", "file_type": "png"},
        {"hash_digest": MD5, "algorithm": "MD5", "file_type": "mp4", "group": "Hurras al-Din"},
        {"hash_digest": "e" * 128, "algorithm": "SHA512", "file_type": "mp4"},
        {"hash_digest": MD5, "algorithm": "MD5", "file_type": "jpg", "deleted": True},
    ]
    listing.write_text(json.dumps({"count": 4, "next": None, "results": records}))
    cli.ok("bank", "create", "b")
    result = cli.ok(
        "bank", "import", "b", listing, "--format", "tat", "--label", "category:recruitment"
    )
    assert result.stdout.strip() == (
        "imported into b: 2 added, 0 already banked, 1 retracted skipped, "
        "1 of hash types fireline lacks skipped"
    )
    entries = {e["signal_type"]: e for e in show(cli, "b")["entries"]}
    assert entries["video_md5"]["labels"] == [
        "basis:designation_list",
        "category:recruitment",
        "entity:hurras-al-din",
    ]
    assert entries["pdq"]["note"].startswith("tat; ideology islamist")


def test_an_hma_export_says_what_it_leaves_out(
    cli: Cli, photo: PhotoFactory, tmp_path: Path
) -> None:
    fill(cli, photo, "source")
    target = tmp_path / "hma.jsonl"
    result = cli.ok("bank", "export", "source", "--format", "hma", "-o", target)
    bodies = [json.loads(line) for line in target.read_text().splitlines()]
    assert sorted(next(iter(b)) for b in bodies) == ["pdq", "pdq", "pdq"]
    assert "left out entries of types HMA has no signal type for: 3 md5, 2 sha256" in (
        result.stderr
    )
