"""Benchmark: segment queries against a frame-hash index of 1,000 hours of video (issue 3).

A ``FrameSegmentIndex`` is filled with synthetic vPDQ signals: ``--hours`` of video at
one frame per second (1,000 hours: 3,000 videos of 20 minutes, 3.6 million frames), with
the structure of real frame hashes rather than uniform noise. Each video is a run of
scenes of 2 to 15 seconds; a scene starts from a random 256-bit hash and drifts by one
to three flipped bits a frame, so neighbouring frames are a few bits apart and a scene's
frames stay within about 30 bits of each other (a slow pan). One scene in twenty is dark
(PDQ quality 20): too flat to match, as fades to black are.

Queries, ``--queries`` of each kind, timed one ``query_segments`` call at a time:

- ``excerpt``: 20 consecutive frames of a banked video, each with 0 to 16 bits flipped
  (re-encoding, a caption), from a random start;
- ``speed2x``: 20 frames covering 40 seconds of a banked video (every second frame),
  with the same bit noise;
- ``random``: 20 frames of a video that was never banked (its own scenes and seeds).

An excerpt is *found* when its source video is answered with a segment overlapping the
true reference interval; the localisation error is the distance between the segment's
reference start and the true one. A random query answered with anything is a false
match. Prints the build time (generating the signals, adding them, building the
multi-index tables), the process's resident memory, and latency percentiles, and
writes JSON to ``bench/results/segment_index.json``.

    python bench/segment_index.py                 # 1,000 h; ~5 min, 1.6 GiB peak
    python bench/segment_index.py --hours 100 --queries 100
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from common import machine, write_report
from fireline.index import FrameSegmentIndex
from fireline.signals.vpdq import VpdqSignal

RESULTS = Path(__file__).resolve().parent / "results" / "segment_index.json"
BYTES = 32
QUERY_FRAMES = 20
#: Dark scenes: PDQ quality below 50, never matched.
DARK_SHARE = 0.05
Hashes = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Video:
    """One synthetic video's frame hashes (one a second) and their qualities."""

    hashes: Hashes  # frames x 32 bytes
    qualities: npt.NDArray[np.int64]


@dataclass(frozen=True)
class KindResult:
    kind: str
    queries: int
    found: int
    false_matches: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    mean_ms: float
    reference_start_error_median_s: float | None
    reference_start_error_max_s: float | None
    #: How far the segment's mapping puts the query's first matched frame from its true
    #: place: the error left once a late start (a dark first frame) is allowed for.
    mapping_error_median_s: float | None
    mapping_error_max_s: float | None


def video(rng: np.random.Generator, seconds: int) -> Video:
    """Scenes of 2-15 s drifting by 1-3 bits a frame from a random start each."""
    lengths: list[int] = []
    while sum(lengths) < seconds:
        lengths.append(int(rng.integers(2, 16)))
    lengths[-1] -= sum(lengths) - seconds
    lengths = [n for n in lengths if n > 0]
    scene_of = np.repeat(np.arange(len(lengths)), lengths)
    bases = rng.integers(0, 256, size=(len(lengths), BYTES), dtype=np.uint8)
    # Each frame flips 1-3 random bits relative to the previous one (the first frame of a
    # scene flips none): a cumulative XOR, restarted at each scene.
    steps = np.zeros((seconds, BYTES * 8), dtype=np.uint8)
    flips = rng.integers(1, 4, size=seconds)
    for count in (1, 2, 3):
        rows = np.flatnonzero(flips >= count)
        steps[rows, rng.integers(0, BYTES * 8, size=len(rows))] ^= 1
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    steps[starts] = 0
    walked = np.bitwise_xor.accumulate(steps, axis=0)
    before = np.zeros_like(walked)
    before[1:] = walked[:-1]
    drift = walked ^ before[starts][scene_of]
    hashes = bases[scene_of] ^ np.packbits(drift, axis=1)
    dark = rng.random(len(lengths)) < DARK_SHARE
    qualities = np.where(dark[scene_of], 20, 100).astype(np.int64)
    return Video(hashes=hashes, qualities=qualities)


