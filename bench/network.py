"""A hub and member instances for the network benchmarks, each a real `fireline serve`.

The set-up itself lives in ``fireline.simulate.network`` (the Christchurch replay uses
it too); this adds the benchmarks' fixed admin key and their "wait until it matches".
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from fireline.simulate import network
from fireline.simulate.network import admit_members, database_url, instance_key
from fireline.testing.server import RunningServer

__all__ = ["admit_members", "database_url", "instance_key"]

ADMIN = "bench-admin-key-0123456789abcdef"
HEADERS = {"Authorization": f"Bearer {ADMIN}"}
#: Seconds between a benchmark's looks at a member (a figure may read this much late).
POLL = 0.05


def admin_client(timeout: float = 30) -> httpx.Client:
    return httpx.Client(timeout=timeout, headers=HEADERS)


def start_instances(
    root: Path, names: list[str], stack: ExitStack, env: Mapping[str, Mapping[str, str]]
) -> dict[str, RunningServer]:
    """Migrate then start one server per name (``env``: extra variables by name)."""
    return network.start_instances(root, names, stack, env, admin_key=ADMIN)


def call(client: httpx.Client, base: str, method: str, path: str, **kw: Any) -> Any:
    """An admin call; raises on an error answer."""
    return network.call(client, base, method, path, headers=HEADERS, **kw)


def wait_match(base: str, value: str, t0: float, timeout: float = 30.0) -> float:
    """Seconds from ``t0`` until a PDQ query for ``value`` on ``base`` matches (inf: never)."""
    body = {"signals": [{"signal_type": "pdq", "value": value}]}
    with httpx.Client(timeout=10) as client:
        while True:
            found = call(client, base, "POST", "/v1/match", json=body)["matches"]
            now = time.perf_counter()
            if found:
                return now - t0
            if now - t0 > timeout:
                return float("inf")
            time.sleep(POLL)
