"""Reading HLS playlists (RFC 8216): master playlists and media playlists, strictly.

Only what following a stream needs is read: variants (bandwidth, resolution, codecs),
the target duration, the media sequence, segments with their durations, the
initialisation section (``#EXT-X-MAP``), discontinuities, gaps and the end. Encrypted
segments and byte ranges are refused; anything that is not a playlist is malformed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from fireline.domain import InvalidInput, UnsupportedMedia

#: The most segments one playlist may list.
MAX_SEGMENTS = 100_000
#: The longest target or segment duration accepted, seconds.
MAX_DURATION = 3600.0
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^",]*)')
#: CODECS prefixes of video codecs (RFC 6381 names).
_VIDEO_CODECS = ("avc1", "avc3", "hvc1", "hev1", "vp09", "vp08", "av01", "mp4v", "dvh1", "dvhe")


@dataclass(frozen=True, slots=True)
class Variant:
    """One rendition a master playlist offers."""

    uri: str
    bandwidth: int
    resolution: tuple[int, int] | None = None
    codecs: str | None = None

    @property
    def has_video(self) -> bool:
        if self.codecs is None:
            return True  # undeclared: most likely audio and video
        return any(c.strip().lower().startswith(_VIDEO_CODECS) for c in self.codecs.split(","))

    def describe(self) -> dict[str, object]:
        size = None if self.resolution is None else f"{self.resolution[0]}x{self.resolution[1]}"
        return {"bandwidth": self.bandwidth, "resolution": size, "codecs": self.codecs}


@dataclass(frozen=True, slots=True)
class MasterPlaylist:
    variants: tuple[Variant, ...]

    def choose(self) -> Variant:
        """The lowest-bandwidth variant with video: the cheapest to fetch and decode.

        PDQ hashes a 64x64 reduction of each frame, so a small rendition matches as well
        as a large one.
        """
        candidates = [v for v in self.variants if v.has_video]
        if not candidates:
            raise UnsupportedMedia(
                "the master playlist offers no variant with video", code="no_video_stream"
            )
        return min(
            candidates,
            key=lambda v: (v.bandwidth, v.resolution[0] * v.resolution[1] if v.resolution else 0),
        )


@dataclass(frozen=True, slots=True)
class MediaSegment:
    sequence: int
    uri: str
    duration: float
    #: The initialisation section (fragmented MP4), when there is one.
    map_uri: str | None = None
    discontinuity: bool = False
    #: Marked missing (``#EXT-X-GAP``): never fetched.
    gap: bool = False


@dataclass(frozen=True, slots=True)
class MediaPlaylist:
    target_duration: float
    media_sequence: int
    segments: tuple[MediaSegment, ...]
    #: ``#EXT-X-ENDLIST``: no segment will be added.
    ended: bool


def parse_playlist(text: str, base_url: str) -> MasterPlaylist | MediaPlaylist:
    """Parse a playlist fetched from ``base_url`` (relative URIs resolve against it).

    Raises InvalidInput (``malformed_playlist``) or UnsupportedMedia (encryption, byte
    ranges).
    """
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines()]
    lines = [line for line in lines if line]
    if not lines or lines[0] != "#EXTM3U":
        raise _malformed("it does not start with #EXTM3U: not an HLS playlist")
    variants: list[Variant] = []
    segments: list[MediaSegment] = []
    target: float | None = None
    sequence = 0
    ended = False
    pending_variant: dict[str, str] | None = None
    duration: float | None = None
    map_uri: str | None = None
    discontinuity = gap = False
    for number, line in enumerate(lines[1:], start=2):
        tag, _, value = line.partition(":")
        if tag == "#EXT-X-STREAM-INF":
            pending_variant = _attributes(value)
        elif tag == "#EXT-X-TARGETDURATION":
            target = _number(value, number, "#EXT-X-TARGETDURATION")
        elif tag == "#EXT-X-MEDIA-SEQUENCE":
            if not value.isdigit():
                raise _malformed(f"line {number}: #EXT-X-MEDIA-SEQUENCE is not a number")
            sequence = int(value)
        elif tag == "#EXTINF":
            duration = _number(value.split(",", 1)[0], number, "#EXTINF")
        elif tag == "#EXT-X-ENDLIST":
            ended = True
        elif tag == "#EXT-X-MAP":
            attributes = _attributes(value)
            if "BYTERANGE" in attributes or "URI" not in attributes:
                raise _unsupported(
                    "an initialisation section (#EXT-X-MAP) without a URI, or as a byte range"
                )
            map_uri = _resolve(base_url, attributes["URI"], number)
        elif tag == "#EXT-X-KEY":
            method = _attributes(value).get("METHOD", "NONE")
            if method != "NONE":
                raise UnsupportedMedia(
                    f"the stream is encrypted (METHOD={method[:20]}): it cannot be watched",
                    code="encrypted_stream",
                )
        elif tag == "#EXT-X-BYTERANGE":
            raise _unsupported("segments given as byte ranges (#EXT-X-BYTERANGE)")
        elif tag == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif tag == "#EXT-X-GAP":
            gap = True
        elif line.startswith("#"):
            continue  # comments and tags following a stream does not need
        elif pending_variant is not None:
            variants.append(_variant(pending_variant, _resolve(base_url, line, number), number))
            pending_variant = None
        elif duration is not None:
            if len(segments) >= MAX_SEGMENTS:
                raise _malformed(f"it lists more than {MAX_SEGMENTS:,} segments")
            segments.append(
                MediaSegment(
                    sequence=sequence + len(segments),
                    uri=_resolve(base_url, line, number),
                    duration=duration,
                    map_uri=map_uri,
                    discontinuity=discontinuity,
                    gap=gap,
                )
            )
            duration, discontinuity, gap = None, False, False
        else:
            raise _malformed(f"line {number}: a URI with no #EXTINF or #EXT-X-STREAM-INF before it")
    if variants and segments:
        raise _malformed("it lists both variants and segments")
    if variants:
        return MasterPlaylist(tuple(variants))
    if pending_variant is not None:
        raise _malformed("#EXT-X-STREAM-INF is not followed by a URI")
    if target is None:
        raise _malformed("a media playlist needs #EXT-X-TARGETDURATION")
    return MediaPlaylist(
        target_duration=target, media_sequence=sequence, segments=tuple(segments), ended=ended
    )


def _attributes(text: str) -> dict[str, str]:
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(text)}


def _variant(attributes: dict[str, str], uri: str, line: int) -> Variant:
    bandwidth = attributes.get("BANDWIDTH", "")
    if not bandwidth.isdigit():
        raise _malformed(f"line {line}: #EXT-X-STREAM-INF needs a numeric BANDWIDTH")
    resolution = None
    width, x, height = attributes.get("RESOLUTION", "").partition("x")
    if x and width.isdigit() and height.isdigit():
        resolution = (int(width), int(height))
    return Variant(
        uri=uri, bandwidth=int(bandwidth), resolution=resolution, codecs=attributes.get("CODECS")
    )


def _number(text: str, line: int, tag: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise _malformed(f"line {line}: {tag} is not a number: {text[:40]!r}") from None
    if not math.isfinite(value) or not 0 <= value <= MAX_DURATION:
        raise _malformed(f"line {line}: {tag} must be 0-{MAX_DURATION:g} seconds")
    return value


def _resolve(base_url: str, uri: str, line: int) -> str:
    resolved = urljoin(base_url, uri)
    if urlsplit(resolved).scheme.lower() not in ("http", "https"):
        raise _malformed(f"line {line}: only http(s) URIs can be fetched; got {uri[:80]!r}")
    return resolved


def _malformed(reason: str) -> InvalidInput:
    return InvalidInput(f"malformed HLS playlist: {reason}", code="malformed_playlist")


def _unsupported(what: str) -> UnsupportedMedia:
    return UnsupportedMedia(
        f"the HLS playlist uses {what}, which cannot be followed", code="unsupported_playlist"
    )
