"""Benchmark: PDQ matching against banks of 256-bit hashes with HammingIndex.

For each bank size, dataset and search mode it measures the build time (rows, then the
multi-index tables on the first query), single-query throughput and latency, and
``query_many`` batch throughput, on a query mix of half near-copies (a banked hash with
1 to 31 bits flipped, so it must be found) and half random hashes (almost surely
unmatched). On a sample of queries it checks the answers equal a brute-force Python
``PdqSignal.compare`` scan. Prints a table and writes JSON to
``bench/results/match_scan.json``.

Datasets: ``random`` (uniform hashes) and ``clustered`` (a quarter are centres, the
rest near-copies of them, 0 to 40 bits away: the shape of a bank full of variants, and
the hard case for multi-index hashing, whose chunks then collide). Modes: ``scan``
(vectorised popcount over every row) and ``multihash`` (multi-index tables, then exact
verification).

    python bench/match_scan.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from common import BITS, machine, random_hashes, write_report
from fireline.index import HammingIndex
from fireline.signals.pdq import PdqSignal

RESULTS = Path(__file__).resolve().parent / "results" / "match_scan.json"


@dataclass(frozen=True)
class SizeResult:
    size: int
    dataset: str
    mode: str
    build_s: float
    tables_s: float
    single_queries: int
    single_qps: float
    single_p50_ms: float
    single_p95_ms: float
    batch_size: int
    batch_queries: int
    batch_qps: float
    brute_force_queries: int
    brute_force_qps: float
    near_queries_found: float
    exact: bool


def flip(value: str, count: int, rng: np.random.Generator) -> str:
    """``value`` with ``count`` distinct bits inverted."""
    mask = 0
    for position in rng.choice(BITS, size=count, replace=False).tolist():
        mask |= 1 << position
    return f"{int(value, 16) ^ mask:064x}"


def dataset_hashes(rng: np.random.Generator, count: int, dataset: str) -> list[str]:
    if dataset == "random":
        return random_hashes(rng, count)
    centres = random_hashes(rng, max(1, count // 4))
    values = list(centres)
    while len(values) < count:
        centre = centres[int(rng.integers(len(centres)))]
        values.append(flip(centre, int(rng.integers(0, 41)), rng))
    return values


def query_mix(
    rng: np.random.Generator, values: Sequence[str], count: int, threshold: int
) -> tuple[list[str], list[int | None]]:
    """Alternating near-copies of banked hashes and random hashes; the source row of each."""
    queries: list[str] = []
    sources: list[int | None] = []
    for n in range(count):
        if n % 2 == 0:
            row = int(rng.integers(len(values)))
            queries.append(flip(values[row], int(rng.integers(1, threshold + 1)), rng))
            sources.append(row)
        else:
            queries.extend(random_hashes(rng, 1))
            sources.append(None)
    return queries, sources


def brute_force(
    ids: Sequence[int], values: Sequence[str], query: str, threshold: int
) -> list[tuple[int, int]]:
    found = []
    for entry_id, value in zip(ids, values, strict=True):
        distance = PdqSignal.compare(query, value)
        if distance <= threshold:
            found.append((entry_id, distance))
    return sorted(found, key=lambda row: (row[1], row[0]))


def run_size(
    size: int,
    *,
    dataset: str,
    mode: str,
    threshold: int,
    queries: int,
    batch: int,
    min_time_s: float,
    time_budget_s: float,
    seed: int,
) -> SizeResult:
    rng = np.random.default_rng(seed + size)
    values = dataset_hashes(rng, size, dataset)
    ids = list(range(1, size + 1))

    started = time.perf_counter()
    index = HammingIndex(bits=BITS, multihash_min_rows=0 if mode == "multihash" else None)
    index.add(ids, values)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    index.query(values[0], threshold)  # builds the multi-index tables, if any
    tables_s = time.perf_counter() - started

    mix, sources = query_mix(rng, values, queries, threshold)

    # Single queries, one call each: through the mix (again and again on small banks, so
    # each figure rests on at least ``min_time_s``), stopping early past the time budget.
    latencies: list[float] = []
    answers: list[list[tuple[int, int]]] = []
    spent = 0.0
    while spent < min_time_s and spent < time_budget_s:
        for query in mix:
            started = time.perf_counter()
            answer = index.query(query, threshold)
            latencies.append(time.perf_counter() - started)
            spent += latencies[-1]
            if len(answers) < len(mix):
                answers.append(answer)
            if spent > time_budget_s:
                break
    found = [
        any(entry_id == ids[row] for entry_id, _ in answer)
        for answer, row in zip(answers, sources, strict=False)
        if row is not None
    ]

    # Batches through query_many, over the same mix, on the same terms.
    batch_done = 0
    started = time.perf_counter()
    batch_s = 0.0
    while batch_s < min_time_s and batch_s < time_budget_s:
        for start in range(0, len(mix), batch):
            batch_done += len(index.query_many(mix[start : start + batch], threshold))
            batch_s = time.perf_counter() - started
            if batch_s > time_budget_s:
                break

    # Exactness on a sample, against a plain Python scan (slow: about a second per
    # query on a million hashes, so the sample shrinks as the bank grows).
    sample = max(4, min(40, 4_000_000 // size))
    exact = True
    started = time.perf_counter()
    for query in mix[:sample]:
        if index.query(query, threshold) != brute_force(ids, values, query, threshold):
            exact = False
    brute_s = time.perf_counter() - started

    return SizeResult(
        size=size,
        dataset=dataset,
        mode=mode,
        build_s=build_s,
        tables_s=tables_s,
        single_queries=len(latencies),
        single_qps=len(latencies) / sum(latencies),
        single_p50_ms=statistics.median(latencies) * 1000,
        single_p95_ms=float(np.percentile(latencies, 95)) * 1000,
        batch_size=batch,
        batch_queries=batch_done,
        batch_qps=batch_done / batch_s,
        brute_force_queries=sample,
        brute_force_qps=sample / brute_s,
        near_queries_found=sum(found) / len(found) if found else 1.0,
        exact=exact,
    )


def print_table(results: Sequence[SizeResult]) -> None:
    header = (
        f"{'bank size':>10} {'dataset':>9} {'mode':>9} {'build s':>8} {'tables s':>8} "
        f"{'single q/s':>11} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'batch q/s':>10} {'python q/s':>10} {'near found':>10} {'exact':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.size:>10,} {r.dataset:>9} {r.mode:>9} {r.build_s:>8.3f} {r.tables_s:>8.3f} "
            f"{r.single_qps:>11,.1f} {r.single_p50_ms:>8.2f} "
            f"{r.single_p95_ms:>8.2f} {r.batch_qps:>10,.1f} {r.brute_force_qps:>10,.2f} "
            f"{r.near_queries_found:>10.0%} {str(r.exact).lower():>6}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--threshold", type=int, default=PdqSignal.default_threshold)
    parser.add_argument("--queries", type=int, default=400, help="queries in the mix per size")
    parser.add_argument("--batch", type=int, default=64, help="queries per query_many call")
    parser.add_argument(
        "--min-time", type=float, default=1.0, help="least seconds behind each throughput figure"
    )
    parser.add_argument(
        "--time-budget", type=float, default=8.0, help="most seconds per throughput run"
    )
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument(
        "--datasets", nargs="+", choices=["random", "clustered"], default=["random", "clustered"]
    )
    parser.add_argument(
        "--modes", nargs="+", choices=["scan", "multihash"], default=["scan", "multihash"]
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    results = []
    runs = [(s, d, m) for s in args.sizes for d in args.datasets for m in args.modes]
    for size, dataset, mode in runs:
        print(f"bank of {size:,} {dataset} hashes, {mode}...", file=sys.stderr, flush=True)
        results.append(
            run_size(
                size,
                dataset=dataset,
                mode=mode,
                threshold=args.threshold,
                queries=args.queries,
                batch=args.batch,
                min_time_s=args.min_time,
                time_budget_s=args.time_budget,
                seed=args.seed,
            )
        )
    print_table(results)

    report = {
        "benchmark": "match_scan",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "parameters": {
            "bits": BITS,
            "threshold": args.threshold,
            "queries": args.queries,
            "batch": args.batch,
            "min_time_s": args.min_time,
            "time_budget_s": args.time_budget,
            "seed": args.seed,
            "query_mix": "half banked hashes with 1..threshold bits flipped, half random",
        },
        "results": [asdict(r) for r in results],
        "exact": all(r.exact for r in results),
    }
    write_report(args.output, report)
    return 0 if report["exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
