"""An incident's hashes across a hub and its members: from activation to "matchable".

Starts a hub and N member instances (default 10), each a real `fireline serve` process
with its own SQLite file, on loopback. Members set FIRELINE_INCIDENT_HUB and nothing
else: no bank subscriptions. Member 0 declares a perpetrator content incident at the hub
and member 1 approves it (quorum 2). Measured:

- from the approval's answer to every member following the incident's bank;
- from a hash's submission (at the hub, or by member 0 through the hub) to the first
  `POST /v1/match` on each member that finds it (members polled every 50 ms).

    .venv/bin/python bench/incident.py [--members 10] [--hashes 30]

Target (issue 5): hashes matchable on every member within a second. Prints the figures
and writes bench/results/incident.json.
"""

from __future__ import annotations

import argparse
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
from bench.network import (
    POLL,
    admin_client,
    admit_members,
    call,
    instance_key,
    start_instances,
    wait_match,
)

from fireline.sync.client import PeerClient


def _wait_following(base: str, bank: str, t0: float, timeout: float = 30.0) -> float:
    with httpx.Client(timeout=10) as client:
        while True:
            subs = call(client, base, "GET", "/v1/exchange/subscriptions")["data"]
            now = time.perf_counter()
            if any(s["remote_bank"] == bank for s in subs):
                return now - t0
            if now - t0 > timeout:
                return float("inf")
            time.sleep(POLL)


def _percentiles(seconds: list[float]) -> dict[str, float | int | None]:
    ms = sorted(x * 1000 for x in seconds if x != float("inf"))
    lost = len(seconds) - len(ms)

    def pct(p: float) -> float | None:
        return round(float(np.percentile(ms, p)), 1) if ms else None

    return {
        "samples": len(seconds),
        "never": lost,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": round(max(ms), 1) if ms else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--hashes", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("bench/results/incident.json"))
    args = parser.parse_args()
    names = [f"member{i}" for i in range(args.members)]
    values = random_hashes(np.random.default_rng(11), 2 * args.hashes + 1)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        root = Path(tmp)
        member_env = {"FIRELINE_INCIDENT_QUORUM": "2", "FIRELINE_INCIDENT_HUB": "hub"}
        env = {"hub": {"FIRELINE_INCIDENT_QUORUM": "2"}, **{n: member_env for n in names}}
        servers = start_instances(root, ["hub", *names], stack, env)
        client = admin_client()
        hub = servers["hub"].base_url
        admit_members(client, hub, {n: servers[n].base_url for n in names})
        first, second = (
            PeerClient(hub, instance_key(root, n), max_batch_bytes=1 << 24) for n in names[:2]
        )
        incident = first.incident_call(
            "POST", "", {"title": "bench", "activation": "perpetrator_content"}
        )
        active = second.incident_call("POST", f"/{incident['id']}/approvals", {})
        t0 = time.perf_counter()
        bases = [servers[n].base_url for n in names]
        with ThreadPoolExecutor(max_workers=len(bases)) as pool:
            following = list(pool.map(lambda b: _wait_following(b, active["bank"], t0), bases))
        # Warm every member's stream once, then time each hash.
        path = f"/v1/incidents/{incident['id']}/hashes"
        call(
            client,
            hub,
            "POST",
            path,
            json={"signals": [{"signal_type": "pdq", "value": values[0]}]},
        )
        with ThreadPoolExecutor(max_workers=len(bases)) as pool:
            list(pool.map(lambda b: wait_match(b, values[0], time.perf_counter(), 60), bases))
        from_hub: list[float] = []
        from_member: list[float] = []
        with ThreadPoolExecutor(max_workers=len(bases)) as pool:
            for n, value in enumerate(values[1:]):
                body = {"signals": [{"signal_type": "pdq", "value": value}]}
                if n % 2 == 0:
                    call(client, hub, "POST", path, json=body)
                    targets, out = bases, from_hub
                else:
                    first.incident_call("POST", f"/{incident['id']}/hashes", body)
                    targets, out = bases[1:], from_member
                t = time.perf_counter()
                out.extend(pool.map(lambda b, v=value, t=t: wait_match(b, v, t), targets))
        client.close()
        first.close()
        second.close()
    every = from_hub + from_member
    report = {
        "benchmark": "incident",
        "members": args.members,
        "hashes": 2 * args.hashes,
        "following_bank": _percentiles(following),
        "submitted_at_hub": _percentiles(from_hub),
        "submitted_by_a_member": _percentiles(from_member),
        "all": _percentiles(every),
        "target_ms": 1000,
        "target_met": bool(every) and all(x < 1.0 for x in every),
        "machine": machine(),
    }
    for what in ("following_bank", "submitted_at_hub", "submitted_by_a_member", "all"):
        figures = report[what]
        assert isinstance(figures, dict)
        print(
            f"{what}: {figures['samples']} samples, p50 {figures['p50_ms']} ms, "
            f"p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms, "
            f"max {figures['max_ms']} ms, never {figures['never']}"
        )
    print(f"every hash on every member within 1 s: {'yes' if report['target_met'] else 'NO'}")
    write_report(args.out, report)


if __name__ == "__main__":
    main()
