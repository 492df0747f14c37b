"""A hub and its member instances, each a real `fireline serve` process on loopback.

Every instance has its own SQLite file under ``root``; the hub admits the members and
each member knows the hub, by its URL, as the peer ``hub``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fireline.exchange import InstanceKey
from fireline.store.sql import SqlStore, upgrade
from fireline.testing.server import RunningServer, running_server

#: The name members know their hub by.
HUB = "hub"


def database_url(root: Path, name: str) -> str:
    return f"sqlite:///{(root / name / 'fireline.db').as_posix()}"


def start_instances(
    root: Path,
    names: list[str],
    stack: ExitStack,
    env: Mapping[str, Mapping[str, str]],
    *,
    admin_key: str,
) -> dict[str, RunningServer]:
    """Migrate then start one server per name (``env``: extra variables by name)."""
    for name in names:  # one at a time: Alembic is not for threads
        (root / name).mkdir()
        upgrade(database_url(root, name))

    def start(name: str) -> RunningServer:
        variables = {
            **os.environ,
            "FIRELINE_DATABASE_URL": database_url(root, name),
            "FIRELINE_ADMIN_KEY": admin_key,
            "FIRELINE_ORG_NAME": name,
            **env.get(name, {}),
        }
        return stack.enter_context(running_server(env=variables))

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        futures = {n: pool.submit(start, n) for n in names}
        return {n: f.result() for n, f in futures.items()}


def call(client: httpx.Client, base: str, method: str, path: str, **kw: Any) -> Any:
    """A call with the client's credentials; raises on an error answer."""
    response = client.request(method, base + path, **kw)
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
        hub_peer = {"name": HUB, "public_key": hub_key, "url": hub}
        call(client, base, "POST", "/v1/exchange/peers", json=hub_peer)
        if subscribe is not None:
            subscription = {"peer": HUB, "remote_bank": subscribe}
            call(client, base, "POST", "/v1/exchange/subscriptions", json=subscription)


def instance_key(root: Path, name: str) -> InstanceKey:
    """The signing key of the instance ``name`` (to act at the hub as that member)."""
    store = SqlStore(database_url(root, name))
    try:
        secret = store.exchange.identity()
    finally:
        store.close()
    if secret is None:
        raise RuntimeError(f"{name} has no exchange identity yet")
    return InstanceKey(secret)


@dataclass
class Network:
    """A started hub and members, with an admin client for each (see ``start_network``)."""

    root: Path
    admin_key: str
    servers: dict[str, RunningServer]
    members: list[str]
    client: httpx.Client = field(repr=False)

    @property
    def hub(self) -> str:
        return self.servers[HUB].base_url

    def base(self, name: str) -> str:
        return self.servers[name].base_url


def start_network(
    root: Path,
    stack: ExitStack,
    *,
    members: int,
    hub_env: Mapping[str, str] | None = None,
    member_env: Mapping[str, str] | None = None,
) -> Network:
    """A hub and ``members`` members named member0...; members follow the hub's incidents."""
    names = [f"member{i}" for i in range(members)]
    admin_key = secrets.token_hex(16)
    env = {
        HUB: dict(hub_env or {}),
        **{n: {"FIRELINE_INCIDENT_HUB": HUB, **(member_env or {})} for n in names},
    }
    servers = start_instances(root, [HUB, *names], stack, env, admin_key=admin_key)
    client = stack.enter_context(
        httpx.Client(
            timeout=60,
            headers={"Authorization": f"Bearer {admin_key}"},
            # uvicorn closes a connection idle for 5 s; reusing one it is closing loses
            # the request ("server disconnected"), so idle ones are dropped well before.
            limits=httpx.Limits(keepalive_expiry=1.0),
        )
    )
    admit_members(client, servers[HUB].base_url, {n: servers[n].base_url for n in names})
    return Network(root=root, admin_key=admin_key, servers=servers, members=names, client=client)
