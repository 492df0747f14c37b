"""What the exchange looks like now (status), and whether its chains are whole (verify)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fireline.domain import ChainBroken, FirelineError, InvalidInput
from fireline.exchange import EntryAdded, EntryRetracted, parse_envelope, verify_chain
from fireline.services.exchange import (
    ExchangeService,
    contrib_channel,
    envelope_of,
    feed_channel,
    in_channel,
    out_channel,
)
from fireline.services.views import View, time_view

PAGE = 200


@dataclass(frozen=True, slots=True)
class ChainReport:
    """One verified chain: ``intact`` when complete from seq 1, linked and signed."""

    channel: str
    source: str
    batches: int
    intact: bool
    problem: str = ""


def status(exchange: ExchangeService) -> View:
    """Identity, peers, subscriptions with their cursors, and shared banks' feed heads."""
    subs = []
    for sub in exchange.subscriptions():
        out_head = exchange.store.head(out_channel(sub))
        subs.append(
            {
                "id": sub.id,
                "peer": sub.peer,
                "remote_bank": sub.remote_bank,
                "bank": sub.bank,
                "cursor": exchange.cursor(sub),
                "contributions": out_head.seq if out_head else 0,
                "unsent": len(exchange.store.unacked(out_channel(sub), limit=1000)),
                "last_synced_at": time_view(sub.last_synced_at),
                "last_error": sub.last_error,
            }
        )
    feeds = []
    for bank in exchange.shared_banks():
        head = exchange.store.head(feed_channel(bank))
        feeds.append(
            {
                "bank": bank.name,
                "seq": head.seq if head else 0,
                "hash": head.hash if head else None,
                "published_at": time_view(head.created_at) if head else None,
            }
        )
    return {
        "identity": identity_view(exchange),
        "peers": [peer_view(p) for p in exchange.peers()],
        "subscriptions": subs,
        "feeds": feeds,
    }


def identity_view(exchange: ExchangeService) -> View:
    return {
        "org": exchange.org,
        "public_key": exchange.key.public_key,
        "fingerprint": exchange.key.fingerprint,
        "protocol": "fireline.exchange/1",
    }


def peer_view(peer: Any) -> View:
    return {
        "name": peer.name,
        "public_key": peer.public_key,
        "fingerprint": peer.fingerprint,
        "url": peer.url,
        "member": peer.member,
        "active": peer.active,
        "created_at": time_view(peer.created_at),
        "revoked_at": time_view(peer.revoked_at),
    }


def subscription_view(exchange: ExchangeService, sub: Any) -> View:
    return {
        "id": sub.id,
        "peer": sub.peer,
        "remote_bank": sub.remote_bank,
        "bank": sub.bank,
        "cursor": exchange.cursor(sub),
        "created_at": time_view(sub.created_at),
        "last_synced_at": time_view(sub.last_synced_at),
        "last_error": sub.last_error,
    }


def verify(exchange: ExchangeService, *, bank: str) -> list[ChainReport]:
    """Re-check every chain that touches ``bank``: our feed, what we applied, what we sent."""
    target = exchange.banks.get_bank(bank)
    chains: list[tuple[str, str, str]] = []
    chains.append((feed_channel(target), "this instance", exchange.key.public_key))
    for sub in exchange.subscriptions():
        if sub.bank == bank:
            peer = exchange.peer(name=sub.peer)
            chains.append((in_channel(sub), f"feed of {peer.name}", peer.public_key))
            chains.append(
                (out_channel(sub), f"contributions to {peer.name}", exchange.key.public_key)
            )
    for peer in exchange.peers():
        chains.append(
            (contrib_channel(peer, target), f"contributions of {peer.name}", peer.public_key)
        )
    reports = []
    for channel, source, publisher in chains:
        report = _verify_channel(exchange, channel, source, publisher)
        if report.batches or not report.intact:
            reports.append(report)
    for sub in exchange.subscriptions():
        if sub.bank == bank:
            reports.append(_verify_state(exchange, sub))
    return reports


def _batches(exchange: ExchangeService, channel: str, publisher: str) -> Any:
    after = 0
    while True:
        page = exchange.store.batches(channel, after=after, limit=PAGE)
        for stored in page:
            batch = parse_envelope(envelope_of(stored), max_bytes=2**62)
            if batch.hash != stored.hash:
                raise ChainBroken(f"batch {stored.seq} does not hash to its stored hash")
            if batch.seq != stored.seq:
                raise ChainBroken(f"the batch stored at {stored.seq} says it is {batch.seq}")
            yield batch
        if len(page) < PAGE:
            return
        after = page[-1].seq


def _verify_channel(
    exchange: ExchangeService, channel: str, source: str, publisher: str
) -> ChainReport:
    try:
        length = verify_chain(_batches(exchange, channel, publisher), publisher=publisher)
    except (ChainBroken, InvalidInput) as exc:
        return ChainReport(channel, source, 0, False, exc.message)
    return ChainReport(channel, source, length, True)


def _verify_state(exchange: ExchangeService, sub: Any) -> ChainReport:
    """Replay the applied feed and compare it with the bank's received entries."""
    peer = exchange.peer(name=sub.peer)
    own = exchange.key.fingerprint
    expected: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    try:
        for batch in _batches(exchange, in_channel(sub), peer.public_key):
            for event in batch.events:
                if event.uid.startswith(own + ":"):
                    continue
                if isinstance(event, EntryAdded):
                    seen.add(event.uid)
                    expected[event.uid] = (event.signal_type, event.value)
                elif isinstance(event, EntryRetracted):
                    expected.pop(event.uid, None)
    except FirelineError as exc:
        return ChainReport(f"state:{sub.id}", f"entries from {peer.name}", 0, False, exc.message)
    held: dict[str, tuple[str, str]] = {}
    local: set[tuple[str, str]] = set()
    after = 0
    while True:
        page = exchange.banks.list_entries(sub.bank, after_id=after, limit=1000)
        for entry in page:
            if entry.origin_uid in seen:
                held[entry.origin_uid] = (entry.signal_type, entry.value)
            local.add((entry.signal_type, entry.value))
        if len(page) < 1000:
            break
        after = page[-1].id
    missing = [u for u, key in expected.items() if u not in held and key not in local]
    extra = [u for u in held if u not in expected]
    problem = ""
    if missing or extra:
        problem = f"{len(missing)} entries of the feed are missing, {len(extra)} should be gone"
    return ChainReport(
        f"state:{sub.id}", f"entries from {peer.name}", len(expected), not problem, problem
    )
