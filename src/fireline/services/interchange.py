"""Import and export of banks: native JSONL, python-threatexchange's files, TAT, HMA.

Native JSONL: one entry per line, an object with ``signal_type``, ``value`` and optional
``quality``, ``labels``, ``note``, ``item`` (plus provenance on export). The
python-threatexchange file (read by its LocalFileSignalExchangeAPI) is one
``<signal type> <value>`` per line. The other formats live in ``interchange_formats``
(python-threatexchange's dataset CSV, HMA) and ``interchange_tat`` (Tech Against
Terrorism's hash list) and ``interchange_urls`` (URL lists). Imports validate every record
before storing any, and store them in one transaction.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from fireline.domain import Entry, InvalidInput, NewEntry, parse_labels
from fireline.services.banking import BankService
from fireline.services.interchange_formats import (
    Record,
    Skip,
    at,
    hma_lines,
    read_threatexchange_csv,
    threatexchange_csv_lines,
)
from fireline.services.interchange_tat import read_tat_hash_list
from fireline.services.interchange_urls import read_url_list, url_list_lines
from fireline.services.signals_in import parse_signal_line
from fireline.services.views import entry_view
from fireline.signals import SignalRegistry

NATIVE_FORMAT = "fireline.entry/1"
PAGE = 1000


class ExchangeFormat(StrEnum):
    JSONL = "jsonl"
    THREATEXCHANGE = "threatexchange"
    THREATEXCHANGE_CSV = "threatexchange_csv"
    TAT = "tat"  # import only
    HMA = "hma"  # export only
    URLS = "urls"  # one URL or rule per line

    @property
    def media_type(self) -> str:
        """The Content-Type of an export in this format."""
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    ExchangeFormat.JSONL: "application/x-ndjson",
    ExchangeFormat.THREATEXCHANGE: "text/plain",
    ExchangeFormat.THREATEXCHANGE_CSV: "text/csv",
    ExchangeFormat.TAT: "application/json",
    ExchangeFormat.HMA: "application/x-ndjson",
    ExchangeFormat.URLS: "text/plain",
}
_DOCUMENT_READERS: dict[ExchangeFormat, Callable[..., Iterator[Record]]] = {
    ExchangeFormat.THREATEXCHANGE_CSV: read_threatexchange_csv,
    ExchangeFormat.TAT: read_tat_hash_list,
}


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    existing: int
    skipped_retracted: int
    #: Records of hash types fireline has no signal type for (TAT's SHA512, ...).
    skipped_unsupported: int = 0
    #: Records a source marks as false positives (python-threatexchange NEGATIVE_CLASS).
    skipped_negative: int = 0


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
    banks: BankService,
    *,
    bank: str,
    fmt: ExchangeFormat,
    include_retracted: bool = False,
    left_out: Counter[str] | None = None,
) -> Iterator[str]:
    """Lines (without newline) of the bank in the chosen format.

    For ``hma`` and ``urls``, entries of types the format cannot hold are left out and
    counted in ``left_out``.
    """
    if fmt is ExchangeFormat.TAT:
        raise InvalidInput(
            "the tat format is import-only: fireline reads Tech Against Terrorism hash lists "
            "but does not write them; export as jsonl, threatexchange, threatexchange_csv, "
            "hma or urls",
            code="import_only_format",
        )
    banks.get(name=bank)
    if include_retracted and fmt is not ExchangeFormat.JSONL:
        raise InvalidInput(
            "only the jsonl format can carry retracted entries", code="retracted_needs_jsonl"
        )
    entries = iter_bank(banks, bank=bank, include_retracted=include_retracted)
    if fmt is ExchangeFormat.THREATEXCHANGE_CSV:
        yield from threatexchange_csv_lines(entries, bank=bank)
        return
    if fmt is ExchangeFormat.HMA:
        yield from hma_lines(entries, bank=bank, left_out=left_out)
        return
    if fmt is ExchangeFormat.URLS:
        yield from url_list_lines(entries, left_out=left_out)
        return
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


def _line_records(
    lines: Iterable[str],
    *,
    fmt: ExchangeFormat,
    registry: SignalRegistry,
    default_signal_type: str | None,
) -> Iterator[Record]:
    """Records of a line format (jsonl, threatexchange, urls): blank and ``#`` lines skipped."""
    if fmt is ExchangeFormat.URLS:
        yield from read_url_list(lines)
        return
    for line_no, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        where = f"line {line_no}"
        if fmt is ExchangeFormat.JSONL:
            parsed = _native_entry(line_no, text)
            yield Record(where, skipped=Skip.RETRACTED) if parsed is None else Record(where, parsed)
            continue
        try:
            signal = parse_signal_line(registry, text, default_type=default_signal_type)
        except InvalidInput as exc:
            raise at(where, exc) from None
        yield Record(where, NewEntry(signal_type=signal.signal_type, value=signal.value))


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
    """Validate every record, then store all of them at once; InvalidInput names the bad one.

    ``lines`` as ``split_lines`` gives them; a document format (tat, threatexchange_csv)
    reads them joined again.
    """
    if fmt is ExchangeFormat.HMA:
        raise InvalidInput(
            "the hma format is export-only (bodies for HMA's API); to import what HMA "
            "holds, use a threatexchange or threatexchange_csv file",
            code="export_only_format",
        )
    banks.get(name=bank)
    labels = parse_labels(labels)
    if default_signal_type is not None:
        banks.registry.get(default_signal_type)
    reader = _DOCUMENT_READERS.get(fmt)
    records = (
        reader("\n".join(lines), registry=banks.registry)
        if reader is not None
        else _line_records(
            lines, fmt=fmt, registry=banks.registry, default_signal_type=default_signal_type
        )
    )
    entries: list[NewEntry] = []
    skipped: Counter[Skip] = Counter()
    for record in records:
        if record.entry is None:
            skipped[record.skipped or Skip.UNSUPPORTED] += 1
            continue
        entry = replace(record.entry, labels=tuple(record.entry.labels) + labels)
        try:
            banks.checked_entry(entry)
        except InvalidInput as exc:
            raise at(record.where, exc) from None
        entries.append(entry)
    result = None
    if entries:
        try:
            result = banks.add_entries(bank=bank, entries=entries, contributor=contributor)
        except InvalidInput as exc:
            raise InvalidInput(f"import refused, nothing stored: {exc}", code=exc.code) from None
    return ImportReport(
        added=len(result.added) if result else 0,
        existing=len(result.existing) if result else 0,
        skipped_retracted=skipped[Skip.RETRACTED],
        skipped_unsupported=skipped[Skip.UNSUPPORTED],
        skipped_negative=skipped[Skip.NEGATIVE],
    )
