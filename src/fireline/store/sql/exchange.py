"""SqlExchangeStore: the exchange's identity, peers, subscriptions, batches and opinions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

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
from fireline.store.sql.banks import lock_bank
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.entries import (
    MAX_ENTRY_ID,
    active_entries,
    bump_version,
    chunks,
    entry_from_row,
    insert_entries,
    lock_change_log,
    log_changes_from,
    require_entry_id,
    select_entries,
    utc_now,
)
from fireline.store.sql.exchange_tables import (
    ExchangeBatchRow,
    InstanceIdentityRow,
    OpinionRow,
    PeerRow,
    SubscriptionRow,
)
from fireline.store.sql.tables import BankRow, EntryChangeRow, EntryRow


def _peer(row: Any) -> Peer:
    return Peer(
        id=row.id,
        name=row.name,
        public_key=row.public_key,
        fingerprint=row.fingerprint,
        url=row.url,
        member=row.member,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _batch(row: Any) -> StoredBatch:
    return StoredBatch(
        seq=row.seq,
        prev=row.prev_hash,
        hash=row.hash,
        # bytes as stored; text only if someone rewrote the row by hand (verify finds it)
        body=row.body.encode() if isinstance(row.body, str) else bytes(row.body),
        signature=row.signature,
        created_at=row.created_at,
        change_seq=row.change_seq,
        opinion_seq=row.opinion_seq,
        acked=row.acked,
    )


def _opinion(row: Any) -> Opinion:
    return Opinion(
        id=row.id,
        entry_id=row.entry_id,
        org=row.org,
        instance=row.instance,
        kind=OpinionKind(row.kind),
        note=row.note,
        at=row.at,
    )


def uid_of(entry: Entry, local_prefix: str) -> str:
    """The entry's uid across the network."""
    return entry.origin_uid or f"{local_prefix}:{entry.id}"


_SUBSCRIPTIONS = (
    select(
        SubscriptionRow.id,
        PeerRow.name.label("peer"),
        SubscriptionRow.remote_bank,
        BankRow.name.label("bank"),
        SubscriptionRow.created_at,
        SubscriptionRow.last_synced_at,
        SubscriptionRow.last_error,
    )
    .join_from(SubscriptionRow, PeerRow, SubscriptionRow.peer_id == PeerRow.id)
    .join(BankRow, SubscriptionRow.bank_id == BankRow.id)
)


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        peer=row.peer,
        remote_bank=row.remote_bank,
        bank=row.bank,
        created_at=row.created_at,
        last_synced_at=row.last_synced_at,
        last_error=row.last_error,
    )


