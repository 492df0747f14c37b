"""HLS playlists: masters, media playlists, and what is refused."""

from __future__ import annotations

import pytest

from fireline.domain import InvalidInput, UnsupportedMedia
from fireline.live import MasterPlaylist, MediaPlaylist, parse_playlist

BASE = "https://cdn.example/live/stream/index.m3u8"

MEDIA = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:41
#EXTINF:6.000,
seg41.ts
#EXT-X-DISCONTINUITY
#EXTINF:5.5,title
https://other.example/seg42.ts?token=abc
#EXT-X-GAP
#EXTINF:6,
seg43.ts
"""


def test_a_media_playlist_lists_its_segments_with_sequence_numbers_and_urls() -> None:
    playlist = parse_playlist(MEDIA, BASE)
    assert isinstance(playlist, MediaPlaylist)
    assert (playlist.target_duration, playlist.media_sequence, playlist.ended) == (6, 41, False)
    assert [(s.sequence, s.uri, s.duration) for s in playlist.segments] == [
        (41, "https://cdn.example/live/stream/seg41.ts", 6.0),
        (42, "https://other.example/seg42.ts?token=abc", 5.5),
        (43, "https://cdn.example/live/stream/seg43.ts", 6.0),
    ]
    assert [s.discontinuity for s in playlist.segments] == [False, True, False]
    assert [s.gap for s in playlist.segments] == [False, False, True]


def test_endlist_and_map_are_read() -> None:
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:2", '#EXT-X-MAP:URI="init.mp4"', "#EXTINF:2,"]
    text = "\ufeff" + "\r\n".join([*lines, "a.m4s", "#EXT-X-ENDLIST"]) + "\r\n"
    playlist = parse_playlist(text, BASE)
    assert isinstance(playlist, MediaPlaylist)
    assert playlist.ended
    assert playlist.segments[0].map_uri == "https://cdn.example/live/stream/init.mp4"


def test_a_master_playlist_picks_the_lowest_bandwidth_variant_with_video() -> None:
    text = """#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2"
hd.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.2"
audio.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2"
sd/index.m3u8
"""
    playlist = parse_playlist(text, BASE)
    assert isinstance(playlist, MasterPlaylist)
    chosen = playlist.choose()
    assert chosen.uri == "https://cdn.example/live/stream/sd/index.m3u8"
    assert chosen.describe() == {
        "bandwidth": 800000,
        "resolution": "640x360",
        "codecs": "avc1.4d401e,mp4a.40.2",
    }


def test_a_master_playlist_with_audio_only_has_nothing_to_watch() -> None:
    text = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.2"\na.m3u8\n'
    playlist = parse_playlist(text, BASE)
    assert isinstance(playlist, MasterPlaylist)
    with pytest.raises(UnsupportedMedia) as caught:
        playlist.choose()
    assert caught.value.code == "no_video_stream"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "#EXTM3U"),
        ("<html>404 not found</html>", "#EXTM3U"),
        ("#EXTM3U\n#EXTINF:2,\na.ts\n", "TARGETDURATION"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\na.ts\n", "no #EXTINF"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:two\n", "not a number"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:-1,\na.ts\n", "0-3600"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:nan,\na.ts\n", "0-3600"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:x\n", "MEDIA-SEQUENCE"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nftp://x/a.ts\n", "http(s)"),
        ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", "not followed by a URI"),
        ("#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1x1\nv.m3u8\n", "BANDWIDTH"),
    ],
)
def test_malformed_playlists_are_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_playlist(text, BASE)
    assert caught.value.code == "malformed_playlist"
    assert reason in caught.value.message


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ('#EXT-X-KEY:METHOD=AES-128,URI="k.key"', "encrypted_stream"),
        ("#EXT-X-BYTERANGE:1000@0", "unsupported_playlist"),
        ('#EXT-X-MAP:URI="init.mp4",BYTERANGE="800@0"', "unsupported_playlist"),
    ],
)
def test_encryption_and_byte_ranges_are_refused(tag: str, code: str) -> None:
    text = f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n{tag}\n#EXTINF:2,\na.ts\n"
    with pytest.raises(UnsupportedMedia) as caught:
        parse_playlist(text, BASE)
    assert caught.value.code == code


def test_key_method_none_is_no_encryption() -> None:
    text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:2,\na.ts\n"
    assert isinstance(parse_playlist(text, BASE), MediaPlaylist)
