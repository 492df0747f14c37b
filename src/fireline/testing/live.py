"""Live streams for tests and benchmarks: HLS recordings, a growing playlist server, a webhook.

``record_hls`` encodes synthetic frames with FFmpeg's own HLS muxer (through PyAV) into
MPEG-TS or fragmented-MP4 segments held in memory. ``HlsServer`` serves them from a
thread on a free loopback port as a live playlist that grows as segments are published
(by hand, or on a clock), and can end, stall or misbehave on demand. ``WebhookReceiver``
collects the JSON POSTs a watch sends. Nothing here is real content.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import av
import numpy as np
from PIL import Image

from fireline.signals.live import Chunk, SourceClosed
from fireline.testing.media import synthetic_frame

SegmentType = Literal["mpegts", "fmp4"]


@dataclass(frozen=True)
class Piece:
    """``seconds`` of ``synthetic_video(seed)``, from ``start`` seconds into it."""

    seed: int
    start: float
    seconds: float


def pieces_frames(
    pieces: Sequence[Piece], *, fps: int = 10, size: tuple[int, int] = (320, 240)
) -> Iterator[Image.Image]:
    """The frames of the pieces one after another, as one continuous video."""
    for piece in pieces:
        for n in range(round(piece.seconds * fps)):
            yield synthetic_frame(piece.seed, piece.start + n / fps, size)


@dataclass(frozen=True)
class HlsSegment:
    name: str
    duration: float
    data: bytes


@dataclass(frozen=True)
class HlsRecording:
    """Encoded segments, in order, and the initialisation section of fragmented MP4."""

    segments: tuple[HlsSegment, ...]
    target_duration: int
    init: bytes | None = None


def record_hls(
    frames: Iterable[Image.Image],
    *,
    fps: int = 10,
    segment_seconds: int = 1,
    segment_type: SegmentType = "mpegts",
) -> HlsRecording:
    """Encode frames (all one size) to HLS segments with a keyframe starting each one."""
    with tempfile.TemporaryDirectory() as folder:
        playlist = os.path.join(folder, "live.m3u8")
        options = {
            "hls_time": str(segment_seconds),
            "hls_list_size": "0",
            "hls_segment_type": segment_type,
            "fflags": "+bitexact",
        }
        with av.open(playlist, mode="w", format="hls", options=options) as output:
            stream = output.add_stream("libx264", rate=fps)
            assert isinstance(stream, av.VideoStream)
            stream.pix_fmt = "yuv420p"
            stream.codec_context.thread_count = 1
            gop = str(fps * segment_seconds)
            stream.options = {"crf": "20", "preset": "veryfast", "g": gop, "sc_threshold": "0"}
            for number, image in enumerate(frames):
                if number == 0:
                    stream.width, stream.height = image.size
                pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = number
                output.mux(stream.encode(frame))
            output.mux(stream.encode(None))
        segments = []
        duration = None
        with open(playlist) as listing:
            for line in listing.read().splitlines():
                if line.startswith("#EXTINF:"):
                    duration = float(line.removeprefix("#EXTINF:").split(",")[0])
                elif line and not line.startswith("#") and duration is not None:
                    with open(os.path.join(folder, line), "rb") as segment:
                        segments.append(HlsSegment(line, duration, segment.read()))
                    duration = None
        init = None
        if segment_type == "fmp4":
            with open(os.path.join(folder, "init.mp4"), "rb") as handle:
                init = handle.read()
    return HlsRecording(tuple(segments), target_duration=segment_seconds, init=init)


class ListedSource:
    """A ChunkSource over bytes known up front, for tests without a network.

    Hands out ``data`` in chunks of ``chunk_bytes`` (or the given pieces), waiting
    ``delay`` seconds before each, then ends; or raises ``then`` when it is given; or,
    with ``hang``, waits until it is closed.
    """

    def __init__(
        self,
        data: bytes | Sequence[bytes],
        *,
        chunk_bytes: int = 64 * 1024,
        delay: float = 0.0,
        then: BaseException | None = None,
        hang: bool = False,
        container: str | None = None,
    ) -> None:
        if isinstance(data, bytes):
            data = [data[i : i + chunk_bytes] for i in range(0, len(data), chunk_bytes)]
        self.pieces = list(data)
        self.delay = delay
        self.then = then
        self.hang = hang
        self.container = container
        self.end_reason = "all bytes delivered"
        self.closed = threading.Event()
        self.served = 0

    def open(self) -> dict[str, object]:
        return {"pieces": len(self.pieces)}

    def next_chunk(self) -> Chunk | None:
        if self.closed.wait(self.delay) or self.closed.is_set():
            raise SourceClosed
        if self.served < len(self.pieces):
            self.served += 1
            return Chunk(self.pieces[self.served - 1], time.monotonic(), f"piece {self.served}")
        if self.then is not None:
            raise self.then
        if self.hang:
            self.closed.wait()
            raise SourceClosed
        return None

    def close(self) -> None:
        self.closed.set()


Route = Callable[[], tuple[int, str, bytes]]


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def _serve_on_loopback(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threaded HTTP server on a free loopback port, serving from a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class HlsServer:
    """A growing HLS stream on 127.0.0.1, served from a thread.

    ``/live.m3u8`` lists the published segments (``#EXT-X-ENDLIST`` once ``end()`` is
    called); ``/master.m3u8`` offers it as one variant among ``extra_variants`` (URIs that
    answer 404). ``routes`` overrides any path with (status, content type, body), and
    ``redirects`` sends a path elsewhere (302). ``published_at[i]`` is when segment ``i``
    was published (``time.monotonic()``).
    """

    recording: HlsRecording
    routes: dict[str, Route] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    window: int | None = None  # list only the newest segments, like a live server
    extra_variants: Sequence[tuple[int, str]] = ((3_000_000, "avc1.640028,mp4a.40.2"),)
    published_at: dict[int, float] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    ended: bool = False
    _server: ThreadingHTTPServer | None = None
    _clock: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/live.m3u8"

    @property
    def master_url(self) -> str:
        return f"{self.base_url}/master.m3u8"

    def publish(self, count: int = 1) -> None:
        with self._lock:
            for _ in range(count):
                index = len(self.published_at)
                if index >= len(self.recording.segments):
                    return
                self.published_at[index] = time.monotonic()

    def end(self) -> None:
        with self._lock:
            self.ended = True

    def publish_every(self, seconds: float, *, end: bool = True) -> None:
        """Publish one segment every ``seconds`` from a thread; end after the last one."""

        def tick() -> None:
            while not self._stop.is_set() and len(self.published_at) < len(self.recording.segments):
                self.publish()
                self._stop.wait(seconds)
            if end and not self._stop.is_set():
                self.end()

        self._clock = threading.Thread(target=tick, daemon=True)
        self._clock.start()

    def playlist(self) -> str:
        with self._lock:
            published = len(self.published_at)
            ended = self.ended
        first = 0 if self.window is None else max(0, published - self.window)
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:7",
            f"#EXT-X-TARGETDURATION:{self.recording.target_duration}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        if self.recording.init is not None:
            lines.append('#EXT-X-MAP:URI="init.mp4"')
        for segment in self.recording.segments[first:published]:
            lines += [f"#EXTINF:{segment.duration:.3f},", segment.name]
        if ended:
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"

    def master(self) -> str:
        lines = ["#EXTM3U"]
        for bandwidth, codecs in self.extra_variants:
            lines += [
                f'#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},CODECS="{codecs}",RESOLUTION=1280x720',
                f"hd-{bandwidth}.m3u8",
            ]
        lines += ['#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.2"', "audio.m3u8"]
        lines += [
            '#EXT-X-STREAM-INF:BANDWIDTH=400000,CODECS="avc1.42e01e",RESOLUTION=320x240',
            "live.m3u8",
        ]
        return "\n".join(lines) + "\n"

    def answer(self, path: str) -> tuple[int, str, bytes]:
        self.requests.append(path)
        if path in self.routes:
            return self.routes[path]()
        if path == "/live.m3u8":
            return 200, "application/vnd.apple.mpegurl", self.playlist().encode()
        if path == "/master.m3u8":
            return 200, "application/vnd.apple.mpegurl", self.master().encode()
        if path == "/init.mp4" and self.recording.init is not None:
            return 200, "video/mp4", self.recording.init
        with self._lock:
            published = len(self.published_at)
        for segment in self.recording.segments[:published]:
            if path == f"/{segment.name}":
                return 200, "video/mp2t", segment.data
        return 404, "text/plain", b"not found"

    def start(self) -> HlsServer:
        server = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path in server.redirects:
                    server.requests.append(path)
                    self.send_response(302)
                    self.send_header("Location", server.redirects[path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, kind, body = server.answer(path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = _serve_on_loopback(Handler)
        return self

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> HlsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class WebhookReceiver:
    """Collects JSON POSTs on 127.0.0.1; answers ``failures`` 503s before any 200."""

    failures: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    received_at: list[float] = field(default_factory=list)
    attempts: int = 0
    _server: ThreadingHTTPServer | None = None
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], *, timeout: float
    ) -> dict[str, Any]:
        """The first event received that satisfies ``predicate``; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such webhook event within {timeout} s: {self.events}")
                self._arrived.wait(left)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(_QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._arrived:
                    receiver.attempts += 1
                    failing = receiver.attempts <= receiver.failures
                    if not failing:
                        receiver.events.append(json.loads(body))
                        receiver.received_at.append(time.monotonic())
                        receiver._arrived.notify_all()
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = _serve_on_loopback(Handler)
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
