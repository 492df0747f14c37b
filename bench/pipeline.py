"""Benchmark: end-to-end photo throughput, from JPEG bytes to a match answer.

K synthetic photos per size (``fireline.testing.media.random_photo``, benign by
construction) are encoded as JPEG, then:

- ``hash``: ``HashingService.hash_content`` on each, one at a time (decode, PDQ of the
  original and its 7 rotations and flips, MD5, SHA-256);
- ``match``: ``Matcher.match_content`` on each, with dihedral variants on and off,
  against a bank holding M random PDQ hashes plus every photo itself (banked as
  ``add_contents`` would: PDQ, MD5, SHA-256, one item per photo), in a SQLite file;
- ``http``: a real ``python -m fireline serve`` on a free loopback port, seeded through
  the API (the same random hashes imported, the first size's photos uploaded), and
  ``POST /v1/match`` of those photos from several client threads for a fixed time.

``recall`` is the share of answers holding a PDQ match of the photo's own item: every
query is a banked photo, so it should be 1.0. Prints a table and writes JSON to
``bench/results/pipeline.json``.

    python bench/pipeline.py --photos 100 --sizes 640x480 1920x1080 --http-seconds 10
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import PIL

from common import machine, random_hashes, write_report
from fireline.bootstrap import build, migrate
from fireline.domain import MatchResult, NewEntry
from fireline.services import HashingService
from fireline.services.interchange import ExchangeFormat, import_lines
from fireline.settings import Settings
from fireline.testing.media import encode, random_photo
from fireline.testing.server import running_server

BANK = "bench"
RESULTS = Path(__file__).resolve().parent / "results" / "pipeline.json"
# Development-mode admin key for the throwaway server: 40 characters, never reused.
ADMIN_KEY = "flk_bench_pipeline_admin_0123456789abcde"


@dataclass(frozen=True)
class Photos:
    size: tuple[int, int]
    jpegs: list[bytes]

    @property
    def label(self) -> str:
        return f"{self.size[0]}x{self.size[1]}"

    @property
    def items(self) -> list[str]:
        return [f"{self.label}-{n}" for n in range(len(self.jpegs))]


@dataclass(frozen=True)
class StageResult:
    stage: str
    size: str
    dihedral: bool | None
    photos: int
    seconds: float
    photos_per_s: float
    p50_ms: float
    p95_ms: float
    recall: float | None
    mean_jpeg_kib: float
    minor_faults_per_photo: float


@dataclass(frozen=True)
class HttpResult:
    size: str
    dihedral: bool
    threads: int
    seconds: float
    requests: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    errors: int
    recall: float
    seed_import_s: float
    seed_uploads_s: float


def jpeg_photo(seed: int, size: tuple[int, int], quality: int) -> bytes:
    return encode(random_photo(seed, size), "JPEG", quality=quality)


def generate(
    sizes: Sequence[tuple[int, int]], count: int, *, seed: int, quality: int, workers: int
) -> list[Photos]:
    """``count`` JPEGs per size, distinct seeds throughout, drawn on ``workers`` processes."""
    photos = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for n, size in enumerate(sizes):
            seeds = range(seed + n * 100_000, seed + n * 100_000 + count)
            jpegs = list(
                pool.map(jpeg_photo, seeds, [size] * count, [quality] * count, chunksize=4)
            )
            photos.append(Photos(size=size, jpegs=jpegs))
    return photos


def own_pdq_match(result: MatchResult, item: str) -> bool:
    return any(m.entry.signal_type == "pdq" and m.entry.item == item for m in result.matches)


def minor_faults() -> int:
    """Page faults of this process so far that needed no I/O (fresh pages, mostly)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def summary(
    stage: str,
    photos: Photos,
    latencies: Sequence[float],
    *,
    faults: int,
    dihedral: bool | None = None,
    recall: float | None = None,
) -> StageResult:
    seconds = sum(latencies)
    return StageResult(
        stage=stage,
        size=photos.label,
        dihedral=dihedral,
        photos=len(latencies),
        seconds=seconds,
        photos_per_s=len(latencies) / seconds,
        p50_ms=statistics.median(latencies) * 1000,
        p95_ms=float(np.percentile(latencies, 95)) * 1000,
        recall=recall,
        mean_jpeg_kib=sum(len(j) for j in photos.jpegs) / len(photos.jpegs) / 1024,
        minor_faults_per_photo=faults / len(latencies),
    )


