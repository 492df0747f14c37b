"""Import and export of banks: native JSONL, and python-threatexchange's signal file.

Native JSONL: one entry per line, an object with ``signal_type``, ``value`` and optional
``quality``, ``labels``, ``note``, ``item`` (plus provenance on export). The
python-threatexchange file (read by its LocalFileSignalExchangeAPI) is one
``<signal type> <value>`` per line. Imports validate every line before storing any, and
store them in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fireline.domain import Entry, InvalidInput, NewEntry, parse_labels
from fireline.services.banking import BankService
from fireline.services.signals_in import parse_signal_line
from fireline.services.views import entry_view

NATIVE_FORMAT = "fireline.entry/1"
PAGE = 1000


class ExchangeFormat(StrEnum):
    JSONL = "jsonl"
    THREATEXCHANGE = "threatexchange"


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    existing: int
    skipped_retracted: int


def entry_to_json(entry: Entry) -> dict[str, Any]:
    """The native, self-describing form of an entry: its view, tagged with the format."""
    return {"format": NATIVE_FORMAT, **entry_view(entry)}


def iter_bank(banks: BankService, *, bank: str, include_retracted: bool = False) -> Iterator[Entry]:
    """Every entry of a bank in id order, fetched a page at a time."""
    after = 0
    while True:
        page = banks.entries(
            bank=bank, include_retracted=include_retracted, after_id=after, limit=PAGE
        )
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].id


def export_lines(
    banks: BankService, *, bank: str, fmt: ExchangeFormat, include_retracted: bool = False
) -> Iterator[str]:
    """Lines (without newline) of the bank in the chosen format."""
    banks.get(name=bank)
    if include_retracted and fmt is not ExchangeFormat.JSONL:
        raise InvalidInput(
            "only the jsonl format can carry retracted entries", code="retracted_needs_jsonl"
        )
    entries = iter_bank(banks, bank=bank, include_retracted=include_retracted)
    for entry in entries:
        if fmt is ExchangeFormat.JSONL:
            yield json.dumps(entry_to_json(entry), sort_keys=True)
        else:
            yield f"{entry.signal_type} {entry.value}"


def split_lines(text: str) -> list[str]:
    """The lines of an import file, without a leading byte-order mark.

    Split at line feeds only ("\r\n" too, the "\r" is stripped with the other blanks):
    ``str.splitlines`` also breaks at U+2028, U+0085 and more, which a JSON string may hold.
    """
    return text.removeprefix("\ufeff").split("\n")


def _native_entry(line_no: int, raw: str) -> NewEntry | None:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"line {line_no}: not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError):
        raise InvalidInput(
            f"line {line_no}: not valid JSON (a number too long, or nested too deep)"
        ) from None
    if not isinstance(obj, dict):
        raise InvalidInput(f"line {line_no}: expected a JSON object")
    if obj.get("retracted_at"):
        return None
    for name in ("signal_type", "value"):
        if not isinstance(obj.get(name), str):
            raise InvalidInput(f"line {line_no}: missing or non-string field {name!r}")
    quality = obj.get("quality")
    labels = obj.get("labels", [])
    note = obj.get("note", "")
    item = obj.get("item")
    if quality is not None and (not isinstance(quality, int) or isinstance(quality, bool)):
        raise InvalidInput(f"line {line_no}: quality must be an integer")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise InvalidInput(f"line {line_no}: labels must be a list of strings")
    if not isinstance(note, str) or (item is not None and not isinstance(item, str)):
        raise InvalidInput(f"line {line_no}: note and item must be strings")
    return NewEntry(
        signal_type=obj["signal_type"],
        value=obj["value"],
        quality=quality,
        labels=tuple(labels),
        note=note,
        item=item,
    )


def import_lines(
    banks: BankService,
    *,
    bank: str,
    lines: Iterable[str],
    fmt: ExchangeFormat,
    labels: tuple[str, ...] = (),
    default_signal_type: str | None = None,
    contributor: str = "import",
) -> ImportReport:
    """Validate every line, then store all of them at once; InvalidInput names the bad line."""
    banks.get(name=bank)
    labels = parse_labels(labels)
    if default_signal_type is not None:
        banks.registry.get(default_signal_type)
    entries: list[NewEntry] = []
    skipped = 0
    for line_no, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        try:
            if fmt is ExchangeFormat.JSONL:
                parsed = _native_entry(line_no, text)
                if parsed is None:
                    skipped += 1
                    continue
                entry = NewEntry(
                    signal_type=parsed.signal_type,
                    value=parsed.value,
                    quality=parsed.quality,
                    labels=tuple(parsed.labels) + labels,
                    note=parsed.note,
                    item=parsed.item,
                )
            else:
                signal = parse_signal_line(banks.registry, text, default_type=default_signal_type)
                entry = NewEntry(signal_type=signal.signal_type, value=signal.value, labels=labels)
            banks.checked_entry(entry)
        except InvalidInput as exc:
            message = exc.message if exc.message.startswith("line ") else f"line {line_no}: {exc}"
            raise InvalidInput(message, code=exc.code) from None
        entries.append(entry)
    if not entries:
        return ImportReport(added=0, existing=0, skipped_retracted=skipped)
    try:
        result = banks.add_entries(bank=bank, entries=entries, contributor=contributor)
    except InvalidInput as exc:
        raise InvalidInput(f"import refused, nothing stored: {exc}", code=exc.code) from None
    return ImportReport(
        added=len(result.added), existing=len(result.existing), skipped_retracted=skipped
    )
