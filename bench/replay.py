"""The Christchurch replay as a benchmark: a day of a livestreamed attack's re-uploads.

One hub and N member platforms (default 10), each a real `fireline serve` process with
its own SQLite file on loopback. A synthetic livestream with sound runs on member0;
hundreds of edited variants and chains of edits are re-uploaded across every member
for a simulated day, beside benign uploads; member0 declares an incident, member1
approves it, member0 shares the recording's hashes; members harvest variants, the hub's
responders decide proposals, users report what gets through. See docs/simulate.md.

    .venv/bin/python bench/replay.py [--runs 2] [--members 10] [--uploads 16000]

Target (issue 5): >= 99% of re-uploads blocked from the first minute after the first
hash is shared, no benign upload blocked; seeded, so two runs agree. Prints the figures
and writes bench/results/replay.json (and the hub's debrief next to it).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, write_report

from fireline.simulate import ReplayParams, build_scenario, simulate_christchurch
from fireline.simulate.catalogue import build_catalogue
from fireline.simulate.report import summary_lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = ReplayParams()
    for f in fields(ReplayParams):
        if f.name == "report_delay":
            continue
        value = getattr(defaults, f.name)
        parser.add_argument("--" + f.name.replace("_", "-"), type=type(value), default=value)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results/replay.json"))
    args = parser.parse_args()
    params = ReplayParams(
        **{f.name: getattr(args, f.name) for f in fields(ReplayParams) if f.name != "report_delay"}
    )
    scenario = build_scenario(params)
    started = time.perf_counter()
    catalogue = build_catalogue(scenario, workers=args.workers)
    media_seconds = time.perf_counter() - started
    print(f"{len(scenario.items)} items rendered and hashed in {media_seconds:.0f} s")
    result = simulate_christchurch(
        params, runs=args.runs, catalogue=catalogue, out=args.out.parent / "replay"
    )
    for line in summary_lines(result.summaries[0]):
        print(line)
    print(f"{args.runs} runs agree: {'yes' if result.agree else 'NO'}")
    report = {
        "benchmark": "replay",
        **result.as_json(),
        "run_seconds": [s["wall_seconds"] for s in result.summaries],
        "media_seconds": round(media_seconds, 1),
        "items": len(scenario.items),
        "machine": machine(),
    }
    write_report(args.out, report)


if __name__ == "__main__":
    main()
