"""Crisis incidents, shaped like GIFCT's Incident Response Framework.

An incident is proposed by one organisation, activated when enough organisations approve
(the quorum), then moves through monitoring to its conclusion and debrief. Every step is
an event in the incident's timeline. An active perpetrator content incident owns a bank
shared with every member; uploads that come close to its content become proposed
variants, which a rule or a responder accepts into that bank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from fireline.domain.errors import Conflict
from fireline.domain.models import Signal


class ActivationType(StrEnum):
    """What an incident sets in motion."""

    #: The perpetrator's own content is spreading: hashes are shared at top priority.
    PERPETRATOR_CONTENT = "perpetrator_content"
    #: Content about an attack spreads (not the perpetrator's): members are alerted.
    CONTENT = "content"
    #: Members are told; nothing is shared.
    AWARENESS = "awareness"


class IncidentState(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    MONITORING = "monitoring"
    CONCLUDED = "concluded"
    DEBRIEFED = "debriefed"


#: The states an incident may move to from each state. Activation happens only through
#: the quorum of approvals; a proposal nobody approves is concluded (withdrawn).
NEXT_STATES: dict[IncidentState, frozenset[IncidentState]] = {
    IncidentState.PROPOSED: frozenset({IncidentState.ACTIVE, IncidentState.CONCLUDED}),
    IncidentState.ACTIVE: frozenset({IncidentState.MONITORING, IncidentState.CONCLUDED}),
    IncidentState.MONITORING: frozenset({IncidentState.ACTIVE, IncidentState.CONCLUDED}),
    IncidentState.CONCLUDED: frozenset({IncidentState.DEBRIEFED}),
    IncidentState.DEBRIEFED: frozenset(),
}

#: States in which an incident takes hashes and variants.
OPEN_STATES = frozenset({IncidentState.ACTIVE, IncidentState.MONITORING})


def check_transition(incident_id: int, current: IncidentState, target: IncidentState) -> None:
    """Conflict (``invalid_transition``) unless ``current`` may move to ``target``."""
    if target not in NEXT_STATES[current]:
        allowed = ", ".join(sorted(NEXT_STATES[current])) or "nothing"
        raise Conflict(
            f"incident {incident_id} is {current}; it can move to {allowed}, not {target}",
            code="invalid_transition",
        )


class IncidentEventKind(StrEnum):
    """The steps of an incident's timeline."""

    DECLARED = "declared"
    APPROVED = "approved"
    ACTIVATED = "activated"
    STATE_CHANGED = "state_changed"
    UPDATED = "updated"
    HASHES_SUBMITTED = "hashes_submitted"
    VARIANT_PROPOSED = "variant_proposed"
    VARIANT_FOLDED = "variant_folded"
    VARIANT_ACCEPTED = "variant_accepted"
    VARIANT_REJECTED = "variant_rejected"
    CONCLUDED = "concluded"
    DEBRIEFED = "debriefed"


@dataclass(frozen=True, slots=True)
class Approval:
    """One organisation's approval of a proposed incident."""

    org: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Incident:
    """A crisis incident. ``version`` grows with every saved change (optimistic locking)."""

    id: int
    title: str
    activation: ActivationType
    state: IncidentState
    location: str
    summary: str
    #: Approvals (from distinct organisations, the proposer's included) activation needs.
    quorum: int
    declared_by: str
    declared_org: str
    declared_at: datetime
    approvals: tuple[Approval, ...] = ()
    #: The bank of the incident's hashes (perpetrator content incidents, once active).
    bank: str | None = None
    activated_at: datetime | None = None
    first_hash_at: datetime | None = None
    last_variant_at: datetime | None = None
    concluded_at: datetime | None = None
    debriefed_at: datetime | None = None
    version: int = 1

    @property
    def approving_orgs(self) -> tuple[str, ...]:
        return tuple(a.org for a in self.approvals)

    @property
    def shares_hashes(self) -> bool:
        return self.activation is ActivationType.PERPETRATOR_CONTENT


@dataclass(frozen=True, slots=True)
class NewIncident:
    title: str
    activation: ActivationType
    location: str
    summary: str
    quorum: int
    declared_by: str
    declared_org: str
    declared_at: datetime


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """One step of an incident's timeline; ``seq`` runs 1, 2, 3... per incident."""

    incident_id: int
    seq: int
    at: datetime
    kind: IncidentEventKind
    actor: str
    org: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewIncidentEvent:
    at: datetime
    kind: IncidentEventKind
    actor: str
    org: str
    detail: dict[str, Any] = field(default_factory=dict)


class VariantState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an upload was proposed as a variant: what it came close to, and how close.

    ``entry_uid`` names the incident bank's entry it came close to across the network
    (``<instance fingerprint>:<entry id>`` where it was first banked); ``distance`` is on
    that signal type's scale, ``threshold`` its match threshold. For time-based signals
    the aligned segment is given in seconds.
    """

    org: str
    signal_type: str
    entry_uid: str | None
    distance: int
    threshold: int
    query_start: float | None = None
    query_end: float | None = None
    reference_start: float | None = None
    reference_end: float | None = None

    @property
    def within_threshold(self) -> bool:
        return self.distance <= self.threshold


@dataclass(frozen=True, slots=True)
class Variant:
    """Hashes of one upload proposed for an incident's bank.

    A later proposal of the same (or a near-identical) upload is folded into this one:
    ``proposals`` counts them and ``orgs`` names who proposed it.
    """

    id: int
    incident_id: int
    signals: tuple[Signal, ...]
    state: VariantState
    proposed_at: datetime
    proposed_by: str
    orgs: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    proposals: int = 1
    decided_at: datetime | None = None
    decided_by: str | None = None
    #: Accepted without a responder, by the configured rule.
    automatic: bool = False
    reason: str = ""
    version: int = 1


@dataclass(frozen=True, slots=True)
class NewVariant:
    incident_id: int
    signals: tuple[Signal, ...]
    proposed_at: datetime
    proposed_by: str
    org: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Tally:
    """What one organisation saw of an incident in one minute (UTC, second zero)."""

    org: str
    minute: datetime
    matched: int
    blocked: int