def vpdq_value(hashes: Hashes, qualities: Sequence[int], times: Sequence[float]) -> str:
    """The canonical vPDQ string (python-threatexchange's form) of the frames."""
    text = hashes.tobytes().hex()
    width = BYTES * 2
    frames = [
        f'"{text[n * width : (n + 1) * width]},{quality},{t:.3f}"'
        for n, (quality, t) in enumerate(zip(qualities, times, strict=True))
    ]
    return "[" + ", ".join(frames) + "]"


def noisy(rng: np.random.Generator, hashes: Hashes, most: int) -> Hashes:
    """Each row with 0 to ``most`` random bits flipped."""
    bits = np.unpackbits(hashes, axis=1)
    for row in range(len(bits)):
        count = int(rng.integers(0, most + 1))
        bits[row, rng.choice(BYTES * 8, size=count, replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def resident_mib() -> float:
    """The process's resident memory now, MiB (Linux), else its peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_mib()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seeds(seed: int, videos: int) -> Iterator[tuple[int, np.random.Generator]]:
    for n in range(videos):
        yield n, np.random.default_rng([seed, n])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1000.0)
    parser.add_argument("--video-minutes", type=float, default=20.0)
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument("--noise-bits", type=int, default=16, help="most bits flipped a frame")
    parser.add_argument("--batch", type=int, default=100, help="videos added per add() call")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    seconds = round(args.video_minutes * 60)
    count = max(1, round(args.hours * 3600 / seconds))
    threshold = VpdqSignal.default_threshold
    print(
        f"building an index of {count:,} videos x {seconds:,} s ({count * seconds / 3600:,.0f} h)",
        file=sys.stderr,
        flush=True,
    )
    rss_before = resident_mib()
    index = FrameSegmentIndex()
    times = np.arange(seconds, dtype=np.float64)
    generate_s = add_s = 0.0
    usable = 0
    ids: list[int] = []
    values: list[str] = []
    for n, rng in seeds(args.seed, count):
        started = time.perf_counter()
        clip = video(rng, seconds)
        values.append(vpdq_value(clip.hashes, clip.qualities.tolist(), times.tolist()))
        ids.append(n + 1)
        usable += int(np.count_nonzero(clip.qualities >= 50))
        generate_s += time.perf_counter() - started
        if len(ids) >= args.batch or n == count - 1:
            started = time.perf_counter()
            index.add(ids, values)
            add_s += time.perf_counter() - started
            ids, values = [], []
            if (n + 1) % (args.batch * 5) == 0:
                print(f"  {n + 1:,}/{count:,} videos", file=sys.stderr, flush=True)
    started = time.perf_counter()
    index.prepare(threshold)
    tables_s = time.perf_counter() - started
    rss_after = resident_mib()
    print(
        f"generate {generate_s:.1f} s, add {add_s:.1f} s, tables {tables_s:.1f} s; "
        f"{index.frame_count:,} frames indexed; resident {rss_after - rss_before:,.0f} MiB more",
        file=sys.stderr,
        flush=True,
    )

    rng = np.random.default_rng([args.seed, 1_000_003])
    results = []
    rows = []
    for kind in ("excerpt", "speed2x", "random"):
        latencies: list[float] = []
        errors: list[float] = []
        mapping: list[float] = []
        found = false = 0
        for q in range(args.queries):
            step = 2 if kind == "speed2x" else 1
            span = QUERY_FRAMES * step
            if kind == "random":
                source_id = None
                clip = video(np.random.default_rng([args.seed, 10**9 + q]), QUERY_FRAMES)
                frames, start = clip.hashes, 0
                qualities = clip.qualities
            else:
                source_id = int(rng.integers(count))
                clip = video(np.random.default_rng([args.seed, source_id]), seconds)
                start = int(rng.integers(0, seconds - span))
                frames = clip.hashes[start : start + span : step]
                qualities = clip.qualities[start : start + span : step]
            query = vpdq_value(
                noisy(rng, frames, args.noise_bits),
                qualities.tolist(),
                [float(t) for t in range(QUERY_FRAMES)],
            )
            began = time.perf_counter()
            hits = index.query_segments(query, threshold)
            latencies.append(time.perf_counter() - began)
            hit_ids = {entry_id for entry_id, _, _ in hits}
            if source_id is None:
                false += len(hit_ids)
                rows.append({"kind": kind, "found": None, "false": len(hit_ids)})
                continue
            truth = (float(start), float(start + span))
            best = None
            for entry_id, _, segments in hits:
                if entry_id != source_id + 1:
                    continue
                for segment in segments:
                    overlap = min(segment.reference_end, truth[1]) - max(
                        segment.reference_start, truth[0]
                    )
                    if overlap > 0 and (best is None or overlap > best[0]):
                        best = (overlap, segment)
            false += len(hit_ids - {source_id + 1})
            if best is not None:
                found += 1
                segment = best[1]
                errors.append(abs(segment.reference_start - truth[0]))
                mapping.append(abs(segment.reference_start - (start + step * segment.query_start)))
            rows.append(
                {
                    "kind": kind,
                    "found": best is not None,
                    "false": len(hit_ids - {source_id + 1}),
                    "reference_start_error_s": None if best is None else errors[-1],
                    "mapping_error_s": None if best is None else mapping[-1],
                    "speed": None if best is None else best[1].speed,
                    "ms": round(latencies[-1] * 1000, 2),
                }
            )
        ms = sorted(x * 1000 for x in latencies)
        results.append(
            KindResult(
                kind=kind,
                queries=len(latencies),
                found=found,
                false_matches=false,
                p50_ms=round(statistics.median(ms), 2),
                p95_ms=round(float(np.percentile(ms, 95)), 2),
                max_ms=round(ms[-1], 2),
                mean_ms=round(statistics.fmean(ms), 2),
                reference_start_error_median_s=round(statistics.median(errors), 3)
                if errors
                else None,
                reference_start_error_max_s=round(max(errors), 3) if errors else None,
                mapping_error_median_s=round(statistics.median(mapping), 3) if mapping else None,
                mapping_error_max_s=round(max(mapping), 3) if mapping else None,
            )
        )

    print(
        f"\n{count * seconds:,} frames ({index.frame_count:,} usable, indexed) from "
        f"{count:,} videos ({count * seconds / 3600:,.0f} h); build: generate {generate_s:.1f} s, "
        f"add {add_s:.1f} s, multi-index tables {tables_s:.1f} s; "
        f"resident +{rss_after - rss_before:,.0f} MiB (peak {peak_mib():,.0f} MiB)\n"
    )
    header = (
        f"{'kind':>8} {'queries':>7} {'found':>6} {'false':>6} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'max ms':>8} {'ref err s':>9} {'map err s':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        error = (
            "-"
            if r.reference_start_error_median_s is None
            else f"{r.reference_start_error_median_s:.2f}"
        )
        found = "-" if r.kind == "random" else str(r.found)
        mapped = "-" if r.mapping_error_median_s is None else f"{r.mapping_error_median_s:.2f}"
        print(
            f"{r.kind:>8} {r.queries:>7} {found:>6} {r.false_matches:>6} {r.p50_ms:>8.1f} "
            f"{r.p95_ms:>8.1f} {r.max_ms:>8.1f} {error:>9} {mapped:>9}"
        )

    report = {
        "benchmark": "segment_index",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "parameters": {
            "hours": count * seconds / 3600,
            "videos": count,
            "video_seconds": seconds,
            "queries_per_kind": args.queries,
            "query_frames": QUERY_FRAMES,
            "noise_bits": args.noise_bits,
            "threshold": threshold,
            "seed": args.seed,
        },
        "build": {
            "frames": count * seconds,
            "indexed_frames": index.frame_count,
            "usable_frames": usable,
            "generate_s": round(generate_s, 2),
            "add_s": round(add_s, 2),
            "tables_s": round(tables_s, 2),
            "resident_mib_added": round(rss_after - rss_before, 1),
            "peak_mib": round(peak_mib(), 1),
        },
        "kinds": [asdict(r) for r in results],
        "queries": rows,
    }
    write_report(args.output, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
