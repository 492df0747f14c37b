"""The JSON forms of incidents, their events and variants (API, `--json`, reports)."""

from __future__ import annotations

from dataclasses import asdict

from fireline.domain.incidents import Evidence, Incident, IncidentEvent, Tally, Variant
from fireline.services.incident_variants import Proposal
from fireline.services.views import View, signal_view, time_view


def incident_view(incident: Incident) -> View:
    return {
        "id": incident.id,
        "title": incident.title,
        "activation": str(incident.activation),
        "state": str(incident.state),
        "location": incident.location,
        "summary": incident.summary,
        "quorum": incident.quorum,
        "declared_by": incident.declared_by,
        "declared_org": incident.declared_org,
        "declared_at": time_view(incident.declared_at),
        "approvals": [
            {"org": a.org, "actor": a.actor, "at": time_view(a.at)} for a in incident.approvals
        ],
        "bank": incident.bank,
        "activated_at": time_view(incident.activated_at),
        "first_hash_at": time_view(incident.first_hash_at),
        "last_variant_at": time_view(incident.last_variant_at),
        "concluded_at": time_view(incident.concluded_at),
        "debriefed_at": time_view(incident.debriefed_at),
        "version": incident.version,
    }


def event_view(event: IncidentEvent) -> View:
    return {
        "seq": event.seq,
        "at": time_view(event.at),
        "kind": str(event.kind),
        "actor": event.actor,
        "org": event.org,
        "detail": event.detail,
    }


def evidence_view(evidence: Evidence) -> View:
    return asdict(evidence)


def variant_view(variant: Variant) -> View:
    return {
        "id": variant.id,
        "incident": variant.incident_id,
        "state": str(variant.state),
        "signals": [signal_view(s) for s in variant.signals],
        "proposed_at": time_view(variant.proposed_at),
        "proposed_by": variant.proposed_by,
        "orgs": list(variant.orgs),
        "proposals": variant.proposals,
        "evidence": [evidence_view(e) for e in variant.evidence],
        "decided_at": time_view(variant.decided_at),
        "decided_by": variant.decided_by,
        "automatic": variant.automatic,
        "reason": variant.reason,
    }


def proposal_view(proposal: Proposal) -> View:
    return {
        "outcome": str(proposal.outcome),
        "variant": variant_view(proposal.variant) if proposal.variant else None,
    }


def tally_view(tally: Tally) -> View:
    return {
        "org": tally.org,
        "minute": time_view(tally.minute),
        "matched": tally.matched,
        "blocked": tally.blocked,
    }
