"""Benchmark: alert latency of a live watch, from a matching segment's arrival to the alert.

A banked reference (``synthetic_video``, benign by construction) is excerpted into an HLS
stream between unrelated footage. A loopback ``HlsServer`` publishes the stream's
segments in real time (one every segment duration, as a live encoder would), and a
watch started as the API starts one (``WatchRunner``, a SQLite store, a webhook to a
loopback receiver) follows it. Each run puts the excerpt at a different offset inside
a segment. Per run:

- ``first_arrival_to_alert``: from when the watch received the segment holding the
  excerpt's first frame to the alert event being recorded (the watch's own clock);
- ``completing_arrival_to_alert``: from when it received the newest segment the match
  used (the one that completed it) to the alert;
- ``publish_to_webhook``: from the server publishing the first matching segment to the
  webhook receiver getting the alert: the whole path, playlist polling included.

A match needs three matching frames (three seconds at one frame per second), so when
the first matching segment holds fewer, the alert waits for the next segment: that wait
is in ``first_arrival_to_alert`` and not in ``completing_arrival_to_alert``.

Then a memory run: a long stream (``--long-minutes``), published at once, followed to
its end, with the process's resident memory sampled as the watch goes: it should stay
flat, as the watch keeps only its match window. Prints tables and writes JSON to
``bench/results/watch.json``.

    python bench/watch.py                       # 4 runs, 2-second segments; ~3 minutes
    python bench/watch.py --runs 2 --segment-seconds 6 --long-minutes 0
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import av

from common import machine, write_report
from fireline.bootstrap import build, migrate
from fireline.settings import Settings
from fireline.signals import ContentType
from fireline.testing.live import HlsServer, Piece, WebhookReceiver, pieces_frames, record_hls

RESULTS = Path(__file__).resolve().parent / "results" / "watch.json"
REFERENCE_SEED = 7
EXCERPT_SECONDS = 10.0


@dataclass(frozen=True)
class Run:
    excerpt_at: float
    offset_in_segment: float
    first_arrival_to_alert: float
    completing_arrival_to_alert: float
    publish_to_webhook: float
    first_segment: str
    completing_segment: str
    status: str


def one_run(
    container_settings: Settings,
    *,
    excerpt_at: float,
    segment_seconds: int,
    fps: int,
    size: tuple[int, int],
) -> Run:
    pieces = (
        Piece(3, 0, excerpt_at),
        Piece(REFERENCE_SEED, 5, EXCERPT_SECONDS),
        Piece(4, 0, 2 * segment_seconds),
    )
    recording = record_hls(
        pieces_frames(pieces, fps=fps, size=size), fps=fps, segment_seconds=segment_seconds
    )
    container = build(container_settings)
    try:
        with HlsServer(recording) as server, WebhookReceiver() as hook:
            server.publish()
            server.publish_every(segment_seconds)
            watch = container.watch_runner.start(
                source=server.url, webhook=hook.url, banks=["bench"], created_by="bench"
            )
            alert = hook.wait_for(lambda e: e["kind"] == "alert", timeout=120)
            received = hook.received_at[hook.events.index(alert)]
            hook.wait_for(lambda e: e["kind"] in ("ended", "stalled", "failed"), timeout=120)
            first_index = int(excerpt_at // segment_seconds)
            published = server.published_at[first_index]
        final = container.watches.get(watch_id=watch.id)
    finally:
        container.close()
    data = alert["data"]
    return Run(
        excerpt_at=excerpt_at,
        offset_in_segment=round(excerpt_at % segment_seconds, 3),
        first_arrival_to_alert=data["first_chunk"]["seconds_before_alert"],
        completing_arrival_to_alert=data["last_chunk"]["seconds_before_alert"],
        publish_to_webhook=round(received - published, 3),
        first_segment=data["first_chunk"]["label"],
        completing_segment=data["last_chunk"]["label"],
        status=final.status.value,
    )


def rss_mib() -> float:
    """The process's resident memory now (Linux), MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def memory_run(container_settings: Settings, *, minutes: float) -> dict[str, object]:
    """Follow a long stream to its end, sampling resident memory by stream time reached."""
    seconds = minutes * 60
    # Unrelated footage throughout: scenes change every 3 s, so the window keeps changing.
    pieces = [Piece(100 + n, 0, 60.0) for n in range(int(seconds // 60))]
    recording = record_hls(pieces_frames(pieces, fps=10, size=(320, 240)), segment_seconds=2)
    container = build(container_settings)
    samples: list[tuple[float, float]] = []
    try:
        with HlsServer(recording) as server:
            server.publish(len(recording.segments))
            server.end()
            started = time.monotonic()
            watch = container.watch_runner.start(source=server.url, created_by="bench")
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.5):
                    progress = container.watches.get(watch_id=watch.id).progress
                    samples.append((progress.stream_seconds, rss_mib()))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            while container.watches.get(watch_id=watch.id).status.value == "running":
                time.sleep(0.5)
            done.set()
            sampler.join()
            elapsed = time.monotonic() - started
        final = container.watches.get(watch_id=watch.id)
    finally:
        container.close()
    quarters = []
    for quarter in (0.25, 0.5, 0.75, 1.0):
        reached = [rss for t, rss in samples if t <= seconds * quarter]
        quarters.append(round(max(reached), 1) if reached else None)
    return {
        "stream_seconds": final.progress.stream_seconds,
        "frames": final.progress.frames,
        "status": final.status.value,
        "wall_seconds": round(elapsed, 1),
        "speed_vs_real_time": round(final.progress.stream_seconds / elapsed, 1),
        "rss_mib_by_quarter": quarters,
    }


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
        "min": round(min(values), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--segment-seconds", type=int, default=2)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--size", default="640x360", help="frame size, WIDTHxHEIGHT")
    parser.add_argument("--long-minutes", type=float, default=10.0, help="memory run; 0: none")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="fireline-bench-") as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/fireline.db",
            watch_allow_private_urls=True,
            watch_stall_seconds=max(10.0, 3.0 * args.segment_seconds),
        )
        migrate(settings)
        setup = build(settings)
        setup.banks.create(name="bench")
        # The reference as MPEG-TS, encoded frame by frame (a 30 s clip held whole as
        # images would dwarf what the watch itself uses).
        reference = record_hls(
            pieces_frames([Piece(REFERENCE_SEED, 0, 30.0)], fps=args.fps, size=(width, height)),
            fps=args.fps,
            segment_seconds=10,
        )
        setup.banks.add_content(
            bank="bench",
            data=b"".join(segment.data for segment in reference.segments),
            content_type=ContentType.VIDEO,
            labels=["category:perpetrator_livestream"],
        )
        setup.close()
        for number in range(args.runs):
            # Spread the excerpt's start over the segment: 0, 1/n, 2/n... of the way in.
            excerpt_at = 4.0 + args.segment_seconds * (1 + number / max(args.runs, 1))
            print(
                f"run {number + 1}/{args.runs}: excerpt at {excerpt_at:.2f} s...", file=sys.stderr
            )
            runs.append(
                one_run(
                    settings,
                    excerpt_at=excerpt_at,
                    segment_seconds=args.segment_seconds,
                    fps=args.fps,
                    size=(width, height),
                )
            )
        memory = None
        if args.long_minutes > 0:
            print(f"memory run: {args.long_minutes:g} minutes of stream...", file=sys.stderr)
            memory = memory_run(settings, minutes=args.long_minutes)

    print(
        f"\n{'excerpt at':>10} {'in segment':>10} {'first->alert':>12} "
        f"{'completing->alert':>17} {'publish->webhook':>16}  status"
    )
    for run in runs:
        print(
            f"{run.excerpt_at:>9.2f}s {run.offset_in_segment:>9.2f}s "
            f"{run.first_arrival_to_alert:>11.3f}s {run.completing_arrival_to_alert:>16.3f}s "
            f"{run.publish_to_webhook:>15.3f}s  {run.status}"
        )
    figures = {
        "first_arrival_to_alert": summary([r.first_arrival_to_alert for r in runs]),
        "completing_arrival_to_alert": summary([r.completing_arrival_to_alert for r in runs]),
        "publish_to_webhook": summary([r.publish_to_webhook for r in runs]),
    }
    for name, values in figures.items():
        print(f"{name}: median {values['median']} s, max {values['max']} s")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak_mib:.0f} MiB")
    if memory is not None:
        print(
            f"memory run: {memory['stream_seconds']:.0f} s of stream ({memory['status']}) in "
            f"{memory['wall_seconds']} s, {memory['speed_vs_real_time']}x real time; resident "
            f"MiB by quarter of the stream: {memory['rss_mib_by_quarter']}"
        )
    report = {
        "benchmark": "watch",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(av=av.__version__),
        "parameters": {
            "runs": args.runs,
            "segment_seconds": args.segment_seconds,
            "fps": args.fps,
            "size": args.size,
            "excerpt_seconds": EXCERPT_SECONDS,
            "store": "SQLite file",
            "published": "one segment per segment duration (real time)",
        },
        "runs": [asdict(r) for r in runs],
        "figures": figures,
        "peak_rss_mib": round(peak_mib),
        "memory_run": memory,
        "all_alerted_within_5s": all(r.first_arrival_to_alert <= 5 for r in runs),
    }
    write_report(args.output, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
