"""Variant harvesting: proposals, folding, the acceptance rule, and the matcher's harvest."""

from __future__ import annotations

import numpy as np
import pytest

from fireline.bootstrap import Container
from fireline.domain import Conflict, Forbidden, InvalidInput, Signal
from fireline.domain.incidents import (
    ActivationType,
    Evidence,
    Incident,
    IncidentEventKind,
    VariantState,
)
from fireline.services.incident_variants import Outcome
from fireline.services.incidents import Actor
from fireline.testing import clips

ALPHA = Actor("key:ops@alpha", "alpha")
BETA = Actor("key:ops@beta", "beta")
GAMMA = Actor("key:ops@gamma", "gamma")


def pdq(seed: int) -> str:
    return bytes(np.random.default_rng(seed).integers(0, 256, 32, dtype=np.uint8)).hex()


def flipped(value: str, bits: int, seed: int = 0) -> str:
    number = int(value, 16)
    for bit in np.random.default_rng(seed).choice(256, size=bits, replace=False):
        number ^= 1 << int(bit)
    return f"{number:064x}"


def evidence(distance: int, threshold: int = 31, org: str = "x") -> Evidence:
    return Evidence(
        org=org,
        signal_type="pdq",
        entry_uid="0123456789abcdef:1",
        distance=distance,
        threshold=threshold,
    )


@pytest.fixture
def crisis(container: Container) -> Container:
    for org in ("alpha", "beta", "gamma"):
        container.orgs.create(name=org)
    return container


@pytest.fixture
def incident(crisis: Container) -> Incident:
    declared = crisis.incidents.declare(
        title="Attack", activation=ActivationType.PERPETRATOR_CONTENT, actor=ALPHA
    )
    active = crisis.incidents.approve(incident_id=declared.id, actor=BETA)
    crisis.incidents.submit(incident_id=active.id, actor=ALPHA, signals=[Signal("pdq", pdq(1))])
    return active


def bank_values(c: Container, incident: Incident) -> set[str]:
    return {e.value for e in c.banks.store.list_entries(incident.bank or "", limit=1000)}


def test_a_near_identical_copy_is_known_and_stores_nothing(
    crisis: Container, incident: Incident
) -> None:
    proposal = crisis.variants.propose(
        incident_id=incident.id,
        signals=[Signal("pdq", flipped(pdq(1), 4)), Signal("md5", "a" * 32)],
        actor=ALPHA,
        evidence=[evidence(4)],
    )
    assert (proposal.outcome, proposal.variant) == (Outcome.KNOWN, None)
    assert crisis.variants.all(incident_id=incident.id) == []


def test_an_edited_copy_that_matched_is_accepted_and_banked_at_once(
    crisis: Container, incident: Incident
) -> None:
    edited = flipped(pdq(1), 20)
    proposal = crisis.variants.propose(
        incident_id=incident.id,
        signals=[Signal("pdq", edited), Signal("md5", "b" * 32)],
        actor=BETA,
        evidence=[evidence(20)],
    )
    assert proposal.outcome is Outcome.ACCEPTED
    variant = proposal.variant
    assert variant is not None
    assert (variant.state, variant.automatic, variant.orgs) == (
        VariantState.ACCEPTED,
        True,
        ("beta",),
    )
    assert {edited, "b" * 32} <= bank_values(crisis, incident)
    after = crisis.incidents.get(incident_id=incident.id)
    assert after.last_variant_at is not None
    kinds = [e.kind for e in crisis.incidents.timeline(incident_id=incident.id)]
    assert kinds[-2:] == [IncidentEventKind.VARIANT_PROPOSED, IncidentEventKind.VARIANT_ACCEPTED]
    # Its own edits now match it, further from the original than the threshold allows.
    further = flipped(edited, 20, seed=1)
    matched = crisis.matcher.match_signals([Signal("pdq", further)]).matches
    assert {m.entry.value for m in matched} == {edited}


def test_a_candidate_waits_for_a_responder(crisis: Container, incident: Incident) -> None:
    proposal = crisis.variants.propose(
        incident_id=incident.id,
        signals=[Signal("pdq", flipped(pdq(1), 40))],
        actor=ALPHA,
        evidence=[evidence(40)],
    )
    assert proposal.outcome is Outcome.PROPOSED
    assert proposal.variant is not None and proposal.variant.state is VariantState.PROPOSED
    assert bank_values(crisis, incident) == {pdq(1)}


