"""The Christchurch replay: a scenario played minute by minute against a real network.

Each simulated minute, in order: the scripted incident steps (member 0 declares, member
1 approves, member 0 submits the recording's hashes), user reports that fall due, the
hub's responders deciding proposed variants, then the minute's uploads, each sent to its
member's ``POST /v1/match`` with the item's signals. An upload is blocked when it
matches.

Determinism: anything that changes what later uploads match (a harvested proposal, a
responder's decision, a submission) is followed by a settle barrier: the proposing
member has delivered its proposals (``GET /v1/incidents/hub``) and every member holds
as many entries of the incident bank as the hub. So every upload meets the same banks
in every run with the same seed, however fast the machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from fireline.domain import Signal
from fireline.simulate.catalogue import Catalogue
from fireline.simulate.network import HUB, Network, call, instance_key
from fireline.simulate.scenario import Scenario, Upload
from fireline.sync.client import PeerClient

#: Seconds between looks while waiting for the network to settle.
SETTLE_POLL = 0.01


class SettleTimeout(RuntimeError):
    """The network did not settle in time (a member stopped following its hub?)."""


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    minute: int
    member: int
    item: str
    tvec: bool
    blocked: bool


@dataclass(frozen=True, slots=True)
class Decision:
    """A responder's decision on a proposed variant, from the item it came from."""

    minute: int
    variant: int
    item: str | None
    accepted: bool


@dataclass
class ReplayLog:
    """What happened, in simulated minutes, and what the hub recorded."""

    outcomes: list[UploadOutcome] = field(default_factory=list)
    declared_minute: int | None = None
    activated_minute: int | None = None
    first_hash_minute: int | None = None
    incident_id: int | None = None
    reports: list[tuple[int, int, str]] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    settles: int = 0
    hub_live: dict[str, Any] = field(default_factory=dict)
    hub_variants: list[dict[str, Any]] = field(default_factory=list)
    debrief_html: str = ""
    wall_seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        found = asdict(self)
        found.pop("debrief_html")
        return found


def _signals_json(signals: tuple[Signal, ...]) -> list[dict[str, Any]]:
    return [{"signal_type": s.signal_type, "value": s.value, "quality": s.quality} for s in signals]


