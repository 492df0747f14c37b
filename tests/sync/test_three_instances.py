"""A hub and two members, each a real `fireline serve` process on its own SQLite file.

Shows over loopback HTTP: an entry banked on A is matchable on B; A's retraction stops
the match on B; B's dispute reaches A; a tampered batch is refused; B, restarted after
being down, catches up from its cursor with nothing lost or doubled.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from fireline.exchange import InstanceKey
from fireline.store.sql import SqlStore, upgrade
from fireline.sync.client import PeerClient, PeerUnavailable
from fireline.testing.server import RunningServer, running_server

ADMIN = "admin-key-for-the-three-instance-test"
HEADERS = {"Authorization": f"Bearer {ADMIN}"}


def _pdq(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(64))


class Instance:
    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.url_db = f"sqlite:///{(root / name / 'fireline.db').as_posix()}"
        (root / name).mkdir()
        upgrade(self.url_db)
        self.env = {
            **os.environ,
            "FIRELINE_DATABASE_URL": self.url_db,
            "FIRELINE_ADMIN_KEY": ADMIN,
            "FIRELINE_ORG_NAME": f"org-{name}",
            "FIRELINE_DATA_DIR": str(root / name),
        }
        self.server: RunningServer | None = None

    @contextmanager
    def running(self) -> Iterator[Instance]:
        with running_server(env=self.env) as server:
            self.server = server
            yield self
        self.server = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return self.server.base_url

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, self.base + path, headers=HEADERS, timeout=10, **kwargs)
        assert response.status_code < 300, (self.name, path, response.text)
        return response.json()

    def matches(self, value: str) -> list[dict[str, Any]]:
        body = {"signals": [{"signal_type": "pdq", "value": value}]}
        result: list[dict[str, Any]] = self.call("POST", "/v1/match", json=body)["matches"]
        return result

    def secret(self) -> bytes:
        store = SqlStore(self.url_db)
        try:
            secret = store.exchange.identity()
        finally:
            store.close()
        assert secret is not None
        return secret


def eventually(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def _cli(instance: Instance, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fireline", *args],
        env=instance.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def admit(hub: Instance, member: Instance, *, subscribe: str | None = None) -> None:
    """The hub admits the member, which adds the hub (and follows ``subscribe`` there)."""
    hub_key = hub.call("GET", "/v1/exchange/identity")["public_key"]
    key = member.call("GET", "/v1/exchange/identity")["public_key"]
    hub.call(
        "POST",
        "/v1/exchange/peers",
        json={"name": member.name, "public_key": key, "member": True},
    )
    member.call(
        "POST",
        "/v1/exchange/peers",
        json={"name": "hub", "public_key": hub_key, "url": hub.base},
    )
    if subscribe is not None:
        member.call(
            "POST", "/v1/exchange/subscriptions", json={"peer": "hub", "remote_bank": subscribe}
        )


@pytest.fixture
def network(tmp_path: Path) -> Iterator[tuple[Instance, Instance, Instance, ExitStack]]:
    hub, a, b = (Instance(n, tmp_path) for n in ("hub", "a", "b"))
    with ExitStack() as stack:
        stack.enter_context(hub.running())
        stack.enter_context(a.running())
        stack.enter_context(b.running())
        hub.call("POST", "/v1/banks", json={"name": "tvec", "sharing": "members"})
        for member in (a, b):
            admit(hub, member, subscribe="tvec")
        yield hub, a, b, stack


def test_three_instances_share_retract_dispute_refuse_and_catch_up(
    network: tuple[Instance, Instance, Instance, ExitStack],
) -> None:
    hub, a, b, stack = network
    rng = random.Random(4)

    # A hash banked on A is matchable on B.
    first = _pdq(rng)
    added = a.call(
        "POST",
        "/v1/banks/tvec/entries",
        json={
            "signals": [{"signal_type": "pdq", "value": first}],
            "labels": ["category:perpetrator_livestream"],
        },
    )
    a_entry = added["added"][0]["id"]
    eventually(lambda: bool(b.matches(first)), "B matches A's hash")
    on_b = b.matches(first)[0]
    assert on_b["labels"] == ["category:perpetrator_livestream"]
    assert hub.matches(first)  # the hub holds it too

    # A retracts it: B stops matching.
    a.call("POST", f"/v1/entries/{a_entry}/retract", json={"reason": "wrong hash"})
    eventually(lambda: not b.matches(first), "B stops matching the retracted hash")

    # B disputes a second entry: the opinion reaches A, the contributor.
    second = _pdq(rng)
    a_second = a.call(
        "POST",
        "/v1/banks/tvec/entries",
        json={"signals": [{"signal_type": "pdq", "value": second}]},
    )["added"][0]
    eventually(lambda: bool(b.matches(second)), "B matches the second hash")
    b_second = b.matches(second)[0]["entry_id"]
    b.call(
        "POST",
        f"/v1/entries/{b_second}/opinions",
        json={"kind": "dispute", "note": "a news report, not perpetrator content"},
    )

    def dispute_on_a() -> bool:
        opinions = a.call("GET", f"/v1/entries/{a_second['id']}/opinions")["data"]
        return any(o["kind"] == "dispute" and o["org"] == "b" for o in opinions)

    eventually(dispute_on_a, "B's dispute reaches A")

    # A tampered batch is refused, and nothing changes on the hub.
    before = hub.call("GET", "/v1/banks/tvec")["entry_count"]
    client = PeerClient(hub.base, InstanceKey(b.secret()), max_batch_bytes=1 << 20)
    forged_value = _pdq(rng)
    from fireline.exchange import BatchKind, EntryAdded, ProvenanceWire, build_batch

    hub_key = hub.call("GET", "/v1/exchange/identity")["public_key"]
    batch = build_batch(
        InstanceKey(b.secret()),
        kind=BatchKind.CONTRIBUTION,
        bank="tvec",
        seq=99,
        prev="0" * 64,
        audience=hub_key,
        events=(
            EntryAdded(
                uid=f"{InstanceKey(b.secret()).fingerprint}:999",
                signal_type="pdq",
                value=forged_value,
                quality=None,
                labels=(),
                provenance=ProvenanceWire("b", "x", "2026-11-23T00:00:00Z"),
            ),
        ),
    )
    tampered = batch.envelope().replace(forged_value.encode(), _pdq(rng).encode())
    with pytest.raises(PeerUnavailable, match="bad_signature"):
        client.contribute("tvec", tampered)
    with pytest.raises(PeerUnavailable, match="out_of_order|replayed|broken"):
        client.contribute("tvec", batch.envelope())  # well signed, but not the next batch
    client.close()
    assert hub.call("GET", "/v1/banks/tvec")["entry_count"] == before
    assert not hub.matches(forged_value)

    # B's chains verify; a batch altered in B's database is caught.
    assert _cli(b, "exchange", "verify", "tvec").returncode == 0

    # B goes down; A banks three more; B comes back and catches up from its cursor.
    b_server = b.server
    assert b_server is not None
    b_server.process.send_signal(2)
    b_server.process.wait(timeout=30)
    later = [_pdq(rng) for _ in range(3)]
    a.call(
        "POST",
        "/v1/banks/tvec/entries",
        json={"signals": [{"signal_type": "pdq", "value": v} for v in later]},
    )
    eventually(lambda: all(hub.matches(v) for v in later), "the hub has A's new hashes")
    with b.running():
        eventually(lambda: all(b.matches(v) for v in later), "restarted B catches up")
        entries = b.call("GET", "/v1/banks/tvec/entries?include_retracted=true&limit=1000")
        values = [e["value"] for e in entries["data"]]
        assert len(values) == len(set(values)) == 5  # first (retracted), second, three later
        status = b.call("GET", "/v1/exchange/status")["subscriptions"][0]
        assert status["last_error"] in (None, "") or "peer_unavailable" in status["last_error"]
    assert _cli(b, "exchange", "verify", "tvec").returncode == 0
    with sqlite3.connect(b.url_db.removeprefix("sqlite:///")) as db:
        db.execute(
            "UPDATE exchange_batches SET body = replace(body, 'pdq', 'pdX') "
            "WHERE seq = 1 AND channel LIKE 'in:%'"
        )
    broken = _cli(b, "exchange", "verify", "tvec")
    assert broken.returncode == 10, broken.stdout + broken.stderr
    assert "BROKEN" in broken.stdout
