"""A member instance's side of its hub's incidents.

``HubIncidents`` long-polls the hub's incident listing: the moment an incident with a
bank appears, it subscribes to that bank (as ``<hub>.<bank>``), so its hashes arrive on
a push stream of their own, ahead of anything queued for other banks. It is also the
harvest's sink on a member: tallies are summed per minute and reported (each report
replaces the last for its minutes, so a retry never double counts) and proposals are
sent in order, kept and retried while the hub cannot be reached. ``status()`` says how
far all that has caught up (``GET /v1/incidents/hub``).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from fireline.domain import FirelineError, InvalidInput, Signal
from fireline.domain.incidents import OPEN_STATES, Evidence
from fireline.services.exchange import ExchangeService
from fireline.services.incidents import now
from fireline.services.views import View, time_view
from fireline.sync.client import PeerClient, PeerUnavailable

log = logging.getLogger("fireline.incidents")

#: Seconds one long poll of the hub's incidents waits for a change.
LONG_POLL = 25.0
#: Proposals kept while the hub cannot be reached; older ones are dropped (and logged).
MAX_PENDING = 10_000
MAX_BACKOFF = 10.0
#: Minutes of tallies kept after they were reported (a later count replaces them).
TALLY_MINUTES = 120


@dataclass(frozen=True)
class HubIncident:
    """One of the hub's incidents as this member last saw it."""

    id: int
    state: str
    bank: str | None


@dataclass(frozen=True)
class FollowedIncident:
    """An open incident whose bank this member has locally, so its uploads are harvested."""

    incident: int
    bank: str


@dataclass(frozen=True)
class HubLink:
    """How far a member's link to its hub's incidents has caught up.

    Caught up means: the listing was read (``last_seen_at``), every open incident with a
    bank is followed, nothing waits to be sent and no error stands.
    """

    hub: str
    incidents: tuple[HubIncident, ...]
    following: tuple[FollowedIncident, ...]
    #: Proposals not yet answered by the hub, the one being sent included.
    pending_proposals: int
    #: Proposals made since this server started (a counter: compare two readings to learn
    #: whether something proposed in between).
    proposals_made: int
    #: Minutes of tallies counted and not yet reported, those being sent included.
    pending_tallies: int
    #: The latest error of following or reporting not since followed by a success of it.
    last_error: str | None
    last_seen_at: datetime | None


def hub_link_view(link: HubLink) -> View:
    """A HubLink as JSON: the API's and any ``--json``'s shape."""
    return {
        "hub": link.hub,
        "incidents": [asdict(i) for i in link.incidents],
        "following": [asdict(f) for f in link.following],
        "pending_proposals": link.pending_proposals,
        "proposals_made": link.proposals_made,
        "pending_tallies": link.pending_tallies,
        "last_error": link.last_error,
        "last_seen_at": time_view(link.last_seen_at),
    }