class Replay:
    """Plays ``scenario`` on ``network`` (started, members admitted, no incident yet)."""

    def __init__(
        self,
        scenario: Scenario,
        catalogue: Catalogue,
        network: Network,
        *,
        on_minute: Callable[[int], None] | None = None,
        settle_timeout: float = 60.0,
    ) -> None:
        self.scenario = scenario
        self.params = scenario.params
        self.catalogue = catalogue
        self.net = network
        self.on_minute = on_minute
        self.settle_timeout = settle_timeout
        self.log = ReplayLog()
        self._stack = ExitStack()
        self._members: dict[str, PeerClient] = {}
        self._hub_bank = ""
        self._local_bank = ""
        self._reports: dict[int, list[tuple[int, str]]] = {}
        self._backlog: list[tuple[int, str]] = []
        self._submitted: set[str] = set()
        self._first_seen: dict[int, int] = {}
        #: The incident bank's size at the last settle, and (item, member, size) uploads
        #: known to propose nothing; proposals counted per member.
        self._version = 0
        self._quiet: set[tuple[str, int, int]] = set()
        self._made: dict[str, int] = {}
        self._bodies: dict[str, dict[str, Any]] = {}
        self._report_rng = np.random.default_rng([self.params.seed, 4])

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> ReplayLog:
        started = time.perf_counter()
        with self._stack:
            for minute in range(self.params.minutes):
                self._scripted(minute)
                self._due_reports(minute)
                if self._active and minute % self.params.responder_every == 0:
                    self._responders(minute)
                for upload in self.scenario.by_minute.get(minute, ()):
                    self._upload(upload)
                if self.on_minute is not None:
                    self.on_minute(minute)
            self._finish()
        self.log.wall_seconds = round(time.perf_counter() - started, 1)
        return self.log

    @property
    def _active(self) -> bool:
        return self.log.first_hash_minute is not None

    def _scripted(self, minute: int) -> None:
        params = self.params
        if minute == params.declare_minute:
            incident = self._as_member(0).incident_call(
                "POST",
                "",
                {
                    "title": "Livestreamed attack (simulated replay)",
                    "activation": "perpetrator_content",
                    "location": "Simulated city",
                    "summary": "A livestream on member0 shows an attack; copies are spreading.",
                },
            )
            self.log.incident_id = int(incident["id"])
            self.log.declared_minute = minute
        if minute == params.declare_minute + params.approve_after:
            assert self.log.incident_id is not None
            incident = self._as_member(1).incident_call(
                "POST", f"/{self.log.incident_id}/approvals", {}
            )
            if incident["state"] != "active" or not incident["bank"]:
                raise RuntimeError(f"the incident did not activate: {incident['state']}")
            self.log.activated_minute = minute
            self._hub_bank = str(incident["bank"])
            self._local_bank = f"{HUB}.{self._hub_bank}"
            self._wait_following()
            # The platform the attack was streamed on shares the recording at once.
            self._submit(0, "original", first=True)
            self.log.first_hash_minute = minute
            for member, item in self._backlog:
                self._submit(member, item)
            self._backlog.clear()
            self._converge()

    # -- uploads and reports ----------------------------------------------------------------

    def _upload(self, upload: Upload) -> None:
        member = self.net.members[upload.member]
        item = self.scenario.items[upload.item]
        answer = call(
            self.net.client,
            self.net.base(member),
            "POST",
            "/v1/match",
            json=self._body(upload.item),
        )
        blocked = bool(answer["matched"])
        self.log.outcomes.append(
            UploadOutcome(upload.minute, upload.member, upload.item, item.tvec, blocked)
        )
        if item.tvec and not blocked and self._report_rng.random() < self.params.report_probability:
            low, high = self.params.report_delay
            due = upload.minute + int(self._report_rng.integers(low, high + 1))
            self._reports.setdefault(due, []).append((upload.member, upload.item))
        if self._active and self._proposed_now(upload, member):
            self._converge()
            self._note_proposed(upload.minute)

    def _body(self, key: str) -> dict[str, Any]:
        """The match request for an upload of ``key`` (built once per item)."""
        if key not in self._bodies:
            self._bodies[key] = {
                "signals": _signals_json(self.catalogue.signals[key]),
                "transforms": [
                    {**_signals_json((signal,))[0], "transform": name}
                    for signal, name in self.catalogue.transforms.get(key, ())
                ],
            }
        return self._bodies[key]

    def _due_reports(self, minute: int) -> None:
        due = self._reports.pop(minute, [])
        for member, key in due:
            if key not in self._submitted:
                self.log.reports.append((minute, member, key))
                self._submit(member, key)
        if due and self._active:
            self._converge()

    def _submit(self, member: int, key: str, *, first: bool = False) -> None:
        """The member's moderators confirm the item and submit its hashes to the incident."""
        self._submitted.add(key)
        if not (self._active or first):  # no incident bank yet: shared at activation
            self._backlog.append((member, key))
            return
        self._as_member(member).incident_call(
            "POST",
            f"/{self.log.incident_id}/hashes",
            {"signals": _signals_json(self.catalogue.signals[key]), "labels": []},
        )

    # -- responders ---------------------------------------------------------------------------

    def _responders(self, minute: int) -> None:
        self._note_proposed(minute)
        decided = False
        for variant in self._proposed():
            if minute - self._first_seen[variant["id"]] < self.params.responder_delay:
                continue
            signals = [
                Signal(s["signal_type"], s["value"], s["quality"]) for s in variant["signals"]
            ]
            owner = self.catalogue.owner(signals)
            accept = owner is not None and self.scenario.items[owner].tvec
            verb = "accept" if accept else "reject"
            reason = f"replay responder: {'matches' if accept else 'unrelated to'} the incident"
            call(
                self.net.client,
                self.net.hub,
                "POST",
                f"/v1/variants/{variant['id']}/{verb}",
                json={"reason": reason},
            )
            self.log.decisions.append(Decision(minute, int(variant["id"]), owner, accept))
            if accept and owner is not None:
                self._submitted.add(owner)  # reported copies of it need no submitting
            decided = True
        if decided:
            self._converge()

    def _proposed(self) -> list[dict[str, Any]]:
        path = f"/v1/incidents/{self.log.incident_id}/variants?state=proposed"
        variants: list[dict[str, Any]] = call(self.net.client, self.net.hub, "GET", path)[
            "variants"
        ]
        return sorted(variants, key=lambda v: int(v["id"]))

    def _note_proposed(self, minute: int) -> None:
        for variant in self._proposed():
            self._first_seen.setdefault(int(variant["id"]), minute)

    # -- settling ------------------------------------------------------------------------------

    def _hub_link(self, member: str) -> dict[str, Any]:
        link: dict[str, Any] = call(
            self.net.client, self.net.base(member), "GET", "/v1/incidents/hub"
        )
        return link

    def _proposed_now(self, upload: Upload, member: str) -> bool:
        """Whether the upload made its member propose a variant; if so, waits until the
        hub has answered.

        The harvest is a function of the upload and the member's incident bank, so an item
        that proposed nothing on a member proposes nothing there again until the bank
        changes: such uploads need no look at the member.
        """
        key = (upload.item, upload.member, self._version)
        if key in self._quiet:
            return False
        link = self._hub_link(member)
        made = int(link["proposals_made"])
        if made == self._made.get(member, 0):
            self._quiet.add(key)
            return False
        self._made[member] = made
        if link["pending_proposals"]:
            self._wait(lambda m: self._hub_link(m)["pending_proposals"] == 0, member, "proposals")
        return True

    def _entries(self, base: str, bank: str) -> int:
        return int(call(self.net.client, base, "GET", f"/v1/banks/{bank}")["entry_count"])

    def _converge(self) -> None:
        """Wait until every member holds as many incident entries as the hub."""
        self.log.settles += 1
        target = self._entries(self.net.hub, self._hub_bank)
        self._version = target
        for member in self.net.members:
            self._wait(
                lambda m: self._entries(self.net.base(m), self._local_bank) == target,
                member,
                "incident entries",
            )

    def _wait_following(self) -> None:
        incident = self.log.incident_id
        for member in self.net.members:
            self._wait(
                lambda m: any(
                    int(f["incident"]) == incident for f in self._hub_link(m)["following"]
                ),
                member,
                "following the incident",
            )

    def _wait(self, ready: Callable[[str], bool], member: str, what: str) -> None:
        deadline = time.monotonic() + self.settle_timeout
        while not ready(member):
            if time.monotonic() > deadline:
                raise SettleTimeout(f"the network did not settle: {member}, {what}")
            time.sleep(SETTLE_POLL)

    # -- the end -------------------------------------------------------------------------------

    def _finish(self) -> None:
        if self.log.incident_id is None:
            return
        for member in self.net.members:
            self._wait(self._reported, member, "reporting to the hub")
        base = f"/v1/incidents/{self.log.incident_id}"
        self.log.hub_live = call(self.net.client, self.net.hub, "GET", base + "/live")
        self.log.hub_variants = call(self.net.client, self.net.hub, "GET", base + "/variants")[
            "variants"
        ]
        call(self.net.client, self.net.hub, "POST", base + "/state", json={"state": "concluded"})
        response = self.net.client.post(self.net.hub + base + "/report", params={"format": "html"})
        response.raise_for_status()
        self.log.debrief_html = response.text

    def _reported(self, member: str) -> bool:
        link = self._hub_link(member)
        return bool(link["pending_proposals"] == 0 and link["pending_tallies"] == 0)

    def _as_member(self, number: int) -> PeerClient:
        name = self.net.members[number]
        if name not in self._members:
            client = PeerClient(
                self.net.hub, instance_key(self.net.root, name), max_batch_bytes=1 << 24
            )
            self._members[name] = self._stack.enter_context(client)
        return self._members[name]
