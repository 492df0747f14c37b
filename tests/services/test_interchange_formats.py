"""python-threatexchange's dataset CSV (both ways) and HMA's API bodies (export)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from threatexchange.cli.dataset_cmd import DatasetCommand
from threatexchange.exchanges.fetch_state import (
    FetchedSignalMetadata,
    SignalOpinion,
    SignalOpinionCategory,
)
from threatexchange.extensions.vpdq.vpdq import VPDQSignal
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal as TePdqSignal
from threatexchange.signal_type.signal_base import SignalType as TeSignalType

from fireline.bootstrap import Container, build
from fireline.domain import InvalidInput, Signal
from fireline.services import ExchangeFormat
from fireline.services.interchange import ImportReport, export_lines, import_lines, split_lines
from fireline.settings import Settings
from fireline.signals import ContentType
from fireline.testing.media import encode, random_photo, synthetic_video

PDQ = "a5" * 32
MD5 = "a" * 32
HEADER = "signal_type,signal_str,collab,category,tags"
CSV = ExchangeFormat.THREATEXCHANGE_CSV


def _import(container: Container, text: str, fmt: ExchangeFormat = CSV) -> ImportReport:
    container.banks.create(name="dst")
    return import_lines(container.banks, bank="dst", lines=split_lines(text), fmt=fmt)


def _stored(container: Container) -> set[tuple[str, str, tuple[str, ...], str]]:
    return {(e.signal_type, e.value, e.labels, e.note) for e in container.banks.entries(bank="dst")}


@pytest.mark.parametrize(
    ("text", "expected", "skipped"),
    [
        (
            f"{HEADER}\npdq,{PDQ},Sample Data,INVESTIGATION_SEED,\n"
            f"video_md5,{MD5},Sample Data,POSITIVE_CLASS,media_type_video\n",
            {
                ("pdq", PDQ, (), "threatexchange collab Sample Data; INVESTIGATION_SEED"),
                ("video_md5", MD5, (), "threatexchange collab Sample Data; tags media_type_video"),
            },
            (0, 0),
        ),
        (  # tags written as fireline labels are labels again; CRLF, a BOM, blank lines
            f"\ufeff{HEADER}\r\n\r\npdq,{PDQ.upper()},b,POSITIVE_CLASS,"
            "category:recruitment Entity:Demo\r\n",
            {("pdq", PDQ, ("category:recruitment", "entity:demo"), "threatexchange collab b")},
            (0, 0),
        ),
        (  # false positives and types fireline lacks are skipped and counted
            f"{HEADER}\npdq,{PDQ},c,NEGATIVE_CLASS,\nraw_text,some words,c,POSITIVE_CLASS,\n"
            f"url_md5,{MD5},c,,\nmd5,{MD5},,DISPUTED,\n",
            {("md5", MD5, (), "threatexchange; DISPUTED")},
            (1, 2),
        ),
        (  # python-threatexchange's url signals are raw links: they arrive canonical
            f"{HEADER}\nurl,HTTPS://Example.org/a?utm_source=x,c,POSITIVE_CLASS,\n",
            {("url", "https://example.org/a", (), "threatexchange collab c")},
            (0, 0),
        ),
        (  # columns in another order, and only the two that matter
            f"signal_str,signal_type\n{PDQ},pdq\n",
            {("pdq", PDQ, (), "threatexchange")},
            (0, 0),
        ),
        (f"{HEADER}\n", set(), (0, 0)),
        ("", set(), (0, 0)),
    ],
    ids=["cli-output", "labels-crlf-bom", "skipped", "urls", "two-columns", "header-only", "empty"],
)
def test_threatexchange_csv_imports(
    container: Container,
    text: str,
    expected: set[tuple[str, str, tuple[str, ...], str]],
    skipped: tuple[int, int],
) -> None:
    report = _import(container, text)
    assert (report.added, report.skipped_negative, report.skipped_unsupported) == (
        len(expected),
        *skipped,
    )
    assert _stored(container) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f"type,value\npdq,{PDQ}\n", "line 1: expected the header row"),
        (f"{HEADER}\npdq,{PDQ},c,,\npdq,nothex,c,,\n", "line 3: a pdq hash"),
        (f"{HEADER}\npdq,{PDQ},c,,\nhologram,{PDQ},c,,\n", "line 3: unknown signal type"),
        (f"{HEADER}\npdq,,c,,\n", "line 2: a row needs"),
        (f"{HEADER}\npdq,{PDQ},c,MAYBE,\n", "line 2: unknown category 'MAYBE'"),
        (f"{HEADER}\npdq,{PDQ},c,,category:bogus\n", "line 2: label 'category:bogus'"),
        (f"{HEADER}\npdq,{PDQ},c,,,extra\n", "line 2: 6 fields"),
        (f'{HEADER}\npdq,"{PDQ},c,,\n', "not valid CSV"),
        (f"{HEADER}\nmd5,{MD5},c,,nul\x00tag\n", "line 2: a note"),
    ],
)
def test_a_bad_csv_row_is_named_and_nothing_is_stored(
    container: Container, text: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words):
        _import(container, text)
    assert container.banks.get(name="dst").entry_count == 0


def _seed(container: Container) -> None:
    container.banks.create(name="src")
    container.banks.add_content(
        bank="src", data=encode(random_photo(4)), labels=["category:recruitment", "entity:demo"]
    )
    container.banks.add_content(
        bank="src", data=synthetic_video(2, 3.0), content_type=ContentType.VIDEO
    )


def test_our_csv_is_the_threatexchange_dataset_shape_and_keeps_labels(
    container: Container,
) -> None:
    _seed(container)
    lines = list(export_lines(container.banks, bank="src", fmt=CSV))
    assert lines[0] == HEADER
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    entries = container.banks.entries(bank="src")
    assert [(r["signal_type"], r["signal_str"]) for r in rows] == [
        (e.signal_type, e.value) for e in entries
    ]
    assert {r["collab"] for r in rows} == {"src"}
    assert {r["category"] for r in rows} == {"POSITIVE_CLASS"}
    container.banks.create(name="dst")
    import_lines(container.banks, bank="dst", lines=lines, fmt=CSV)
    assert {(e.signal_type, e.value, e.labels) for e in container.banks.entries(bank="dst")} == {
        (e.signal_type, e.value, e.labels) for e in entries
    }


class _Opinions(FetchedSignalMetadata):
    def __init__(self, *opinions: SignalOpinion) -> None:
        self.opinions = list(opinions)

    def get_as_opinions(self) -> list[SignalOpinion]:
        return self.opinions


def test_we_import_what_threatexchange_dataset_writes(container: Container) -> None:
    # Rows written by python-threatexchange's own `dataset --csv` code.
    positive = SignalOpinion(False, SignalOpinionCategory.POSITIVE_CLASS, {"entity:demo"})
    negative = SignalOpinion(False, SignalOpinionCategory.NEGATIVE_CLASS, set())
    rows: list[tuple[type[TeSignalType], str, FetchedSignalMetadata]] = [
        (TePdqSignal, PDQ, _Opinions(positive)),
        (VideoMD5Signal, MD5, _Opinions(negative)),
        (TePdqSignal, "5a" * 32, _Opinions(positive, negative)),
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, ["signal_type", "signal_str", "collab", "category", "tags"])
    writer.writeheader()
    for signal_type, value, metadata in rows:
        DatasetCommand(print_signals=True, csv=True)._print_csv(
            writer, "collab one", signal_type, value, metadata
        )
    report = _import(container, out.getvalue())
    assert (report.added, report.skipped_negative) == (2, 1)
    assert _stored(container) == {
        ("pdq", PDQ, ("entity:demo",), "threatexchange collab collab one"),
        ("pdq", "5a" * 32, ("entity:demo",), "threatexchange collab collab one; DISPUTED"),
    }


@pytest.fixture
def memory_container() -> Iterator[Container]:
    built = build(Settings(database_url="memory://"))
    yield built
    built.close()


def test_a_bank_travels_through_the_threatexchange_cli_and_back(
    memory_container: Container, tmp_path: Path
) -> None:
    """Our signal file, fetched by `threatexchange` as a local_file collaboration, comes
    back through `threatexchange dataset --csv` with the same signals."""
    container = memory_container
    container.banks.create(name="src")
    for seed in range(2):
        container.banks.add_content(bank="src", data=encode(random_photo(seed)))
    container.banks.add_signals(bank="src", signals=[Signal("video_md5", MD5)])
    signal_file = tmp_path / "signals.txt"
    signal_file.write_text(
        "\n".join(export_lines(container.banks, bank="src", fmt=ExchangeFormat.THREATEXCHANGE))
    )
    env = {**os.environ, "HOME": str(tmp_path)}

    def threatexchange(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "threatexchange", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    threatexchange(
        "config", "collab", "edit", "local_file", "--create", "--filename", str(signal_file), "ours"
    )
    threatexchange("fetch")
    dataset = threatexchange("dataset", "--print-signals", "--csv", "--only-collabs", "ours")
    report = _import(container, dataset)
    # threatexchange has no plain md5 or sha256 of photos: those lines it does not keep.
    expected = {
        (e.signal_type, e.value)
        for e in container.banks.entries(bank="src")
        if e.signal_type in ("pdq", "video_md5")
    }
    assert report.added == len(expected) == 3
    assert {(t, v) for t, v, _, _ in _stored(container)} == expected


HMA_TYPES = {"pdq": TePdqSignal, "video_md5": VideoMD5Signal, "vpdq": VPDQSignal}


def test_hma_bodies_hold_what_hma_validates(container: Container) -> None:
    _seed(container)
    left_out: Counter[str] = Counter()
    lines = list(
        export_lines(container.banks, bank="src", fmt=ExchangeFormat.HMA, left_out=left_out)
    )
    exported = set()
    notes = {}
    for line in lines:
        body = json.loads(line)
        note = body.pop("note")
        assert note.startswith("fireline src entry ") and len(note) <= 255
        ((signal_type, value),) = body.items()
        # HMA checks each signal with python-threatexchange's validate_signal_str.
        assert HMA_TYPES[signal_type].validate_signal_str(value) == value
        exported.add((signal_type, value))
        notes[signal_type] = note
    entries = container.banks.entries(bank="src")
    assert exported == {(e.signal_type, e.value) for e in entries if e.signal_type in HMA_TYPES}
    assert {t for t, _ in exported} == {"pdq", "video_md5", "vpdq"}
    left = Counter(e.signal_type for e in entries if e.signal_type not in HMA_TYPES)
    assert left_out == left and set(left) >= {"md5", "sha256"}
    assert notes["pdq"].endswith(" category:recruitment entity:demo")


def test_hma_notes_stop_at_255_characters(container: Container) -> None:
    container.banks.create(name="src")
    labels = [f"entity:{'x' * 90}-{n}" for n in range(5)]
    container.banks.add_signals(bank="src", signals=[Signal("pdq", PDQ)], labels=labels)
    (line,) = export_lines(container.banks, bank="src", fmt=ExchangeFormat.HMA)
    note = json.loads(line)["note"]
    assert len(note) <= 255 and note.count("entity:") == 2
