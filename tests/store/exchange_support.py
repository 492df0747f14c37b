"""Records the ExchangeStore tests build: peers, chained batches, received events."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fireline.domain import (
    ApplyReport,
    NewEntry,
    OpinionKind,
    Peer,
    Provenance,
    ReceivedOpinion,
    SharingPolicy,
    StoredBatch,
)
from fireline.store import ReceivedEvent, Store

GENESIS = "0" * 64
KEY_A = "ed25519:" + "A" * 43
KEY_B = "ed25519:" + "B" * 43
ORIGIN = "aaaaaaaaaaaaaaaa"  # the fingerprint of the instance entries come from
LOCAL = "1111111111111111"  # this instance's own fingerprint
WHEN = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
PROVENANCE = Provenance(org="A", instance=ORIGIN, contributed_at=WHEN, relayed_by=("h" * 16,))


def make_bank(store: Store, name: str = "tvec") -> None:
    store.banks.create_bank(
        name=name, description="", owner="hub", sharing=SharingPolicy.MEMBERS, pdq_threshold=None
    )


def add_peer(store: Store, name: str = "hub", key: str = KEY_A, **fields: Any) -> Peer:
    values: dict[str, Any] = {"fingerprint": "f" * 16, "url": None, "member": False}
    values.update(fields)
    return store.exchange.add_peer(name=name, public_key=key, **values)


def batch(seq: int, prev: str, *, tag: str = "", **fields: Any) -> StoredBatch:
    """A stored batch whose hash is derived from its place (and ``tag``, to make another)."""
    digest = hashlib.sha256(f"{seq}:{prev}:{tag}".encode()).hexdigest()
    return StoredBatch(
        seq=seq,
        prev=prev,
        hash=digest,
        body=f'{{"seq":{seq}}}'.encode(),
        signature=f"sig{seq}",
        created_at=WHEN,
        **fields,
    )


def chain(length: int) -> list[StoredBatch]:
    batches: list[StoredBatch] = []
    for seq in range(1, length + 1):
        batches.append(batch(seq, batches[-1].hash if batches else GENESIS))
    return batches


def place(stored: StoredBatch | None) -> tuple[int, str, str, bytes, str] | None:
    if stored is None:
        return None
    return (stored.seq, stored.prev, stored.hash, stored.body, stored.signature)


def received(value: str, number: int = 1) -> NewEntry:
    return NewEntry(
        signal_type="md5",
        value=value,
        labels=("violent_attack",),
        origin_uid=f"{ORIGIN}:{number}",
        provenance=PROVENANCE,
        contributor="A",
    )


def opinion(uid: str, org: str = "B", kind: OpinionKind = OpinionKind.DISPUTE) -> ReceivedOpinion:
    return ReceivedOpinion(uid=uid, org=org, instance="b" * 16, kind=kind, note="n", at=WHEN)


def apply(store: Store, events: Sequence[ReceivedEvent], channel: str = "in:1") -> ApplyReport:
    head = store.exchange.head(channel)
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    report = store.exchange.append(
        channel, batch(seq, prev), bank="tvec", events=events, local_prefix=LOCAL
    )
    assert report is not None
    return report
