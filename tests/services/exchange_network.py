"""A hash-sharing network in one process, for the exchange tests: a hub H and members A, B.

H shares bank ``tvec`` with its members; A and B subscribe to it. Batches move by hand
(no HTTP): H's feed to a member with ``feed``/``apply_feed``, a member's contributions to
H with ``outbox``/``accept_contribution``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fireline.bootstrap import Container, build, migrate
from fireline.domain import Entry, Peer, SharingPolicy, Signal, Subscription
from fireline.exchange import (
    GENESIS,
    BatchKind,
    EntryAdded,
    Event,
    InstanceKey,
    ProvenanceWire,
    build_batch,
)
from fireline.services.exchange import envelope_of
from fireline.settings import Settings

AT = "2026-11-23T10:00:00.000000Z"


@dataclass
class Member:
    """A member instance, its subscription to H's ``tvec``, and H's record of it."""

    node: Container
    sub: Subscription
    at_hub: Peer


@dataclass
class Network:
    hub: Container
    a: Member
    b: Member

    def contribute(self, member: Member) -> None:
        """Send the member's unsent contributions to H (which relays them at once)."""
        for batch in member.node.exchange.outbox(member.sub):
            self.hub.exchange.accept_contribution(
                peer=member.at_hub, bank="tvec", data=envelope_of(batch)
            )
            member.node.exchange.delivered(member.sub, seq=batch.seq)

    def pull(self, member: Member) -> None:
        """Apply H's feed batches the member has not applied yet."""
        self.hub.exchange.publish(bank="tvec")
        after = member.node.exchange.cursor(member.sub)
        for batch in self.hub.exchange.feed(peer=member.at_hub, bank="tvec", after=after):
            member.node.exchange.apply_feed(member.sub, envelope_of(batch))

    def sync(self) -> None:
        for member in (self.a, self.b):
            self.contribute(member)
        for member in (self.a, self.b):
            self.pull(member)


class Instances:
    """Builds wired instances named by their org (each SQLite one in its own file)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._built: list[Container] = []

    def __call__(self, org: str, backend: str = "memory", **settings: Any) -> Container:
        url = "memory://"
        if backend == "sqlite":
            url = f"sqlite:///{(self._folder / f'{org}.db').as_posix()}"
        config = Settings(database_url=url, org_name=org, **settings)
        migrate(config)
        self._built.append(build(config))
        return self._built[-1]

    def network(self, backend: str = "memory", **a_settings: Any) -> Network:
        """H sharing ``tvec`` with A (built with ``a_settings``) and B, both subscribed."""
        hub = self("H", backend)
        hub.banks.create(name="tvec", sharing=SharingPolicy.MEMBERS)
        # H knows its members by their org names: it labels what they send with that name.
        a = connect(hub, self("A", backend, **a_settings), "A")
        b = connect(hub, self("B", backend), "B")
        return Network(hub, a, b)

    def close(self) -> None:
        for container in self._built:
            container.close()


def connect(hub: Container, node: Container, name: str) -> Member:
    at_hub = hub.exchange.add_peer(name=name, public_key=node.exchange.key.public_key, member=True)
    node.exchange.add_peer(
        name="hub", public_key=hub.exchange.key.public_key, url="http://127.0.0.1:1"
    )
    return Member(node, node.exchange.subscribe(peer="hub", remote_bank="tvec"), at_hub)


def pdq() -> str:
    """A random PDQ hash: far (about 128 bits) from any other one."""
    return secrets.token_hex(32)


def bank(node: Container, value: str) -> Entry:
    (entry,) = node.banks.add_signals(bank="tvec", signals=[Signal("pdq", value)]).added
    return entry


def matched(node: Container, value: str) -> list[Entry]:
    return [m.entry for m in node.matcher.match_signals([Signal("pdq", value)]).matches]


def count(node: Container) -> int:
    """Active entries in the instance's ``tvec``."""
    return node.banks.get(name="tvec").entry_count


def signed(key: InstanceKey, events: tuple[Event, ...], **fields: Any) -> bytes:
    """An envelope signed by ``key``: by default the first feed batch of ``tvec``."""
    values: dict[str, Any] = {"kind": BatchKind.FEED, "bank": "tvec", "seq": 1, "prev": GENESIS}
    values.update(fields)
    return build_batch(key, events=events, **values).envelope()


def entry_event(uid: str, value: str | None = None) -> EntryAdded:
    return EntryAdded(
        uid=uid,
        signal_type="pdq",
        value=value or pdq(),
        quality=None,
        labels=(),
        provenance=ProvenanceWire(org="X", instance=uid.split(":")[0], contributed_at=AT),
    )
