"""Incidents: declaration, quorum activation, states, hashes, timeline and audit."""

from __future__ import annotations

import pytest

from fireline.bootstrap import Container
from fireline.domain import Conflict, Forbidden, InvalidInput, NotFound, SharingPolicy, Signal
from fireline.domain.incidents import ActivationType, IncidentEventKind, IncidentState
from fireline.services.incidents import Actor

ALPHA = Actor("key:ops@alpha", "alpha")
BETA = Actor("key:ops@beta", "beta")
GAMMA = Actor("key:ops@gamma", "gamma")
PDQ = "f" * 16 + "0" * 48


@pytest.fixture
def crisis(container: Container) -> Container:
    """A container whose instance has three member organisations (quorum 2)."""
    for org in ("alpha", "beta", "gamma"):
        container.orgs.create(name=org)
    return container


def active_incident(c: Container, activation: ActivationType = ActivationType.PERPETRATOR_CONTENT):
    incident = c.incidents.declare(title="Attack at the market", activation=activation, actor=ALPHA)
    return c.incidents.approve(incident_id=incident.id, actor=BETA)


def test_declaring_proposes_with_the_declaring_orgs_approval(crisis: Container) -> None:
    incident = crisis.incidents.declare(
        title="  Attack at the market ",
        activation=ActivationType.PERPETRATOR_CONTENT,
        actor=ALPHA,
        location="Springfield",
        summary="A livestream started at 13:40.",
    )
    assert incident.state is IncidentState.PROPOSED
    assert incident.title == "Attack at the market"
    assert incident.approving_orgs == ("alpha",)
    assert incident.quorum == 2
    assert incident.bank is None and incident.activated_at is None


def test_the_quorum_of_organisations_activates_and_makes_the_shared_bank(
    crisis: Container,
) -> None:
    incident = active_incident(crisis)
    assert incident.state is IncidentState.ACTIVE
    assert incident.approving_orgs == ("alpha", "beta")
    assert incident.activated_at is not None
    assert incident.bank == f"incident-{incident.id}"
    bank = crisis.banks.store.get_bank(incident.bank)
    assert bank.sharing is SharingPolicy.MEMBERS
    kinds = [e.kind for e in crisis.incidents.timeline(incident_id=incident.id)]
    assert kinds == [
        IncidentEventKind.DECLARED,
        IncidentEventKind.APPROVED,
        IncidentEventKind.APPROVED,
        IncidentEventKind.ACTIVATED,
    ]


def test_one_organisation_cannot_activate_alone(crisis: Container) -> None:
    incident = crisis.incidents.declare(
        title="t", activation=ActivationType.PERPETRATOR_CONTENT, actor=ALPHA
    )
    with pytest.raises(Conflict) as twice:
        crisis.incidents.approve(incident_id=incident.id, actor=Actor("key:other@alpha", "alpha"))
    assert twice.value.code == "already_approved"
    assert crisis.incidents.get(incident_id=incident.id).state is IncidentState.PROPOSED


def test_non_members_cannot_declare_or_approve(crisis: Container) -> None:
    stranger = Actor("key:x@stranger", "stranger")
    with pytest.raises(Forbidden) as declared:
        crisis.incidents.declare(title="t", activation=ActivationType.CONTENT, actor=stranger)
    assert declared.value.code == "not_member"
    incident = crisis.incidents.declare(title="t", activation=ActivationType.CONTENT, actor=ALPHA)
    with pytest.raises(Forbidden):
        crisis.incidents.approve(incident_id=incident.id, actor=stranger)
    assert crisis.incidents.get(incident_id=incident.id).approving_orgs == ("alpha",)


def test_approving_an_active_incident_is_refused(crisis: Container) -> None:
    incident = active_incident(crisis)
    with pytest.raises(Conflict) as late:
        crisis.incidents.approve(incident_id=incident.id, actor=GAMMA)
    assert late.value.code == "not_proposed"


