"""The exchange's storage protocol (re-exported by store.interfaces)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from fireline.domain import (
    ApplyReport,
    ChangeKind,
    Entry,
    NewEntry,
    Opinion,
    OpinionKind,
    OutgoingOpinion,
    Peer,
    ReceivedOpinion,
    ReceivedRetraction,
    StoredBatch,
    Subscription,
)

#: What a batch applies, in order: new entries, retractions, opinions.
ReceivedEvent = NewEntry | ReceivedRetraction | ReceivedOpinion


class ExchangeStore(Protocol):
    """Identity, peers, subscriptions, chained batches per channel, opinions.

    A channel names one chain: ``feed:<bank id>``, ``in:<subscription id>``,
    ``out:<subscription id>`` or ``contrib:<peer id>:<bank id>``.
    """

    def identity(self) -> bytes | None:
        """This instance's private key, or None before one is made."""
        ...

    def save_identity(self, secret: bytes) -> bytes:
        """Keep ``secret`` unless a key is stored already; returns the stored one."""
        ...

    def add_peer(
        self, *, name: str, public_key: str, fingerprint: str, url: str | None, member: bool
    ) -> Peer:
        """Conflict when the name or key is taken."""
        ...

    def get_peer(self, name: str) -> Peer: ...

    def peer_by_key(self, public_key: str) -> Peer | None: ...

    def list_peers(self) -> list[Peer]: ...

    def update_peer(self, name: str, *, url: str | None, member: bool | None) -> Peer: ...

    def revoke_peer(self, name: str) -> Peer: ...

    def add_subscription(self, *, peer: str, remote_bank: str, bank: str) -> Subscription:
        """NotFound for an unknown peer or local bank; Conflict when already subscribed."""
        ...

    def get_subscription(self, subscription_id: int) -> Subscription: ...

    def list_subscriptions(self) -> list[Subscription]: ...

    def record_sync(self, subscription_id: int, *, error: str | None) -> None: ...

    def head(self, channel: str) -> StoredBatch | None:
        """The newest batch of a channel."""
        ...

    def batch_at(self, channel: str, seq: int) -> StoredBatch | None: ...

    def batches(self, channel: str, *, after: int = 0, limit: int = 100) -> list[StoredBatch]: ...

    def append(
        self,
        channel: str,
        batch: StoredBatch,
        *,
        bank: str | None = None,
        events: Sequence[ReceivedEvent] = (),
        local_prefix: str = "",
    ) -> ApplyReport | None:
        """Append the channel's next batch and apply ``events`` to ``bank``, atomically.

        None when this very batch (same seq and hash) is there already. Conflict
        (``chain_moved``) when it is not the next one: nothing is stored. Uids starting
        with ``local_prefix`` name this instance's own entries by id.
        """
        ...

    def ack(self, channel: str, seq: int) -> None:
        """Mark the channel's batches up to ``seq`` delivered."""
        ...

    def outgoing(
        self,
        bank: str,
        *,
        after_change: int,
        after_opinion: int,
        limit: int,
    ) -> tuple[list[tuple[int, ChangeKind, Entry]], list[OutgoingOpinion]]:
        """The bank's changes and opinions after two positions, oldest first.

        Opinions come only when the changes did not fill ``limit``, and only on entries
        the returned changes (or earlier ones) introduced.
        """
        ...

    def unacked(self, channel: str, *, limit: int = 100) -> list[StoredBatch]:
        """The channel's batches not yet marked delivered, oldest first."""
        ...

    def add_opinion(self, entry_id: int, *, org: str, kind: OpinionKind, note: str) -> Opinion:
        """Record a local opinion; NotFound for an unknown entry."""
        ...

    def opinions(self, entry_id: int) -> list[Opinion]:
        """Every opinion on an entry, oldest first."""
        ...

    def disputed(self, entry_ids: Sequence[int], *, min_orgs: int) -> set[int]:
        """The entries among ``entry_ids`` whose latest opinion from at least ``min_orgs``
        organisations is a dispute."""
        ...


def disputed_entries(latest: dict[tuple[int, str], str], min_orgs: int) -> set[int]:
    """Entries whose latest opinion (by (entry id, org) -> kind) is a dispute from at
    least ``min_orgs`` organisations: the rule both stores apply."""
    counts: dict[int, int] = {}
    for (entry_id, _org), kind in latest.items():
        if kind == OpinionKind.DISPUTE.value:
            counts[entry_id] = counts.get(entry_id, 0) + 1
    return {entry_id for entry_id, n in counts.items() if n >= min_orgs}
