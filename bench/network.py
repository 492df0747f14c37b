"""A hub and member instances for the network benchmarks, each a real `fireline serve`.

Every instance has its own SQLite file under ``root`` and listens on loopback; the hub
admits the members and each member knows the hub by its URL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from fireline.store.sql import upgrade
from fireline.testing.server import RunningServer, running_server

ADMIN = "bench-admin-key-0123456789abcdef"
HEADERS = {"Authorization": f"Bearer {ADMIN}"}
#: Seconds between a benchmark's looks at a member (a figure may read this much late).
POLL = 0.05


def database_url(root: Path, name: str) -> str:
    return f"sqlite:///{(root / name / 'fireline.db').as_posix()}"


def start_instances(
    root: Path, names: list[str], stack: ExitStack, env: Mapping[str, Mapping[str, str]]
) -> dict[str, RunningServer]:
    """Migrate then start one server per name (``env``: extra variables by name)."""
    for name in names:  # one at a time: Alembic is not for threads
        (root / name).mkdir()
        upgrade(database_url(root, name))

    def start(name: str) -> RunningServer:
        variables = {
            **os.environ,
            "FIRELINE_DATABASE_URL": database_url(root, name),
            "FIRELINE_ADMIN_KEY": ADMIN,
            "FIRELINE_ORG_NAME": name,
            **env.get(name, {}),
        }
        return stack.enter_context(running_server(env=variables))

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        futures = {n: pool.submit(start, n) for n in names}
        return {n: f.result() for n, f in futures.items()}


def call(client: httpx.Client, base: str, method: str, path: str, **kw: Any) -> Any:
    """An admin call; raises on an error answer."""
    response = client.request(method, base + path, headers=HEADERS, **kw)
    response.raise_for_status()
    return response.json()


def admit_members(
    client: httpx.Client, hub: str, members: Mapping[str, str], *, subscribe: str | None = None
) -> None:
    """The hub admits each member (name: base URL), which adds the hub as a peer and,
    with ``subscribe``, follows that bank of the hub."""
    hub_key = call(client, hub, "GET", "/v1/exchange/identity")["public_key"]
    for name, base in members.items():
        key = call(client, base, "GET", "/v1/exchange/identity")["public_key"]
        peer = {"name": name, "public_key": key, "member": True}
        call(client, hub, "POST", "/v1/exchange/peers", json=peer)
        hub_peer = {"name": "hub", "public_key": hub_key, "url": hub}
        call(client, base, "POST", "/v1/exchange/peers", json=hub_peer)
        if subscribe is not None:
            subscription = {"peer": "hub", "remote_bank": subscribe}
            call(client, base, "POST", "/v1/exchange/subscriptions", json=subscription)


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
