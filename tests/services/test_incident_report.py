"""The live incident view and the debrief: figures from the log, nothing withheld leaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fireline.bootstrap import Container
from fireline.domain import Signal
from fireline.domain.incidents import ActivationType, IncidentState
from fireline.services.incident_report import Audience
from fireline.services.incidents import Actor
from tests.services.test_incident_variants import evidence, flipped, pdq

ALPHA = Actor("key:ops@alpha", "alpha")
BETA = Actor("key:ops@beta", "beta")


@pytest.fixture
def crisis(container: Container) -> Container:
    """An incident run: two hashes, an accepted and a waiting variant, tallies."""
    for org in ("alpha", "beta"):
        container.orgs.create(name=org)
    declared = container.incidents.declare(
        title="Attack <at> the market",
        activation=ActivationType.PERPETRATOR_CONTENT,
        actor=ALPHA,
        summary="Stream began 13:40.",
    )
    incident = container.incidents.approve(incident_id=declared.id, actor=BETA)
    container.incidents.submit(
        incident_id=incident.id, actor=ALPHA, signals=[Signal("pdq", pdq(1)), Signal("pdq", pdq(2))]
    )
    container.variants.propose(
        incident_id=incident.id,
        signals=[Signal("pdq", flipped(pdq(1), 20))],
        actor=BETA,
        evidence=[evidence(20)],
    )
    container.variants.propose(
        incident_id=incident.id,
        signals=[Signal("pdq", flipped(pdq(2), 40))],
        actor=ALPHA,
        evidence=[evidence(40)],
    )
    minute = datetime(2026, 3, 15, 13, 45, tzinfo=UTC)
    for org, offset, matched, blocked in [
        ("alpha", 0, 10, 9),
        ("beta", 0, 4, 4),
        ("alpha", 1, 6, 6),
    ]:
        container.variants.store.add_tally(
            incident.id,
            org=org,
            minute=minute + timedelta(minutes=offset),
            matched=matched,
            blocked=blocked,
        )
    return container


def hashes(c: Container) -> set[str]:
    return {e.value for b in c.banks.store.list_banks() for e in c.banks.store.list_entries(b.name)}


def test_the_live_view_counts_from_the_log(crisis: Container) -> None:
    live = crisis.incident_reports.live(incident_id=1)
    figures = live["figures"]
    assert figures["entries"] == 3
    assert figures["variants"] == {"proposed": 1, "accepted": 1, "rejected": 0}
    assert (figures["automatic"], figures["proposals"]) == (1, 2)
    assert (figures["matched"], figures["blocked"]) == (20, 19)
    assert figures["seconds_to_first_hash"] >= 0
    assert figures["seconds_to_activation"] >= 0
    assert live["members"] == [
        {"org": "alpha", "matched": 16, "blocked": 15},
        {"org": "beta", "matched": 4, "blocked": 4},
    ]
    assert [row["cumulative"] for row in live["variants_over_time"]] == [1]
    assert [(r["minute"], r["org"]) for r in live["per_minute"]] == [
        ("2026-03-15T13:45Z", "alpha"),
        ("2026-03-15T13:45Z", "beta"),
        ("2026-03-15T13:46Z", "alpha"),
    ]


def test_a_debrief_of_a_concluded_incident_marks_it_debriefed(crisis: Container) -> None:
    crisis.incidents.conclude(incident_id=1, actor=ALPHA)
    debrief = crisis.incident_reports.debrief(incident_id=1, actor=ALPHA)
    assert debrief.json["interim"] is False
    assert crisis.incidents.get(incident_id=1).state is IncidentState.DEBRIEFED
    kinds = [e["kind"] for e in debrief.json["timeline"]]
    assert kinds[0] == "declared" and kinds[-2:] == ["concluded", "debriefed"]
    assert debrief.json["incident"]["state"] == "debriefed"
    assert debrief.json["event_counts"]["variant_accepted"] == 1
    # Written again later, it is the same report.
    again = crisis.incident_reports.debrief(incident_id=1, actor=ALPHA)
    assert again.json == debrief.json


def test_an_interim_report_leaves_the_incident_as_it_is(crisis: Container) -> None:
    debrief = crisis.incident_reports.debrief(incident_id=1, actor=ALPHA)
    assert debrief.json["interim"] is True
    assert "Interim report" in debrief.html
    assert crisis.incidents.get(incident_id=1).state is IncidentState.ACTIVE


@pytest.mark.parametrize("audience", list(Audience))
def test_no_debrief_holds_a_hash_or_a_persons_key(crisis: Container, audience: Audience) -> None:
    debrief = crisis.incident_reports.debrief(incident_id=1, actor=ALPHA, audience=audience)
    text = json.dumps(debrief.json) + debrief.html
    for value in hashes(crisis):
        assert value not in text
    assert "key:ops" not in text


def test_a_public_debrief_names_no_organisation(crisis: Container) -> None:
    debrief = crisis.incident_reports.debrief(incident_id=1, actor=ALPHA, audience=Audience.PUBLIC)
    text = json.dumps(debrief.json) + debrief.html
    assert "alpha" not in text and "beta" not in text
    assert [m["org"] for m in debrief.json["members"]] == ["member 1", "member 2"]
    assert debrief.json["per_minute"] == [
        {"minute": "2026-03-15T13:45Z", "matched": 14, "blocked": 13},
        {"minute": "2026-03-15T13:46Z", "matched": 6, "blocked": 6},
    ]


def test_the_html_debrief_is_escaped_and_has_accessible_charts(crisis: Container) -> None:
    html = crisis.incident_reports.debrief(incident_id=1, actor=ALPHA).html
    assert "Attack &lt;at&gt; the market" in html and "<at>" not in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 3
    assert "<title>Blocked uploads per member</title>" in html
    assert "alpha: blocked 15" in html
