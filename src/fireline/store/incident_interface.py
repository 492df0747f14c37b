"""The narrow protocol incidents are stored through; an in-memory twin and a SQL one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from fireline.domain import Signal
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


class IncidentStore(Protocol):
    """Incidents, their timelines, proposed variants and per-minute tallies.

    Incidents and variants are saved whole with optimistic locking: a save names the
    version it read, and Conflict (``stale``) says another writer saved first; the
    caller reads again and retries. Events are appended in the same transaction as the
    change they record; their detail holds JSON values only. A variant's incident and
    signals never change. ``find_variants`` and ``tallies`` of an unknown incident are
    empty; the other reads raise NotFound.
    """

    def create_incident(self, incident: NewIncident, event: NewIncidentEvent) -> Incident:
        """Store a new incident (state proposed, version 1) with its first event."""
        ...

    def get_incident(self, incident_id: int) -> Incident:
        """The incident; NotFound otherwise."""
        ...

    def list_incidents(
        self, *, states: Sequence[IncidentState] | None = None, limit: int = 100
    ) -> list[Incident]:
        """Incidents newest first, optionally only in some states."""
        ...

    def incident_by_bank(self, bank: str) -> Incident | None:
        """The incident whose bank is ``bank``, if any."""
        ...

    def save_incident(self, incident: Incident, *, events: Sequence[NewIncidentEvent]) -> Incident:
        """Save ``incident`` over version ``incident.version``; returns it at the next version."""
        ...

    def events(self, incident_id: int, *, after: int = 0, limit: int = 1000) -> list[IncidentEvent]:
        """Timeline events numbered above ``after``, oldest first."""
        ...

    def add_variant(self, variant: NewVariant, *, event: NewIncidentEvent) -> Variant:
        """Store a proposed variant; Conflict (``duplicate_variant``) if one of its
        signals already belongs to another variant of the incident."""
        ...

    def get_variant(self, variant_id: int) -> Variant:
        """The variant; NotFound otherwise."""
        ...

    def find_variants(self, incident_id: int, signals: Sequence[Signal]) -> list[Variant]:
        """The incident's variants holding any of ``signals`` (same type and value)."""
        ...

    def list_variants(
        self, incident_id: int, *, state: VariantState | None = None, limit: int = 10_000
    ) -> list[Variant]:
        """Variants oldest first."""
        ...

    def save_variant(self, variant: Variant, *, events: Sequence[NewIncidentEvent]) -> Variant:
        """Save over version ``variant.version`` (Conflict ``stale`` otherwise)."""
        ...

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
        """Add counts to the organisation's tally of that minute (``replace``: set them).

        Members report whole minutes, so a repeated report replaces; this instance's
        own matchers, in any number of processes, add.
        """
        ...

    def tallies(self, incident_id: int) -> list[Tally]:
        """Every tally, by minute then organisation."""
        ...
