"""A crisis across a hub and two members, each a real `fireline serve` process.

Over loopback HTTP: a member declares an incident at the hub, another member's approval
activates it, both members follow its bank at once, a hash submitted at the hub is
matchable on both, an edited copy uploaded on one member is harvested and shared to the
other, a near miss waits for a responder, the members' tallies reach the live view, and
each member's link to the hub says it has caught up.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from fireline.domain import Conflict, Forbidden, InvalidInput
from fireline.exchange import InstanceKey
from fireline.sync.client import PeerClient
from tests.sync.test_three_instances import Instance, _cli, _pdq, admit, eventually


def flipped(value: str, bits: int, rng: random.Random) -> str:
    number = int(value, 16)
    for bit in rng.sample(range(256), bits):
        number ^= 1 << bit
    return f"{number:064x}"


@pytest.fixture
def crisis_network(tmp_path: Path) -> Iterator[tuple[Instance, Instance, Instance]]:
    hub, a, b = (Instance(n, tmp_path) for n in ("hub", "a", "b"))
    hub.env["FIRELINE_INCIDENT_QUORUM"] = "2"
    for member in (a, b):
        member.env["FIRELINE_INCIDENT_HUB"] = "hub"
    with ExitStack() as stack:
        stack.enter_context(hub.running())
        stack.enter_context(a.running())
        stack.enter_context(b.running())
        for member in (a, b):
            admit(hub, member)
        yield hub, a, b


def as_member(hub: Instance, member: Instance) -> PeerClient:
    """The member instance's signed client of the hub (what its CLI forwards through)."""
    return PeerClient(hub.base, InstanceKey(member.secret()), max_batch_bytes=1 << 20)


def subscribed(member: Instance, bank: str) -> bool:
    subs: list[dict[str, Any]] = member.call("GET", "/v1/exchange/subscriptions")["data"]
    return any(s["remote_bank"] == bank and s["bank"] == f"hub.{bank}" for s in subs)


