"""What watches may reach: public http(s) URLs, and files under one directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from fireline.domain import InvalidInput
from fireline.domain.watches import SourceKind
from fireline.live import SourcePolicy

SERVER = SourcePolicy()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8321/live.m3u8",
        "http://localhost/live.m3u8",
        "http://10.0.0.8/live.m3u8",
        "http://192.168.1.1/live.m3u8",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/x.m3u8",
        "http://[::1]/x.m3u8",
        "http://[::ffff:127.0.0.1]/x.m3u8",
        "http://0.0.0.0/x.m3u8",
        "http://224.0.0.1/x.m3u8",
    ],
)
def test_non_public_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        SERVER.source(url)
    assert caught.value.code == "address_not_allowed"
    assert "FIRELINE_WATCH_ALLOW_PRIVATE_URLS" in caught.value.message
    assert SourcePolicy(allow_private_addresses=True).source(url).kind is SourceKind.HLS


def test_public_addresses_are_allowed() -> None:
    spec = SERVER.source("https://93.184.215.14/live/index.m3u8")
    assert spec.kind is SourceKind.HLS


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("ftp://example.com/live.m3u8", "unsupported_source"),
        ("rtmp://example.com/live", "unsupported_source"),
        ("http:///live.m3u8", "bad_url"),
        ("http://example.com:99999/live.m3u8", "bad_url"),
        ("http://no-such-host.invalid/live.m3u8", "source_unreachable"),
        ("   ", "unsupported_source"),
    ],
)
def test_other_schemes_and_broken_urls_are_refused(source: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        SERVER.source(source)
    assert caught.value.code == code


def test_the_server_refuses_files_unless_a_directory_is_configured(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        SERVER.source(str(tmp_path / "rec.ts"))
    assert caught.value.code == "file_sources_disabled"


@pytest.mark.parametrize("name", ["rec.ts", "sub/rec.ts", "file://{root}/rec.ts", "{root}/rec.ts"])
def test_files_under_the_directory_are_allowed(tmp_path: Path, name: str) -> None:
    policy = SourcePolicy(file_dir=tmp_path)
    spec = policy.source(name.format(root=tmp_path))
    assert spec.kind is SourceKind.FILE
    assert Path(spec.location).is_relative_to(tmp_path.resolve())


@pytest.mark.parametrize("name", ["../rec.ts", "/etc/passwd", "file:///etc/passwd", "link/x"])
def test_files_outside_the_directory_are_refused(tmp_path: Path, name: str) -> None:
    root = tmp_path / "watched"
    root.mkdir()
    (root / "link").symlink_to("/etc")
    with pytest.raises(InvalidInput) as caught:
        SourcePolicy(file_dir=root).source(name)
    assert caught.value.code == "file_not_allowed"


def test_the_command_line_may_watch_any_file_and_address(tmp_path: Path) -> None:
    policy = SourcePolicy.for_command_line()
    assert policy.source("rec.ts").location == str(Path("rec.ts").absolute())
    assert policy.source("http://127.0.0.1:1/x.m3u8").kind is SourceKind.HLS
