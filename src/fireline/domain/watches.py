"""Watches: following a live stream as it arrives, and the events a watch records.

A watch never banks anything: it only reads a stream, matches it, and records events.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from fireline.domain.errors import FirelineError

#: A running watch writes a heartbeat at least this often (seconds).
HEARTBEAT_SECONDS = 2.0
#: A watch still marked running whose heartbeat is older than this is reported lost: the
#: process that ran it has gone (a restart, a crash).
LOST_AFTER = timedelta(seconds=30)


class SourceKind(StrEnum):
    """What a watch follows."""

    #: An HLS media (or master) playlist over HTTP(S).
    HLS = "hls"
    #: A local file that is still being written.
    FILE = "file"


class WatchStatus(StrEnum):
    RUNNING = "running"
    #: The stream ended: ``#EXT-X-ENDLIST``, or a file that stopped growing.
    ENDED = "ended"
    #: No new segment arrived within the stall timeout.
    STALLED = "stalled"
    #: The source could not be read or decoded (a bad URL, not video, over a limit).
    FAILED = "failed"
    #: Stopped on request (``DELETE``, Ctrl-C, the server shutting down).
    STOPPED = "stopped"
    #: Marked running, but its process stopped sending heartbeats (see ``LOST_AFTER``).
    LOST = "lost"

    @property
    def finished(self) -> bool:
        return self not in (WatchStatus.RUNNING, WatchStatus.LOST)


class EventKind(StrEnum):
    """What a watch event reports."""

    STARTED = "started"
    #: A banked entry matched for the first time in this watch.
    ALERT = "alert"
    #: An entry already alerted on keeps matching further into the stream (throttled).
    ALERT_UPDATE = "alert_update"
    #: Something worth knowing that does not stop the watch (skipped segments).
    NOTICE = "notice"
    WEBHOOK_FAILED = "webhook_failed"
    ENDED = "ended"
    STALLED = "stalled"
    FAILED = "failed"
    STOPPED = "stopped"


#: The event that ends a watch in each final status.
FINAL_EVENTS = {
    WatchStatus.ENDED: EventKind.ENDED,
    WatchStatus.STALLED: EventKind.STALLED,
    WatchStatus.FAILED: EventKind.FAILED,
    WatchStatus.STOPPED: EventKind.STOPPED,
}


@dataclass(frozen=True, slots=True)
class WatchProgress:
    """How far a watch has got."""

    #: HLS segments (or file reads) received.
    segments: int = 0
    #: Sampled frames hashed.
    frames: int = 0
    #: Stream time of the newest hashed frame, seconds from the first frame.
    stream_seconds: float = 0.0
    #: Distinct banked entries alerted on.
    alerts: int = 0


@dataclass(frozen=True, slots=True)
class Watch:
    """One stream being (or once) followed, as stored."""

    id: int
    source: str
    kind: SourceKind
    banks: tuple[str, ...]
    webhook: str | None
    status: WatchStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    stop_requested: bool = False
    error_code: str | None = None
    error_message: str | None = None
    progress: WatchProgress = field(default_factory=WatchProgress)
    #: Events recorded so far; event numbers run 1..events.
    events: int = 0

    def seen_at(self, now: datetime) -> Watch:
        """This watch as a reader at ``now`` should see it: running with no heartbeat is lost."""
        if self.status is WatchStatus.RUNNING and now - self.updated_at > LOST_AFTER:
            return replace(self, status=WatchStatus.LOST)
        return self


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One numbered event of a watch; ``data`` holds JSON values only."""

    watch_id: int
    number: int
    kind: EventKind
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


class StreamStalled(FirelineError):
    """A live stream delivered nothing new within the stall timeout."""

    code = "stream_stalled"
    http_status = 504
    exit_code = 8


class TooManyWatches(FirelineError):
    """This process already runs as many watches as it may (``FIRELINE_MAX_WATCHES``)."""

    code = "too_many_watches"
    http_status = 429
    exit_code = 5