def in_process(
    photos: Sequence[Photos], bank_hashes: Sequence[str], *, folder: Path
) -> list[StageResult]:
    """Hash, then match with and without dihedral variants, on a SQLite store."""
    settings = Settings(database_url=f"sqlite:///{(folder / 'inprocess.db').as_posix()}")
    migrate(settings)
    container = build(settings)
    results: list[StageResult] = []
    try:
        hashing: HashingService = container.hashing
        banked: list[NewEntry] = []
        hashing.hash_content(photos[0].jpegs[0])  # warm-up, untimed
        for group in photos:
            print(f"hash_content {group.label}...", file=sys.stderr, flush=True)
            latencies = []
            faults = minor_faults()
            for jpeg, item in zip(group.jpegs, group.items, strict=True):
                started = time.perf_counter()
                hashed = hashing.hash_content(jpeg)
                latencies.append(time.perf_counter() - started)
                banked.extend(
                    NewEntry(signal_type=s.signal_type, value=s.value, quality=s.quality, item=item)
                    for s in hashed.signals
                )
            results.append(summary("hash", group, latencies, faults=minor_faults() - faults))

        container.banks.create(name=BANK)
        import_lines(
            container.banks,
            bank=BANK,
            lines=[f"pdq {value}" for value in bank_hashes],
            fmt=ExchangeFormat.THREATEXCHANGE,
        )
        container.banks.add_entries(bank=BANK, entries=banked, contributor="bench")
        container.matcher.refresh()
        container.matcher.match_content(photos[0].jpegs[0])  # builds the index tables, if any

        for group in photos:
            for dihedral in (True, False):
                print(
                    f"match_content {group.label} dihedral={dihedral}...",
                    file=sys.stderr,
                    flush=True,
                )
                latencies = []
                found = 0
                faults = minor_faults()
                for jpeg, item in zip(group.jpegs, group.items, strict=True):
                    started = time.perf_counter()
                    result = container.matcher.match_content(jpeg, dihedral=dihedral)
                    latencies.append(time.perf_counter() - started)
                    found += own_pdq_match(result, item)
                results.append(
                    summary(
                        "match",
                        group,
                        latencies,
                        faults=minor_faults() - faults,
                        dihedral=dihedral,
                        recall=found / len(latencies),
                    )
                )
    finally:
        container.close()
    return results


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """A migrated ``fireline serve`` on a free loopback port; stopped on exit."""
    env = {
        **os.environ,
        "FIRELINE_DATA_DIR": str(folder / "var"),
        "FIRELINE_ADMIN_KEY": ADMIN_KEY,
        "FIRELINE_HOST": "127.0.0.1",
    }
    env.pop("FIRELINE_DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "fireline", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with running_server(env=env) as server:
        yield server.base_url


def over_http(
    photos: Photos,
    bank_hashes: Sequence[str],
    *,
    folder: Path,
    threads: int,
    seconds: float,
    dihedral: bool,
) -> HttpResult:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with served(folder) as base, httpx.Client(base_url=base, headers=headers, timeout=60) as admin:
        print(f"http: seeding {base}...", file=sys.stderr, flush=True)
        admin.post("/v1/banks", json={"name": BANK}).raise_for_status()
        started = time.perf_counter()
        admin.post(
            f"/v1/banks/{BANK}/import",
            params={"format": "threatexchange"},
            content="\n".join(f"pdq {value}" for value in bank_hashes).encode(),
        ).raise_for_status()
        seed_import_s = time.perf_counter() - started
        started = time.perf_counter()
        items = []
        for n, jpeg in enumerate(photos.jpegs):
            response = admin.post(
                f"/v1/banks/{BANK}/entries", files={"file": (f"photo-{n}.jpg", jpeg)}
            )
            response.raise_for_status()
            items.append(response.json()["added"][0]["item"])
        seed_uploads_s = time.perf_counter() - started

        params = {"dihedral": str(dihedral).lower()}
        for jpeg in photos.jpegs[:threads]:  # warm-up, untimed
            admin.post("/v1/match", params=params, files={"file": ("q.jpg", jpeg)})

        print(f"http: {threads} threads for {seconds:.0f} s...", file=sys.stderr, flush=True)
        lock = threading.Lock()
        latencies: list[float] = []
        outcomes: list[bool] = []
        errors = 0

        def client(offset: int, deadline: float) -> None:
            nonlocal errors
            with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
                n = offset
                while time.perf_counter() < deadline:
                    index = n % len(photos.jpegs)
                    n += threads
                    started = time.perf_counter()
                    response = http.post(
                        "/v1/match",
                        params=params,
                        files={"file": (f"q{index}.jpg", photos.jpegs[index])},
                    )
                    elapsed = time.perf_counter() - started
                    ok = response.status_code == 200
                    hit = ok and any(
                        m["signal_type"] == "pdq" and m["item"] == items[index]
                        for m in response.json()["matches"]
                    )
                    with lock:
                        latencies.append(elapsed)
                        outcomes.append(hit)
                        errors += not ok

        started = time.perf_counter()
        deadline = started + seconds
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for future in [pool.submit(client, t, deadline) for t in range(threads)]:
                future.result()
        elapsed = time.perf_counter() - started

    return HttpResult(
        size=photos.label,
        dihedral=dihedral,
        threads=threads,
        seconds=elapsed,
        requests=len(latencies),
        requests_per_s=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p95_ms=float(np.percentile(latencies, 95)) * 1000,
        errors=errors,
        recall=sum(outcomes) / len(outcomes),
        seed_import_s=seed_import_s,
        seed_uploads_s=seed_uploads_s,
    )


def print_table(stages: Sequence[StageResult], http: HttpResult | None) -> None:
    header = (
        f"{'stage':>6} {'size':>10} {'dihedral':>8} {'photos':>7} {'photos/s':>9} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'recall':>7} {'jpeg KiB':>9} {'faults/photo':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in stages:
        dihedral = "-" if r.dihedral is None else ("on" if r.dihedral else "off")
        recall = "-" if r.recall is None else f"{r.recall:.3f}"
        print(
            f"{r.stage:>6} {r.size:>10} {dihedral:>8} {r.photos:>7,} {r.photos_per_s:>9.1f} "
            f"{r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {recall:>7} {r.mean_jpeg_kib:>9.0f} "
            f"{r.minor_faults_per_photo:>12,.0f}"
        )
    if http is not None:
        print(
            f"{'http':>6} {http.size:>10} {'on' if http.dihedral else 'off':>8} "
            f"{http.requests:>7,} {http.requests_per_s:>9.1f} {http.p50_ms:>8.1f} "
            f"{http.p95_ms:>8.1f} {http.recall:>7.3f} {'-':>9} {'-':>12}"
        )
        print(
            f"\nhttp: {http.threads} client threads for {http.seconds:.1f} s, "
            f"{http.errors} errors; seeding took {http.seed_import_s:.2f} s (import) + "
            f"{http.seed_uploads_s:.2f} s (photo uploads)"
        )


def parse_size(raw: str) -> tuple[int, int]:
    width, _, height = raw.lower().partition("x")
    return int(width), int(height)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100, help="photos per size")
    parser.add_argument(
        "--sizes", type=parse_size, nargs="+", default=[(640, 480), (1920, 1080)], metavar="WxH"
    )
    parser.add_argument(
        "--bank-size", type=int, default=10_000, help="random PDQ hashes banked besides photos"
    )
    parser.add_argument("--jpeg-quality", type=int, default=90)
    parser.add_argument("--http-threads", type=int, default=4)
    parser.add_argument(
        "--http-seconds", type=float, default=10.0, help="0 skips the HTTP measurement"
    )
    parser.add_argument(
        "--http-dihedral",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="match rotated and mirrored variants over HTTP (the server default)",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes drawing photos"
    )
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    print(
        f"drawing {args.photos} photos per size on {args.workers} processes...",
        file=sys.stderr,
        flush=True,
    )
    started = time.perf_counter()
    photos = generate(
        args.sizes, args.photos, seed=args.seed, quality=args.jpeg_quality, workers=args.workers
    )
    generate_s = time.perf_counter() - started
    bank_hashes = random_hashes(np.random.default_rng(args.seed), args.bank_size)

    with tempfile.TemporaryDirectory(prefix="fireline-bench-") as tmp:
        folder = Path(tmp)
        stages = in_process(photos, bank_hashes, folder=folder)
        http = None
        if args.http_seconds > 0:
            http = over_http(
                photos[0],
                bank_hashes,
                folder=folder,
                threads=args.http_threads,
                seconds=args.http_seconds,
                dihedral=args.http_dihedral,
            )
    print_table(stages, http)

    recalls = [r.recall for r in stages if r.recall is not None]
    if http is not None:
        recalls.append(http.recall)
    complete = all(r == 1.0 for r in recalls) and (http is None or http.errors == 0)
    report = {
        "benchmark": "pipeline",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(pillow=PIL.__version__, httpx=httpx.__version__),
        "parameters": {
            "photos_per_size": args.photos,
            "sizes": [f"{w}x{h}" for w, h in args.sizes],
            "bank_size": args.bank_size,
            "jpeg_quality": args.jpeg_quality,
            "http_threads": args.http_threads,
            "http_seconds": args.http_seconds,
            "http_dihedral": args.http_dihedral,
            "seed": args.seed,
            "generate_s": generate_s,
            "store": "SQLite file (in-process stages and server)",
        },
        "stages": [asdict(r) for r in stages],
        "http": asdict(http) if http is not None else None,
        "complete_recall": complete,
    }
    write_report(args.output, report)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