class HubIncidents:
    """Follows the incidents of the peer ``hub`` (implements HarvestSink)."""

    def __init__(
        self,
        *,
        exchange: ExchangeService,
        hub: str,
        bank_ids: Callable[[Sequence[str]], dict[str, int]],
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.exchange = exchange
        self.hub = hub
        self.bank_ids = bank_ids
        self.clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._token = ""
        self._listing: list[dict[str, Any]] = []
        self._open: dict[int, int] = {}
        self._seen: tuple[HubIncident, ...] = ()
        self._following: tuple[FollowedIncident, ...] = ()
        self._seen_at: datetime | None = None
        self._tallies: dict[tuple[int, datetime], list[int]] = {}
        self._dirty: set[tuple[int, datetime]] = set()
        #: Minutes taken out of ``_dirty`` by the flush under way and not yet reported.
        self._sending: set[tuple[int, datetime]] = set()
        #: The standing error of "follow" and of "send": when, and its message.
        self._errors: dict[str, tuple[datetime, str]] = {}
        self._proposals: deque[tuple[int, tuple[Signal, ...], list[Evidence]]] = deque()
        self._proposals_made = 0
        self._threads: list[threading.Thread] = []

    def local_bank(self, bank: str) -> str:
        """The local name of the hub's bank ``bank``."""
        return f"{self.hub}.{bank}"

    # -- HarvestSink ------------------------------------------------------------------------

    def open_banks(self) -> dict[int, int]:
        with self._lock:
            return dict(self._open)

    def tally(self, incident_id: int, *, minute: datetime, blocked: bool) -> None:
        with self._lock:
            counts = self._tallies.setdefault((incident_id, minute), [0, 0])
            counts[0] += 1
            counts[1] += int(blocked)
            self._dirty.add((incident_id, minute))
        self._wake.set()

    def propose(
        self, incident_id: int, *, signals: tuple[Signal, ...], evidence: list[Evidence]
    ) -> None:
        with self._lock:
            if len(self._proposals) >= MAX_PENDING:
                self._proposals.popleft()
                log.warning("incidents: too many proposals waiting for %s; dropped one", self.hub)
            self._proposals.append((incident_id, signals, evidence))
            self._proposals_made += 1
        self._wake.set()

    # -- following --------------------------------------------------------------------------

    def incidents(self) -> list[dict[str, Any]]:
        """The hub's incidents as last seen."""
        with self._lock:
            return list(self._listing)

    def status(self) -> HubLink:
        """How far following and reporting have caught up, as of now."""
        with self._lock:
            errors = sorted(self._errors.values())
            return HubLink(
                hub=self.hub,
                incidents=self._seen,
                following=self._following,
                pending_proposals=len(self._proposals),
                proposals_made=self._proposals_made,
                pending_tallies=len(self._dirty | self._sending),
                last_error=errors[-1][1] if errors else None,
                last_seen_at=self._seen_at,
            )

    def refresh(self, *, wait: float = 0) -> None:
        """Read the hub's incidents (waiting up to ``wait`` s for a change) and follow the
        banks of those that have one."""
        try:
            with self._client() as client:
                answer = client.incidents(known=self._token, wait=wait)
            listing = list(answer.get("incidents", []))
            seen = tuple(
                HubIncident(id=int(i["id"]), state=str(i["state"]), bank=i.get("bank") or None)
                for i in listing
            )
            self._follow_banks(listing)
            names = {
                self.local_bank(i["bank"]): int(i["id"])
                for i in listing
                if i.get("bank") and i.get("state") in {str(s) for s in OPEN_STATES}
            }
            ids = self.bank_ids(sorted(names))
        except Exception as exc:
            self._failed("follow", exc)
            raise
        with self._lock:
            self._token = str(answer.get("token", ""))
            self._listing = listing
            self._seen = seen
            self._open = {ids[name]: names[name] for name in names if name in ids}
            self._following = tuple(
                sorted(
                    (FollowedIncident(incident=names[name], bank=name) for name in ids),
                    key=lambda f: f.incident,
                )
            )
            self._seen_at = self.clock()
            self._errors.pop("follow", None)

    def _failed(self, step: str, exc: Exception) -> None:
        message = exc.message if isinstance(exc, FirelineError) else f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._errors[step] = (self.clock(), message)

    def _follow_banks(self, listing: list[dict[str, Any]]) -> None:
        followed = {s.remote_bank for s in self.exchange.subscriptions() if s.peer == self.hub}
        for incident in listing:
            bank = incident.get("bank")
            if bank and bank not in followed:
                self.exchange.subscribe(peer=self.hub, remote_bank=bank, bank=self.local_bank(bank))
                log.info("incidents: following %s of %s", bank, self.hub)

    def flush(self) -> None:
        """Send the tallies counted and the proposals made since the last flush."""
        with self._lock:
            dirty = sorted(self._dirty)
            self._dirty.clear()
            self._sending = set(dirty)
            reports: dict[int, list[dict[str, Any]]] = {}
            for incident_id, minute in dirty:
                matched, blocked = self._tallies[(incident_id, minute)]
                reports.setdefault(incident_id, []).append(
                    {"minute": minute.isoformat(), "matched": matched, "blocked": blocked}
                )
        try:
            with self._client() as client:
                for incident_id, rows in reports.items():
                    client.incident_call("POST", f"/{incident_id}/tallies", {"tallies": rows})
                    reports[incident_id] = []
                    with self._lock:
                        self._sending -= {key for key in dirty if key[0] == incident_id}
                while True:
                    with self._lock:
                        if not self._proposals:
                            break
                        incident_id, signals, evidence = self._proposals[0]
                    try:
                        client.incident_call(
                            "POST",
                            f"/{incident_id}/variants",
                            {
                                "signals": [asdict(s) for s in signals],
                                "evidence": [evidence_json(e) for e in evidence],
                            },
                        )
                    except PeerUnavailable:
                        raise
                    except FirelineError as exc:  # refused (concluded, malformed): not retried
                        log.info("incidents: %s refused a proposal: %s", self.hub, exc.message)
                    with self._lock:  # only now: until it is answered, it is pending
                        self._proposals.popleft()
        except Exception as exc:
            self._failed("send", exc)
            raise
        else:
            with self._lock:
                self._errors.pop("send", None)
        finally:
            with self._lock:  # what was not sent goes again next time
                for incident_id, rows in reports.items():
                    for row in rows:
                        self._dirty.add((incident_id, datetime.fromisoformat(row["minute"])))
                self._sending.clear()
                self._forget_old_tallies()

    def _forget_old_tallies(self) -> None:
        if len(self._tallies) <= TALLY_MINUTES:
            return
        for key in sorted(self._tallies, key=lambda k: k[1])[:-TALLY_MINUTES]:
            if key not in self._dirty:
                del self._tallies[key]

    def _client(self) -> PeerClient:
        return hub_client(self.exchange, self.hub)

    # -- threads ------------------------------------------------------------------------------

    def start(self) -> None:
        for target, name in ((self._run_follow, "follow"), (self._run_send, "send")):
            thread = threading.Thread(target=target, name=f"incidents-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=2)

    def _run_follow(self) -> None:
        backoff = 0.25
        while not self._stop.is_set():
            try:
                self.refresh(wait=LONG_POLL)
                backoff = 0.25
                continue
            except FirelineError as exc:
                log.warning("incidents: following %s: %s", self.hub, exc.message)
            except Exception:
                log.exception("incidents: following %s failed", self.hub)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _run_send(self) -> None:
        backoff = 0.25
        while not self._stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            try:
                self.flush()
                backoff = 0.25
            except FirelineError as exc:
                log.warning("incidents: reporting to %s: %s", self.hub, exc.message)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            except Exception:
                log.exception("incidents: reporting to %s failed", self.hub)
                self._stop.wait(1.0)


def hub_client(exchange: ExchangeService, hub: str) -> PeerClient:
    """A signed client of the peer ``hub`` (InvalidInput when it has no URL)."""
    peer = exchange.peer(name=hub)
    if peer.url is None:
        raise InvalidInput(
            f"peer {hub!r} has no URL to reach it; add one first", code="peer_without_url"
        )
    return PeerClient(peer.url, exchange.key, max_batch_bytes=exchange.max_batch_bytes)


#: Evidence fields holding seconds: sent as decimal strings, since a signed body has no
#: floating-point numbers (their text is not canonical).
_SECONDS = ("query_start", "query_end", "reference_start", "reference_end")


def evidence_json(item: Evidence) -> dict[str, Any]:
    """The evidence as the hub's proposal route takes it (segment times to the ms)."""
    found = asdict(item)
    found.pop("org")  # the hub knows who we are
    for name in _SECONDS:
        if found[name] is not None:
            found[name] = f"{found[name]:.3f}"
    return found
