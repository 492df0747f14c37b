"""Foreign formats of bank imports and exports: python-threatexchange's dataset CSV and HMA.

- ``threatexchange_csv``: the CSV that ``threatexchange dataset --print-signals --csv``
  writes, a header row ``signal_type,signal_str,collab,category,tags`` then one signal per
  row; ``category`` is the name of python-threatexchange's aggregate opinion
  (``AggregateSignalOpinionCategory``) and ``tags`` its tags joined by spaces. Read and
  written here, so that a bank's labels travel as tags.
- ``hma``: export only. One JSON object per line, the body that Hasher-Matcher-Actioner's
  curation API takes at ``POST /c/bank/<bank>/signal``: ``{"<signal type>": "<value>",
  "note": "..."}``. Entries of types HMA has no signal type for are left out and counted.

Readers yield ``Record``s: an entry to bank, or the reason a record is left out. They
name the bad record in every error; the caller validates and stores.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from fireline.domain import Entry, InvalidInput, NewEntry, parse_label
from fireline.domain.taxonomy import DIMENSIONS
from fireline.services.banking import MAX_NOTE
from fireline.signals import SignalRegistry


class Skip(StrEnum):
    """Why an import leaves a record out (each is counted in the import report)."""

    RETRACTED = "retracted"  # retracted (deleted) at its source
    UNSUPPORTED = "unsupported"  # a hash type that exists elsewhere but not in fireline
    NEGATIVE = "negative"  # an opinion that the signal is a false positive


@dataclass(frozen=True, slots=True)
class Record:
    """One record of an import file: an entry to bank, or why it is left out."""

    where: str  # "line 4", "record 12": how an error names it
    entry: NewEntry | None = None
    skipped: Skip | None = None


def at(where: str, exc: InvalidInput) -> InvalidInput:
    """The same refusal, its message prefixed with the record's position."""
    if exc.message.startswith(f"{where}:"):
        return exc
    return InvalidInput(f"{where}: {exc.message}", code=exc.code)


def fit_note(parts: Iterable[str], *, limit: int = MAX_NOTE) -> str:
    """Join note parts with "; ", cut to ``limit`` characters (provenance, not evidence)."""
    text = "; ".join(p for p in parts if p)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Signal types that python-threatexchange (and its bundled extensions) name and fireline
# does not hold: rows of these are skipped and counted, not refused, because a dataset
# dump of a whole collaboration routinely holds them. Any other unknown name is refused.
THREATEXCHANGE_ONLY_TYPES = frozenset(
    {"raw_text", "trend_query", "url_md5", "pdq_ocr", "video_sha256"}
)
CSV_COLUMNS = ("signal_type", "signal_str", "collab", "category", "tags")
# Aggregate opinions: all but NEGATIVE_CLASS ("generates false positives, or test data").
_IMPORTED_CATEGORIES = frozenset({"", "POSITIVE_CLASS", "INVESTIGATION_SEED", "DISPUTED"})
_NEGATIVE = "NEGATIVE_CLASS"
# A vpdq signal of a long video is one large field; the whole text is in memory already,
# so the csv module's 128 KiB default guards nothing here.
_CSV_FIELD_LIMIT = 2**31 - 1


def read_threatexchange_csv(text: str, *, registry: SignalRegistry) -> Iterator[Record]:
    """Records of a ``threatexchange dataset --csv`` file; InvalidInput names the line."""
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    try:
        for row in reader:
            where = f"line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                if not {"signal_type", "signal_str"} <= set(header):
                    raise InvalidInput(
                        f"{where}: expected the header row of `threatexchange dataset --csv`: "
                        f"{','.join(CSV_COLUMNS)}",
                        code="malformed_document",
                    )
                continue
            if len(row) > len(header):
                raise InvalidInput(
                    f"{where}: {len(row)} fields, but the header names {len(header)}",
                    code="malformed_record",
                )
            yield _csv_record(where, dict(zip(header, row, strict=False)), registry)
    except csv.Error as exc:
        raise InvalidInput(
            f"line {reader.line_num}: not valid CSV ({exc})", code="malformed_document"
        ) from None


def _csv_record(where: str, row: dict[str, str], registry: SignalRegistry) -> Record:
    signal_type = row.get("signal_type", "").strip()
    value = row.get("signal_str", "").strip()
    if not signal_type or not value:
        raise InvalidInput(
            f"{where}: a row needs a signal_type and a signal_str", code="malformed_record"
        )
    category = row.get("category", "").strip().upper()
    if category == _NEGATIVE:
        return Record(where, skipped=Skip.NEGATIVE)
    if category not in _IMPORTED_CATEGORIES:
        known = ", ".join(sorted(c for c in _IMPORTED_CATEGORIES if c) + [_NEGATIVE])
        raise InvalidInput(
            f"{where}: unknown category {category!r}; known: {known}", code="malformed_record"
        )
    if signal_type not in registry and signal_type in THREATEXCHANGE_ONLY_TYPES:
        return Record(where, skipped=Skip.UNSUPPORTED)
    labels: list[str] = []
    other_tags: list[str] = []
    for tag in row.get("tags", "").split():
        # A tag written like a fireline label is one (so that labels round-trip);
        # a malformed one is refused rather than quietly demoted to the note.
        if tag.partition(":")[0].lower() in DIMENSIONS:
            try:
                labels.append(parse_label(tag))
            except InvalidInput as exc:
                raise at(where, exc) from None
        else:
            other_tags.append(tag)
    collab = row.get("collab", "").strip()
    note = fit_note(
        [
            f"threatexchange collab {collab}" if collab else "threatexchange",
            category if category not in ("", "POSITIVE_CLASS") else "",
            f"tags {' '.join(other_tags)}" if other_tags else "",
        ]
    )
    return Record(
        where, NewEntry(signal_type=signal_type, value=value, labels=tuple(labels), note=note)
    )


def _csv_line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().removesuffix("\n")


def threatexchange_csv_lines(entries: Iterable[Entry], *, bank: str) -> Iterator[str]:
    """The header, then one row per entry: a confirmed positive, its labels as tags."""
    yield _csv_line(CSV_COLUMNS)
    for entry in entries:
        yield _csv_line(
            (entry.signal_type, entry.value, bank, "POSITIVE_CLASS", " ".join(entry.labels))
        )


# The signal types of HMA (open-media-match) with python-threatexchange's names: pdq and
# video_md5 are in its default configuration, vpdq is python-threatexchange's extension.
HMA_SIGNAL_TYPES = frozenset({"pdq", "video_md5", "vpdq"})
HMA_NOTE_LIMIT = 255  # HMA refuses a longer note


def _hma_note(entry: Entry, *, bank: str) -> str:
    note = f"fireline {bank} entry {entry.id}"
    for label in entry.labels:
        if len(note) + 1 + len(label) > HMA_NOTE_LIMIT:
            break
        note = f"{note} {label}"
    return note


def hma_lines(
    entries: Iterable[Entry], *, bank: str, left_out: Counter[str] | None = None
) -> Iterator[str]:
    """One HMA ``POST /c/bank/<bank>/signal`` body per entry HMA can hold.

    Entries of other types (md5, sha256, audio_fp) are counted in ``left_out``.
    """
    for entry in entries:
        if entry.signal_type not in HMA_SIGNAL_TYPES:
            if left_out is not None:
                left_out[entry.signal_type] += 1
            continue
        body = {entry.signal_type: entry.value, "note": _hma_note(entry, bank=bank)}
        yield json.dumps(body, ensure_ascii=False)
