"""API schemas of crisis incidents (IncidentCreate, IncidentPublic, IncidentsPublic...).

The public models are built from the JSON views of fireline.services.incident_views, so
the API, ``--json`` and the reports share one shape.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fireline.domain.incidents import (
    ActivationType,
    Evidence,
    Incident,
    IncidentEvent,
    IncidentEventKind,
    IncidentState,
    Variant,
    VariantState,
)
from fireline.services.incident_variants import Outcome, Proposal
from fireline.services.incident_views import (
    event_view,
    incident_view,
    proposal_view,
    variant_view,
)
from fireline.sync.incidents import HubLink, hub_link_view
from fireline.web.schemas import EntriesCreated, SignalIn, SignalPublic

# Generous bounds against abuse; the service enforces the real limits with clear codes.
_TEXT = 20_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------


class IncidentCreate(_Strict):
    title: str = Field(max_length=_TEXT, examples=["Livestreamed attack, Example City"])
    activation: ActivationType = Field(
        description="perpetrator_content (gets a shared bank), content or awareness."
    )
    location: str = Field("", max_length=_TEXT)
    summary: str = Field("", max_length=_TEXT)


class IncidentUpdate(_Strict):
    title: str | None = Field(None, max_length=_TEXT)
    location: str | None = Field(None, max_length=_TEXT)
    summary: str | None = Field(None, max_length=_TEXT)


class IncidentStateChange(_Strict):
    state: IncidentState = Field(
        description="monitoring, active (back from monitoring) or concluded; an incident "
        "becomes active through approvals and debriefed through its report."
    )
    note: str = Field("", max_length=_TEXT)


class IncidentHashesCreate(_Strict):
    signals: list[SignalIn] = Field(min_length=1, max_length=10_000)
    labels: list[str] = Field(
        [], description="Taxonomy labels; category:perpetrator_livestream when none is given."
    )
    note: str = ""


class EvidenceIn(_Strict):
    signal_type: str = Field(examples=["pdq"])
    entry_uid: str | None = Field(
        None, max_length=200, description="The incident entry it came close to, if known."
    )
    distance: int = Field(ge=0, le=2**31 - 1)
    threshold: int = Field(ge=0, le=2**31 - 1)
    query_start: float | None = None
    query_end: float | None = None
    reference_start: float | None = None
    reference_end: float | None = None

    def to_domain(self, *, org: str) -> Evidence:
        return Evidence(org=org, **self.model_dump())


class VariantCreate(_Strict):
    signals: list[SignalIn] = Field(min_length=1, max_length=100)
    evidence: list[EvidenceIn] = Field([], max_length=100)


class VariantDecision(_Strict):
    reason: str = Field("", max_length=_TEXT)


class ReportFormat(StrEnum):
    JSON = "json"
    HTML = "html"


# -- responses ---------------------------------------------------------------------------


class ApprovalPublic(BaseModel):
    org: str
    actor: str
    at: datetime


class IncidentPublic(BaseModel):
    id: int
    title: str
    activation: ActivationType
    state: IncidentState
    location: str
    summary: str
    quorum: int = Field(description="Approvals by distinct organisations activation needs.")
    declared_by: str
    declared_org: str
    declared_at: datetime
    approvals: list[ApprovalPublic]
    bank: str | None = Field(description="The incident's shared bank, once active.")
    activated_at: datetime | None
    first_hash_at: datetime | None
    last_variant_at: datetime | None
    concluded_at: datetime | None
    debriefed_at: datetime | None
    version: int

    @classmethod
    def from_domain(cls, incident: Incident) -> IncidentPublic:
        return cls.model_validate(incident_view(incident))


class IncidentsPublic(BaseModel):
    incidents: list[IncidentPublic] = Field(description="Newest first.")


class IncidentEventPublic(BaseModel):
    seq: int
    at: datetime
    kind: IncidentEventKind
    actor: str
    org: str
    detail: dict[str, Any]

    @classmethod
    def from_domain(cls, event: IncidentEvent) -> IncidentEventPublic:
        return cls.model_validate(event_view(event))


class IncidentEventsPublic(BaseModel):
    events: list[IncidentEventPublic]
    next_after: int = Field(description="Pass as after for the next events.")


class IncidentHashesCreated(BaseModel):
    results: list[EntriesCreated] = Field(description="One per batch of signals or file.")


class EvidencePublic(BaseModel):
    org: str
    signal_type: str
    entry_uid: str | None
    distance: int
    threshold: int
    query_start: float | None
    query_end: float | None
    reference_start: float | None
    reference_end: float | None


class VariantPublic(BaseModel):
    id: int
    incident: int
    state: VariantState
    signals: list[SignalPublic]
    proposed_at: datetime
    proposed_by: str
    orgs: list[str]
    proposals: int
    evidence: list[EvidencePublic]
    decided_at: datetime | None
    decided_by: str | None
    automatic: bool
    reason: str

    @classmethod
    def from_domain(cls, variant: Variant) -> VariantPublic:
        return cls.model_validate(variant_view(variant))


class VariantsPublic(BaseModel):
    variants: list[VariantPublic]


class ProposalPublic(BaseModel):
    outcome: Outcome
    variant: VariantPublic | None = Field(description="Null when the upload was known.")

    @classmethod
    def from_domain(cls, proposal: Proposal) -> ProposalPublic:
        return cls.model_validate(proposal_view(proposal))


class IncidentFiguresPublic(BaseModel):
    seconds_to_activation: float | None
    seconds_to_first_hash: float | None
    entries: int
    variants: dict[str, int] = Field(description="Variants by state.")
    automatic: int
    proposals: int
    matched: int
    blocked: int
    last_variant_at: datetime | None


class VariantsMinutePublic(BaseModel):
    minute: str
    accepted: int
    cumulative: int


class MemberTallyPublic(BaseModel):
    org: str
    matched: int
    blocked: int


class MinuteTallyPublic(BaseModel):
    minute: str
    org: str
    matched: int
    blocked: int


class IncidentLivePublic(BaseModel):
    """What a responder watches; organisations are named, hash values never are."""

    incident: IncidentPublic
    figures: IncidentFiguresPublic
    variants_over_time: list[VariantsMinutePublic]
    members: list[MemberTallyPublic]
    per_minute: list[MinuteTallyPublic]


class HubIncidentPublic(BaseModel):
    id: int
    state: str = Field(description="As the hub said: proposed, active, monitoring...")
    bank: str | None = Field(description="The incident's bank at the hub, once active.")


class HubFollowingPublic(BaseModel):
    incident: int
    bank: str = Field(description="The local bank its hashes arrive in: <hub>.<bank>.")


class IncidentHubPublic(BaseModel):
    """A member's link to its hub's incidents: caught up when the listing was read, no
    error stands and nothing is pending."""

    hub: str = Field(description="The hub's peer name (FIRELINE_INCIDENT_HUB).")
    incidents: list[HubIncidentPublic] = Field(description="The hub's incidents, last seen.")
    following: list[HubFollowingPublic] = Field(
        description="Open incidents whose bank is here: their uploads are harvested."
    )
    pending_proposals: int = Field(description="Variant proposals the hub has not answered.")
    proposals_made: int = Field(
        description="Variant proposals made since the server started: two readings tell "
        "whether an upload in between proposed one."
    )
    pending_tallies: int = Field(description="Minutes of tallies not yet reported.")
    last_error: str | None = Field(
        description="The latest error of following or reporting, until that one succeeds again."
    )
    last_seen_at: datetime | None = Field(description="When the hub's incidents were last read.")

    @classmethod
    def from_domain(cls, link: HubLink) -> IncidentHubPublic:
        return cls.model_validate(hub_link_view(link))
