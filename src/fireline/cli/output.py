"""Rendering domain records: JSON for machines, rich tables for people.

The JSON shapes are the CLI's machine interface (``--json``); keep them stable. Entries
use the native export form from ``services.interchange`` so that a line printed here can
be fed back to ``fireline bank import``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fireline.domain import ApiKey, Bank, Entry, FirelineError, Match, MatchResult, Refusal, Signal
from fireline.services.interchange import entry_to_json as _native_entry_json

JsonObject = dict[str, Any]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def signal_to_json(signal: Signal) -> JsonObject:
    return {"signal_type": signal.signal_type, "value": signal.value, "quality": signal.quality}


def refusal_to_json(refusal: Refusal) -> JsonObject:
    return {"signal": signal_to_json(refusal.signal), "reason": refusal.reason}


def entry_to_json(entry: Entry) -> JsonObject:
    """The native export form of an entry, plus why it was retracted."""
    return {**_native_entry_json(entry), "retraction_reason": entry.retraction_reason}


def bank_to_json(bank: Bank) -> JsonObject:
    return {
        "id": bank.id,
        "name": bank.name,
        "description": bank.description,
        "owner": bank.owner,
        "sharing": bank.sharing.value,
        "pdq_threshold": bank.pdq_threshold,
        "version": bank.version,
        "created_at": _time(bank.created_at),
        "entry_count": bank.entry_count,
    }


def match_to_json(match: Match) -> JsonObject:
    entry = match.entry
    return {
        "query": signal_to_json(match.query),
        "transform": match.transform,
        "distance": match.distance,
        "threshold": match.threshold,
        "entry": {
            "id": entry.id,
            "bank": entry.bank_name,
            "signal_type": entry.signal_type,
            "value": entry.value,
            "labels": list(entry.labels),
            "item": entry.item,
            "contributor": entry.contributor,
        },
    }


def match_result_to_json(result: MatchResult) -> JsonObject:
    return {
        "matched": result.matched,
        "signals": [signal_to_json(s) for s in result.signals],
        "matches": [match_to_json(m) for m in result.matches],
        "refused": [refusal_to_json(r) for r in result.refused],
    }


def api_key_to_json(key: ApiKey) -> JsonObject:
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role.value,
        "prefix": key.prefix,
        "created_at": _time(key.created_at),
        "revoked_at": _time(key.revoked_at),
    }


def error_to_json(error: FirelineError) -> JsonObject:
    return {"code": error.code, "message": error.message}


def emit_json(obj: Mapping[str, Any]) -> None:
    """Write one compact JSON object as one line on stdout."""
    typer.echo(json.dumps(obj, sort_keys=True, ensure_ascii=False))


def emit_error(message: str) -> None:
    """Write ``error: message`` on stderr, as plain text (never rich markup)."""
    typer.echo(f"error: {message}", err=True)


def _table(*columns: str, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    for name in columns:
        # Fold rather than cut: a table is read back by people who copy values out of it.
        table.add_column(name, overflow="fold")
    return table


def _cell(value: object) -> Text:
    # Text, not str: a value such as "[red]" must never be read as rich markup.
    return Text("" if value is None else str(value))


def _short_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def bank_table(banks: Iterable[Bank]) -> Table:
    table = _table("name", "entries", "sharing", "pdq threshold", "created", "description")
    for bank in banks:
        table.add_row(
            *map(
                _cell,
                (
                    bank.name,
                    bank.entry_count,
                    bank.sharing.value,
                    "default" if bank.pdq_threshold is None else bank.pdq_threshold,
                    _short_time(bank.created_at),
                    bank.description,
                ),
            )
        )
    return table


def bank_details(bank: Bank) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in bank_to_json(bank).items():
        table.add_row(_cell(name), _cell("default" if value is None else value))
    return table


def entry_table(entries: Iterable[Entry], *, title: str | None = None) -> Table:
    rows = list(entries)
    retracted = any(not e.active for e in rows)
    columns = ["id", "signal", "value", "quality", "labels"] + (["retracted"] if retracted else [])
    table = _table(*columns, title=title)
    for entry in rows:
        cells: list[object] = [
            entry.id,
            entry.signal_type,
            entry.value,
            entry.quality,
            ", ".join(entry.labels),
        ]
        if retracted:
            cells.append(_short_time(entry.retracted_at))
        table.add_row(*map(_cell, cells))
    return table


def match_table(rows: Iterable[tuple[str, Match]]) -> Table:
    """One row per (file or query, match)."""
    table = _table("file", "bank", "entry", "signal", "distance", "labels", title="Matches")
    for source, match in rows:
        transform = "" if match.transform == "original" else f" ({match.transform})"
        table.add_row(
            *map(
                _cell,
                (
                    source,
                    match.entry.bank_name,
                    match.entry.id,
                    f"{match.entry.signal_type}{transform}",
                    f"{match.distance}/{match.threshold}",
                    ", ".join(match.entry.labels),
                ),
            )
        )
    return table


def key_table(keys: Iterable[ApiKey]) -> Table:
    table = _table("id", "name", "role", "prefix", "created", "revoked")
    for key in keys:
        table.add_row(
            *map(
                _cell,
                (
                    key.id,
                    key.name,
                    key.role.value,
                    key.prefix,
                    _short_time(key.created_at),
                    _short_time(key.revoked_at),
                ),
            )
        )
    return table


def emit_file_error(
    source: str, error: FirelineError, *, as_json: bool, live: Console | None = None
) -> None:
    """Report a file that could not be read or hashed: on stderr, and as a JSON line.

    ``live`` is the stderr console of a progress bar on screen: printing through it keeps
    the message above the bar instead of on the bar's line.
    """
    message = f"{source}: {error.message}"
    if live is None:
        emit_error(message)
    else:
        live.print(Text(f"error: {message}"), soft_wrap=True)
    if as_json:
        emit_json({"file": source, "error": error_to_json(error)})