@pytest.mark.parametrize(
    ("activation", "bank"),
    [
        (ActivationType.PERPETRATOR_CONTENT, True),
        (ActivationType.CONTENT, False),
        (ActivationType.AWARENESS, False),
    ],
)
def test_only_perpetrator_content_incidents_share_hashes(
    crisis: Container, activation: ActivationType, bank: bool
) -> None:
    incident = active_incident(crisis, activation)
    assert incident.state is IncidentState.ACTIVE
    assert (incident.bank is not None) is bank
    if not bank:
        with pytest.raises(Conflict) as refused:
            crisis.incidents.submit(
                incident_id=incident.id, actor=ALPHA, signals=[Signal("pdq", PDQ)]
            )
        assert refused.value.code == "incident_not_open"


def test_submitted_hashes_are_matchable_and_labelled(crisis: Container) -> None:
    incident = active_incident(crisis)
    (added,) = crisis.incidents.submit(
        incident_id=incident.id, actor=GAMMA, signals=[Signal("pdq", PDQ)]
    )
    (entry,) = added.added
    assert entry.bank_name == incident.bank
    assert entry.contributor == "gamma"
    assert set(entry.labels) == {
        "basis:crisis_incident",
        "category:perpetrator_livestream",
        f"entity:incident-{incident.id}",
    }
    result = crisis.matcher.match_signals([Signal("pdq", PDQ)])
    assert [m.entry.id for m in result.matches] == [entry.id]
    after = crisis.incidents.get(incident_id=incident.id)
    assert after.first_hash_at is not None and after.first_hash_at >= after.activated_at
    last = crisis.incidents.timeline(incident_id=incident.id)[-1]
    assert last.kind is IncidentEventKind.HASHES_SUBMITTED
    assert last.detail["count"] == 1
    assert PDQ not in str(last.detail)


def test_submitting_content_hashes_it_into_the_bank(crisis: Container) -> None:
    from fireline.testing.media import encode, random_photo

    incident = active_incident(crisis)
    photo = encode(random_photo(3), "PNG")
    results = crisis.incidents.submit(incident_id=incident.id, actor=ALPHA, contents=[photo])
    assert {e.signal_type for r in results for e in r.added} >= {"pdq", "md5"}
    assert crisis.matcher.match_content(photo).matched


@pytest.mark.parametrize(
    ("path", "target", "code"),
    [
        ([], IncidentState.MONITORING, None),
        ([IncidentState.MONITORING], IncidentState.ACTIVE, None),
        ([], IncidentState.CONCLUDED, None),
        ([IncidentState.CONCLUDED], IncidentState.ACTIVE, "invalid_transition"),
        ([IncidentState.CONCLUDED], IncidentState.MONITORING, "invalid_transition"),
        ([IncidentState.CONCLUDED], IncidentState.CONCLUDED, "invalid_transition"),
        ([], IncidentState.ACTIVE, "invalid_transition"),
    ],
)
def test_state_changes_follow_the_framework(
    crisis: Container, path: list[IncidentState], target: IncidentState, code: str | None
) -> None:
    incident = active_incident(crisis)
    for state in path:
        crisis.incidents.change_state(incident_id=incident.id, state=state, actor=ALPHA)
    before = crisis.incidents.get(incident_id=incident.id)
    if code is None:
        after = crisis.incidents.change_state(
            incident_id=incident.id, state=target, actor=ALPHA, note="why"
        )
        assert after.state is target
        assert after.version == before.version + 1
    else:
        with pytest.raises(Conflict) as refused:
            crisis.incidents.change_state(incident_id=incident.id, state=target, actor=ALPHA)
        assert refused.value.code == code
        assert crisis.incidents.get(incident_id=incident.id) == before


@pytest.mark.parametrize("target", [IncidentState.PROPOSED, IncidentState.DEBRIEFED])
def test_states_reached_only_by_their_own_step_are_refused(
    crisis: Container, target: IncidentState
) -> None:
    incident = active_incident(crisis)
    with pytest.raises(InvalidInput):
        crisis.incidents.change_state(incident_id=incident.id, state=target, actor=ALPHA)


