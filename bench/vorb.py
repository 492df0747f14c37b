"""vorb against vPDQ on the geometric edits PDQ loses, with its costs.

A synthetic 30 s livestream is banked; copies with one geometric edit each (rotate, zoom,
crop_corner, letterbox, screen_recording), muted so sound cannot help, drawn with
``--copies`` seeds per edit, and the same edits on ``--benign`` unrelated videos are
matched by each signal with its default threshold. Also measured: hashing time per
video with and without vorb, vorb signal size, and index query time with a bank of
every copy (each a match).

    .venv/bin/python bench/vorb.py [--copies 6] [--benign 12]

Prints the figures and writes bench/results/vorb.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, write_report

from fireline.bootstrap import hashing_service
from fireline.index import KeypointSegmentIndex
from fireline.settings import Settings
from fireline.signals.registry import SignalRegistry
from fireline.signals.vorb import VorbSignal
from fireline.signals.vpdq import VpdqSignal
from fireline.testing import benign_video, edit, livestream, render_media

EDITS = ("rotate", "zoom", "crop_corner", "letterbox", "screen_recording")
SECONDS = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--benign", type=int, default=12)
    args = parser.parse_args()

    registry = SignalRegistry.from_entry_points()
    with_vorb = hashing_service(Settings(), registry)
    without = hashing_service(
        Settings(), SignalRegistry([t for t in registry.types() if t.name != "vorb"])
    )

    def signals(data: bytes) -> dict[str, str]:
        return {s.signal_type: s.value for s in with_vorb.hash_content(data).signals}

    stream = livestream(2019, SECONDS)
    data = render_media(stream)
    banked = signals(data)
    timings: dict[str, list[float]] = {"with_vorb": [], "without_vorb": []}
    for _ in range(3):
        for name, service in (("with_vorb", with_vorb), ("without_vorb", without)):
            started = time.perf_counter()
            service.hash_content(data, variants=True)
            timings[name].append(time.perf_counter() - started)

    rows: list[dict[str, Any]] = []
    copies: list[str] = []
    for name in EDITS:
        found = {"vpdq": 0, "vorb": 0}
        for seed in range(args.copies):
            rng = np.random.default_rng([seed, EDITS.index(name)])
            copy = signals(render_media(edit(edit(stream, name, rng), "mute", rng)))
            copies.append(copy["vorb"])
            found["vpdq"] += VpdqSignal.compare(copy["vpdq"], banked["vpdq"]) <= 50
            found["vorb"] += VorbSignal.compare(copy["vorb"], banked["vorb"]) <= 50
        rows.append({"edit": f"{name} + mute", "copies": args.copies, **found})

    false = {"vpdq": 0, "vorb": 0}
    for seed in range(args.benign):
        rng = np.random.default_rng(seed)
        other = benign_video(1000 + seed, SECONDS)
        unrelated = signals(render_media(edit(other, EDITS[seed % len(EDITS)], rng)))
        false["vpdq"] += VpdqSignal.compare(unrelated["vpdq"], banked["vpdq"]) <= 50
        false["vorb"] += VorbSignal.compare(unrelated["vorb"], banked["vorb"]) <= 50

    index = KeypointSegmentIndex()
    index.add(list(range(len(copies))), copies)
    index.prepare(50)
    started = time.perf_counter()
    hits = index.query(banked["vorb"], 50)
    query_s = time.perf_counter() - started

    report: dict[str, Any] = {
        "machine": machine(),
        "seconds_of_video": SECONDS,
        "edits": rows,
        "benign": {"videos": args.benign, "false_matches": false},
        "hash_seconds": {k: statistics.median(v) for k, v in timings.items()},
        "vorb_signal_bytes": len(banked["vorb"]),
        "index": {
            "entries": len(copies),
            "keypoints": index.keypoint_count,
            "matches": len(hits),
            "query_seconds": query_s,
        },
    }
    print(f"{'edit':<26} {'copies':>6} {'vpdq':>5} {'vorb':>5}")
    for row in rows:
        print(f"{row['edit']:<26} {row['copies']:>6} {row['vpdq']:>5} {row['vorb']:>5}")
    print(f"benign videos {args.benign}: false matches vpdq {false['vpdq']}, vorb {false['vorb']}")
    print(
        f"hashing {SECONDS} s (variants): {report['hash_seconds']['without_vorb']:.2f} s "
        f"without vorb, {report['hash_seconds']['with_vorb']:.2f} s with; "
        f"vorb signal {len(banked['vorb']):,} bytes"
    )
    print(
        f"index of {len(copies)} copies ({index.keypoint_count:,} keypoints): "
        f"one query {query_s * 1000:.0f} ms, {len(hits)} matches"
    )
    write_report(Path(__file__).parent / "results" / "vorb.json", report)


if __name__ == "__main__":
    main()
