"""Following a stream: alerts on banked excerpts, once per entry; stalls, failures, stops."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import pytest

from fireline.bootstrap import Container, build
from fireline.domain import InvalidInput
from fireline.domain.watches import EventKind, SourceKind, StreamStalled, WatchStatus
from fireline.services.following import WatchSettings
from fireline.services.sightings import FrameWindow, HashedFrame
from fireline.settings import Settings
from fireline.signals import ContentType
from fireline.signals.vpdq import VpdqFrame
from fireline.testing.live import ListedSource
from tests.live_media import EXCERPT, reference_video, stream_bytes

LABELS = ("category:perpetrator_livestream", "basis:crisis_incident")


@pytest.fixture(scope="module")
def container() -> Iterator[Container]:
    """One banked reference video in bank ``crisis``, an unrelated bank ``other``."""
    built = build(Settings(database_url="memory://"))
    built.banks.create(name="crisis")
    built.banks.create(name="other")
    built.banks.add_content(
        bank="crisis", data=reference_video(), content_type=ContentType.VIDEO, labels=LABELS
    )
    yield built
    built.close()


class Sink:
    def __init__(self) -> None:
        self.events: list[Mapping[str, Any]] = []

    def deliver(self, event: Mapping[str, Any]) -> None:
        self.events.append(event)

    def close(self) -> None:
        return None


def follow(container: Container, source: ListedSource, **kwargs: Any) -> Any:
    watch = container.watches.create(source="test://stream", kind=SourceKind.HLS, **kwargs)
    sink = Sink()
    outcome = container.watches.follow(watch, source=source, sink=sink)
    events = container.watches.events(watch_id=watch.id, limit=1000)
    return outcome, events, sink


def entry_count(container: Container) -> int:
    return sum(bank.entry_count for bank in container.banks.all())


def test_a_banked_excerpt_mid_stream_raises_one_alert_and_banks_nothing(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    before = entry_count(container)
    with caplog.at_level(logging.WARNING, logger="fireline.watch"):
        outcome, events, sink = follow(container, ListedSource(stream_bytes("matching")))
    kinds = [e.kind for e in events]
    assert kinds == [EventKind.STARTED, EventKind.ALERT, EventKind.ENDED]
    assert outcome.watch.status is WatchStatus.ENDED and outcome.error is None
    alert = events[1].data
    assert alert["bank"] == "crisis" and alert["signal_type"] == "vpdq"
    assert alert["labels"] == sorted(LABELS)
    assert alert["transform"] == "original"
    assert EXCERPT[0] - 1 <= alert["segment"]["query_start"] <= EXCERPT[0] + 2
    assert alert["first_chunk"]["seconds_before_alert"] >= 0
    ended = events[-1].data
    assert ended["reason"] == "all bytes delivered"
    (matched,) = ended["matched"]
    assert matched["entry_id"] == alert["entry_id"]
    assert matched["stream_start"] <= EXCERPT[0] + 2 and matched["stream_end"] >= EXCERPT[1] - 2
    # 20 s of stream sampled at FIRELINE_WATCH_FRAMES_PER_SECOND (2 by default).
    frames = round(20 * container.settings.watch_frames_per_second)
    assert outcome.watch.progress.alerts == 1 and outcome.watch.progress.frames == frames
    # The webhook saw the alert and the end; the log has the alert, with the event attached.
    assert [e["kind"] for e in sink.events] == ["alert", "ended"]
    assert sink.events[0]["source"] == "test://stream"
    (record,) = [r for r in caplog.records if "alert" in r.getMessage()]
    assert record.watch_event["data"]["entry_id"] == alert["entry_id"]  # type: ignore[attr-defined]
    assert entry_count(container) == before


def test_a_mirrored_excerpt_alerts_as_flipped(container: Container) -> None:
    _, events, _ = follow(container, ListedSource(stream_bytes("mirrored")))
    alerts = [e for e in events if e.kind is EventKind.ALERT]
    assert [a.data["transform"] for a in alerts] == ["flip_horizontal"]


def test_a_stream_without_banked_content_ends_without_alerts(container: Container) -> None:
    outcome, events, _ = follow(container, ListedSource(stream_bytes("clean")))
    assert [e.kind for e in events] == [EventKind.STARTED, EventKind.ENDED]
    frames = round(10 * container.settings.watch_frames_per_second)
    assert outcome.watch.progress.alerts == 0 and outcome.watch.progress.frames == frames


def test_only_the_named_banks_are_matched(container: Container) -> None:
    _, events, _ = follow(container, ListedSource(stream_bytes("matching")), banks=["other"])
    assert EventKind.ALERT not in [e.kind for e in events]


def test_a_stall_keeps_the_alerts_raised_before_it(container: Container) -> None:
    data = stream_bytes("matching")
    stall = StreamStalled("no new segment for 30 s")
    outcome, events, sink = follow(container, ListedSource(data[: len(data) * 9 // 10], then=stall))
    assert outcome.watch.status is WatchStatus.STALLED
    assert outcome.watch.error_code == "stream_stalled"
    assert outcome.error is stall
    assert [e.kind for e in events] == [EventKind.STARTED, EventKind.ALERT, EventKind.STALLED]
    assert events[-1].data["error"]["code"] == "stream_stalled"
    assert outcome.watch.progress.alerts == 1
    assert [e["kind"] for e in sink.events] == ["alert", "stalled"]


@pytest.mark.parametrize(
    ("source", "code"),
    [
        (ListedSource(b"<html>this is not video</html>" * 1000), "not_a_video"),
        (
            ListedSource([], then=InvalidInput("HTTP 404", code="source_http_error")),
            "source_http_error",
        ),
    ],
    ids=["not video", "source error"],
)
def test_a_bad_source_fails_the_watch_with_its_error(
    container: Container, source: ListedSource, code: str
) -> None:
    outcome, events, _ = follow(container, source)
    assert outcome.watch.status is WatchStatus.FAILED
    assert outcome.watch.error_code == code
    assert events[-1].kind is EventKind.FAILED


def test_stop_from_another_thread_ends_the_watch_promptly(container: Container) -> None:
    watch = container.watches.create(source="test://live", kind=SourceKind.HLS)
    source = ListedSource(stream_bytes("clean")[:50_000], hang=True)
    follower = container.watches.follower(watch, source=source)
    threading.Timer(0.5, follower.stop, args=("enough",)).start()
    outcome = follower.run()
    assert outcome.watch.status is WatchStatus.STOPPED
    events = container.watches.events(watch_id=watch.id)
    assert events[-1].kind is EventKind.STOPPED and events[-1].data["reason"] == "enough"


def test_a_stop_requested_through_the_store_is_seen_at_the_heartbeat(
    container: Container,
) -> None:
    watch = container.watches.create(source="test://live", kind=SourceKind.HLS)
    source = ListedSource(stream_bytes("clean")[:50_000], hang=True)
    threading.Timer(0.3, container.watches.request_stop, kwargs={"watch_id": watch.id}).start()
    outcome = container.watches.follow(watch, source=source)
    assert outcome.watch.status is WatchStatus.STOPPED
    assert outcome.watch.stop_requested


def test_a_watch_whose_process_went_away_is_lost_and_can_be_stopped(container: Container) -> None:
    watch = container.watches.create(source="test://gone", kind=SourceKind.HLS)
    store = container.store.watches
    stale = replace(watch, updated_at=watch.updated_at.replace(year=2000))
    store._watches[watch.id] = stale  # type: ignore[attr-defined]
    assert container.watches.get(watch_id=watch.id).status is WatchStatus.LOST
    assert [w.id for w in container.watches.all(status=WatchStatus.LOST)] == [watch.id]
    stopped = container.watches.request_stop(watch_id=watch.id)
    assert stopped.status is WatchStatus.STOPPED


def test_the_window_keeps_only_the_newest_seconds() -> None:
    window = FrameWindow(10.0)
    for second in range(1000):
        frame = VpdqFrame("0" * 64, 100, float(second))
        window.add(HashedFrame(frame, frame, None))
    times = [f.original.timestamp for f in window.frames]
    assert times == [float(s) for s in range(989, 1000)]


def test_an_unknown_bank_is_refused_before_anything_runs(container: Container) -> None:
    from fireline.domain import NotFound

    with pytest.raises(NotFound):
        container.watches.create(source="x", kind=SourceKind.HLS, banks=["nope"])


def test_settings_bound_the_window(container: Container) -> None:
    settings = WatchSettings(window_seconds=5.0)
    watch = container.watches.create(source="test://w", kind=SourceKind.HLS)
    follower = container.watches.follower(
        watch, source=ListedSource(stream_bytes("clean")), settings=settings
    )
    follower.run()
    assert len(follower._window.frames) <= 6