def test_a_proposal_nobody_approves_can_be_withdrawn(crisis: Container) -> None:
    incident = crisis.incidents.declare(title="t", activation=ActivationType.CONTENT, actor=ALPHA)
    concluded = crisis.incidents.conclude(incident_id=incident.id, actor=ALPHA, note="withdrawn")
    assert concluded.state is IncidentState.CONCLUDED
    with pytest.raises(Conflict):
        crisis.incidents.approve(incident_id=incident.id, actor=BETA)


def test_a_concluded_incident_takes_no_hashes_and_no_updates(crisis: Container) -> None:
    incident = active_incident(crisis)
    crisis.incidents.conclude(incident_id=incident.id, actor=ALPHA)
    with pytest.raises(Conflict) as hashes:
        crisis.incidents.submit(incident_id=incident.id, actor=ALPHA, signals=[Signal("pdq", PDQ)])
    assert hashes.value.code == "incident_not_open"
    with pytest.raises(Conflict) as update:
        crisis.incidents.update(incident_id=incident.id, actor=ALPHA, summary="later")
    assert update.value.code == "incident_closed"
    assert crisis.banks.store.get_bank(incident.bank or "").entry_count == 0


def test_updating_the_situation_summary_is_in_the_timeline(crisis: Container) -> None:
    incident = active_incident(crisis)
    updated = crisis.incidents.update(
        incident_id=incident.id, actor=BETA, summary="Copies on three platforms.", location="X"
    )
    assert (updated.summary, updated.location, updated.title) == (
        "Copies on three platforms.",
        "X",
        incident.title,
    )
    last = crisis.incidents.timeline(incident_id=incident.id)[-1]
    assert (last.kind, last.org, last.detail) == (
        IncidentEventKind.UPDATED,
        "beta",
        {"fields": ["location", "summary"]},
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": ""}, "missing_field"),
        ({"title": "x" * 201}, "text_too_long"),
        ({"title": "a\x00b"}, "invalid_text"),
        ({"title": "ok", "summary": "s" * 10_001}, "text_too_long"),
    ],
)
def test_bad_declarations_are_refused_and_store_nothing(
    crisis: Container, fields: dict[str, str], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        crisis.incidents.declare(activation=ActivationType.CONTENT, actor=ALPHA, **fields)
    assert refused.value.code == code
    assert crisis.incidents.all() == []


def test_unknown_incidents_are_not_found(crisis: Container) -> None:
    with pytest.raises(NotFound):
        crisis.incidents.approve(incident_id=99, actor=ALPHA)
    with pytest.raises(NotFound):
        crisis.incidents.get(incident_id=99)


def test_every_step_is_in_the_audit_log(crisis: Container) -> None:
    incident = active_incident(crisis)
    crisis.incidents.conclude(incident_id=incident.id, actor=ALPHA)
    actions = [
        r.action for r in crisis.audit.records(limit=1000) if r.subject == f"incident:{incident.id}"
    ]
    assert actions == [
        "incident.declared",
        "incident.approved",
        "incident.activated",
        "incident.concluded",
    ]
    assert crisis.audit.verify().ok


def test_a_quorum_of_one_activates_at_declaration(container: Container) -> None:
    from fireline.services.incidents import IncidentService

    container.orgs.create(name="alpha")
    solo = IncidentService(
        store=container.store.incidents,
        banks=container.banks,
        audit=container.audit,
        quorum=1,
        is_member=lambda org: org == "alpha",
    )
    incident = solo.declare(title="t", activation=ActivationType.PERPETRATOR_CONTENT, actor=ALPHA)
    assert incident.state is IncidentState.ACTIVE and incident.bank is not None


def test_webhooks_hear_every_step(crisis: Container) -> None:
    heard: list[dict[str, object]] = []
    crisis.incidents.notify = lambda event: heard.append(dict(event))
    incident = active_incident(crisis)
    crisis.incidents.submit(incident_id=incident.id, actor=ALPHA, signals=[Signal("pdq", PDQ)])
    assert [e["kind"] for e in heard] == [
        "incident.declared",
        "incident.approved",
        "incident.activated",
        "incident.hashes_submitted",
    ]
    assert heard[2]["bank"] == incident.bank
    assert all(PDQ not in str(e) for e in heard)
