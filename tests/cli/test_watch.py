"""`fireline watch`: alerts as they come, and an exit status for each way a stream ends."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from fireline.testing.live import HlsServer, WebhookReceiver
from fireline.testing.server import free_port
from tests.cli.conftest import Cli
from tests.cli.scripts import FIRELINE
from tests.live_media import hls, reference_video, stream_bytes


@pytest.fixture
def banked(cli: Cli, tmp_path: Path) -> Cli:
    """The CLI's database with the reference video in bank ``crisis``."""
    video = tmp_path / "reference.mp4"
    video.write_bytes(reference_video())
    cli.ok("bank", "create", "crisis")
    cli.ok("bank", "add", "crisis", video, "--content-type", "video")
    return cli


def ended_server(name: str) -> HlsServer:
    server = HlsServer(hls(name)).start()
    server.publish(len(server.recording.segments))
    server.end()
    return server


def test_a_match_prints_an_alert_and_exits_1(banked: Cli) -> None:
    server = ended_server("matching")
    try:
        result = banked("watch", server.url)
    finally:
        server.close()
    assert result.exit_code == 1, result.output
    (alert,) = [line for line in result.stdout.splitlines() if line.startswith("ALERT")]
    assert "in bank crisis" in alert and "matched stream" in alert
    assert "watching http://127.0.0.1" in result.stderr
    assert "ended: end of playlist" in result.stderr


def test_json_lines_carry_every_event(banked: Cli) -> None:
    server = ended_server("matching")
    try:
        result = banked("watch", server.url, "--json", "--bank", "crisis")
    finally:
        server.close()
    assert result.exit_code == 1
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["kind"] for e in events] == ["started", "alert", "ended"]
    assert [e["number"] for e in events] == [1, 2, 3]
    assert events[1]["data"]["bank"] == "crisis"


def test_a_stream_with_nothing_banked_exits_0(banked: Cli) -> None:
    server = ended_server("clean")
    try:
        result = banked("watch", server.url)
    finally:
        server.close()
    assert result.exit_code == 0, result.output
    assert "ALERT" not in result.stdout


def test_the_watch_is_stored_for_the_api(banked: Cli) -> None:
    from fireline.bootstrap import build
    from fireline.settings import Settings

    server = ended_server("clean")
    try:
        banked("watch", server.url)
    finally:
        server.close()
    container = build(Settings(database_url=banked.database_url))
    try:
        (watch,) = container.watches.all()
        assert (watch.status.value, watch.created_by, watch.source) == ("ended", "cli", server.url)
    finally:
        container.close()


def test_a_growing_file_is_watched_until_it_stops_growing(banked: Cli, tmp_path: Path) -> None:
    path = tmp_path / "recording.ts"
    path.touch()
    data = stream_bytes("matching")

    def record() -> None:
        with path.open("ab") as handle:
            for start in range(0, len(data), 64 * 1024):
                handle.write(data[start : start + 64 * 1024])
                handle.flush()
                time.sleep(0.05)

    writer = threading.Thread(target=record, daemon=True)
    writer.start()
    result = banked("watch", path, "--stall-timeout", "1")
    writer.join()
    assert result.exit_code == 1, result.output
    assert "ALERT" in result.stdout
    assert "the file did not grow for 1 s" in result.stderr


def test_a_stalled_stream_exits_8(banked: Cli) -> None:
    with HlsServer(hls("clean")) as server:
        server.publish(2)
        started = time.monotonic()
        result = banked("watch", server.url, "--stall-timeout", "1")
    assert result.exit_code == 8, result.output
    assert "error: no new segment for 1 s" in result.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("make_source", "message"),
    [
        (lambda s, tmp: s.base_url + "/missing.m3u8", "answered HTTP 404"),
        (lambda s, tmp: s.base_url + "/garbage.m3u8", "malformed HLS playlist"),
        (lambda s, tmp: f"http://127.0.0.1:{free_port()}/live.m3u8", "cannot fetch the playlist"),
        (lambda s, tmp: str(tmp / "no-such.ts"), "no such file"),
        (lambda s, tmp: "rtmp://example.com/live", "cannot watch a rtmp: URL"),
    ],
    ids=["404", "malformed", "unreachable", "missing file", "scheme"],
)
def test_a_bad_source_exits_3(
    banked: Cli, tmp_path: Path, make_source: object, message: str
) -> None:
    garbage = (200, "text/plain", b"this is not a playlist")
    with HlsServer(hls("clean"), routes={"/garbage.m3u8": lambda: garbage}) as server:
        result = banked("watch", make_source(server, tmp_path))  # type: ignore[operator]
    assert result.exit_code == 3, result.output
    assert message in result.stderr


def test_an_mp4_being_written_is_refused_with_advice(banked: Cli, tmp_path: Path) -> None:
    path = tmp_path / "recording.mp4"
    path.write_bytes(reference_video())
    result = banked("watch", path, "--stall-timeout", "1")
    assert result.exit_code == 3
    assert "cannot be followed" in result.stderr and "MPEG-TS" in result.stderr


def test_an_unknown_bank_exits_4(banked: Cli) -> None:
    result = banked("watch", "http://127.0.0.1:1/live.m3u8", "--bank", "nope")
    assert result.exit_code == 4


def test_alerts_reach_the_webhook(banked: Cli) -> None:
    server = ended_server("matching")
    with WebhookReceiver() as hook:
        try:
            result = banked("watch", server.url, "--webhook", hook.url)
        finally:
            server.close()
        assert result.exit_code == 1
        assert [e["kind"] for e in hook.events] == ["alert", "ended"]


def test_ctrl_c_stops_the_watch_and_exits_130(banked: Cli) -> None:
    with HlsServer(hls("clean")) as server:
        server.publish(2)  # then nothing: the watch waits
        process = subprocess.Popen(
            [str(FIRELINE), "watch", server.url, "--json", "--stall-timeout", "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        first = process.stdout.readline()  # the started event
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert json.loads(first)["kind"] == "started"
    assert process.returncode == 130, err
    assert json.loads(out.splitlines()[-1])["kind"] == "stopped"
    assert "interrupted" in err


def test_sigterm_is_an_interrupt_too(banked: Cli, tmp_path: Path) -> None:
    path = tmp_path / "recording.ts"
    path.write_bytes(stream_bytes("clean")[:100_000])
    process = subprocess.Popen(
        [str(FIRELINE), "watch", str(path), "--json", "--stall-timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert json.loads(out.splitlines()[-1])["kind"] == "stopped"
