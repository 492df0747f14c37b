"""Following an HLS stream: reload the media playlist, fetch each new segment in order.

Reloads follow RFC 8216 (6.3.4): a target duration after a reload that found changes,
half of it after one that did not (never more often than every half second, never less
than every ten seconds). MPEG-TS segments concatenate into one continuous stream;
fragmented MP4 segments follow their initialisation section (``#EXT-X-MAP``), sent
first. A master playlist is followed through its lowest-bandwidth video variant.

A live playlist is joined at the newest segments that span the match window; one that
has already ended is read from its first segment. Segments that left the playlist before
they could be fetched, or that fail three times, are skipped with a notice. When no new
segment arrives for the stall timeout, ``next_chunk`` raises StreamStalled; the stream
ends at ``#EXT-X-ENDLIST``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from fireline.domain import InvalidInput, UnsupportedMedia
from fireline.domain.watches import StreamStalled
from fireline.live.fetch import Fetcher, FetchFailed, where
from fireline.live.guarded import GuardedSource
from fireline.live.playlist import MasterPlaylist, MediaPlaylist, MediaSegment, parse_playlist
from fireline.signals.live import Chunk, SourceClosed

#: Largest playlist accepted, bytes.
MAX_PLAYLIST_BYTES = 1024 * 1024
#: Bounds on the time between two reloads, seconds.
MIN_RELOAD, MAX_RELOAD = 0.5, 10.0
#: Tries per segment before it is skipped.
SEGMENT_TRIES = 3
#: The first bytes of fragmented MP4 segments (box types).
_MP4_BOXES = (b"styp", b"moof", b"sidx", b"prft", b"emsg", b"free", b"ftyp")


class HlsSource(GuardedSource):
    """A ChunkSource over an HLS playlist URL."""

    closed_errors = (InvalidInput, OSError)

    def __init__(
        self,
        url: str,
        *,
        fetcher: Fetcher,
        stall_seconds: float,
        window_seconds: float,
        max_segment_bytes: int,
    ) -> None:
        super().__init__()
        self.url = url
        self._fetcher = fetcher
        self._stall = stall_seconds
        self._window = window_seconds
        self._max_segment = max_segment_bytes
        self._media_url = url
        self._playlist: MediaPlaylist | None = None
        self._next = 0
        self._map_uri: str | None = None
        self._pending_init: Chunk | None = None
        self._last_new = time.monotonic()
        self._reload_at = 0.0
        self._last_error = ""
        self._notice = ""
        self._end_reason = ""
        self.container: str | None = None

    @property
    def end_reason(self) -> str:
        return self._end_reason

    def open(self) -> Mapping[str, object]:
        with self._busy:
            if self._closed.is_set():
                raise SourceClosed
            return self._open()

    def _open(self) -> Mapping[str, object]:
        details: dict[str, object] = {}
        playlist = self._load(self.url)
        if isinstance(playlist, MasterPlaylist):
            variant = playlist.choose()
            details["variant"] = variant.describe()
            playlist = self._load(variant.uri)
            if isinstance(playlist, MasterPlaylist):
                raise InvalidInput(
                    "malformed HLS playlist: a variant is itself a master playlist",
                    code="malformed_playlist",
                )
        self._playlist = playlist
        self._next = _starting_sequence(playlist, self._window)
        first = next((s for s in playlist.segments if s.sequence >= self._next), None)
        self._map_uri = first.map_uri if first else None
        self.container = "mp4" if self._map_uri else "mpegts"
        if self._map_uri is not None:
            init = self._fetcher.get(
                self._map_uri, max_bytes=MAX_PLAYLIST_BYTES, what="the initialisation section"
            )
            self._pending_init = Chunk(init.content, time.monotonic(), "initialisation section")
        self._last_new = time.monotonic()
        self._schedule(changed=True)
        details.update(
            {
                "playlist": where(self._media_url),
                "target_duration": playlist.target_duration,
                "container": self.container,
                "live": not playlist.ended,
                "first_segment": self._next,
            }
        )
        return details

    def next_chunk(self) -> Chunk | None:
        init, self._pending_init = self._pending_init, None
        if init is not None:
            return init
        return self._guarded_next()

    def _release(self) -> None:
        self._fetcher.close()

    # -- internals ----------------------------------------------------------------------

    def _next_chunk(self) -> Chunk | None:
        while True:
            if self._closed.is_set():
                raise SourceClosed
            playlist = self._playlist
            assert playlist is not None
            segment = self._take(playlist)
            if segment is not None:
                data = self._fetch_segment(segment)
                if data is None:
                    continue
                self._last_new = time.monotonic()
                notice, self._notice = self._notice, ""
                name = segment.uri.rsplit("/", 1)[-1].split("?", 1)[0]
                return Chunk(data, self._last_new, f"segment {segment.sequence} ({name})", notice)
            if playlist.ended:
                self._end_reason = "end of playlist (#EXT-X-ENDLIST)"
                return None
            now = time.monotonic()
            deadline = self._last_new + self._stall
            if now >= deadline:
                detail = f"; the last reload failed: {self._last_error}" if self._last_error else ""
                raise StreamStalled(
                    f"no new segment for {self._stall:g} s{detail}", code="stream_stalled"
                )
            wait = min(self._reload_at, deadline) - now
            if wait > 0 and self._closed.wait(wait):
                raise SourceClosed
            if time.monotonic() >= self._reload_at:
                self._reload()

    def _take(self, playlist: MediaPlaylist) -> MediaSegment | None:
        """The next segment to fetch, noting any that were missed or marked missing."""
        for segment in playlist.segments:
            if segment.sequence < self._next:
                continue
            if segment.sequence > self._next:
                self._note(
                    f"skipped segments {self._next}-{segment.sequence - 1}: they left the "
                    "playlist before they could be fetched"
                )
            self._next = segment.sequence + 1
            if segment.gap:
                self._note(f"segment {segment.sequence} is marked missing (#EXT-X-GAP)")
                continue
            if segment.map_uri != self._map_uri:
                raise UnsupportedMedia(
                    "the stream changed its initialisation section (#EXT-X-MAP) midway; "
                    "that cannot be followed",
                    code="unsupported_playlist",
                )
            return segment
        return None

    def _reload(self) -> None:
        previous = self._playlist
        try:
            playlist = self._load(self._media_url)
        except (FetchFailed, InvalidInput) as exc:
            if isinstance(exc, UnsupportedMedia):
                raise
            self._last_error = exc.message
            self._schedule(changed=False)
            return
        if isinstance(playlist, MasterPlaylist):
            raise InvalidInput(
                "malformed HLS playlist: the media playlist turned into a master playlist",
                code="malformed_playlist",
            )
        self._last_error = ""
        if previous is not None and playlist.media_sequence < previous.media_sequence:
            self._note("the playlist restarted (its media sequence went back)")
            self._next = playlist.media_sequence
        changed = previous is None or (
            playlist.media_sequence,
            len(playlist.segments),
            playlist.ended,
        ) != (previous.media_sequence, len(previous.segments), previous.ended)
        self._playlist = playlist
        self._schedule(changed=changed)

    def _schedule(self, *, changed: bool) -> None:
        target = self._playlist.target_duration if self._playlist is not None else 2.0
        interval = target if changed else target / 2
        self._reload_at = time.monotonic() + min(max(interval, MIN_RELOAD), MAX_RELOAD)

    def _load(self, url: str) -> MasterPlaylist | MediaPlaylist:
        """Fetch and parse a playlist; reloads go to where redirects led."""
        fetched = self._fetcher.get(url, max_bytes=MAX_PLAYLIST_BYTES, what="the playlist")
        self._media_url = fetched.url
        try:
            text = fetched.content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                "malformed HLS playlist: it is not UTF-8 text", code="malformed_playlist"
            ) from None
        return parse_playlist(text, fetched.url)

    def _fetch_segment(self, segment: MediaSegment) -> bytes | None:
        problem = ""
        for attempt in range(SEGMENT_TRIES):
            if attempt and self._closed.wait(0.5 * attempt):
                raise SourceClosed
            try:
                data = self._fetcher.get(
                    segment.uri, max_bytes=self._max_segment, what=f"segment {segment.sequence}"
                ).content
            except FetchFailed as exc:
                problem = exc.message
                if not exc.transient and exc.status not in (404, 410):
                    break
                continue
            self._check_segment(segment, data)
            return data
        self._note(f"segment {segment.sequence} skipped: {problem}")
        return None

    def _check_segment(self, segment: MediaSegment, data: bytes) -> None:
        if self.container == "mpegts":
            if data[:1] == b"\x47" and (len(data) <= 188 or data[188:189] == b"\x47"):
                return
            kind = "MPEG-TS"
        else:
            if data[4:8] in _MP4_BOXES:
                return
            kind = "fragmented MP4"
        raise UnsupportedMedia(
            f"segment {segment.sequence} ({where(segment.uri)}) is not {kind} video "
            f"(it starts with {data[:16]!r})",
            code="not_a_video",
        )

    def _note(self, message: str) -> None:
        self._notice = f"{self._notice}; {message}" if self._notice else message


def _starting_sequence(playlist: MediaPlaylist, window: float) -> int:
    """The first segment to fetch: all of an ended playlist, the window's worth of a live one."""
    segments = playlist.segments
    if playlist.ended or not segments:
        return segments[0].sequence if segments else playlist.media_sequence
    spanned = 0.0
    start = segments[-1].sequence
    for segment in reversed(segments):
        spanned += segment.duration
        if spanned > window:
            break
        start = segment.sequence
    return start