def test_the_same_upload_proposed_again_is_folded(crisis: Container, incident: Incident) -> None:
    signals = [Signal("pdq", flipped(pdq(1), 40)), Signal("md5", "c" * 32)]
    first = crisis.variants.propose(
        incident_id=incident.id, signals=signals, actor=ALPHA, evidence=[evidence(40)]
    )
    # Only the md5 in common, from another organisation: the same upload.
    second = crisis.variants.propose(
        incident_id=incident.id, signals=[signals[1]], actor=BETA, evidence=[evidence(41)]
    )
    assert second.outcome is Outcome.FOLDED
    assert second.variant is not None and first.variant is not None
    assert second.variant.id == first.variant.id
    assert (second.variant.proposals, second.variant.orgs) == (2, ("alpha", "beta"))
    assert [e.distance for e in second.variant.evidence] == [40, 41]
    assert len(crisis.variants.all(incident_id=incident.id)) == 1


def test_a_flood_of_near_identical_proposals_folds_into_one(
    crisis: Container, incident: Incident
) -> None:
    base = flipped(pdq(1), 45)
    for n in range(60):
        crisis.variants.propose(
            incident_id=incident.id,
            signals=[Signal("pdq", flipped(base, n % 6, seed=n))],
            actor=ALPHA,
            evidence=[evidence(45)],
        )
    (variant,) = crisis.variants.all(incident_id=incident.id)
    assert variant.proposals == 60
    assert len(variant.evidence) == 20


def test_enough_organisations_proposing_it_accept_it(crisis: Container, incident: Incident) -> None:
    signals = [Signal("pdq", flipped(pdq(1), 44))]
    outcomes = [
        crisis.variants.propose(
            incident_id=incident.id, signals=signals, actor=who, evidence=[evidence(44)]
        ).outcome
        for who in (ALPHA, ALPHA, BETA, GAMMA)
    ]
    assert outcomes == [Outcome.PROPOSED, Outcome.FOLDED, Outcome.FOLDED, Outcome.ACCEPTED]


def test_a_responder_accepts_or_rejects_once(crisis: Container, incident: Incident) -> None:
    one = crisis.variants.propose(
        incident_id=incident.id, signals=[Signal("pdq", pdq(50))], actor=ALPHA
    ).variant
    two = crisis.variants.propose(
        incident_id=incident.id, signals=[Signal("pdq", pdq(51))], actor=ALPHA
    ).variant
    assert one is not None and two is not None
    accepted = crisis.variants.accept(variant_id=one.id, actor=BETA, reason="same scene")
    rejected = crisis.variants.reject(variant_id=two.id, actor=BETA, reason="unrelated")
    assert (accepted.state, accepted.decided_by, accepted.automatic) == (
        VariantState.ACCEPTED,
        "key:ops@beta",
        False,
    )
    assert rejected.state is VariantState.REJECTED
    assert bank_values(crisis, incident) == {pdq(1), pdq(50)}
    for decide in (crisis.variants.accept, crisis.variants.reject):
        for variant in (one, two):
            with pytest.raises(Conflict) as again:
                decide(variant_id=variant.id, actor=GAMMA)
            assert again.value.code == "variant_decided"


def test_proposals_to_a_concluded_incident_are_refused(
    crisis: Container, incident: Incident
) -> None:
    waiting = crisis.variants.propose(
        incident_id=incident.id, signals=[Signal("pdq", pdq(60))], actor=ALPHA
    ).variant
    assert waiting is not None
    crisis.incidents.conclude(incident_id=incident.id, actor=ALPHA)
    with pytest.raises(Conflict) as proposed:
        crisis.variants.propose(
            incident_id=incident.id, signals=[Signal("pdq", pdq(61))], actor=ALPHA
        )
    assert proposed.value.code == "incident_not_open"
    with pytest.raises(Conflict):
        crisis.variants.accept(variant_id=waiting.id, actor=BETA)
    assert crisis.variants.get(variant_id=waiting.id).state is VariantState.PROPOSED


