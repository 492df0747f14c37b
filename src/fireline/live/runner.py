"""Running watches: sources and webhooks built under the policy, watches run in threads.

The HTTP service starts watches here; each runs in a thread of the process that accepted
it, at most ``max_watches`` at a time. Stopping works from any process: a stop request
is stored, and the running process sees it at its next heartbeat.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fireline.domain.watches import EventKind, SourceKind, TooManyWatches, Watch
from fireline.live.fetch import Fetcher
from fireline.live.hls import HlsSource
from fireline.live.policy import SourcePolicy, SourceSpec
from fireline.live.tail import FileTail
from fireline.live.webhook import WebhookSink
from fireline.services.following import StreamFollower, WatchSettings
from fireline.services.watches import WatchService
from fireline.signals.live import ChunkSource
from fireline.store import WatchStore

log = logging.getLogger("fireline.watch")

#: Seconds a stop waits for the watch to wind down before answering.
STOP_WAIT = 5.0


def open_source(spec: SourceSpec, *, policy: SourcePolicy, settings: WatchSettings) -> ChunkSource:
    """The ChunkSource for a checked source (nothing is fetched or opened yet)."""
    if spec.kind is SourceKind.HLS:
        return HlsSource(
            spec.location,
            fetcher=Fetcher(policy=policy, timeout=min(10.0, settings.stall_seconds)),
            stall_seconds=settings.stall_seconds,
            window_seconds=settings.window_seconds,
            max_segment_bytes=settings.max_chunk_bytes,
        )
    return FileTail(Path(spec.location), stall_seconds=settings.stall_seconds)


def webhook_for(url: str, *, policy: SourcePolicy, store: WatchStore, watch_id: int) -> WebhookSink:
    """A webhook sink that records each failed delivery as a ``webhook_failed`` event."""

    def failed(event: Mapping[str, Any], problem: str) -> None:
        store.add_event(
            watch_id, EventKind.WEBHOOK_FAILED, {"event": event.get("number"), "error": problem}
        )

    return WebhookSink(url, policy=policy, on_failure=failed)


@dataclass
class _Running:
    follower: StreamFollower
    thread: threading.Thread


class WatchRunner:
    """Starts watches in background threads of this process and stops them."""

    def __init__(self, *, watches: WatchService, policy: SourcePolicy, max_watches: int) -> None:
        self.watches = watches
        self.policy = policy
        self.max_watches = max_watches
        self._lock = threading.Lock()
        self._running: dict[int, _Running] = {}

    def start(
        self,
        *,
        source: str,
        webhook: str | None = None,
        banks: Sequence[str] = (),
        created_by: str = "api",
    ) -> Watch:
        """Check the source, webhook and banks, record the watch, and start following.

        Problems with the source found by fetching it (a 404, not video) end the watch
        as failed, seconds later; InvalidInput, NotFound and TooManyWatches come at once.
        """
        spec = self.policy.source(source)
        if webhook is not None:
            self.policy.check_url(webhook)
        with self._lock:
            if len(self._running) >= self.max_watches:
                raise TooManyWatches(
                    f"this server already runs {len(self._running)} watches, its limit "
                    "(FIRELINE_MAX_WATCHES); stop one first"
                )
            watch = self.watches.create(
                source=spec.location,
                kind=spec.kind,
                banks=banks,
                webhook=webhook,
                created_by=created_by,
            )
            settings = self.watches.settings
            sink = (
                None
                if webhook is None
                else webhook_for(
                    webhook, policy=self.policy, store=self.watches.store, watch_id=watch.id
                )
            )
            follower = self.watches.follower(
                watch,
                source=open_source(spec, policy=self.policy, settings=settings),
                sink=sink,
            )
            thread = threading.Thread(
                target=self._run,
                args=(watch.id, follower, sink),
                name=f"watch-{watch.id}",
                daemon=True,
            )
            self._running[watch.id] = _Running(follower, thread)
        thread.start()
        return watch

    def running(self) -> list[int]:
        with self._lock:
            return sorted(self._running)

    def stop(self, watch_id: int, *, wait: float = STOP_WAIT) -> Watch:
        """Stop a watch: here at once if this process runs it, else by a stored request."""
        with self._lock:
            running = self._running.get(watch_id)
        if running is None:
            return self.watches.request_stop(watch_id=watch_id)
        running.follower.stop("stop requested")
        running.thread.join(wait)
        return self.watches.get(watch_id=watch_id)

    def stop_all(self, *, reason: str = "the server is shutting down", wait: float = 10.0) -> None:
        with self._lock:
            running = list(self._running.values())
        for item in running:
            item.follower.stop(reason)
        for item in running:
            item.thread.join(wait)

    def _run(self, watch_id: int, follower: StreamFollower, sink: WebhookSink | None) -> None:
        try:
            follower.run()
        except Exception:
            log.exception("watch %d ended with an internal error", watch_id)
        finally:
            if sink is not None:
                sink.close()
            with self._lock:
                self._running.pop(watch_id, None)
