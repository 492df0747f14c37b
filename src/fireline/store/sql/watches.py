"""SqlWatchStore: watches of live streams and their numbered events, in SQL.

An event's number comes from bumping the watch's ``events`` column in the transaction
that inserts it: the update locks the row (PostgreSQL; SQLite has a single writer), so
concurrent writers (the watch's own thread, its webhook sender, a stop request) number
events 1, 2, 3... without gaps or clashes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, Select, insert, select, update

from fireline.domain import NotFound
from fireline.domain.watches import (
    EventKind,
    SourceKind,
    Watch,
    WatchEvent,
    WatchProgress,
    WatchStatus,
)
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.tables import WatchEventRow, WatchRow

#: The largest watch id the column holds (INTEGER: 32 bits on PostgreSQL).
MAX_WATCH_ID = 2**31 - 1
_UNFINISHED = (WatchStatus.RUNNING.value,)


def _select_watches() -> Select[*tuple[Any, ...]]:
    return select(WatchRow.__table__)


def _watch(row: Row[*tuple[Any, ...]]) -> Watch:
    return Watch(
        id=row.id,
        source=row.source,
        kind=SourceKind(row.kind),
        banks=tuple(json.loads(row.banks)),
        webhook=row.webhook,
        status=WatchStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        stop_requested=bool(row.stop_requested),
        error_code=row.error_code,
        error_message=row.error_message,
        progress=WatchProgress(
            segments=row.segments,
            frames=row.frames,
            stream_seconds=row.stream_seconds,
            alerts=row.alerts,
        ),
        events=row.events,
    )


def _event(row: Row[*tuple[Any, ...]]) -> WatchEvent:
    return WatchEvent(
        watch_id=row.watch_id,
        number=row.number,
        kind=EventKind(row.kind),
        at=row.at,
        data=json.loads(row.data),
    )


def _progress_values(progress: WatchProgress) -> dict[str, Any]:
    return {
        "segments": progress.segments,
        "frames": progress.frames,
        "stream_seconds": progress.stream_seconds,
        "alerts": progress.alerts,
    }


def _watch_not_found(watch_id: int) -> NotFound:
    return NotFound(f"no watch with id {watch_id}", code="watch_not_found")


def _require_id(watch_id: int) -> None:
    if not 1 <= watch_id <= MAX_WATCH_ID:  # no row has it, and the driver cannot bind it
        raise _watch_not_found(watch_id)


class SqlWatchStore:
    """The WatchStore protocol on SQLite or PostgreSQL; behaves like MemoryWatchStore."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create_watch(
        self,
        *,
        source: str,
        kind: SourceKind,
        banks: Sequence[str],
        webhook: str | None,
        created_by: str,
    ) -> Watch:
        now = datetime.now(UTC)
        with writing(self._engine) as conn:
            watch_id = conn.execute(
                insert(WatchRow)
                .values(
                    source=source,
                    kind=kind.value,
                    banks=json.dumps(list(banks)),
                    webhook=webhook,
                    status=WatchStatus.RUNNING.value,
                    stop_requested=False,
                    created_by=created_by,
                    created_at=now,
                    updated_at=now,
                    finished_at=None,
                    error_code=None,
                    error_message=None,
                    events=0,
                    **_progress_values(WatchProgress()),
                )
                .returning(WatchRow.id)
            ).scalar_one()
            row = conn.execute(_select_watches().where(WatchRow.id == watch_id)).one()
            return _watch(row)

    def get_watch(self, watch_id: int) -> Watch:
        _require_id(watch_id)
        with reading(self._engine) as conn:
            row = conn.execute(_select_watches().where(WatchRow.id == watch_id)).one_or_none()
            if row is None:
                raise _watch_not_found(watch_id)
            return _watch(row)

    def list_watches(
        self, *, status: WatchStatus | None = None, before_id: int | None = None, limit: int = 100
    ) -> list[Watch]:
        query = _select_watches().order_by(WatchRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(WatchRow.status == status.value)
        if before_id is not None:
            query = query.where(WatchRow.id < min(before_id, MAX_WATCH_ID + 1))
        with reading(self._engine) as conn:
            return [_watch(row) for row in conn.execute(query)]

    def add_event(self, watch_id: int, kind: EventKind, data: Mapping[str, Any]) -> WatchEvent:
        _require_id(watch_id)
        text = json.dumps(dict(data), ensure_ascii=False, sort_keys=True)
        now = datetime.now(UTC)
        with writing(self._engine) as conn:
            number = conn.execute(
                update(WatchRow)
                .where(WatchRow.id == watch_id)
                .values(events=WatchRow.events + 1)
                .returning(WatchRow.events)
            ).scalar_one_or_none()
            if number is None:
                raise _watch_not_found(watch_id)
            conn.execute(
                insert(WatchEventRow).values(
                    watch_id=watch_id, number=number, kind=kind.value, at=now, data=text
                )
            )
        return WatchEvent(
            watch_id=watch_id, number=number, kind=kind, at=now, data=json.loads(text)
        )

    def list_events(self, watch_id: int, *, after: int = 0, limit: int = 100) -> list[WatchEvent]:
        _require_id(watch_id)
        with reading(self._engine) as conn:
            if conn.execute(select(WatchRow.id).where(WatchRow.id == watch_id)).first() is None:
                raise _watch_not_found(watch_id)
            rows = conn.execute(
                select(
                    WatchEventRow.watch_id,
                    WatchEventRow.number,
                    WatchEventRow.kind,
                    WatchEventRow.at,
                    WatchEventRow.data,
                )
                .where(
                    WatchEventRow.watch_id == watch_id,
                    WatchEventRow.number > max(after, -1),
                )
                .order_by(WatchEventRow.number)
                .limit(limit)
            )
            return [_event(row) for row in rows]

    def heartbeat(self, watch_id: int, progress: WatchProgress) -> bool:
        _require_id(watch_id)
        with writing(self._engine) as conn:
            stop = conn.execute(
                update(WatchRow)
                .where(WatchRow.id == watch_id)
                .values(updated_at=datetime.now(UTC), **_progress_values(progress))
                .returning(WatchRow.stop_requested)
            ).scalar_one_or_none()
            if stop is None:
                raise _watch_not_found(watch_id)
            return bool(stop)

    def request_stop(self, watch_id: int) -> Watch:
        _require_id(watch_id)
        with writing(self._engine) as conn:
            conn.execute(
                update(WatchRow)
                .where(WatchRow.id == watch_id, WatchRow.status.in_(_UNFINISHED))
                .values(stop_requested=True)
            )
            row = conn.execute(_select_watches().where(WatchRow.id == watch_id)).one_or_none()
            if row is None:
                raise _watch_not_found(watch_id)
            return _watch(row)

    def finish_watch(
        self,
        watch_id: int,
        *,
        status: WatchStatus,
        progress: WatchProgress,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> Watch:
        _require_id(watch_id)
        now = datetime.now(UTC)
        with writing(self._engine) as conn:
            conn.execute(
                update(WatchRow)
                .where(WatchRow.id == watch_id, WatchRow.status.in_(_UNFINISHED))
                .values(
                    status=status.value,
                    error_code=error_code,
                    error_message=error_message,
                    updated_at=now,
                    finished_at=now,
                    **_progress_values(progress),
                )
            )
            row = conn.execute(_select_watches().where(WatchRow.id == watch_id)).one_or_none()
            if row is None:
                raise _watch_not_found(watch_id)
            return _watch(row)