@pytest.mark.parametrize(
    ("signals", "code"),
    [
        ([], "missing_field"),
        ([Signal("pdq", "xyz")], "malformed_signal"),
        ([Signal("nope", "ab")], "unknown_signal_type"),
        ([Signal("pdq", pdq(n)) for n in range(33)], "too_many_signals"),
    ],
)
def test_malformed_proposals_are_refused(
    crisis: Container, incident: Incident, signals: list[Signal], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        crisis.variants.propose(incident_id=incident.id, signals=signals, actor=ALPHA)
    assert refused.value.code == code
    assert crisis.variants.all(incident_id=incident.id) == []


def test_a_member_speaks_only_for_itself(crisis: Container, incident: Incident) -> None:
    proposal = crisis.variants.propose(
        incident_id=incident.id,
        signals=[Signal("pdq", pdq(70))],
        actor=ALPHA,
        evidence=[evidence(45, org="beta")],
    )
    assert proposal.variant is not None
    assert [e.org for e in proposal.variant.evidence] == ["alpha"]
    with pytest.raises(Forbidden):
        crisis.variants.propose(
            incident_id=incident.id,
            signals=[Signal("pdq", pdq(71))],
            actor=Actor("key:x@stranger", "stranger"),
        )


@pytest.mark.parametrize(
    ("bits", "outcome", "blocked"),
    [
        (3, None, 1),  # a copy: counted and blocked, nothing proposed
        (20, VariantState.ACCEPTED, 1),  # an edited copy: blocked, accepted by the rule
        (40, VariantState.PROPOSED, 0),  # a near miss: waits for a responder
    ],
)
def test_the_matcher_harvests_uploads_near_incident_content(
    crisis: Container, incident: Incident, bits: int, outcome: VariantState | None, blocked: int
) -> None:
    query = flipped(pdq(1), bits, seed=bits)
    result = crisis.matcher.match_signals([Signal("pdq", query)])
    assert bool(result.matches) is bool(blocked)
    assert bool(result.candidates) is not bool(blocked)
    (tally,) = crisis.variants.store.tallies(incident.id)
    assert (tally.org, tally.matched, tally.blocked) == (crisis.settings.org_name, 1, blocked)
    variants = crisis.variants.all(incident_id=incident.id)
    assert [v.state for v in variants] == ([] if outcome is None else [outcome])
    if variants:
        (proof,) = variants[0].evidence
        assert proof.distance == bits and proof.signal_type == "pdq"
        assert proof.entry_uid is not None and proof.entry_uid.endswith(":1")


def test_uploads_far_from_incident_content_are_left_alone(
    crisis: Container, incident: Incident
) -> None:
    result = crisis.matcher.match_signals([Signal("pdq", flipped(pdq(1), 90))])
    assert not result.matches and not result.candidates
    assert crisis.variants.store.tallies(incident.id) == []


def test_candidates_come_only_from_open_incidents(crisis: Container, incident: Incident) -> None:
    crisis.banks.create(name="ordinary")
    crisis.banks.add_signals(bank="ordinary", signals=[Signal("pdq", pdq(2))])
    assert not crisis.matcher.match_signals([Signal("pdq", flipped(pdq(2), 40))]).candidates
    crisis.incidents.conclude(incident_id=incident.id, actor=ALPHA)
    assert not crisis.matcher.match_signals([Signal("pdq", flipped(pdq(1), 40))]).candidates


def test_a_lightly_edited_video_is_a_known_copy(crisis: Container) -> None:
    declared = crisis.incidents.declare(
        title="Stream", activation=ActivationType.PERPETRATOR_CONTENT, actor=ALPHA
    )
    incident = crisis.incidents.approve(incident_id=declared.id, actor=BETA)
    original = clips.source(11, 12.0, (320, 240))
    crisis.incidents.submit(incident_id=incident.id, actor=ALPHA, contents=[clips.render(original)])
    upload = clips.render(clips.letterboxed(clips.excerpt(original, 2.0, 8.0)))
    assert crisis.matcher.match_content(upload).matched
    assert crisis.variants.all(incident_id=incident.id) == []
    assert crisis.variants.store.tallies(incident.id)[0].blocked == 1


def test_an_edited_video_is_harvested_with_its_segment(crisis: Container) -> None:
    declared = crisis.incidents.declare(
        title="Stream", activation=ActivationType.PERPETRATOR_CONTENT, actor=ALPHA
    )
    incident = crisis.incidents.approve(incident_id=declared.id, actor=BETA)
    original = clips.source(11, 12.0, (320, 240))
    crisis.incidents.submit(incident_id=incident.id, actor=ALPHA, contents=[clips.render(original)])
    # A copy cut with another video every other second: half its frames match.
    other = clips.source(99, 12.0, (320, 240))
    spliced = clips.Clip(lambda t: (original if int(t) % 2 == 0 else other).picture(t), 10.0)
    upload = clips.render(spliced)
    result = crisis.matcher.match_content(upload)
    assert result.matched and 10 < result.matches[0].distance <= 50
    (variant,) = crisis.variants.all(incident_id=incident.id)
    assert variant.state is VariantState.ACCEPTED
    vpdq = next(e for e in variant.evidence if e.signal_type == "vpdq")
    assert vpdq.query_start is not None and vpdq.reference_start is not None
    assert vpdq.reference_start < 1.0
    # The upload's own hashes are now in the bank: an exact copy of it is a known copy.
    again = crisis.matcher.match_content(upload)
    assert any(m.distance == 0 for m in again.matches)
    assert len(crisis.variants.all(incident_id=incident.id)) == 1
