"""In-memory twin of the WatchStore protocol."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fireline.domain import NotFound
from fireline.domain.watches import (
    EventKind,
    SourceKind,
    Watch,
    WatchEvent,
    WatchProgress,
    WatchStatus,
)


def _now() -> datetime:
    return datetime.now(UTC)


def watch_not_found(watch_id: int) -> NotFound:
    return NotFound(f"no watch with id {watch_id}", code="watch_not_found")


class MemoryWatchStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[int, Watch] = {}
        self._events: dict[int, list[WatchEvent]] = {}

    def create_watch(
        self,
        *,
        source: str,
        kind: SourceKind,
        banks: Sequence[str],
        webhook: str | None,
        created_by: str,
    ) -> Watch:
        with self._lock:
            now = _now()
            watch = Watch(
                id=len(self._watches) + 1,
                source=source,
                kind=kind,
                banks=tuple(banks),
                webhook=webhook,
                status=WatchStatus.RUNNING,
                created_by=created_by,
                created_at=now,
                updated_at=now,
            )
            self._watches[watch.id] = watch
            self._events[watch.id] = []
            return watch

    def get_watch(self, watch_id: int) -> Watch:
        with self._lock:
            return self._get(watch_id)

    def list_watches(
        self, *, status: WatchStatus | None = None, before_id: int | None = None, limit: int = 100
    ) -> list[Watch]:
        with self._lock:
            rows = [
                w
                for w in sorted(self._watches.values(), key=lambda w: -w.id)
                if (status is None or w.status is status)
                and (before_id is None or w.id < before_id)
            ]
            return rows[:limit]

    def add_event(self, watch_id: int, kind: EventKind, data: Mapping[str, Any]) -> WatchEvent:
        # Through JSON, as the SQL store does: the same values come back, never shared.
        stored = json.loads(json.dumps(dict(data)))
        with self._lock:
            watch = self._get(watch_id)
            event = WatchEvent(
                watch_id=watch_id, number=watch.events + 1, kind=kind, at=_now(), data=stored
            )
            self._events[watch_id].append(event)
            self._watches[watch_id] = replace(watch, events=event.number)
            return event

    def list_events(self, watch_id: int, *, after: int = 0, limit: int = 100) -> list[WatchEvent]:
        with self._lock:
            self._get(watch_id)
            return [e for e in self._events[watch_id] if e.number > after][:limit]

    def heartbeat(self, watch_id: int, progress: WatchProgress) -> bool:
        with self._lock:
            watch = self._get(watch_id)
            self._watches[watch_id] = replace(watch, progress=progress, updated_at=_now())
            return watch.stop_requested

    def request_stop(self, watch_id: int) -> Watch:
        with self._lock:
            watch = self._get(watch_id)
            if not watch.status.finished and not watch.stop_requested:
                watch = replace(watch, stop_requested=True)
                self._watches[watch_id] = watch
            return watch

    def finish_watch(
        self,
        watch_id: int,
        *,
        status: WatchStatus,
        progress: WatchProgress,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> Watch:
        with self._lock:
            watch = self._get(watch_id)
            if watch.status.finished:
                return watch
            now = _now()
            watch = replace(
                watch,
                status=status,
                progress=progress,
                error_code=error_code,
                error_message=error_message,
                updated_at=now,
                finished_at=now,
            )
            self._watches[watch_id] = watch
            return watch

    def _get(self, watch_id: int) -> Watch:
        watch = self._watches.get(watch_id)
        if watch is None:
            raise watch_not_found(watch_id)
        return watch
