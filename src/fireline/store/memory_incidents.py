"""In-memory twin of the incident store."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from fireline.domain import Conflict, NotFound, Signal
from fireline.domain.incidents import (
    Incident,
    IncidentEvent,
    IncidentState,
    NewIncident,
    NewIncidentEvent,
    NewVariant,
    Tally,
    Variant,
    VariantState,
)


def incident_not_found(incident_id: int) -> NotFound:
    return NotFound(f"no incident {incident_id}", code="incident_not_found")


def variant_not_found(variant_id: int) -> NotFound:
    return NotFound(f"no variant {variant_id}", code="variant_not_found")


def stale(what: str) -> Conflict:
    return Conflict(f"{what} was changed by someone else meanwhile; read it again", code="stale")


def duplicate_variant(incident_id: int) -> Conflict:
    return Conflict(
        f"a signal of this variant is already proposed for incident {incident_id}",
        code="duplicate_variant",
    )


class MemoryIncidentStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._incidents: dict[int, Incident] = {}
        self._events: dict[int, list[IncidentEvent]] = {}
        self._variants: dict[int, Variant] = {}
        self._tallies: dict[tuple[int, str, datetime], Tally] = {}

    def _append(self, incident_id: int, events: Sequence[NewIncidentEvent]) -> None:
        timeline = self._events.setdefault(incident_id, [])
        for e in events:
            timeline.append(
                IncidentEvent(
                    incident_id=incident_id,
                    seq=len(timeline) + 1,
                    at=e.at,
                    kind=e.kind,
                    actor=e.actor,
                    org=e.org,
                    detail=dict(e.detail),
                )
            )

    def create_incident(self, incident: NewIncident, event: NewIncidentEvent) -> Incident:
        with self._lock:
            created = Incident(
                id=len(self._incidents) + 1,
                title=incident.title,
                activation=incident.activation,
                state=IncidentState.PROPOSED,
                location=incident.location,
                summary=incident.summary,
                quorum=incident.quorum,
                declared_by=incident.declared_by,
                declared_org=incident.declared_org,
                declared_at=incident.declared_at,
            )
            self._incidents[created.id] = created
            self._append(created.id, [event])
            return created

    def get_incident(self, incident_id: int) -> Incident:
        with self._lock:
            found = self._incidents.get(incident_id)
            if found is None:
                raise incident_not_found(incident_id)
            return found

    def list_incidents(
        self, *, states: Sequence[IncidentState] | None = None, limit: int = 100
    ) -> list[Incident]:
        with self._lock:
            chosen = [
                i
                for i in sorted(self._incidents.values(), key=lambda i: -i.id)
                if states is None or i.state in states
            ]
            return chosen[:limit]

    def incident_by_bank(self, bank: str) -> Incident | None:
        with self._lock:
            return next((i for i in self._incidents.values() if i.bank == bank), None)

    def save_incident(self, incident: Incident, *, events: Sequence[NewIncidentEvent]) -> Incident:
        with self._lock:
            current = self._incidents.get(incident.id)
            if current is None:
                raise incident_not_found(incident.id)
            if current.version != incident.version:
                raise stale(f"incident {incident.id}")
            saved = replace(incident, version=incident.version + 1)
            self._incidents[incident.id] = saved
            self._append(incident.id, events)
            return saved

    def events(self, incident_id: int, *, after: int = 0, limit: int = 1000) -> list[IncidentEvent]:
        with self._lock:
            if incident_id not in self._incidents:
                raise incident_not_found(incident_id)
            return [e for e in self._events.get(incident_id, []) if e.seq > after][:limit]

    def add_variant(self, variant: NewVariant, *, event: NewIncidentEvent) -> Variant:
        with self._lock:
            if variant.incident_id not in self._incidents:
                raise incident_not_found(variant.incident_id)
            if self._holding(variant.incident_id, variant.signals):
                raise duplicate_variant(variant.incident_id)
            created = Variant(
                id=len(self._variants) + 1,
                incident_id=variant.incident_id,
                signals=variant.signals,
                state=VariantState.PROPOSED,
                proposed_at=variant.proposed_at,
                proposed_by=variant.proposed_by,
                orgs=(variant.org,),
                evidence=variant.evidence,
            )
            self._variants[created.id] = created
            self._append(variant.incident_id, [_with_variant(event, created.id)])
            return created

    def get_variant(self, variant_id: int) -> Variant:
        with self._lock:
            found = self._variants.get(variant_id)
            if found is None:
                raise variant_not_found(variant_id)
            return found

    def _holding(self, incident_id: int, signals: Sequence[Signal]) -> list[Variant]:
        wanted = {(s.signal_type, s.value) for s in signals}
        return [
            v
            for v in self._variants.values()
            if v.incident_id == incident_id
            and any((s.signal_type, s.value) in wanted for s in v.signals)
        ]

    def find_variants(self, incident_id: int, signals: Sequence[Signal]) -> list[Variant]:
        with self._lock:
            return sorted(self._holding(incident_id, signals), key=lambda v: v.id)

    def list_variants(
        self, incident_id: int, *, state: VariantState | None = None, limit: int = 10_000
    ) -> list[Variant]:
        with self._lock:
            if incident_id not in self._incidents:
                raise incident_not_found(incident_id)
            chosen = [
                v
                for v in sorted(self._variants.values(), key=lambda v: v.id)
                if v.incident_id == incident_id and (state is None or v.state is state)
            ]
            return chosen[:limit]

    def save_variant(self, variant: Variant, *, events: Sequence[NewIncidentEvent]) -> Variant:
        with self._lock:
            current = self._variants.get(variant.id)
            if current is None:
                raise variant_not_found(variant.id)
            if current.version != variant.version:
                raise stale(f"variant {variant.id}")
            if current.signals != variant.signals or current.incident_id != variant.incident_id:
                raise Conflict("a variant's signals do not change", code="variant_signals_fixed")
            saved = replace(variant, version=variant.version + 1)
            self._variants[variant.id] = saved
            self._append(variant.incident_id, events)
            return saved

    def add_tally(
        self,
        incident_id: int,
        *,
        org: str,
        minute: datetime,
        matched: int,
        blocked: int,
        replace: bool = False,
    ) -> None:
        with self._lock:
            if incident_id not in self._incidents:
                raise incident_not_found(incident_id)
            key = (incident_id, org, minute)
            old = self._tallies.get(key)
            if old is not None and not replace:
                matched += old.matched
                blocked += old.blocked
            self._tallies[key] = Tally(org=org, minute=minute, matched=matched, blocked=blocked)

    def tallies(self, incident_id: int) -> list[Tally]:
        with self._lock:
            found = [t for (i, _, _), t in self._tallies.items() if i == incident_id]
            return sorted(found, key=lambda t: (t.minute, t.org))


def _with_variant(event: NewIncidentEvent, variant_id: int) -> NewIncidentEvent:
    """The event with the new variant's id in its detail (known only once stored)."""
    return replace(event, detail={**event.detail, "variant": variant_id})
