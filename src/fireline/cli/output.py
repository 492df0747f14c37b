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

from fireline.domain import (
    ApiKey,
    AuditRecord,
    Bank,
    Entry,
    FirelineError,
    Match,
    Organisation,
    Segment,
)
from fireline.services import views

JsonObject = dict[str, Any]

# One JSON form per record, shared with the HTTP API (see fireline.services.views).
signal_to_json = views.signal_view
refusal_to_json = views.refusal_view
entry_to_json = views.entry_view
bank_to_json = views.bank_view
match_result_to_json = views.match_result_view
api_key_to_json = views.key_view
org_to_json = views.org_view
audit_record_to_json = views.audit_record_view
verification_to_json = views.verification_view


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
    table = _table(
        "file", "bank", "entry", "signal", "distance", "where", "labels", title="Matches"
    )
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
                    "\n".join(_where(s) for s in match.segments),
                    ", ".join(match.entry.labels),
                ),
            )
        )
    return table


def _where(segment: Segment) -> str:
    """``0:01:40-0:02:00 = banked 0:03:20-0:03:40 at 1.00x, 95%``, or characters of text."""
    if segment.unit == "characters":
        return (
            f"chars {segment.query_start:.0f}-{segment.query_end:.0f} = banked chars "
            f"{segment.reference_start:.0f}-{segment.reference_end:.0f}, {segment.score}%"
        )
    speed = "" if abs(segment.speed - 1) < 0.05 else f" at {segment.speed:.2f}x"
    return (
        f"{_clock(segment.query_start)}-{_clock(segment.query_end)} = banked "
        f"{_clock(segment.reference_start)}-{_clock(segment.reference_end)}{speed}, "
        f"{segment.score}%"
    )


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def key_table(keys: Iterable[ApiKey]) -> Table:
    table = _table("id", "name", "role", "org", "prefix", "created", "revoked")
    for key in keys:
        table.add_row(
            *map(
                _cell,
                (
                    key.id,
                    key.name,
                    key.role.value,
                    key.org,
                    key.prefix,
                    _short_time(key.created_at),
                    _short_time(key.revoked_at),
                ),
            )
        )
    return table


def org_table(orgs: Iterable[Organisation]) -> Table:
    table = _table("id", "name", "created", "description")
    for org in orgs:
        table.add_row(*map(_cell, (org.id, org.name, _short_time(org.created_at), org.description)))
    return table


def audit_table(records: Iterable[AuditRecord]) -> Table:
    """Records for people: the hash is shortened; ``--json`` has every field in full."""
    table = _table("seq", "at", "actor", "action", "subject", "detail", "hash")
    for record in records:
        table.add_row(
            *map(
                _cell,
                (
                    record.seq,
                    record.at.strftime("%Y-%m-%d %H:%M:%S"),
                    record.actor,
                    record.action,
                    record.subject,
                    json.dumps(dict(record.detail), sort_keys=True, ensure_ascii=False),
                    record.hash[:12],
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
