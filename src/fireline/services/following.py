"""Following a live stream: hash frames as they arrive, match a sliding window, alert.

Two threads per watch. The decoding thread reads the source (through
``fireline.signals.live``), samples frames by stream time, trims their borders and
PDQ-hashes each as it is and mirrored. The calling thread matches the newest
``window_seconds`` of frames, raises an alert the first time a banked entry matches,
writes the heartbeat, and watches for a stop request. It matches as soon as the decoder
has used every byte that has arrived (a segment's frames are all in), and at most every
``MIN_MATCH_INTERVAL`` while the decoder works through a backlog. Memory stays bounded:
one chunk of bytes, the decoder, and the window.

An alert is a structured log record (logger ``fireline.watch``, the event in the record's
``watch_event`` attribute), a stored event, and a webhook delivery. Later matches of the
same entry update it at most once per ``UPDATE_EVERY`` seconds of stream. Nothing is
ever banked.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from fireline.domain import FirelineError, Match
from fireline.domain.watches import (
    FINAL_EVENTS,
    HEARTBEAT_SECONDS,
    EventKind,
    StreamStalled,
    Watch,
    WatchEvent,
    WatchProgress,
    WatchStatus,
)
from fireline.services.matching import Matcher
from fireline.services.sightings import (
    FrameWindow,
    HashedFrame,
    Sighting,
    alert_timing,
    best_segment,
)
from fireline.services.views import segment_view
from fireline.services.watch_views import event_view
from fireline.signals.borders import trim_borders
from fireline.signals.live import ArrivingBytes, ChunkSource, SourceClosed, follow_video
from fireline.signals.vpdq import hash_frame
from fireline.store import WatchStore

log = logging.getLogger("fireline.watch")
# A library does not print on its own: the CLI renders alerts, `serve` configures a handler.
log.addHandler(logging.NullHandler())

#: Seconds between two matches of the window while frames keep coming.
MIN_MATCH_INTERVAL = 0.5
#: Seconds of stream between two updates of one entry's alert.
UPDATE_EVERY = 30.0
#: Events one watch records at most; past it only alerts and the final event are kept.
MAX_EVENTS = 10_000
#: Events sent to the webhook: alerts and how the watch ended.
DELIVERED = frozenset({EventKind.ALERT, EventKind.ALERT_UPDATE, *FINAL_EVENTS.values()})


@dataclass(frozen=True, slots=True)
class WatchSettings:
    """The live limits a watch runs under."""

    #: Seconds without a new segment (HLS: a stall error) or new bytes (a file: its end).
    stall_seconds: float = 30.0
    #: Seconds of recent frames matched each time; older frames are dropped.
    window_seconds: float = 120.0
    frames_per_second: float = 1.0
    #: Largest frame, in pixels.
    max_pixels: int = 64_000_000
    #: Largest chunk (HLS segment) of bytes.
    max_chunk_bytes: int = 64 * 1024 * 1024


class AlertSink(Protocol):
    """Where events go besides the store (a webhook). ``deliver`` must not block for long."""

    def deliver(self, event: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...


EventCallback = Callable[[WatchEvent], None]


@dataclass(frozen=True, slots=True)
class FollowOutcome:
    """How a watch ended: the stored watch, and the error that ended it, if any."""

    watch: Watch
    error: FirelineError | None = None


class StreamFollower:
    """Runs one watch to its end; ``run`` blocks, ``stop`` may be called from any thread."""

    def __init__(
        self,
        *,
        watch: Watch,
        source: ChunkSource,
        store: WatchStore,
        matcher: Matcher,
        settings: WatchSettings,
        sink: AlertSink | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self.watch = watch
        self.source = source
        self.store = store
        self.matcher = matcher
        self.settings = settings
        self.sink = sink
        self.on_event = on_event
        self._cond = threading.Condition()
        self._window = FrameWindow(settings.window_seconds)
        self._fresh = 0
        self._frames = 0
        self._stream_seconds = 0.0
        self._decoding = True
        self._waiting = False  # the decoder has used every byte so far and waits for more
        self._failure: BaseException | None = None
        self._reader: ArrivingBytes | None = None
        self._stop_reason: str | None = None
        self._sightings: dict[int, tuple[Sighting, str]] = {}
        self._events = watch.events

    def stop(self, reason: str) -> None:
        """Stop the watch soon (the decoder gives up waiting for bytes at once)."""
        with self._cond:
            if self._stop_reason is None:
                self._stop_reason = reason
            self._cond.notify_all()
        self.source.close()

    def run(self) -> FollowOutcome:
        """Follow the stream until it ends, stalls, fails or is stopped; record everything.

        Interrupts (Ctrl-C) stop the watch, are recorded, and propagate.
        """
        try:
            details = self.source.open()
        except SourceClosed:
            return self._finish(WatchStatus.STOPPED, None, reason=self._stop_reason or "stopped")
        except FirelineError as exc:
            self.source.close()
            return self._finish(WatchStatus.FAILED, exc)
        except BaseException as exc:
            self.source.close()
            self._abandon(exc)
            raise
        decoder: threading.Thread | None = None
        try:
            self._record(
                EventKind.STARTED,
                {
                    "source": self.watch.source,
                    "kind": self.watch.kind.value,
                    "banks": list(self.watch.banks),
                    "window_seconds": self.settings.window_seconds,
                    "stall_seconds": self.settings.stall_seconds,
                    **details,
                },
            )
            reader = self._reader = ArrivingBytes(self.source, on_wait=self._decoder_waits)
            decoder = threading.Thread(
                target=self._decode,
                args=(reader,),
                name=f"watch-{self.watch.id}-decode",
                daemon=True,
            )
            decoder.start()
            self._follow(reader)
        except FirelineError as exc:  # matching or storage failed: the watch cannot go on
            self._halt(decoder, "failed")
            return self._finish(WatchStatus.FAILED, exc)
        except BaseException as exc:
            self._halt(decoder, "interrupted")
            self._abandon(exc)
            raise
        decoder.join()
        return self._conclude()

    # -- the calling thread ---------------------------------------------------------------

    def _follow(self, reader: ArrivingBytes) -> None:
        last_match = -math.inf
        last_beat = time.monotonic()
        while True:
            # Match as soon as the decoder has caught up with the bytes (a segment is in),
            # and at most every MIN_MATCH_INTERVAL while it works through a backlog.
            with self._cond:
                if self._fresh and self._decoding and not self._waiting:
                    wait = MIN_MATCH_INTERVAL - (time.monotonic() - last_match)
                    if wait > 0:
                        self._cond.wait_for(
                            lambda: not self._decoding or self._waiting, timeout=wait
                        )
                else:
                    self._cond.wait_for(lambda: self._fresh > 0 or not self._decoding, 0.25)
                fresh, decoding, caught_up = self._fresh, self._decoding, self._waiting
            while reader.notices:
                self._record(EventKind.NOTICE, {"message": reader.notices.popleft()})
            now = time.monotonic()
            due = caught_up or not decoding or now - last_match >= MIN_MATCH_INTERVAL
            if fresh and due:
                last_match = now
                self._match()
            if not decoding:
                return
            if now - last_beat >= HEARTBEAT_SECONDS:
                last_beat = now
                if self.store.heartbeat(self.watch.id, self._progress()):
                    self.stop("stop requested")

    def _match(self) -> None:
        with self._cond:
            signals = self._window.signals()
            frames = list(self._window.frames)
            self._fresh = 0
        best: dict[int, tuple[Match, str]] = {}
        banks = list(self.watch.banks) or None
        for transform, signal in signals.items():
            for match in self.matcher.match_signals([signal], banks=banks).matches:
                known = best.get(match.entry.id)
                if known is None or match.distance < known[0].distance:
                    best[match.entry.id] = (match, transform)
        for entry_id in sorted(best):
            match, transform = best[entry_id]
            self._sighted(match, transform, frames)

    def _sighted(self, match: Match, transform: str, frames: list[HashedFrame]) -> None:
        segment = best_segment(match.segments, frames)
        entry = match.entry
        known = self._sightings.get(entry.id)
        if known is None:
            sighting = Sighting(
                start=segment.query_start,
                end=segment.query_end,
                reported_end=segment.query_end,
                distance=match.distance,
            )
            self._sightings[entry.id] = (sighting, entry.bank_name)
            kind = EventKind.ALERT
        else:
            sighting = known[0]
            sighting.start = min(sighting.start, segment.query_start)
            sighting.end = max(sighting.end, segment.query_end)
            sighting.distance = min(sighting.distance, match.distance)
            if sighting.end - sighting.reported_end < UPDATE_EVERY:
                return
            sighting.reported_end = sighting.end
            kind = EventKind.ALERT_UPDATE
        data = {
            "entry_id": entry.id,
            "bank": entry.bank_name,
            "signal_type": entry.signal_type,
            "labels": list(entry.labels),
            "note": entry.note,
            "item": entry.item,
            "distance": match.distance,
            "threshold": match.threshold,
            "transform": transform,
            "segment": segment_view(segment, coverage=False),
            "stream_start": sighting.start,
            "stream_end": sighting.end,
        }
        if kind is EventKind.ALERT:
            data.update(alert_timing(segment, frames))
        self._record(kind, data)

    def _decoder_waits(self, waiting: bool) -> None:
        with self._cond:
            self._waiting = waiting
            if waiting:
                self._cond.notify_all()

    def _abandon(self, exc: BaseException) -> None:
        """Record the end of a watch cut short by an interrupt or a bug (re-raised after)."""
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            self._finish(WatchStatus.STOPPED, None, reason="interrupted")
        else:
            log.error("watch %d failed", self.watch.id, exc_info=exc)
            self._finish(WatchStatus.FAILED, _internal(exc))

    def _halt(self, decoder: threading.Thread | None, reason: str) -> None:
        self.stop(reason)
        if decoder is None:
            return
        # Interrupted while it started, it cannot be joined: it finds the source closed.
        with contextlib.suppress(RuntimeError):
            decoder.join(timeout=10)

    # -- the decoding thread --------------------------------------------------------------

    def _decode(self, reader: ArrivingBytes) -> None:
        try:
            for frame in follow_video(
                reader,
                max_pixels=self.settings.max_pixels,
                frames_per_second=self.settings.frames_per_second,
                container=self.source.container,
            ):
                pixels = trim_borders(frame.pixels)
                hashed = HashedFrame(
                    original=hash_frame(pixels, frame.frame_number, frame.timestamp),
                    mirrored=hash_frame(
                        np.ascontiguousarray(pixels[:, ::-1]), frame.frame_number, frame.timestamp
                    ),
                    chunk=frame.chunk,
                )
                with self._cond:
                    self._window.add(hashed)
                    self._fresh += 1
                    self._frames += 1
                    self._stream_seconds = frame.timestamp
                    self._cond.notify_all()
        except BaseException as exc:  # handed to the calling thread
            self._failure = exc
        finally:
            with self._cond:
                self._decoding = False
                self._cond.notify_all()

    # -- ending ---------------------------------------------------------------------------

    def _conclude(self) -> FollowOutcome:
        failure = self._failure
        if failure is None:
            if self._stop_reason is not None:
                return self._finish(WatchStatus.STOPPED, None, reason=self._stop_reason)
            return self._finish(WatchStatus.ENDED, None, reason=self.source.end_reason)
        if isinstance(failure, SourceClosed):
            return self._finish(WatchStatus.STOPPED, None, reason=self._stop_reason or "stopped")
        if isinstance(failure, StreamStalled):
            return self._finish(WatchStatus.STALLED, failure)
        if isinstance(failure, FirelineError):
            return self._finish(WatchStatus.FAILED, failure)
        log.error("watch %d: decoding failed", self.watch.id, exc_info=failure)
        return self._finish(WatchStatus.FAILED, _internal(failure))

    def _finish(
        self, status: WatchStatus, error: FirelineError | None, *, reason: str = ""
    ) -> FollowOutcome:
        progress = self._progress()
        data: dict[str, Any] = {
            "reason": reason or (error.message if error is not None else ""),
            "progress": {
                "segments": progress.segments,
                "frames": progress.frames,
                "stream_seconds": round(progress.stream_seconds, 3),
                "alerts": progress.alerts,
            },
            "matched": [s.as_view(i, bank) for i, (s, bank) in sorted(self._sightings.items())],
        }
        if error is not None:
            data["error"] = {"code": error.code, "message": error.message}
        self._record(FINAL_EVENTS[status], data)
        watch = self.store.finish_watch(
            self.watch.id,
            status=status,
            progress=progress,
            error_code=None if error is None else error.code,
            error_message=None if error is None else error.message,
        )
        return FollowOutcome(watch=watch, error=error)

    def _progress(self) -> WatchProgress:
        with self._cond:
            return WatchProgress(
                segments=self._reader.chunks if self._reader is not None else 0,
                frames=self._frames,
                stream_seconds=self._stream_seconds,
                alerts=len(self._sightings),
            )

    def _record(self, kind: EventKind, data: Mapping[str, Any]) -> None:
        final = kind in FINAL_EVENTS.values()
        if self._events >= MAX_EVENTS and kind is not EventKind.ALERT and not final:
            return
        event = self.store.add_event(self.watch.id, kind, data)
        self._events = event.number
        view = event_view(event)
        _log_event(self.watch, event, view)
        if self.sink is not None and kind in DELIVERED:
            self.sink.deliver({**view, "source": self.watch.source})
        if self.on_event is not None:
            self.on_event(event)


def _log_event(watch: Watch, event: WatchEvent, view: Mapping[str, Any]) -> None:
    data = event.data
    extra = {"watch_event": dict(view)}
    if event.kind in (EventKind.ALERT, EventKind.ALERT_UPDATE):
        log.warning(
            "watch %d: %s: entry %s (bank %s, labels %s) matched stream %.1f-%.1f s "
            "(%s, distance %s)",
            watch.id,
            event.kind.value,
            data.get("entry_id"),
            data.get("bank"),
            ",".join(data.get("labels", [])) or "-",
            data.get("stream_start", 0.0),
            data.get("stream_end", 0.0),
            data.get("transform"),
            data.get("distance"),
            extra=extra,
        )
    elif event.kind in (EventKind.FAILED, EventKind.STALLED, EventKind.WEBHOOK_FAILED):
        log.warning("watch %d: %s: %s", watch.id, event.kind.value, _summary(data), extra=extra)
    else:
        log.info("watch %d: %s: %s", watch.id, event.kind.value, _summary(data), extra=extra)


def _summary(data: Mapping[str, Any]) -> str:
    for key in ("reason", "message", "source"):
        if data.get(key):
            return str(data[key])
    return ""


def _internal(exc: BaseException) -> FirelineError:
    return FirelineError(f"internal error: {type(exc).__name__}: {exc}", code="internal_error")


__all__ = [
    "AlertSink",
    "EventCallback",
    "FollowOutcome",
    "FrameWindow",
    "StreamFollower",
    "WatchSettings",
]
