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
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, random_hashes, write_report

from fireline.store.sql import upgrade
from fireline.testing.server import RunningServer, running_server

ADMIN = "bench-admin-key-0123456789abcdef"
HEADERS = {"Authorization": f"Bearer {ADMIN}"}
POLL = 0.05


def _start(root: Path, name: str, stack: ExitStack) -> RunningServer:
    url = f"sqlite:///{(root / name / 'fireline.db').as_posix()}"
    env = {
        **os.environ,
        "FIRELINE_DATABASE_URL": url,
        "FIRELINE_ADMIN_KEY": ADMIN,
        "FIRELINE_ORG_NAME": name,
    }
    return stack.enter_context(running_server(env=env))


def _call(client: httpx.Client, base: str, method: str, path: str, **kw: object) -> dict:
    response = client.request(method, base + path, headers=HEADERS, **kw)  # type: ignore[arg-type]
    response.raise_for_status()
    return response.json()


def _wait_match(base: str, value: str, t0: float, timeout: float = 30.0) -> float:
    body = {"signals": [{"signal_type": "pdq", "value": value}]}
    with httpx.Client(timeout=10) as client:
        while True:
            found = _call(client, base, "POST", "/v1/match", json=body)["matches"]
            now = time.perf_counter()
            if found:
                return now - t0
            if now - t0 > timeout:
                return float("inf")
            time.sleep(POLL)


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
        for name in ["hub", *names]:  # one at a time: Alembic is not for threads
            (root / name).mkdir()
            upgrade(f"sqlite:///{(root / name / 'fireline.db').as_posix()}")
        with ThreadPoolExecutor(max_workers=args.members + 1) as pool:
            futures = {n: pool.submit(_start, root, n, stack) for n in ["hub", *names]}
            servers = {n: f.result() for n, f in futures.items()}
        print(f"started {len(servers)} instances in {time.perf_counter() - started:.1f} s")
        client = httpx.Client(timeout=30)
        hub = servers["hub"].base_url
        hub_key = _call(client, hub, "GET", "/v1/exchange/identity")["public_key"]
        _call(client, hub, "POST", "/v1/banks", json={"name": "tvec", "sharing": "members"})
        for name in names:
            base = servers[name].base_url
            key = _call(client, base, "GET", "/v1/exchange/identity")["public_key"]
            _call(
                client,
                hub,
                "POST",
                "/v1/exchange/peers",
                json={"name": name, "public_key": key, "member": True},
            )
            _call(
                client,
                base,
                "POST",
                "/v1/exchange/peers",
                json={"name": "hub", "public_key": hub_key, "url": hub},
            )
            _call(
                client,
                base,
                "POST",
                "/v1/exchange/subscriptions",
                json={"peer": "hub", "remote_bank": "tvec"},
            )
        source = servers[names[0]].base_url
        others = [servers[n].base_url for n in names[1:]]
        # Warm up every path once (indexes loaded, connections open, streams attached).
        warm = random_hashes(np.random.default_rng(99), 1)[0]
        _call(
            client,
            source,
            "POST",
            "/v1/banks/tvec/entries",
            json={"signals": [{"signal_type": "pdq", "value": warm}]},
        )
        with ThreadPoolExecutor(max_workers=len(others)) as pool:
            list(pool.map(lambda b: _wait_match(b, warm, time.perf_counter(), 60), others))
        latencies: list[float] = []
        with ThreadPoolExecutor(max_workers=len(others)) as pool:
            for value in values:
                _call(
                    client,
                    source,
                    "POST",
                    "/v1/banks/tvec/entries",
                    json={"signals": [{"signal_type": "pdq", "value": value}]},
                )
                t0 = time.perf_counter()
                latencies.extend(pool.map(lambda b, v=value, t=t0: _wait_match(b, v, t), others))
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
