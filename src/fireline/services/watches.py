"""Watches of live streams: record them, follow them, read their events, stop them.

Where the bytes come from (HTTP, a growing file) and where alerts go (a webhook) are
adapters handed in by the caller (``fireline.live``): this module stays free of I/O
libraries. A watch runs in the process that started it; its state and events are in the
store, so any process reads them and may ask for a stop.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from fireline.domain import InvalidInput
from fireline.domain.watches import (
    EventKind,
    SourceKind,
    Watch,
    WatchEvent,
    WatchStatus,
)
from fireline.services.following import (
    AlertSink,
    EventCallback,
    FollowOutcome,
    StreamFollower,
    WatchSettings,
)
from fireline.services.matching import Matcher
from fireline.services.text import check_text
from fireline.signals.live import ChunkSource
from fireline.store import BankStore, WatchStore

#: Longest source or webhook URL (or file path) accepted.
MAX_LOCATION_CHARS = 4096
#: Longest wait a reader of events may ask for, seconds.
MAX_EVENT_WAIT = 20.0
_POLL_SECONDS = 0.2


class WatchService:
    """Use cases on watches. Every change commits before the method returns."""

    def __init__(
        self,
        *,
        store: WatchStore,
        banks: BankStore,
        matcher: Matcher,
        settings: WatchSettings,
    ) -> None:
        self.store = store
        self.banks = banks
        self.matcher = matcher
        self.settings = settings

    def create(
        self,
        *,
        source: str,
        kind: SourceKind,
        banks: Sequence[str] = (),
        webhook: str | None = None,
        created_by: str = "local",
    ) -> Watch:
        """Record a new watch (status running); NotFound for an unknown bank."""
        for location, what in ((source, "a source"), (webhook, "a webhook URL")):
            if location is None:
                continue
            if not location or len(location) > MAX_LOCATION_CHARS:
                raise InvalidInput(
                    f"{what} is 1-{MAX_LOCATION_CHARS} characters", code="invalid_source"
                )
            check_text(location, what=what)
        names = list(dict.fromkeys(banks))
        for name in names:
            self.banks.get_bank(name)
        return self.store.create_watch(
            source=source, kind=kind, banks=names, webhook=webhook, created_by=created_by
        )

    def get(self, *, watch_id: int) -> Watch:
        return self.store.get_watch(watch_id).seen_at(datetime.now(UTC))

    def all(
        self, *, status: WatchStatus | None = None, before_id: int | None = None, limit: int = 100
    ) -> list[Watch]:
        """Watches newest first. ``lost`` is seen, not stored: it filters running ones."""
        stored = WatchStatus.RUNNING if status is WatchStatus.LOST else status
        now = datetime.now(UTC)
        watches = [
            w.seen_at(now)
            for w in self.store.list_watches(status=stored, before_id=before_id, limit=limit)
        ]
        return [w for w in watches if status is None or w.status is status]

    def events(
        self, *, watch_id: int, after: int = 0, limit: int = 100, wait: float = 0.0
    ) -> list[WatchEvent]:
        """Events numbered above ``after``; with ``wait``, waits that long for one to come.

        The wait ends early when the watch has finished and has nothing newer.
        """
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit must be 1-1000", code="invalid_limit")
        if after < 0:
            raise InvalidInput("after must be 0 or more", code="invalid_limit")
        deadline = time.monotonic() + min(max(wait, 0.0), MAX_EVENT_WAIT)
        while True:
            events = self.store.list_events(watch_id, after=after, limit=limit)
            if events or time.monotonic() >= deadline:
                return events
            if self.get(watch_id=watch_id).status.finished:
                return events
            time.sleep(_POLL_SECONDS)

    def request_stop(self, *, watch_id: int) -> Watch:
        """Ask the process running the watch to stop it; a lost watch is stopped here."""
        watch = self.get(watch_id=watch_id)
        if watch.status.finished:
            return watch
        if watch.status is WatchStatus.LOST:
            self.store.add_event(
                watch_id, EventKind.STOPPED, {"reason": "stopped after its process was lost"}
            )
            return self.store.finish_watch(
                watch_id, status=WatchStatus.STOPPED, progress=watch.progress
            )
        return self.store.request_stop(watch_id)

    def follower(
        self,
        watch: Watch,
        *,
        source: ChunkSource,
        sink: AlertSink | None = None,
        on_event: EventCallback | None = None,
        settings: WatchSettings | None = None,
    ) -> StreamFollower:
        """The follower that runs ``watch`` on ``source`` (call ``run`` on it)."""
        return StreamFollower(
            watch=watch,
            source=source,
            store=self.store,
            matcher=self.matcher,
            settings=settings or self.settings,
            sink=sink,
            on_event=on_event,
        )

    def follow(
        self,
        watch: Watch,
        *,
        source: ChunkSource,
        sink: AlertSink | None = None,
        on_event: EventCallback | None = None,
        settings: WatchSettings | None = None,
    ) -> FollowOutcome:
        """Follow ``source`` for ``watch`` in this thread until the stream is done."""
        return self.follower(
            watch, source=source, sink=sink, on_event=on_event, settings=settings
        ).run()