class SqlExchangeStore:
    """The ExchangeStore protocol on SQLite or PostgreSQL; behaves like the memory twin."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- identity and peers ---------------------------------------------------------------

    def identity(self) -> bytes | None:
        with reading(self._engine) as conn:
            secret = conn.execute(
                select(InstanceIdentityRow.secret).where(InstanceIdentityRow.id == 1)
            ).scalar_one_or_none()
            return None if secret is None else bytes(secret)

    def save_identity(self, secret: bytes) -> bytes:
        try:
            with writing(self._engine) as conn:
                try:
                    conn.execute(
                        insert(InstanceIdentityRow).values(
                            id=1, secret=secret, created_at=utc_now()
                        )
                    )
                except IntegrityError as exc:
                    raise _Taken from exc
        except _Taken:
            pass  # another process made it first: theirs is the key
        stored = self.identity()
        assert stored is not None
        return stored

    def add_peer(
        self, *, name: str, public_key: str, fingerprint: str, url: str | None, member: bool
    ) -> Peer:
        try:
            with writing(self._engine) as conn:
                peer_id = _inserted(
                    conn,
                    insert(PeerRow)
                    .values(
                        name=name,
                        public_key=public_key,
                        fingerprint=fingerprint,
                        url=url,
                        member=member,
                        created_at=utc_now(),
                    )
                    .returning(PeerRow.id),
                )
                return _peer(conn.execute(select(PeerRow).where(PeerRow.id == peer_id)).one())
        except _Taken:
            raise Conflict(
                f"a peer named {name!r} or with this key exists", code="duplicate_peer"
            ) from None

    def get_peer(self, name: str) -> Peer:
        with reading(self._engine) as conn:
            row = conn.execute(select(PeerRow).where(PeerRow.name == name)).one_or_none()
            if row is None:
                raise NotFound(f"no peer named {name!r}", code="peer_not_found")
            return _peer(row)

    def peer_by_key(self, public_key: str) -> Peer | None:
        with reading(self._engine) as conn:
            row = conn.execute(
                select(PeerRow).where(PeerRow.public_key == public_key)
            ).one_or_none()
            return None if row is None else _peer(row)

    def list_peers(self) -> list[Peer]:
        with reading(self._engine) as conn:
            return [_peer(r) for r in conn.execute(select(PeerRow).order_by(PeerRow.name))]

    def update_peer(self, name: str, *, url: str | None, member: bool | None) -> Peer:
        values: dict[str, Any] = {}
        if url is not None:
            values["url"] = url
        if member is not None:
            values["member"] = member
        with writing(self._engine) as conn:
            if values:
                conn.execute(update(PeerRow).where(PeerRow.name == name).values(**values))
        return self.get_peer(name)

    def revoke_peer(self, name: str) -> Peer:
        with writing(self._engine) as conn:
            conn.execute(
                update(PeerRow)
                .where(PeerRow.name == name, PeerRow.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
        return self.get_peer(name)

    # -- subscriptions --------------------------------------------------------------------

    def add_subscription(self, *, peer: str, remote_bank: str, bank: str) -> Subscription:
        peer_id = self.get_peer(peer).id
        try:
            with writing(self._engine) as conn:
                bank_id = lock_bank(conn, bank).id
                sub_id = _inserted(
                    conn,
                    insert(SubscriptionRow)
                    .values(
                        peer_id=peer_id,
                        remote_bank=remote_bank,
                        bank_id=bank_id,
                        created_at=utc_now(),
                    )
                    .returning(SubscriptionRow.id),
                )
                return _subscription(
                    conn.execute(_SUBSCRIPTIONS.where(SubscriptionRow.id == sub_id)).one()
                )
        except _Taken:
            raise Conflict(
                f"already subscribed to {remote_bank!r} of {peer!r}", code="duplicate_subscription"
            ) from None

    def get_subscription(self, subscription_id: int) -> Subscription:
        if not 1 <= subscription_id < 2**31:
            raise NotFound(f"no subscription {subscription_id}", code="subscription_not_found")
        with reading(self._engine) as conn:
            row = conn.execute(
                _SUBSCRIPTIONS.where(SubscriptionRow.id == subscription_id)
            ).one_or_none()
            if row is None:
                raise NotFound(f"no subscription {subscription_id}", code="subscription_not_found")
            return _subscription(row)

    def list_subscriptions(self) -> list[Subscription]:
        with reading(self._engine) as conn:
            rows = conn.execute(_SUBSCRIPTIONS.order_by(SubscriptionRow.id))
            return [_subscription(r) for r in rows]

    def record_sync(self, subscription_id: int, *, error: str | None) -> None:
        values: dict[str, Any] = {"last_error": error}
        if error is None:
            values["last_synced_at"] = utc_now()
        with writing(self._engine) as conn:
            conn.execute(
                update(SubscriptionRow)
                .where(SubscriptionRow.id == subscription_id)
                .values(**values)
            )

    # -- batches --------------------------------------------------------------------------

    def head(self, channel: str) -> StoredBatch | None:
        with reading(self._engine) as conn:
            return self._head(conn, channel)

    @staticmethod
    def _head(conn: Connection, channel: str) -> StoredBatch | None:
        row = conn.execute(
            select(ExchangeBatchRow)
            .where(ExchangeBatchRow.channel == channel)
            .order_by(ExchangeBatchRow.seq.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else _batch(row)

    def batch_at(self, channel: str, seq: int) -> StoredBatch | None:
        with reading(self._engine) as conn:
            row = conn.execute(
                select(ExchangeBatchRow).where(
                    ExchangeBatchRow.channel == channel, ExchangeBatchRow.seq == seq
                )
            ).one_or_none()
            return None if row is None else _batch(row)

    def batches(self, channel: str, *, after: int = 0, limit: int = 100) -> list[StoredBatch]:
        after = min(max(after, 0), 2**62)
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(ExchangeBatchRow)
                .where(ExchangeBatchRow.channel == channel, ExchangeBatchRow.seq > after)
                .order_by(ExchangeBatchRow.seq)
                .limit(max(limit, 0))
            )
            return [_batch(r) for r in rows]

    def append(
        self,
        channel: str,
        batch: StoredBatch,
        *,
        bank: str | None = None,
        events: Sequence[ReceivedEvent] = (),
        local_prefix: str = "",
    ) -> ApplyReport | None:
        try:
            with writing(self._engine) as conn:
                bank_row = lock_bank(conn, bank) if bank is not None else None
                head = self._head(conn, channel)
                head_seq, head_hash = (head.seq, head.hash) if head else (0, "0" * 64)
                if batch.seq <= head_seq:
                    same = self._same(conn, channel, batch)
                    if same:
                        return None
                if batch.seq != head_seq + 1 or batch.prev != head_hash:
                    raise _moved(channel, batch.seq, head_seq)
                _inserted(
                    conn,
                    insert(ExchangeBatchRow)
                    .values(
                        channel=channel,
                        seq=batch.seq,
                        prev_hash=batch.prev,
                        hash=batch.hash,
                        body=batch.body,
                        signature=batch.signature,
                        change_seq=batch.change_seq,
                        opinion_seq=batch.opinion_seq,
                        acked=batch.acked,
                        created_at=utc_now(),
                    )
                    # Explicit: PostgreSQL adds an implicit RETURNING that _inserted
                    # would otherwise try to read after SQLAlchemy consumed it.
                    .returning(ExchangeBatchRow.id),
                )
                if bank_row is None:
                    return ApplyReport()
                return _apply(conn, bank_row, events, local_prefix)
        except _Taken:
            # Another writer stored this seq between our read and our insert.
            with reading(self._engine) as conn:
                if self._same(conn, channel, batch):
                    return None
            raise _moved(channel, batch.seq, batch.seq) from None

    @staticmethod
    def _same(conn: Connection, channel: str, batch: StoredBatch) -> bool:
        stored = conn.execute(
            select(ExchangeBatchRow.hash).where(
                ExchangeBatchRow.channel == channel, ExchangeBatchRow.seq == batch.seq
            )
        ).scalar_one_or_none()
        return stored == batch.hash

    def unacked(self, channel: str, *, limit: int = 100) -> list[StoredBatch]:
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(ExchangeBatchRow)
                .where(ExchangeBatchRow.channel == channel, ExchangeBatchRow.acked.is_(False))
                .order_by(ExchangeBatchRow.seq)
                .limit(max(limit, 0))
            )
            return [_batch(r) for r in rows]

    def ack(self, channel: str, seq: int) -> None:
        with writing(self._engine) as conn:
            conn.execute(
                update(ExchangeBatchRow)
                .where(ExchangeBatchRow.channel == channel, ExchangeBatchRow.seq <= seq)
                .values(acked=True)
            )

    def outgoing(
        self,
        bank: str,
        *,
        after_change: int,
        after_opinion: int,
        limit: int,
    ) -> tuple[list[tuple[int, ChangeKind, Entry]], list[OutgoingOpinion]]:
        with reading(self._engine) as conn:
            bank_id = conn.execute(
                select(BankRow.id).where(BankRow.name == bank)
            ).scalar_one_or_none()
            if bank_id is None:
                raise NotFound(f"no bank named {bank!r}", code="bank_not_found")
            # Opinions first: any opinion read here is on an entry whose addition has
            # committed, so the changes read next include it (or an earlier batch did).
            opinion_query = (
                select(OpinionRow, EntryRow.origin_uid)
                .join(EntryRow, EntryRow.id == OpinionRow.entry_id)
                .where(OpinionRow.bank_id == bank_id, OpinionRow.id > after_opinion)
                .order_by(OpinionRow.id)
                .limit(limit)
            )
            opinion_rows = list(conn.execute(opinion_query))
            change_query = (
                select(EntryChangeRow.seq, EntryChangeRow.kind, EntryChangeRow.entry_id)
                .where(EntryChangeRow.bank_id == bank_id, EntryChangeRow.seq > after_change)
                .order_by(EntryChangeRow.seq)
                .limit(limit)
            )
            change_rows = list(conn.execute(change_query))
            entries: dict[int, Entry] = {}
            ids = sorted({r.entry_id for r in change_rows})
            for chunk in chunks(ids):
                for row in conn.execute(select_entries().where(EntryRow.id.in_(chunk))):
                    entries[row.id] = entry_from_row(row)
        changes = [
            (r.seq, ChangeKind(r.kind), entries[r.entry_id])
            for r in change_rows
            if r.entry_id in entries
        ]
        if len(change_rows) >= limit:
            return changes, []
        opinions = [
            OutgoingOpinion(seq=r.id, opinion=_opinion(r), uid=r.origin_uid or "")
            for r in opinion_rows
        ]
        return changes, opinions

    # -- opinions -------------------------------------------------------------------------

    def add_opinion(self, entry_id: int, *, org: str, kind: OpinionKind, note: str) -> Opinion:
        require_entry_id(entry_id)
        with writing(self._engine) as conn:
            bank_id = conn.execute(
                select(EntryRow.bank_id).where(EntryRow.id == entry_id)
            ).scalar_one_or_none()
            if bank_id is None:
                raise NotFound(f"no entry with id {entry_id}", code="entry_not_found")
            return _insert_opinion(
                conn, entry_id, bank_id, org=org, instance="", kind=kind, note=note, at=utc_now()
            )

    def opinions(self, entry_id: int) -> list[Opinion]:
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(OpinionRow).where(OpinionRow.entry_id == entry_id).order_by(OpinionRow.id)
            )
            return [_opinion(r) for r in rows]

    def disputed(self, entry_ids: Sequence[int], *, min_orgs: int) -> set[int]:
        latest: dict[tuple[int, str], str] = {}
        with reading(self._engine) as conn:
            for chunk in chunks(sorted(set(entry_ids))):
                rows = conn.execute(
                    select(OpinionRow.entry_id, OpinionRow.org, OpinionRow.kind)
                    .where(OpinionRow.entry_id.in_(chunk))
                    .order_by(OpinionRow.id)
                )
                for row in rows:
                    latest[(row.entry_id, row.org)] = row.kind
        return disputed_entries(latest, min_orgs)


class _Taken(Exception):
    """A unique key was taken by another writer (raised inside, handled outside, a
    transaction, which has rolled back by then)."""


def _inserted(conn: Connection, statement: Any) -> Any:
    """Run an INSERT; _Taken on a unique-key clash. Returns RETURNING's value, if any."""
    try:
        result = conn.execute(statement)
    except IntegrityError as exc:
        raise _Taken from exc
    return result.scalar_one() if result.returns_rows else None


