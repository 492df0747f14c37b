"""Import and export: native JSONL, python-threatexchange's files, one-way formats refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from threatexchange.exchanges.impl.file_api import (
    FileCollaborationConfig,
    LocalFileSignalExchangeAPI,
)
from threatexchange.extensions.vpdq.vpdq import VPDQSignal
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal as TePdqSignal

from fireline.bootstrap import Container
from fireline.domain import InvalidInput, Signal
from fireline.services import ExchangeFormat
from fireline.services.interchange import export_lines, import_lines, split_lines
from fireline.signals import ContentType
from fireline.testing.media import encode, random_photo, synthetic_video


def _seed(container: Container, bank: str = "src") -> None:
    container.banks.create(name=bank)
    for seed in range(3):
        container.banks.add_content(
            bank=bank, data=encode(random_photo(seed)), labels=["category:recruitment"]
        )


def test_threatexchange_reads_our_export(container: Container, tmp_path: Path) -> None:
    _seed(container)
    path = tmp_path / "signals.txt"
    path.write_text(
        "\n".join(export_lines(container.banks, bank="src", fmt=ExchangeFormat.THREATEXCHANGE))
        + "\n"
    )
    api = LocalFileSignalExchangeAPI(
        FileCollaborationConfig(name="ours", api="local_file", enabled=True, filename=str(path))
    )
    (delta,) = list(api.fetch_iter([TePdqSignal, VideoMD5Signal], None))
    theirs = set(delta.updates)
    ours = {(e.signal_type, e.value) for e in container.banks.entries(bank="src")}
    assert theirs == ours
    pdqs = [value for kind, value in theirs if kind == "pdq"]
    assert len(pdqs) == 3 and all(TePdqSignal.validate_signal_str(v) == v for v in pdqs)


ROUNDTRIP_FORMATS = [
    ExchangeFormat.JSONL,
    ExchangeFormat.THREATEXCHANGE,
    ExchangeFormat.THREATEXCHANGE_CSV,
]


@pytest.mark.parametrize("fmt", ROUNDTRIP_FORMATS)
def test_export_import_roundtrip(container: Container, fmt: ExchangeFormat) -> None:
    _seed(container)
    container.banks.create(name="dst")
    lines = list(export_lines(container.banks, bank="src", fmt=fmt))
    report = import_lines(container.banks, bank="dst", lines=lines, fmt=fmt)
    assert (report.added, report.existing) == (9, 0)

    def signals(bank: str) -> set[tuple[str, str]]:
        return {(e.signal_type, e.value) for e in container.banks.entries(bank=bank)}

    assert signals("dst") == signals("src")
    again = import_lines(container.banks, bank="dst", lines=lines, fmt=fmt)
    assert (again.added, again.existing) == (0, 9)


def test_jsonl_keeps_labels_notes_and_items(container: Container) -> None:
    _seed(container)
    container.banks.create(name="dst")
    lines = list(export_lines(container.banks, bank="src", fmt=ExchangeFormat.JSONL))
    first = json.loads(lines[0])
    assert first["format"] == "fireline.entry/1" and first["labels"] == ["category:recruitment"]
    import_lines(container.banks, bank="dst", lines=lines, fmt=ExchangeFormat.JSONL)
    copied = container.banks.entries(bank="dst")
    assert {e.labels for e in copied} == {("category:recruitment",)}
    assert len({e.item for e in copied}) == 3


def test_retracted_entries_are_exported_on_request_and_not_reimported(
    container: Container,
) -> None:
    container.banks.create(name="src")
    container.banks.create(name="dst")
    added = container.banks.add_signals(
        bank="src", signals=[Signal("md5", "1" * 32), Signal("md5", "2" * 32)]
    ).added
    container.banks.retract(entry_id=added[0].id)
    lines = list(
        export_lines(container.banks, bank="src", fmt=ExchangeFormat.JSONL, include_retracted=True)
    )
    assert len(lines) == 2
    report = import_lines(container.banks, bank="dst", lines=lines, fmt=ExchangeFormat.JSONL)
    assert (report.added, report.skipped_retracted) == (1, 1)


@pytest.mark.parametrize(
    ("fmt", "text", "line"),
    [
        (ExchangeFormat.THREATEXCHANGE, "pdq " + "f" * 64 + "\npdq nothex", 2),
        (ExchangeFormat.THREATEXCHANGE, "md5 " + "0" * 32 + "\nunknown abc", 2),
        (ExchangeFormat.THREATEXCHANGE, "one two three", 1),
        (ExchangeFormat.JSONL, '{"signal_type": "md5", "value": "' + "0" * 32 + '"}\n{oops', 2),
        (ExchangeFormat.JSONL, '{"signal_type": "md5"}', 1),
        (ExchangeFormat.JSONL, "[1, 2]", 1),
        (
            ExchangeFormat.JSONL,
            '{"signal_type": "md5", "value": "' + "0" * 32 + '", "labels": ["category:bogus"]}',
            1,
        ),
        (
            ExchangeFormat.JSONL,
            '{"signal_type": "md5", "value": "' + "0" * 32 + '", "quality": "high"}',
            1,
        ),
        (ExchangeFormat.JSONL, "[" * 100_000 + "]" * 100_000, 1),
        (ExchangeFormat.JSONL, '{"a": ' * 100_000 + "1" + "}" * 100_000, 1),
        (
            ExchangeFormat.JSONL,
            '{"signal_type": "md5", "value": "' + "0" * 32 + '", "quality": ' + "9" * 5000 + "}",
            1,
        ),
        (
            ExchangeFormat.JSONL,
            '{"signal_type": "md5", "value": "' + "0" * 32 + '", "quality": ' + str(2**70) + "}",
            1,
        ),
        (
            ExchangeFormat.JSONL,
            '{"signal_type": "md5", "value": "' + "0" * 32 + '", "note": "nul \\u0000"}',
            1,
        ),
        (
            ExchangeFormat.JSONL,
            '{"signal_type": "md5", "value": "' + "0" * 32 + '", "item": "\\ud800"}',
            1,
        ),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_stored(
    container: Container, fmt: ExchangeFormat, text: str, line: int
) -> None:
    container.banks.create(name="dst")
    with pytest.raises(InvalidInput, match=f"line {line}"):
        import_lines(container.banks, bank="dst", lines=split_lines(text), fmt=fmt)
    assert container.banks.get(name="dst").entry_count == 0


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"labels": ("category:bogus",)}, "unknown_label"),
        ({"default_signal_type": "photodna"}, "unknown_signal_type"),
    ],
)
@pytest.mark.parametrize("lines", [[], ["md5 " + "0" * 32]], ids=["empty", "one line"])
def test_bad_options_are_refused_even_for_an_empty_file(
    container: Container, options: dict[str, Any], code: str, lines: list[str]
) -> None:
    container.banks.create(name="dst")
    with pytest.raises(InvalidInput) as raised:
        import_lines(
            container.banks, bank="dst", lines=lines, fmt=ExchangeFormat.THREATEXCHANGE, **options
        )
    assert raised.value.code == code
    assert container.banks.get(name="dst").entry_count == 0


MD5S = ["a" * 32, "b" * 32, "c" * 32]


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        # Windows line ends, a byte-order mark, blank lines and a duplicate line.
        (ExchangeFormat.THREATEXCHANGE, "\ufeffmd5 {}\r\n\r\nmd5 {}\r\nmd5 {}\r\nmd5 {}\r\n"),
        (ExchangeFormat.THREATEXCHANGE, "\ufeff\nmd5 {}\n\n\nmd5 {}\nmd5 {}\nmd5 {}"),
        (
            ExchangeFormat.JSONL,
            '\ufeff{{"signal_type": "md5", "value": "{}", "note": "line\u2028separator"}}\r\n'
            '{{"signal_type": "md5", "value": "{}", "note": "next\x85line"}}\r\n\r\n'
            '{{"signal_type": "md5", "value": "{}"}}\n{{"signal_type": "md5", "value": "{}"}}\n',
        ),
    ],
    ids=["crlf-bom", "lf-bom-blank-lines", "jsonl-unicode-line-breaks"],
)
def test_files_from_other_tools_import_whole(
    container: Container, fmt: ExchangeFormat, text: str
) -> None:
    container.banks.create(name="dst")
    lines = split_lines(text.format(*MD5S, MD5S[-1]))
    report = import_lines(container.banks, bank="dst", lines=lines, fmt=fmt)
    assert (report.added, report.existing) == (3, 1)
    assert [e.value for e in container.banks.entries(bank="dst")] == MD5S


def test_bare_values_take_the_default_signal_type(container: Container) -> None:
    container.banks.create(name="dst")
    report = import_lines(
        container.banks,
        bank="dst",
        lines=["# a comment", "", "f" * 64],
        fmt=ExchangeFormat.THREATEXCHANGE,
        default_signal_type="pdq",
        labels=("basis:designation_list",),
    )
    assert report.added == 1
    (entry,) = container.banks.entries(bank="dst")
    assert entry.labels == ("basis:designation_list",)


def test_videos_travel_in_the_threatexchange_format(container: Container, tmp_path: Path) -> None:
    # A vpdq value is a JSON list with spaces in it: the type ends at the first space.
    container.banks.create(name="src")
    container.banks.add_content(
        bank="src", data=synthetic_video(1, 3.0), content_type=ContentType.VIDEO
    )
    lines = list(export_lines(container.banks, bank="src", fmt=ExchangeFormat.THREATEXCHANGE))
    assert sorted(line.split(" ", 1)[0] for line in lines) == ["video_md5", "vorb", "vpdq"]
    container.banks.create(name="dst")
    report = import_lines(
        container.banks, bank="dst", lines=lines, fmt=ExchangeFormat.THREATEXCHANGE
    )
    assert report.added == 3
    path = tmp_path / "signals.txt"
    path.write_text("\n".join(lines) + "\n")
    api = LocalFileSignalExchangeAPI(
        FileCollaborationConfig(name="ours", api="local_file", enabled=True, filename=str(path))
    )
    (delta,) = list(api.fetch_iter([VPDQSignal, VideoMD5Signal], None))
    # python-threatexchange's file reader carries fireline's vorb lines through as they are.
    ours = {(e.signal_type, e.value) for e in container.banks.entries(bank="src")}
    assert set(delta.updates) == ours
    (vpdq,) = [value for kind, value in ours if kind == "vpdq"]
    assert VPDQSignal.validate_signal_str(vpdq) == vpdq


@pytest.mark.parametrize(
    ("direction", "fmt", "code"),
    [
        ("import", ExchangeFormat.HMA, "export_only_format"),
        ("export", ExchangeFormat.TAT, "import_only_format"),
    ],
)
def test_one_way_formats_are_refused_the_other_way(
    container: Container, direction: str, fmt: ExchangeFormat, code: str
) -> None:
    _seed(container)
    before = container.banks.get(name="src").entry_count
    with pytest.raises(InvalidInput) as raised:
        if direction == "import":
            import_lines(container.banks, bank="src", lines=["{}"], fmt=fmt)
        else:
            list(export_lines(container.banks, bank="src", fmt=fmt))
    assert raised.value.code == code
    assert container.banks.get(name="src").entry_count == before
