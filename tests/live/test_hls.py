"""Following HLS over HTTP from a real server on loopback: growth, ends, stalls, bad input."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from fireline.domain import InvalidInput, MediaTooLarge, UnsupportedMedia
from fireline.domain.watches import StreamStalled
from fireline.live import Fetcher, HlsSource, SourcePolicy
from fireline.signals.live import Chunk, SourceClosed
from fireline.testing.live import HlsRecording, HlsServer
from fireline.testing.server import free_port
from tests.live_media import hls

LOOPBACK = SourcePolicy(allow_private_addresses=True)


def source(
    url: str, *, stall: float = 5.0, window: float = 120.0, max_bytes: int = 2**24
) -> HlsSource:
    return HlsSource(
        url,
        fetcher=Fetcher(policy=LOOPBACK, timeout=2.0),
        stall_seconds=stall,
        window_seconds=window,
        max_segment_bytes=max_bytes,
    )


def drain(hls_source: HlsSource) -> Iterator[Chunk]:
    while (chunk := hls_source.next_chunk()) is not None:
        yield chunk


@pytest.fixture
def recording() -> HlsRecording:
    return hls("clean")


def test_segments_arrive_in_order_as_they_are_published_until_the_end(
    recording: HlsRecording,
) -> None:
    with HlsServer(recording) as server:
        server.publish(2)
        server.publish_every(0.2)
        followed = source(server.url)
        details = followed.open()
        chunks = list(drain(followed))
    assert details["live"] is True and details["container"] == "mpegts"
    assert [c.data for c in chunks] == [s.data for s in recording.segments]
    assert [c.label for c in chunks][:2] == ["segment 0 (live0.ts)", "segment 1 (live1.ts)"]
    assert followed.end_reason == "end of playlist (#EXT-X-ENDLIST)"
    # The playlist was reloaded on the target duration (1 s), not hammered.
    reloads = server.requests.count("/live.m3u8")
    assert reloads <= 2 * len(recording.segments) * 0.2 + 4


def test_a_master_playlist_is_followed_through_its_lowest_bandwidth_video_variant(
    recording: HlsRecording,
) -> None:
    with HlsServer(recording) as server:
        server.publish(len(recording.segments))
        server.end()
        followed = source(server.master_url)
        details = followed.open()
        assert len(list(drain(followed))) == len(recording.segments)
    assert details["variant"] == {
        "bandwidth": 400000,
        "resolution": "320x240",
        "codecs": "avc1.42e01e",
    }
    assert not any(path.startswith("/hd-") or path == "/audio.m3u8" for path in server.requests)


def test_a_live_playlist_is_joined_at_the_match_window(recording: HlsRecording) -> None:
    with HlsServer(recording) as server:
        server.publish(8)
        followed = source(server.url, window=3.0, stall=0.5)
        assert followed.open()["first_segment"] == 5
        labels = []
        with pytest.raises(StreamStalled):
            labels.extend(c.label for c in drain(followed))
    assert labels == ["segment 5 (live5.ts)", "segment 6 (live6.ts)", "segment 7 (live7.ts)"]


def test_fragmented_mp4_starts_with_its_initialisation_section() -> None:
    recording = hls("clean", "fmp4")
    assert recording.init is not None
    with HlsServer(recording) as server:
        server.publish(3)
        server.end()
        followed = source(server.url)
        assert followed.open()["container"] == "mp4"
        chunks = list(drain(followed))
    assert chunks[0].data == recording.init
    assert [c.data for c in chunks[1:]] == [s.data for s in recording.segments[:3]]


def test_a_stream_with_no_new_segment_stalls_within_the_timeout(recording: HlsRecording) -> None:
    with HlsServer(recording) as server:
        server.publish(2)
        followed = source(server.url, stall=1.0)
        followed.open()
        started = time.monotonic()
        with pytest.raises(StreamStalled) as caught:
            list(drain(followed))
        waited = time.monotonic() - started
    assert caught.value.code == "stream_stalled"
    assert "no new segment for 1 s" in caught.value.message
    assert waited < 10, "bounded by the stall timeout, not by a network timeout"


def test_segments_that_left_the_playlist_are_skipped_with_a_notice(
    recording: HlsRecording,
) -> None:
    with HlsServer(recording, window=2) as server:
        server.publish(2)
        followed = source(server.url)
        followed.open()
        first = followed.next_chunk()
        server.publish(5)  # segments 2-4 scroll out of a 2-segment window unseen
        rest = []
        while len(rest) < 2:
            chunk = followed.next_chunk()
            assert chunk is not None
            rest.append(chunk)
    assert first is not None and first.label.startswith("segment 0")
    labels = [c.label for c in rest]
    assert labels[0].startswith("segment 1")
    assert labels[1].startswith("segment 5")
    assert "skipped segments 2-4" in rest[1].notice


@pytest.mark.parametrize(
    ("route", "answer", "code"),
    [
        ("/live.m3u8", (404, "text/plain", b"gone"), "source_http_error"),
        ("/live.m3u8", (500, "text/plain", b"oops"), "source_http_error"),
        ("/live.m3u8", (200, "text/html", b"<html>hello</html>"), "malformed_playlist"),
        ("/live.m3u8", (200, "application/x-mpegurl", b"\xff\xfe#EXTM3U"), "malformed_playlist"),
        ("/live.m3u8", (200, "text/plain", b"#EXTM3U\n" + b"#" * 2_000_000), "too_many_bytes"),
    ],
)
def test_a_bad_playlist_fails_at_once_saying_why(
    recording: HlsRecording, route: str, answer: tuple[int, str, bytes], code: str
) -> None:
    with (
        HlsServer(recording, routes={route: lambda: answer}) as server,
        pytest.raises(InvalidInput) as caught,
    ):
        source(server.url).open()
    assert caught.value.code == code


def test_an_unreachable_server_fails_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        source(f"http://127.0.0.1:{free_port()}/live.m3u8").open()
    assert caught.value.code == "source_unreachable"


def test_redirects_are_followed(recording: HlsRecording) -> None:
    with HlsServer(recording, redirects={"/moved.m3u8": "/live.m3u8"}) as server:
        server.publish(1)
        server.end()
        followed = source(f"{server.base_url}/moved.m3u8")
        assert followed.open()["playlist"] == server.url
        assert followed.next_chunk() is not None


@pytest.mark.parametrize(
    ("redirects", "code"),
    [
        ({"/live.m3u8": "/again.m3u8", "/again.m3u8": "/live.m3u8"}, "too_many_redirects"),
        ({"/live.m3u8": "file:///etc/passwd"}, "unsupported_source"),
    ],
    ids=["loop", "to a file"],
)
def test_every_redirect_hop_is_bounded_and_checked(
    recording: HlsRecording, redirects: dict[str, str], code: str
) -> None:
    with HlsServer(recording, redirects=redirects) as server, pytest.raises(InvalidInput) as caught:
        source(server.url).open()
    assert caught.value.code == code


def test_the_server_policy_refuses_loopback_before_any_request(recording: HlsRecording) -> None:
    with HlsServer(recording) as server:
        followed = HlsSource(
            server.url,
            fetcher=Fetcher(policy=SourcePolicy(), timeout=1),
            stall_seconds=1,
            window_seconds=10,
            max_segment_bytes=1000,
        )
        with pytest.raises(InvalidInput) as caught:
            followed.open()
    assert caught.value.code == "address_not_allowed"
    assert server.requests == []


def test_a_segment_that_is_not_video_fails_the_stream(recording: HlsRecording) -> None:
    html = (200, "text/html", b"<!DOCTYPE html><html>error page</html>")
    with HlsServer(recording, routes={"/live1.ts": lambda: html}) as server:
        server.publish(3)
        server.end()
        followed = source(server.url)
        followed.open()
        assert followed.next_chunk() is not None
        with pytest.raises(UnsupportedMedia) as caught:
            followed.next_chunk()
    assert caught.value.code == "not_a_video"
    assert "segment 1" in caught.value.message


def test_a_segment_over_the_byte_limit_fails_the_stream(recording: HlsRecording) -> None:
    with HlsServer(recording) as server:
        server.publish(1)
        followed = source(server.url, max_bytes=1000)
        followed.open()
        with pytest.raises(MediaTooLarge) as caught:
            followed.next_chunk()
    assert caught.value.code == "too_many_bytes"


def test_a_missing_segment_is_skipped_with_a_notice(recording: HlsRecording) -> None:
    missing = (404, "text/plain", b"no")
    with HlsServer(recording, routes={"/live1.ts": lambda: missing}) as server:
        server.publish(3)
        server.end()
        followed = source(server.url)
        followed.open()
        chunks = list(drain(followed))
    assert [c.label.split(" (")[0] for c in chunks] == ["segment 0", "segment 2"]
    assert "segment 1 skipped" in chunks[1].notice and "HTTP 404" in chunks[1].notice


def test_closing_stops_a_waiting_reader_at_once(recording: HlsRecording) -> None:
    with HlsServer(recording) as server:
        server.publish(1)
        followed = source(server.url, stall=60)
        followed.open()
        assert followed.next_chunk() is not None
        threading.Timer(0.3, followed.close).start()
        started = time.monotonic()
        with pytest.raises(SourceClosed):
            followed.next_chunk()
    assert time.monotonic() - started < 5