def _moved(channel: str, seq: int, head: int) -> Conflict:
    return Conflict(
        f"batch {seq} is not the next of {channel} (it holds {head}); nothing stored",
        code="chain_moved",
    )


def _insert_opinion(
    conn: Connection,
    entry_id: int,
    bank_id: int,
    *,
    org: str,
    instance: str,
    kind: OpinionKind,
    note: str,
    at: Any,
) -> Opinion:
    # Publishers read opinions by id and remember the last one: ids must become visible
    # in order, as for the change log (one lock serialises both on PostgreSQL).
    lock_change_log(conn)
    opinion_id = conn.execute(
        insert(OpinionRow)
        .values(
            entry_id=entry_id,
            bank_id=bank_id,
            org=org,
            instance=instance,
            kind=kind.value,
            note=note,
            at=at,
        )
        .returning(OpinionRow.id)
    ).scalar_one()
    return Opinion(
        id=opinion_id, entry_id=entry_id, org=org, instance=instance, kind=kind, note=note, at=at
    )


def _resolve(conn: Connection, bank_id: int, uid: str, local_prefix: str) -> Entry | None:
    """The bank's entry named ``uid``: its active copy first, else the newest."""
    prefix, _, number = uid.partition(":")
    if local_prefix and prefix == local_prefix:
        if not 1 <= int(number) <= MAX_ENTRY_ID:
            return None  # the wire allows 19 digits; the driver could not bind the id
        query = select_entries().where(EntryRow.id == int(number), EntryRow.bank_id == bank_id)
    else:
        query = (
            select_entries()
            .where(EntryRow.bank_id == bank_id, EntryRow.origin_uid == uid)
            .order_by(EntryRow.retracted_at.is_(None).desc(), EntryRow.id.desc())
            .limit(1)
        )
    row = conn.execute(query).first()
    return None if row is None else entry_from_row(row)