def test_a_crisis_runs_across_the_network(
    crisis_network: tuple[Instance, Instance, Instance],
) -> None:
    hub, a, b = crisis_network
    rng = random.Random(5)
    a_client = as_member(hub, a)

    # A's responder declares on A's command line: it is declared at the hub.
    run = _cli(
        a,
        "incident",
        "declare",
        "Attack livestreamed",
        "--activation",
        "perpetrator_content",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    declared = json.loads(run.stdout)
    assert (declared["state"], declared["declared_org"]) == ("proposed", "a")
    assert hub.call("GET", f"/v1/incidents/{declared['id']}")["title"] == "Attack livestreamed"
    # The declaring member cannot approve its own proposal a second time.
    with pytest.raises(Conflict) as twice:
        a_client.incident_call("POST", f"/{declared['id']}/approvals", {})
    assert twice.value.code == "already_approved"

    listed = _cli(b, "incident", "list", "--json")
    assert json.loads(listed.stdout.splitlines()[0])["id"] == declared["id"]
    run = _cli(b, "incident", "approve", str(declared["id"]), "--json")
    assert run.returncode == 0, run.stderr
    active = json.loads(run.stdout)
    assert active["state"] == "active"
    bank = active["bank"]
    for member in (a, b):
        eventually(lambda m=member: subscribed(m, bank), f"{member.name} follows {bank}")

    # A hash submitted at the hub is matchable on both members.
    original = _pdq(rng)
    hub.call(
        "POST",
        f"/v1/incidents/{declared['id']}/hashes",
        json={"signals": [{"signal_type": "pdq", "value": original}]},
    )
    for member in (a, b):
        eventually(lambda m=member: bool(m.matches(original)), f"{member.name} matches it")

    # An edited copy uploaded on B is blocked there, harvested, and then matches on A.
    edited = flipped(original, 20, rng)
    assert b.matches(edited)
    further = flipped(edited, 20, rng)  # beyond the original's threshold, near the variant
    eventually(lambda: bool(a.matches(further)), "A matches B's harvested variant")

    # A near miss on A waits for a responder at the hub; once accepted, B matches it.
    near = flipped(original, 40, rng)
    assert not a.matches(near)

    def waiting() -> list[dict[str, Any]]:
        # A's polls for `further` above proposed it too, and those proposals may still be
        # deciding at the hub: only the variant holding `near` is the one looked for.
        found: list[dict[str, Any]] = hub.call(
            "GET", f"/v1/incidents/{declared['id']}/variants?state=proposed"
        )["variants"]
        return [v for v in found if any(s["value"] == near for s in v["signals"])]

    eventually(lambda: bool(waiting()), "A's near miss is proposed at the hub")
    (variant,) = waiting()
    assert variant["orgs"] == ["a"] and variant["evidence"][0]["distance"] == 40
    hub.call("POST", f"/v1/variants/{variant['id']}/accept", json={"reason": "same stream"})
    eventually(lambda: bool(b.matches(near)), "B matches the accepted near miss")

    # The members' tallies reach the hub's live view.
    def members() -> dict[str, dict[str, int]]:
        live = hub.call("GET", f"/v1/incidents/{declared['id']}/live")
        return {row["org"]: row for row in live["members"]}

    eventually(lambda: members().get("b", {}).get("blocked", 0) >= 1, "B's tally arrives")
    eventually(lambda: members().get("a", {}).get("matched", 0) >= 2, "A's tally arrives")

    # Each member's link to the hub has settled: it follows the incident, nothing waits.
    def link(member: Instance) -> dict[str, Any]:
        found: dict[str, Any] = member.call("GET", "/v1/incidents/hub")
        return found

    def settled(member: Instance) -> bool:
        now = link(member)
        return (now["pending_proposals"], now["pending_tallies"], now["last_error"]) == (0, 0, None)

    for member in (a, b):
        eventually(lambda m=member: settled(m), f"{member.name}'s link to the hub settles")
        now = link(member)
        assert now["following"] == [{"incident": declared["id"], "bank": f"hub.{bank}"}]
        assert now["incidents"] == [{"id": declared["id"], "state": "active", "bank": bank}]
        assert now["hub"] == "hub" and now["last_seen_at"] is not None

    # Bad input from a member: a malformed tally; then nothing is taken once concluded.
    with pytest.raises(InvalidInput):
        a_client.incident_call(
            "POST",
            f"/{declared['id']}/tallies",
            {"tallies": [{"minute": "2026-11-23T10:00:00", "matched": 1, "blocked": 1}]},
        )
    hub.call("POST", f"/v1/incidents/{declared['id']}/state", json={"state": "concluded"})
    eventually(lambda: link(a)["following"] == [], "A stops harvesting for it")
    with pytest.raises(Conflict) as closed:
        a_client.incident_call(
            "POST",
            f"/{declared['id']}/hashes",
            {"signals": [{"signal_type": "pdq", "value": _pdq(rng)}]},
        )
    assert closed.value.code == "incident_not_open"
    run = _cli(b, "incident", "approve", str(declared["id"]))
    assert run.returncode == 5 and "the hub refused" in run.stderr


def test_only_member_peers_take_part(
    crisis_network: tuple[Instance, Instance, Instance],
) -> None:
    hub, a, _b = crisis_network
    hub.call(
        "POST",
        "/v1/exchange/peers",
        json={
            "name": "watcher",
            "public_key": InstanceKey.generate().public_key,
            "member": False,
        },
    )
    stranger = InstanceKey.generate()
    hub.call(
        "POST",
        "/v1/exchange/peers",
        json={"name": "outsider", "public_key": stranger.public_key, "member": False},
    )
    outsider = PeerClient(hub.base, stranger, max_batch_bytes=1 << 20)
    with pytest.raises(Forbidden):
        outsider.incident_call("POST", "", {"title": "t", "activation": "content"})
    assert hub.call("GET", "/v1/incidents")["incidents"] == []
