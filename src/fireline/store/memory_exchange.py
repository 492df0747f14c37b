"""In-memory twin of ExchangeStore, sharing the in-memory bank store's entries and lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fireline.domain import (
    ApplyReport,
    ChangeKind,
    Conflict,
    Entry,
    NewEntry,
    NotFound,
    Opinion,
    OpinionKind,
    OutgoingOpinion,
    Peer,
    ReceivedRetraction,
    StoredBatch,
    Subscription,
)
from fireline.store.exchange_interface import ReceivedEvent, disputed_entries

if TYPE_CHECKING:
    from fireline.store.memory import MemoryBankStore


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryExchangeStore:
    def __init__(self, banks: MemoryBankStore) -> None:
        self._banks = banks
        self._lock = banks._lock  # one lock: a batch and its entries change together
        self._identity: bytes | None = None
        self._peers: dict[str, Peer] = {}
        self._subscriptions: dict[int, Subscription] = {}
        self._channels: dict[str, list[StoredBatch]] = {}
        self._opinions: list[tuple[int, Opinion]] = []  # (bank id, opinion)

    def identity(self) -> bytes | None:
        return self._identity

    def save_identity(self, secret: bytes) -> bytes:
        with self._lock:
            if self._identity is None:
                self._identity = secret
            return self._identity

    def add_peer(
        self, *, name: str, public_key: str, fingerprint: str, url: str | None, member: bool
    ) -> Peer:
        with self._lock:
            if name in self._peers or any(p.public_key == public_key for p in self._peers.values()):
                raise Conflict(
                    f"a peer named {name!r} or with this key exists", code="duplicate_peer"
                )
            peer = Peer(
                id=len(self._peers) + 1,
                name=name,
                public_key=public_key,
                fingerprint=fingerprint,
                url=url,
                member=member,
                created_at=_now(),
            )
            self._peers[name] = peer
            return peer

    def get_peer(self, name: str) -> Peer:
        with self._lock:
            peer = self._peers.get(name)
            if peer is None:
                raise NotFound(f"no peer named {name!r}", code="peer_not_found")
            return peer

    def peer_by_key(self, public_key: str) -> Peer | None:
        with self._lock:
            return next((p for p in self._peers.values() if p.public_key == public_key), None)

    def list_peers(self) -> list[Peer]:
        with self._lock:
            return sorted(self._peers.values(), key=lambda p: p.name)

    def update_peer(self, name: str, *, url: str | None, member: bool | None) -> Peer:
        with self._lock:
            peer = self.get_peer(name)
            if url is not None:
                peer = replace(peer, url=url)
            if member is not None:
                peer = replace(peer, member=member)
            self._peers[name] = peer
            return peer

    def revoke_peer(self, name: str) -> Peer:
        with self._lock:
            peer = self.get_peer(name)
            if peer.revoked_at is None:
                peer = replace(peer, revoked_at=_now())
                self._peers[name] = peer
            return peer

    def add_subscription(self, *, peer: str, remote_bank: str, bank: str) -> Subscription:
        with self._lock:
            self.get_peer(peer)
            self._banks.get_bank(bank)
            if any(s.peer == peer and s.remote_bank == remote_bank for s in self._subs()):
                raise Conflict(
                    f"already subscribed to {remote_bank!r} of {peer!r}",
                    code="duplicate_subscription",
                )
            sub = Subscription(
                id=len(self._subscriptions) + 1,
                peer=peer,
                remote_bank=remote_bank,
                bank=bank,
                created_at=_now(),
            )
            self._subscriptions[sub.id] = sub
            return sub

    def _subs(self) -> list[Subscription]:
        return [s for s in self._subscriptions.values() if s.bank in self._banks._banks]

    def get_subscription(self, subscription_id: int) -> Subscription:
        with self._lock:
            sub = self._subscriptions.get(subscription_id)
            if sub is None or sub.bank not in self._banks._banks:
                raise NotFound(f"no subscription {subscription_id}", code="subscription_not_found")
            return sub

    def list_subscriptions(self) -> list[Subscription]:
        with self._lock:
            return sorted(self._subs(), key=lambda s: s.id)

    def record_sync(self, subscription_id: int, *, error: str | None) -> None:
        with self._lock:
            sub = self._subscriptions[subscription_id]
            if error is None:
                sub = replace(sub, last_synced_at=_now(), last_error=None)
            else:
                sub = replace(sub, last_error=error)
            self._subscriptions[subscription_id] = sub

    def head(self, channel: str) -> StoredBatch | None:
        with self._lock:
            chain = self._channels.get(channel)
            return chain[-1] if chain else None

    def batch_at(self, channel: str, seq: int) -> StoredBatch | None:
        with self._lock:
            chain = self._channels.get(channel, [])
            return chain[seq - 1] if 1 <= seq <= len(chain) else None

    def batches(self, channel: str, *, after: int = 0, limit: int = 100) -> list[StoredBatch]:
        with self._lock:
            chain = self._channels.get(channel, [])
            return chain[max(after, 0) : max(after, 0) + max(limit, 0)]

    def append(
        self,
        channel: str,
        batch: StoredBatch,
        *,
        bank: str | None = None,
        events: Sequence[ReceivedEvent] = (),
        local_prefix: str = "",
    ) -> ApplyReport | None:
        with self._lock:
            chain = self._channels.setdefault(channel, [])
            if batch.seq <= len(chain) and chain[batch.seq - 1].hash == batch.hash:
                return None
            head_hash = chain[-1].hash if chain else "0" * 64
            if batch.seq != len(chain) + 1 or batch.prev != head_hash:
                raise Conflict(
                    f"batch {batch.seq} is not the next of {channel} (it holds {len(chain)}); "
                    "nothing stored",
                    code="chain_moved",
                )
            report = ApplyReport() if bank is None else self._apply_all(bank, events, local_prefix)
            chain.append(replace(batch, created_at=_now()))
            return report

    def _apply_all(
        self, bank: str, events: Sequence[ReceivedEvent], local_prefix: str
    ) -> ApplyReport:
        # All or nothing, as in one SQL transaction: an event failing halfway undoes the
        # ones before it.
        banks = self._banks
        saved = (dict(banks._banks), dict(banks._entries), len(banks._changes), banks._next_entry)
        opinions = len(self._opinions)
        try:
            return self._apply(bank, events, local_prefix)
        except BaseException:
            banks._banks, banks._entries = saved[0], saved[1]
            del banks._changes[saved[2] :]
            banks._next_entry = saved[3]
            del self._opinions[opinions:]
            raise

    def unacked(self, channel: str, *, limit: int = 100) -> list[StoredBatch]:
        with self._lock:
            return [b for b in self._channels.get(channel, []) if not b.acked][: max(limit, 0)]

    def ack(self, channel: str, seq: int) -> None:
        with self._lock:
            chain = self._channels.get(channel, [])
            for i, batch in enumerate(chain):
                if batch.seq <= seq:
                    chain[i] = replace(batch, acked=True)

    def outgoing(
        self,
        bank: str,
        *,
        after_change: int,
        after_opinion: int,
        limit: int,
    ) -> tuple[list[tuple[int, ChangeKind, Entry]], list[OutgoingOpinion]]:
        with self._lock:
            bank_id = self._banks.get_bank(bank).id
            rows = [
                c for c in self._banks._changes if c.bank_id == bank_id and c.seq > after_change
            ][:limit]
            entries = self._banks._entries
            changes = [(c.seq, c.kind, entries[c.entry_id]) for c in rows if c.entry_id in entries]
            if len(rows) >= limit:
                return changes, []
            opinions = [
                OutgoingOpinion(seq=o.id, opinion=o, uid=entries[o.entry_id].origin_uid or "")
                for b, o in self._opinions
                if b == bank_id and o.id > after_opinion and o.entry_id in entries
            ][:limit]
            return changes, opinions

    def add_opinion(self, entry_id: int, *, org: str, kind: OpinionKind, note: str) -> Opinion:
        with self._lock:
            entry = self._banks.get_entry(entry_id)
            return self._record(entry, org=org, instance="", kind=kind, note=note, at=_now())

    def opinions(self, entry_id: int) -> list[Opinion]:
        with self._lock:
            return [o for _, o in self._opinions if o.entry_id == entry_id]

    def disputed(self, entry_ids: Sequence[int], *, min_orgs: int) -> set[int]:
        wanted = set(entry_ids)
        latest: dict[tuple[int, str], str] = {}
        with self._lock:
            for _, o in self._opinions:
                if o.entry_id in wanted:
                    latest[(o.entry_id, o.org)] = o.kind.value
        return disputed_entries(latest, min_orgs)

    def _record(
        self, entry: Entry, *, org: str, instance: str, kind: OpinionKind, note: str, at: datetime
    ) -> Opinion:
        opinion = Opinion(
            id=len(self._opinions) + 1,
            entry_id=entry.id,
            org=org,
            instance=instance,
            kind=kind,
            note=note,
            at=at,
        )
        self._opinions.append((entry.bank_id, opinion))
        return opinion

    def _resolve(self, bank_id: int, uid: str, local_prefix: str) -> Entry | None:
        prefix, _, number = uid.partition(":")
        entries = self._banks._entries
        if local_prefix and prefix == local_prefix:
            entry = entries.get(int(number))
            return entry if entry is not None and entry.bank_id == bank_id else None
        found = [e for e in entries.values() if e.bank_id == bank_id and e.origin_uid == uid]
        found.sort(key=lambda e: (e.active, e.id))
        return found[-1] if found else None

    def _apply(self, bank: str, events: Sequence[ReceivedEvent], local_prefix: str) -> ApplyReport:
        bank_id = self._banks.get_bank(bank).id
        added = existing = retracted = opinions = skipped = 0
        for event in events:
            if isinstance(event, NewEntry):
                assert event.origin_uid is not None
                known = self._resolve(bank_id, event.origin_uid, local_prefix)
                if known is not None and known.active:
                    existing += 1
                    continue
                result = self._banks.add_entries(
                    bank, [event], contributor=event.contributor or "exchange"
                )
                added += len(result.added)
                existing += len(result.existing)
            elif isinstance(event, ReceivedRetraction):
                entry = self._resolve(bank_id, event.uid, local_prefix)
                if entry is None or not entry.active:
                    skipped += 1
                    continue
                self._banks.retract_entry(entry.id, reason=event.reason)
                retracted += 1
            else:
                entry = self._resolve(bank_id, event.uid, local_prefix)
                if entry is None:
                    skipped += 1
                    continue
                self._record(
                    entry,
                    org=event.org,
                    instance=event.instance,
                    kind=event.kind,
                    note=event.note,
                    at=event.at,
                )
                opinions += 1
        return ApplyReport(
            added=added, existing=existing, retracted=retracted, opinions=opinions, skipped=skipped
        )