def _apply(
    conn: Connection, bank: Any, events: Sequence[ReceivedEvent], local_prefix: str
) -> ApplyReport:
    added = existing = retracted = opinions = skipped = 0
    for event in events:
        if isinstance(event, NewEntry):
            assert event.origin_uid is not None
            known = _resolve(conn, bank.id, event.origin_uid, local_prefix)
            if known is not None and known.active:
                existing += 1
                continue
            if active_entries(conn, bank.id, {(event.signal_type, event.value)}):
                existing += 1  # banked here already: our own entry stays ours
                continue
            insert_entries(conn, bank, [event], contributor=event.contributor or "exchange")
            added += 1
        elif isinstance(event, ReceivedRetraction):
            entry = _resolve(conn, bank.id, event.uid, local_prefix)
            if entry is None or not entry.active:
                skipped += 1
                continue
            lock_change_log(conn)
            log_changes_from(conn, ChangeKind.RETRACTED, (EntryRow.id == entry.id,))
            conn.execute(
                update(EntryRow)
                .where(EntryRow.id == entry.id)
                .values(retracted_at=utc_now(), retraction_reason=event.reason)
            )
            bump_version(conn, bank.id)
            retracted += 1
        else:
            entry = _resolve(conn, bank.id, event.uid, local_prefix)
            if entry is None:
                skipped += 1
                continue
            _insert_opinion(
                conn,
                entry.id,
                bank.id,
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


__all__ = ["SqlExchangeStore", "uid_of"]
