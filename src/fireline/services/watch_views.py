"""One JSON form for watches and their events: the API, ``fireline watch --json`` and webhooks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fireline.domain.watches import Watch, WatchEvent, WatchProgress
from fireline.services.views import time_view

View = dict[str, Any]


def redact_url(url: str | None) -> str | None:
    """A URL safe to show: scheme, host and port only (paths and queries may hold tokens)."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "(hidden)"
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/..."


def progress_view(progress: WatchProgress) -> View:
    return {
        "segments": progress.segments,
        "frames": progress.frames,
        "stream_seconds": round(progress.stream_seconds, 3),
        "alerts": progress.alerts,
    }


def watch_view(watch: Watch) -> View:
    """A watch; its webhook shows only where it points, never its path or query."""
    error = (
        None
        if watch.error_code is None
        else {"code": watch.error_code, "message": watch.error_message or ""}
    )
    return {
        "id": watch.id,
        "source": watch.source,
        "kind": watch.kind.value,
        "status": watch.status.value,
        "banks": list(watch.banks),
        "webhook": redact_url(watch.webhook),
        "created_by": watch.created_by,
        "created_at": time_view(watch.created_at),
        "updated_at": time_view(watch.updated_at),
        "finished_at": time_view(watch.finished_at),
        "stop_requested": watch.stop_requested,
        "error": error,
        "progress": progress_view(watch.progress),
        "events": watch.events,
    }


def event_view(event: WatchEvent) -> View:
    return {
        "watch_id": event.watch_id,
        "number": event.number,
        "kind": event.kind.value,
        "at": time_view(event.at),
        "data": event.data,
    }
