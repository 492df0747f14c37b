"""The background exchange of a running server, and the one-shot sync of the CLI.

One thread publishes shared banks' feeds and sends every subscription's contributions
whenever the bell rings (a change committed here) or every ``poll_seconds`` (a change
committed by another process). One thread per subscription follows the peer's push
stream from the applied cursor, reconnecting with backoff: a restarted instance
catches up from where it stopped, and a batch is never applied twice.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from fireline.domain import FirelineError, Subscription
from fireline.services.exchange import ExchangeService, envelope_of
from fireline.sync.client import PeerClient

log = logging.getLogger("fireline.exchange")

#: Longest wait before reconnecting to a peer that failed.
MAX_BACKOFF = 10.0


@dataclass
class SyncReport:
    """What one sync of one subscription did."""

    subscription: Subscription
    applied: int = 0
    sent: int = 0
    errors: list[str] = field(default_factory=list)


def _client(exchange: ExchangeService, sub: Subscription) -> PeerClient:
    peer = exchange.peer(name=sub.peer)
    if peer.url is None:
        raise FirelineError(f"peer {peer.name!r} has no URL", code="peer_without_url")
    return PeerClient(peer.url, exchange.key, max_batch_bytes=exchange.max_batch_bytes)


def send_contributions(exchange: ExchangeService, sub: Subscription, client: PeerClient) -> int:
    """Send the subscription's unsent contributions in order; returns how many went."""
    sent = 0
    while True:
        pending = exchange.outbox(sub)
        if not pending:
            return sent
        for batch in pending:
            client.contribute(sub.remote_bank, envelope_of(batch))
            exchange.delivered(sub, seq=batch.seq)
            sent += 1


def sync_once(exchange: ExchangeService, subs: list[Subscription]) -> list[SyncReport]:
    """Pull every new batch of each subscription, apply it, and send our contributions."""
    exchange.publish_all()
    reports = []
    for sub in subs:
        report = SyncReport(sub)
        try:
            client = _client(exchange, sub)
        except FirelineError as exc:
            report.errors.append(exc.message)
            reports.append(report)
            continue
        try:
            while True:
                page = client.batches(sub.remote_bank, after=exchange.cursor(sub))
                for envelope in page:
                    if exchange.apply_feed(sub, envelope).report is not None:
                        report.applied += 1
                if len(page) < 100:
                    break
            report.sent = send_contributions(exchange, sub, client)
            exchange.record_sync(sub, error=None)
        except FirelineError as exc:
            report.errors.append(f"{exc.code}: {exc.message}")
            exchange.record_sync(sub, error=f"{exc.code}: {exc.message}")
        finally:
            client.close()
        reports.append(report)
    return reports


class ExchangeWorker:
    """Runs the exchange in the background of a server process."""

    def __init__(self, exchange: ExchangeService, *, poll_seconds: float = 0.1) -> None:
        self.exchange = exchange
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._threads: dict[int, threading.Thread] = {}
        self._clients: dict[int, PeerClient] = {}
        self._retry_at: dict[int, float] = {}
        self._outgoing: threading.Thread | None = None

    def start(self) -> None:
        self._outgoing = threading.Thread(
            target=self._run_outgoing, name="exchange-outgoing", daemon=True
        )
        self._outgoing.start()

    def stop(self) -> None:
        self._stop.set()
        self.exchange.bell.ring()
        for client in list(self._clients.values()):
            client.close()
        for thread in [self._outgoing, *self._threads.values()]:
            if thread is not None:
                thread.join(timeout=2)

    def _run_outgoing(self) -> None:
        bell = self.exchange.bell
        seen = bell.rings
        while not self._stop.is_set():
            try:
                self.exchange.publish_all()
                for sub in self.exchange.subscriptions():
                    self._follow(sub)
                    self._send(sub)
            except FirelineError as exc:
                log.warning("exchange: %s (%s)", exc.message, exc.code)
            except Exception:
                log.exception("exchange: the background exchange failed; retrying")
                time.sleep(1)
            seen = bell.wait(seen, self.poll_seconds)

    def _send(self, sub: Subscription) -> None:
        if time.monotonic() < self._retry_at.get(sub.id, 0.0):
            return
        client = self._clients.get(-sub.id)
        try:
            if client is None:
                client = self._clients[-sub.id] = _client(self.exchange, sub)
            send_contributions(self.exchange, sub, client)
        except FirelineError as exc:
            self._retry_at[sub.id] = time.monotonic() + 2.0
            self.exchange.record_sync(sub, error=f"{exc.code}: {exc.message}")
            log.warning("exchange: sending to %s failed: %s", sub.peer, exc.message)

    def _follow(self, sub: Subscription) -> None:
        if sub.id in self._threads:
            return
        thread = threading.Thread(
            target=self._run_follower, args=(sub,), name=f"exchange-follow-{sub.id}", daemon=True
        )
        self._threads[sub.id] = thread
        thread.start()

    def _run_follower(self, sub: Subscription) -> None:
        backoff = 0.25
        while not self._stop.is_set():
            try:
                client = self._clients.get(sub.id)
                if client is None:
                    client = self._clients[sub.id] = _client(self.exchange, sub)
                for envelope in client.stream(sub.remote_bank, after=self.exchange.cursor(sub)):
                    self.exchange.apply_feed(sub, envelope)
                    backoff = 0.25
                    if self._stop.is_set():
                        return
                self.exchange.record_sync(sub, error=None)
            except FirelineError as exc:
                if self._stop.is_set():
                    return
                log.warning(
                    "exchange: following %s of %s: %s", sub.remote_bank, sub.peer, exc.message
                )
                self.exchange.record_sync(sub, error=f"{exc.code}: {exc.message}")
            except Exception:
                log.exception("exchange: following %s failed", sub.peer)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
