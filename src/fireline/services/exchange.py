"""The hash-sharing network's use cases: peers, subscriptions, feeds, contributions.

Every instance publishes a feed of each bank it shares with members (sharing
``members``): chained batches, signed with its key. A subscription links a local bank
to a peer's bank: the peer's feed comes in (``apply_feed``), and what is banked or
opined here goes back as contributions (``outbox``), which the peer applies
(``accept_contribution``) and relays in its own feed: that peer is then a hub.
``fireline.sync`` moves the batches over HTTP.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from fireline.domain import (
    ApplyReport,
    Bank,
    Conflict,
    FirelineError,
    Forbidden,
    InvalidInput,
    NotFound,
    Opinion,
    OpinionKind,
    Peer,
    SharingPolicy,
    StoredBatch,
    Subscription,
    Unauthenticated,
)
from fireline.exchange import (
    Batch,
    BatchKind,
    Event,
    InstanceKey,
    build_batch,
    fingerprint,
    parse_envelope,
    parse_public_key,
    request_message,
    verify_next,
    verify_signature,
)
from fireline.exchange.chain import GENESIS, ChainHead
from fireline.services.banking import validate_bank_name
from fireline.services.bell import Bell
from fireline.services.exchange_events import (
    change_event,
    event_size,
    opinion_event,
    received_events,
    uid_of,
)
from fireline.services.text import check_text
from fireline.signals import SignalRegistry
from fireline.store import BankStore, ExchangeStore

log = logging.getLogger("fireline.exchange")
log.addHandler(logging.NullHandler())

#: Changes read per pass while building batches.
SCAN = 500
#: Events per batch we build (the protocol allows up to 1000).
EVENTS_PER_BATCH = 500
#: How far a signed request's date may be from our clock.
REQUEST_SKEW = timedelta(minutes=5)
_PEER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

AuditHook = Callable[[str, str, dict[str, object]], object]


def feed_channel(bank: Bank) -> str:
    return f"feed:{bank.id}"


def in_channel(sub: Subscription) -> str:
    return f"in:{sub.id}"


def out_channel(sub: Subscription) -> str:
    return f"out:{sub.id}"


def contrib_channel(peer: Peer, bank: Bank) -> str:
    return f"contrib:{peer.id}:{bank.id}"


def envelope_of(batch: StoredBatch) -> bytes:
    """A stored batch as it is sent (canonical: "batch" sorts before "signature")."""
    return b'{"batch":' + batch.body + b',"signature":"' + batch.signature.encode() + b'"}'


def stored(batch: Batch, *, change_seq: int = 0, opinion_seq: int = 0) -> StoredBatch:
    return StoredBatch(
        seq=batch.seq,
        prev=batch.prev,
        hash=batch.hash,
        body=batch.body,
        signature=batch.signature,
        created_at=datetime.now(UTC),
        change_seq=change_seq,
        opinion_seq=opinion_seq,
    )


@dataclass(frozen=True, slots=True)
class Received:
    """What one received batch did (``report`` None: it was applied before)."""

    seq: int
    report: ApplyReport | None


class ExchangeService:
    """Use cases of the exchange. Every change commits before the method returns."""

    def __init__(
        self,
        *,
        store: ExchangeStore,
        banks: BankStore,
        registry: SignalRegistry,
        org: str,
        max_batch_bytes: int,
        bell: Bell | None = None,
        audit: AuditHook | None = None,
    ) -> None:
        self.store = store
        self.banks = banks
        self.registry = registry
        self.org = org
        self.max_batch_bytes = max_batch_bytes
        self.bell = bell or Bell()
        self._audit = audit
        self._key: InstanceKey | None = None
        self._lock = threading.Lock()
        # Outbox scan positions past the last batch: changes of entries that are not ours
        # are skipped without a batch, so the stored batches alone cannot say how far.
        self._scanned: dict[str, tuple[int, int]] = {}

    # -- identity and peers ---------------------------------------------------------------

    @property
    def key(self) -> InstanceKey:
        """This instance's key pair, made and stored on first use."""
        if self._key is None:
            secret = self.store.identity()
            if secret is None:
                secret = self.store.save_identity(InstanceKey.generate().secret)
            self._key = InstanceKey(secret)
        return self._key

    def add_peer(
        self, *, name: str, public_key: str, url: str | None = None, member: bool = False
    ) -> Peer:
        """Know another instance by its key; ``member`` admits it to our shared banks."""
        if not _PEER_NAME.fullmatch(name or ""):
            raise InvalidInput(
                "a peer name is 1-64 letters, digits, '_', '.', '-'", code="invalid_peer_name"
            )
        key = parse_public_key(public_key)
        if key == self.key.public_key:
            raise InvalidInput("that is this instance's own key", code="own_key")
        peer = self.store.add_peer(
            name=name,
            public_key=key,
            fingerprint=fingerprint(key),
            url=None if url is None else _peer_url(url),
            member=member,
        )
        self._record("peer.added", f"peer:{name}", {"member": member, "url": peer.url})
        return peer

    def peers(self) -> list[Peer]:
        return self.store.list_peers()

    def peer(self, *, name: str) -> Peer:
        return self.store.get_peer(name)

    def revoke_peer(self, *, name: str) -> Peer:
        peer = self.store.revoke_peer(name)
        self._record("peer.revoked", f"peer:{name}", {})
        return peer

    def authenticate(
        self,
        *,
        public_key: str | None,
        date: str | None,
        signature: str | None,
        method: str,
        target: str,
        body: bytes,
    ) -> Peer:
        """The peer that signed this request; Unauthenticated otherwise."""
        if not public_key or not date or not signature:
            raise Unauthenticated(
                "peer requests carry Fireline-Key, Fireline-Date and Fireline-Signature",
                code="unsigned_request",
            )
        try:
            key = parse_public_key(public_key)
        except InvalidInput:
            raise Unauthenticated("Fireline-Key is not a public key", code="unknown_peer") from None
        peer = self.store.peer_by_key(key)
        if peer is None or not peer.active:
            raise Unauthenticated("this key belongs to no admitted peer", code="unknown_peer")
        try:
            when = datetime.fromisoformat(date)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None or abs(datetime.now(UTC) - when) > REQUEST_SKEW:
            raise Unauthenticated(
                "Fireline-Date is missing, malformed or over 5 minutes off", code="stale_request"
            )
        if not verify_signature(key, request_message(method, target, date, body), signature):
            raise Unauthenticated("the request signature does not verify", code="bad_signature")
        return peer

    # -- subscriptions --------------------------------------------------------------------

    def subscribe(self, *, peer: str, remote_bank: str, bank: str | None = None) -> Subscription:
        """Follow ``remote_bank`` of ``peer`` into a local bank (made, private, if missing)."""
        validate_bank_name(remote_bank)
        local = validate_bank_name(bank or remote_bank)
        known = self.store.get_peer(peer)
        if known.url is None:
            raise InvalidInput(
                f"peer {peer!r} has no URL to reach it; add one first", code="peer_without_url"
            )
        try:
            self.banks.get_bank(local)
        except NotFound:
            self.banks.create_bank(
                name=local,
                description=f"{remote_bank} from {peer}",
                owner=self.org,
                sharing=SharingPolicy.PRIVATE,
                pdq_threshold=None,
            )
        sub = self.store.add_subscription(peer=peer, remote_bank=remote_bank, bank=local)
        self._record(
            "subscription.added",
            f"subscription:{sub.id}",
            {"peer": peer, "remote_bank": remote_bank, "bank": local},
        )
        self.bell.ring()
        return sub

    def subscriptions(self) -> list[Subscription]:
        return self.store.list_subscriptions()

    def subscription(self, *, subscription_id: int) -> Subscription:
        return self.store.get_subscription(subscription_id)

    def record_sync(self, sub: Subscription, *, error: str | None) -> None:
        self.store.record_sync(sub.id, error=error)

    # -- publishing -----------------------------------------------------------------------

    def shared_banks(self) -> list[Bank]:
        return [b for b in self.banks.list_banks() if b.sharing is SharingPolicy.MEMBERS]

    def publish_all(self) -> int:
        """Publish every shared bank's new changes; returns the batches made."""
        made = sum(self.publish(bank=b.name) for b in self.shared_banks())
        if made:
            self.bell.ring()
        return made

    def publish(self, *, bank: str) -> int:
        """Append the bank's new changes and opinions to its feed; returns batches made."""
        target = self.banks.get_bank(bank)
        channel = feed_channel(target)
        made = 0
        while True:
            head = self.store.head(channel)
            change, opinion = (head.change_seq, head.opinion_seq) if head else (0, 0)
            events, change, opinion, _ = self._collect(
                bank, change, opinion, relaying=True, mine_only=False
            )
            if not events:
                return made
            batch = self._sign(BatchKind.FEED, bank, head, events, audience=None)
            try:
                self.store.append(channel, stored(batch, change_seq=change, opinion_seq=opinion))
            except Conflict:
                continue  # another process published this seq first: start from its head
            made += 1

    def feed(self, *, peer: Peer, bank: str, after: int, limit: int = 100) -> list[StoredBatch]:
        """Our feed of a shared bank, for a member: batches after ``after``."""
        target = self._shared_for(peer, bank)
        return self.store.batches(feed_channel(target), after=after, limit=limit)

    def _shared_for(self, peer: Peer, bank: str) -> Bank:
        if not peer.member:
            raise Forbidden(f"peer {peer.name!r} is not admitted as a member", code="not_a_member")
        try:
            target = self.banks.get_bank(bank)
        except NotFound:
            target = None
        if target is None or target.sharing is not SharingPolicy.MEMBERS:
            raise NotFound(f"no bank {bank!r} is shared with members", code="bank_not_found")
        return target

    # -- contributions out ----------------------------------------------------------------

    def outbox(self, sub: Subscription, *, limit: int = 100) -> list[StoredBatch]:
        """Build contributions for what was banked or opined here, return those unsent."""
        peer = self.store.get_peer(sub.peer)
        channel = out_channel(sub)
        with self._lock:
            while True:
                head = self.store.head(channel)
                change, opinion = (head.change_seq, head.opinion_seq) if head else (0, 0)
                seen = self._scanned.get(channel, (0, 0))
                change, opinion = max(change, seen[0]), max(opinion, seen[1])
                events, change, opinion, scanned = self._collect(
                    sub.bank, change, opinion, relaying=False, mine_only=True
                )
                self._scanned[channel] = scanned
                if not events:
                    break
                batch = self._sign(
                    BatchKind.CONTRIBUTION,
                    sub.remote_bank,
                    head,
                    events,
                    audience=peer.public_key,
                )
                try:
                    self.store.append(
                        channel, stored(batch, change_seq=change, opinion_seq=opinion)
                    )
                except Conflict:
                    continue
        return self.store.unacked(channel, limit=limit)

    def delivered(self, sub: Subscription, *, seq: int) -> None:
        self.store.ack(out_channel(sub), seq)

    # -- receiving ------------------------------------------------------------------------

    def accept_contribution(self, *, peer: Peer, bank: str, data: bytes) -> Received:
        """Apply a member's contribution batch to our shared bank, then relay it."""
        target = self._shared_for(peer, bank)
        try:
            batch = self._parse(data, publisher=peer, kind=BatchKind.CONTRIBUTION, bank=bank)
            if batch.audience != self.key.public_key:
                raise InvalidInput(
                    "the contribution is addressed to another instance", code="wrong_audience"
                )
            channel = contrib_channel(peer, target)
            if not self._is_new(channel, batch):
                return Received(batch.seq, None)
            events, skipped = received_events(
                batch.events,
                registry=self.registry,
                own=self.key.fingerprint,
                contributor=(peer.name, peer.fingerprint),
            )
            report = self.store.append(
                channel,
                stored(batch),
                bank=bank,
                events=events,
                local_prefix=self.key.fingerprint,
            )
        except FirelineError as exc:
            self._refused(f"peer:{peer.name}", bank, exc)
            raise
        if report is not None:
            report = replace(report, skipped=report.skipped + skipped)
            self._applied(f"peer:{peer.name}", bank, batch.seq, report)
            self.publish(bank=bank)  # relay at once: members hear of it within a second
            self.bell.ring()
        return Received(batch.seq, report)

    def apply_feed(self, sub: Subscription, data: bytes) -> Received:
        """Verify one batch of the peer's feed and apply it to the local bank, atomically."""
        peer = self.store.get_peer(sub.peer)
        try:
            batch = self._parse(data, publisher=peer, kind=BatchKind.FEED, bank=sub.remote_bank)
            channel = in_channel(sub)
            if not self._is_new(channel, batch):
                return Received(batch.seq, None)
            events, skipped = received_events(
                batch.events, registry=self.registry, own=self.key.fingerprint, contributor=None
            )
            report = self.store.append(
                channel,
                stored(batch),
                bank=sub.bank,
                events=events,
                local_prefix=self.key.fingerprint,
            )
        except FirelineError as exc:
            self._refused(f"subscription:{sub.id}", sub.bank, exc)
            self.store.record_sync(sub.id, error=f"{exc.code}: {exc.message}")
            raise
        if report is not None:
            report = replace(report, skipped=report.skipped + skipped)
            self._applied(f"subscription:{sub.id}", sub.bank, batch.seq, report)
        return Received(batch.seq, report)

    def cursor(self, sub: Subscription) -> int:
        """The seq of the newest batch of the peer's feed applied here."""
        head = self.store.head(in_channel(sub))
        return head.seq if head else 0

    # -- opinions -------------------------------------------------------------------------

    def opine(
        self, *, entry_id: int, kind: OpinionKind, note: str = "", org: str | None = None
    ) -> Opinion:
        """Record this organisation's opinion of an entry; it travels to the contributor."""
        if len(note) > 2000:
            raise InvalidInput("a note is at most 2000 characters", code="note_too_long")
        check_text(note, what="a note")
        opinion = self.store.add_opinion(entry_id, org=org or self.org, kind=kind, note=note)
        self._record("opinion.recorded", f"entry:{entry_id}", {"kind": kind.value})
        self.bell.ring()
        return opinion

    def opinions(self, *, entry_id: int) -> list[Opinion]:
        self.banks.get_entry(entry_id)
        return self.store.opinions(entry_id)

    # -- internals ------------------------------------------------------------------------

    def _collect(
        self, bank: str, change: int, opinion: int, *, relaying: bool, mine_only: bool
    ) -> tuple[tuple[Event, ...], int, int, tuple[int, int]]:
        """Events for the next batch, the positions they reach, and how far we scanned."""
        fp = self.key.fingerprint
        events: list[Event] = []
        size = 0
        budget = self.max_batch_bytes // 2
        while True:
            changes, opinions = self.store.outgoing(
                bank, after_change=change, after_opinion=opinion, limit=SCAN
            )
            full = len(events) >= EVENTS_PER_BATCH or size >= budget
            for seq, kind, entry in changes:
                if full:
                    break
                change = seq
                if mine_only and entry.origin_uid is not None:
                    continue
                event = change_event(kind, entry, fingerprint=fp, org=self.org, relaying=relaying)
                events.append(event)
                size += event_size(event)
                full = len(events) >= EVENTS_PER_BATCH or size >= budget
            if not full:
                for item in opinions:
                    if len(events) >= EVENTS_PER_BATCH:
                        full = True
                        break
                    opinion = item.seq
                    if mine_only and item.opinion.instance:
                        continue
                    events.append(opinion_event(item, fingerprint=fp, org=self.org))
            if full or (len(changes) < SCAN and len(opinions) < SCAN) or events:
                return tuple(events), change, opinion, (change, opinion)

    def _sign(
        self,
        kind: BatchKind,
        bank: str,
        head: StoredBatch | None,
        events: tuple[Event, ...],
        *,
        audience: str | None,
    ) -> Batch:
        return build_batch(
            self.key,
            kind=kind,
            bank=bank,
            seq=(head.seq if head else 0) + 1,
            prev=head.hash if head else GENESIS,
            events=events,
            audience=audience,
        )

    def _parse(self, data: bytes, *, publisher: Peer, kind: BatchKind, bank: str) -> Batch:
        batch = parse_envelope(data, max_bytes=self.max_batch_bytes)
        if batch.publisher != publisher.public_key:
            raise Forbidden(
                f"batch {batch.seq} is signed by another key than peer {publisher.name!r}'s",
                code="wrong_publisher",
            )
        if batch.kind is not kind or batch.bank != bank:
            raise InvalidInput(
                f"expected a {kind.value} batch of {bank!r}; got a {batch.kind.value} batch "
                f"of {batch.bank!r}",
                code="wrong_channel",
            )
        return batch

    def _is_new(self, channel: str, batch: Batch) -> bool:
        head = self.store.head(channel)
        at = self.store.batch_at(channel, batch.seq) if head and batch.seq <= head.seq else None
        return verify_next(
            batch,
            ChainHead(head.seq, head.hash) if head else ChainHead(),
            stored_hash=at.hash if at else None,
        )

    def _record(self, action: str, subject: str, detail: dict[str, object]) -> None:
        if self._audit is not None:
            self._audit(action, subject, detail)

    def _applied(self, source: str, bank: str, seq: int, report: ApplyReport) -> None:
        detail: dict[str, object] = {
            "source": source,
            "bank": bank,
            "seq": seq,
            "added": report.added,
            "retracted": report.retracted,
            "opinions": report.opinions,
            "existing": report.existing,
            "skipped": report.skipped,
        }
        log.info("exchange: applied batch %d from %s to %s: %s", seq, source, bank, detail)
        self._record("exchange.batch_applied", f"bank:{bank}", detail)

    def _refused(self, source: str, bank: str, exc: FirelineError) -> None:
        log.warning(
            "exchange: refused a batch from %s for %s: %s (%s)", source, bank, exc.message, exc.code
        )
        try:
            self._record(
                "exchange.batch_refused",
                f"bank:{bank}",
                {"source": source, "code": exc.code, "reason": exc.message[:500]},
            )
        except FirelineError:
            log.exception("exchange: could not record a refused batch")


def _peer_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url) or len(url) > 500:
        raise InvalidInput("a peer URL is http(s)://host[:port][/path]", code="invalid_peer_url")
    return url


__all__ = [
    "ExchangeService",
    "Received",
    "contrib_channel",
    "envelope_of",
    "feed_channel",
    "in_channel",
    "out_channel",
    "uid_of",
]
