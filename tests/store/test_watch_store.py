"""The watch store contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from fireline.domain import NotFound
from fireline.domain.watches import EventKind, SourceKind, WatchProgress, WatchStatus
from fireline.store import Store


def new_watch(store: Store, source: str = "https://live.example/a.m3u8") -> int:
    return store.watches.create_watch(
        source=source,
        kind=SourceKind.HLS,
        banks=["crisis", "other"],
        webhook="https://hooks.example/x?token=secret",
        created_by="admin",
    ).id


def test_a_new_watch_is_running_with_no_events(store: Store) -> None:
    watch = store.watches.get_watch(new_watch(store))
    assert watch.status is WatchStatus.RUNNING
    assert watch.banks == ("crisis", "other")
    assert watch.webhook == "https://hooks.example/x?token=secret"
    assert (watch.events, watch.progress, watch.stop_requested) == (0, WatchProgress(), False)
    assert watch.finished_at is None and watch.created_at.tzinfo is not None


def test_events_are_numbered_per_watch_and_read_after_a_cursor(store: Store) -> None:
    first, second = new_watch(store), new_watch(store)
    data = {"entry_id": 3, "labels": ["a", "b"], "segment": {"score": 100}, "text": "é ✓"}
    numbers = [
        store.watches.add_event(first, EventKind.STARTED, {}).number,
        store.watches.add_event(second, EventKind.STARTED, {}).number,
        store.watches.add_event(first, EventKind.ALERT, data).number,
    ]
    assert numbers == [1, 1, 2]
    (alert,) = store.watches.list_events(first, after=1)
    assert (alert.kind, alert.data, alert.watch_id) == (EventKind.ALERT, data, first)
    assert [e.number for e in store.watches.list_events(first, after=0, limit=1)] == [1]
    assert store.watches.get_watch(first).events == 2


def test_concurrent_writers_number_events_without_gaps(store: Store) -> None:
    watch_id = new_watch(store)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(
            pool.map(
                lambda n: store.watches.add_event(watch_id, EventKind.NOTICE, {"n": n}), range(40)
            )
        )
    events = store.watches.list_events(watch_id, limit=100)
    assert [e.number for e in events] == list(range(1, 41))
    assert sorted(e.data["n"] for e in events) == list(range(40))


def test_heartbeat_records_progress_and_reports_a_stop_request(store: Store) -> None:
    watch_id = new_watch(store)
    progress = WatchProgress(segments=3, frames=6, stream_seconds=5.5, alerts=1)
    before = store.watches.get_watch(watch_id).updated_at
    assert store.watches.heartbeat(watch_id, progress) is False
    assert store.watches.request_stop(watch_id).stop_requested
    assert store.watches.heartbeat(watch_id, progress) is True
    watch = store.watches.get_watch(watch_id)
    assert watch.progress == progress and watch.updated_at >= before


def test_a_finished_watch_stays_finished(store: Store) -> None:
    watch_id = new_watch(store)
    done = store.watches.finish_watch(
        watch_id,
        status=WatchStatus.FAILED,
        progress=WatchProgress(segments=1),
        error_code="not_a_video",
        error_message="segment 0 is not video",
    )
    assert (done.status, done.error_code) == (WatchStatus.FAILED, "not_a_video")
    assert done.finished_at is not None
    again = store.watches.finish_watch(watch_id, status=WatchStatus.ENDED, progress=WatchProgress())
    assert again.status is WatchStatus.FAILED and again.progress.segments == 1
    assert store.watches.request_stop(watch_id).stop_requested is False


def test_watches_are_listed_newest_first_by_status_and_page(store: Store) -> None:
    ids = [new_watch(store, f"https://live.example/{n}.m3u8") for n in range(3)]
    store.watches.finish_watch(ids[1], status=WatchStatus.ENDED, progress=WatchProgress())
    assert [w.id for w in store.watches.list_watches()] == ids[::-1]
    assert [w.id for w in store.watches.list_watches(status=WatchStatus.ENDED)] == [ids[1]]
    assert [w.id for w in store.watches.list_watches(before_id=ids[2], limit=1)] == [ids[1]]


@pytest.mark.parametrize("watch_id", [0, 999, 2**31, 2**63])
def test_unknown_watches_are_not_found(store: Store, watch_id: int) -> None:
    for call in (
        lambda: store.watches.get_watch(watch_id),
        lambda: store.watches.list_events(watch_id),
        lambda: store.watches.add_event(watch_id, EventKind.NOTICE, {}),
        lambda: store.watches.request_stop(watch_id),
        lambda: store.watches.heartbeat(watch_id, WatchProgress()),
    ):
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.code == "watch_not_found"
