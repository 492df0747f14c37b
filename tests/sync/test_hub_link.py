"""A member's link to its hub's incidents: what ``HubIncidents.status()`` says.

No hub runs here: the hub's answers come from ``ScriptedHub``, a PeerClient that answers
from a script (the real exchange over HTTP is tests/sync/test_incidents_network.py).
Everything else is real: the container of a member instance, its exchange and banks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from fireline.bootstrap import Container, build, migrate
from fireline.domain import Signal
from fireline.domain.incidents import Evidence
from fireline.exchange import InstanceKey
from fireline.exchange.canonical import canonical_json
from fireline.settings import Settings
from fireline.sync.client import PeerClient, PeerUnavailable
from fireline.sync.incidents import (
    FollowedIncident,
    HubIncident,
    HubIncidents,
    HubLink,
    evidence_json,
)
from fireline.web.api.exchange_incidents import PeerProposal

SEEN_AT = datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC)
MINUTE = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LISTING = [
    {"id": 3, "state": "proposed", "bank": None},
    {"id": 2, "state": "concluded", "bank": "incident-2"},
    {"id": 1, "state": "active", "bank": "incident-1"},
]

Call = Callable[[str, str, dict[str, Any]], dict[str, Any]]


class ScriptedHub(PeerClient):
    """The hub as one refresh or flush sees it: a listing, and ``answer`` for every call."""

    def __init__(self, listing: list[dict[str, Any]], answer: Call) -> None:
        super().__init__("http://hub.invalid", InstanceKey.generate(), max_batch_bytes=1 << 20)
        self.listing = listing
        self.answer = answer

    def incidents(self, *, known: str = "", wait: float = 0) -> dict[str, Any]:
        return {"incidents": self.listing, "token": "t1"}

    def incident_call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.answer(method, path, body)


class Member(HubIncidents):
    """HubIncidents reaching the scripted hub instead of the network."""

    def __init__(self, container: Container) -> None:
        sink = container.harvester.sink
        assert isinstance(sink, HubIncidents)  # FIRELINE_INCIDENT_HUB makes it so
        super().__init__(
            exchange=container.exchange, hub="hub", bank_ids=sink.bank_ids, clock=lambda: SEEN_AT
        )
        self.listing: list[dict[str, Any]] = []
        self.answer: Call = lambda method, path, body: {}

    def _client(self) -> PeerClient:
        return ScriptedHub(self.listing, self.answer)


@pytest.fixture
def member(sqlite_url: str) -> Iterator[Member]:
    settings = Settings(database_url=sqlite_url, incident_hub="hub", exchange_sync=False)
    migrate(settings)
    container = build(settings)
    hub_key = InstanceKey.generate()
    container.exchange.add_peer(name="hub", public_key=hub_key.public_key, url="http://hub.invalid")
    yield Member(container)
    container.close()


def _queue_one_of_each(member: Member) -> None:
    member.tally(1, minute=MINUTE, blocked=True)
    member.propose(1, signals=(Signal("pdq", "f" * 64),), evidence=[])


def test_a_member_that_never_reached_its_hub_says_so(member: Member) -> None:
    assert member.status() == HubLink(
        hub="hub",
        incidents=(),
        following=(),
        pending_proposals=0,
        proposals_made=0,
        pending_tallies=0,
        last_error=None,
        last_seen_at=None,
    )


def test_the_listing_and_the_open_incidents_followed_are_reported(member: Member) -> None:
    member.listing = LISTING
    member.refresh()
    link = member.status()
    assert link.incidents == (
        HubIncident(id=3, state="proposed", bank=None),
        HubIncident(id=2, state="concluded", bank="incident-2"),
        HubIncident(id=1, state="active", bank="incident-1"),
    )
    # Both banks are subscribed, but only the open incident's uploads are harvested.
    assert link.following == (FollowedIncident(incident=1, bank="hub.incident-1"),)
    assert list(member.open_banks().values()) == [1]
    assert (link.last_seen_at, link.last_error) == (SEEN_AT, None)


def test_queued_proposals_and_tallies_are_pending_until_the_hub_answers(member: Member) -> None:
    _queue_one_of_each(member)
    assert (member.status().pending_proposals, member.status().pending_tallies) == (1, 1)

    seen_while_sending: list[tuple[str, int, int]] = []

    def answer(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        link = member.status()
        seen_while_sending.append((path, link.pending_proposals, link.pending_tallies))
        return {}

    member.answer = answer
    member.flush()
    # What is on its way still counts: a barrier waiting for 0 waits for the answer.
    assert seen_while_sending == [("/1/tallies", 1, 1), ("/1/variants", 1, 0)]
    assert (member.status().pending_proposals, member.status().pending_tallies) == (0, 0)
    assert member.status().proposals_made == 1


def test_an_unreachable_hub_leaves_everything_pending_and_an_error_until_it_answers(
    member: Member,
) -> None:
    _queue_one_of_each(member)

    def unreachable(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        raise PeerUnavailable("http://hub.invalid: ConnectError: refused")

    member.answer = unreachable
    with pytest.raises(PeerUnavailable):
        member.flush()
    link = member.status()
    assert (link.pending_proposals, link.pending_tallies) == (1, 1)
    assert link.last_error == "http://hub.invalid: ConnectError: refused"

    # Following still works: that success does not hide the reporting error.
    member.listing = LISTING
    member.refresh()
    assert member.status().last_error == "http://hub.invalid: ConnectError: refused"

    member.answer = lambda method, path, body: {}
    member.flush()
    link = member.status()
    assert (link.pending_proposals, link.pending_tallies, link.last_error) == (0, 0, None)


def test_video_evidence_travels_in_a_signed_body() -> None:
    """Segment times are seconds with fractions; a signed body holds no floats, so they go
    as decimal strings and the hub reads them back as seconds."""

    evidence = Evidence(
        org="member0",
        signal_type="vpdq",
        entry_uid="abc",
        distance=53,
        threshold=50,
        query_start=1.5,
        query_end=14.25,
        reference_start=0.0,
        reference_end=12.75,
    )
    body = {"signals": [], "evidence": [evidence_json(evidence)]}
    assert canonical_json(body)  # refused floats before
    parsed = PeerProposal.model_validate(body).evidence[0]
    assert (parsed.query_start, parsed.query_end) == (1.5, 14.25)
    assert (parsed.reference_start, parsed.reference_end) == (0.0, 12.75)
