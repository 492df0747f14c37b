"""Propagation over push: from "entry committed on A" to "a query on B matches it".

Starts a hub and N member instances (default 10), each a real `fireline serve` process
with its own SQLite file, on loopback. Members subscribe to the hub's shared bank; the
hub admits them. Member A banks one PDQ hash at a time over HTTP; the clock starts when
A's answer arrives (the entry is committed) and stops, per other member, at the first
`POST /v1/match` there that finds it. Every member is polled concurrently every 50 ms
(so a figure may read up to 50 ms late).

    .venv/bin/python bench/propagation.py [--members 10] [--entries 40]

Target (issue 4): p99 under 1 second. Prints the figures and writes
bench/results/propagation.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, random_hashes, write_report
from bench.network import admin_client, admit_members, call, start_instances, wait_match


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--entries", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("bench/results/propagation.json"))
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    values = random_hashes(rng, args.entries)
    names = [f"member{i}" for i in range(args.members)]
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        root = Path(tmp)
        started = time.perf_counter()
        servers = start_instances(root, ["hub", *names], stack, {})
        print(f"started {len(servers)} instances in {time.perf_counter() - started:.1f} s")
        client = admin_client()
        hub = servers["hub"].base_url
        call(client, hub, "POST", "/v1/banks", json={"name": "tvec", "sharing": "members"})
        admit_members(client, hub, {n: servers[n].base_url for n in names}, subscribe="tvec")
        source = servers[names[0]].base_url
        others = [servers[n].base_url for n in names[1:]]
        # Warm up every path once (indexes loaded, connections open, streams attached).
        warm = random_hashes(np.random.default_rng(99), 1)[0]
        call(
            client,
            source,
            "POST",
            "/v1/banks/tvec/entries",
            json={"signals": [{"signal_type": "pdq", "value": warm}]},
        )
        with ThreadPoolExecutor(max_workers=len(others)) as pool:
            list(pool.map(lambda b: wait_match(b, warm, time.perf_counter(), 60), others))
        latencies: list[float] = []
        with ThreadPoolExecutor(max_workers=len(others)) as pool:
            for value in values:
                call(
                    client,
                    source,
                    "POST",
                    "/v1/banks/tvec/entries",
                    json={"signals": [{"signal_type": "pdq", "value": value}]},
                )
                t0 = time.perf_counter()
                latencies.extend(pool.map(lambda b, v=value, t=t0: wait_match(b, v, t), others))
        client.close()
    lost = sum(1 for x in latencies if x == float("inf"))
    ms = sorted(x * 1000 for x in latencies if x != float("inf"))

    def pct(p: float) -> float:
        return float(np.percentile(ms, p)) if ms else float("inf")

    report = {
        "benchmark": "propagation",
        "members": args.members,
        "entries": args.entries,
        "samples": len(latencies),
        "never_arrived": lost,
        "p50_ms": round(pct(50), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
        "max_ms": round(max(ms), 1) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
        "target_p99_ms": 1000,
        "target_met": lost == 0 and pct(99) < 1000,
        "machine": machine(),
    }
    print(
        f"{len(latencies)} samples ({args.entries} entries x {len(others)} members): "
        f"p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, p99 {report['p99_ms']} ms, "
        f"max {report['max_ms']} ms, never arrived {lost}; target p99 < 1000 ms: "
        f"{'met' if report['target_met'] else 'NOT met'}"
    )
    write_report(args.out, report)


if __name__ == "__main__":
    main()
