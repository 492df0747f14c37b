"""Incidents for people (rich tables and detail grids) and the debrief's files.

The ``--json`` forms are ``fireline.services.incident_views``'s, shared with the HTTP API.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from rich.console import Group, RenderableType
from rich.table import Table

from fireline.cli.output import _cell, _table
from fireline.domain import InvalidInput
from fireline.domain.incidents import Incident, IncidentEvent, Variant


def _time(value: object) -> str:
    """An ISO time (as the views give it) to the second, or ``-``."""
    return "-" if value is None else str(value)[:19].replace("T", " ")


def _grid(rows: Iterable[tuple[str, object]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(_cell(name), _cell("-" if value is None or value == "" else value))
    return table


def approvals_text(incident: Incident) -> str:
    return f"{len(incident.approvals)} of {incident.quorum}"


def incident_table(incidents: Iterable[Incident]) -> Table:
    table = _table("id", "title", "activation", "state", "approvals", "declared", "by", "bank")
    for i in incidents:
        table.add_row(
            *map(
                _cell,
                (
                    i.id,
                    i.title,
                    i.activation.value,
                    i.state.value,
                    approvals_text(i),
                    _time(i.declared_at.isoformat()),
                    i.declared_org,
                    i.bank or "-",
                ),
            )
        )
    return table


def incident_details(view: Mapping[str, Any]) -> Table:
    """An incident's fields, from its JSON view."""
    approvals = ", ".join(f"{a['org']} ({_time(a['at'])})" for a in view["approvals"])
    return _grid(
        [
            ("incident", view["id"]),
            ("title", view["title"]),
            ("activation", view["activation"]),
            ("state", view["state"]),
            ("location", view["location"]),
            ("summary", view["summary"]),
            ("declared", f"{_time(view['declared_at'])} by {view['declared_org']}"),
            ("approvals", f"{len(view['approvals'])} of {view['quorum']}: {approvals}"),
            ("bank", view["bank"]),
            ("activated", _time(view["activated_at"])),
            ("first hash", _time(view["first_hash_at"])),
            ("last variant", _time(view["last_variant_at"])),
            ("concluded", _time(view["concluded_at"])),
            ("debriefed", _time(view["debriefed_at"])),
        ]
    )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:g} s"


def figures_grid(figures: Mapping[str, Any]) -> Table:
    """The live view's figures."""
    variants = figures["variants"]
    return _grid(
        [
            ("time to activation", _seconds(figures["seconds_to_activation"])),
            ("activation to first hash", _seconds(figures["seconds_to_first_hash"])),
            ("hashes in the bank", figures["entries"]),
            (
                "variants",
                f"{variants['accepted']} accepted ({figures['automatic']} automatically), "
                f"{variants['proposed']} waiting, {variants['rejected']} rejected",
            ),
            ("proposals", figures["proposals"]),
            ("uploads matched / blocked", f"{figures['matched']} / {figures['blocked']}"),
            ("last new variant", _time(figures["last_variant_at"])),
        ]
    )


def live_panel(view: Mapping[str, Any]) -> Group:
    """The live view for people: the figures, then per member and per minute tables."""
    incident = view["incident"]
    parts: list[RenderableType] = [
        _cell(f"incident {incident['id']}: {incident['title']} ({incident['state']})"),
        figures_grid(view["figures"]),
    ]
    if view["members"]:
        members = _table("member", "matched", "blocked", title="Members")
        for row in view["members"]:
            members.add_row(*map(_cell, (row["org"], row["matched"], row["blocked"])))
        parts.append(members)
    if view["variants_over_time"]:
        accepted = _table("minute (UTC)", "accepted", "cumulative", title="Accepted variants")
        for row in view["variants_over_time"]:
            accepted.add_row(*map(_cell, (row["minute"], row["accepted"], row["cumulative"])))
        parts.append(accepted)
    return Group(*parts)


def timeline_table(events: Iterable[IncidentEvent]) -> Table:
    table = _table("seq", "at", "event", "org", "actor", "detail")
    for e in events:
        table.add_row(
            *map(
                _cell,
                (
                    e.seq,
                    e.at.strftime("%Y-%m-%d %H:%M:%S"),
                    e.kind.value,
                    e.org,
                    e.actor,
                    json.dumps(e.detail, sort_keys=True, ensure_ascii=False) if e.detail else "",
                ),
            )
        )
    return table


def variant_table(variants: Iterable[Variant]) -> Table:
    table = _table("id", "state", "signals", "orgs", "proposals", "closest", "proposed", "decided")
    for v in variants:
        closest = min(v.evidence, key=lambda e: e.distance, default=None)
        decided = (
            ""
            if v.decided_at is None
            else f"{_time(v.decided_at.isoformat())} by {v.decided_by}"
            + (" (rule)" if v.automatic else "")
        )
        table.add_row(
            *map(
                _cell,
                (
                    v.id,
                    v.state.value,
                    "\n".join(f"{s.signal_type}:{s.value}" for s in v.signals),
                    ", ".join(v.orgs),
                    v.proposals,
                    "-"
                    if closest is None
                    else f"{closest.signal_type} {closest.distance}/{closest.threshold}",
                    _time(v.proposed_at.isoformat()),
                    decided,
                ),
            )
        )
    return table


@contextmanager
def staged_files(paths: Sequence[Path]) -> Iterator[list[TextIO]]:
    """Open a temporary file beside each path; on a clean exit sync them all, then rename
    each into place; on any error remove them, leaving no file half written.

    The temporaries are opened before the caller makes the content, so a directory that
    cannot be written is refused before anything else is done.
    """
    handles: list[TextIO] = []
    current = paths[0]
    try:
        for current in paths:
            temporary = current.with_name(f".{current.name}.{os.getpid()}.tmp")
            handles.append(temporary.open("w", encoding="utf-8", newline="\n"))
        yield handles
        for target, handle in zip(paths, handles, strict=True):
            current = target  # named if it fails
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        for current, handle in zip(paths, handles, strict=True):
            os.replace(handle.name, current)
    except OSError as exc:
        raise InvalidInput(
            f"{current}: cannot be written ({exc.strerror or exc})", code="file_unwritable"
        ) from None
    finally:
        for handle in handles:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
