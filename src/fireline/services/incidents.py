"""Crisis incidents: declare, approve to the quorum, run, conclude.

The organisation that declares an incident approves it by doing so; it becomes active
once ``quorum`` distinct member organisations approved, so with a quorum of 2 or more no
single member can activate one alone. Activating a perpetrator content incident makes
its bank (``incident-<id>``, shared with every member); hashes submitted to it travel at
once through the exchange. Every step is an event of the incident's timeline and a
record of the audit log, and is announced to ``notify`` (webhooks) and the bell (push).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from fireline.domain import (
    AddedEntries,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    SharingPolicy,
    Signal,
)
from fireline.domain.incidents import (
    OPEN_STATES,
    ActivationType,
    Approval,
    Incident,
    IncidentEvent,
    IncidentEventKind,
    IncidentState,
    NewIncident,
    NewIncidentEvent,
    check_transition,
)
from fireline.services.audit import AuditLog, entry_id_ranges
from fireline.services.banking import BankService
from fireline.services.bell import Bell
from fireline.services.fields import text_field
from fireline.signals import ContentType
from fireline.store import IncidentStore

log = logging.getLogger("fireline.incidents")

#: Tries of a read-change-save before giving up to a storm of concurrent writers.
SAVE_ATTEMPTS = 50
MAX_TITLE = 200
MAX_LOCATION = 200
MAX_SUMMARY = 10_000
#: Labels every entry of an incident bank carries, beside the caller's.
INCIDENT_LABELS = ("basis:crisis_incident",)
DEFAULT_CATEGORY = "category:perpetrator_livestream"

Notify = Callable[[Mapping[str, Any]], None]


def now() -> datetime:
    return datetime.now(UTC)


def incident_bank_name(incident_id: int) -> str:
    return f"incident-{incident_id}"


def incident_labels(incident_id: int, labels: Sequence[str]) -> tuple[str, ...]:
    """The labels an incident's entries carry: the caller's, or the default category."""
    given = tuple(labels)
    if not any(label.strip().lower().startswith("category:") for label in given):
        given += (DEFAULT_CATEGORY,)
    return (*given, *INCIDENT_LABELS, f"entity:incident-{incident_id}")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: ``name`` as the audit log names them, for the organisation ``org``."""

    name: str
    org: str


class IncidentService:
    """The incident lifecycle. Every change is durable when a method returns."""

    def __init__(
        self,
        *,
        store: IncidentStore,
        banks: BankService,
        audit: AuditLog,
        quorum: int,
        is_member: Callable[[str], bool],
        bell: Bell | None = None,
        notify: Notify | None = None,
        clock: Callable[[], datetime] = now,
    ) -> None:
        if quorum < 1:
            raise InvalidInput("an incident quorum is at least 1", code="invalid_quorum")
        self.store = store
        self.banks = banks
        self.audit = audit
        self.quorum = quorum
        self.is_member = is_member
        self.bell = bell or Bell()
        self.notify = notify
        self.clock = clock
        #: Grows with every change made through this service (in this process): readers
        #: that cache incidents read again when it moved.
        self.generation = 0

    # -- reading --------------------------------------------------------------------------

    def get(self, *, incident_id: int) -> Incident:
        return self.store.get_incident(incident_id)

    def all(
        self, *, states: Sequence[IncidentState] | None = None, limit: int = 100
    ) -> list[Incident]:
        return self.store.list_incidents(states=states, limit=limit)

    def timeline(
        self, *, incident_id: int, after: int = 0, limit: int = 1000
    ) -> list[IncidentEvent]:
        return self.store.events(incident_id, after=after, limit=limit)

    def open_for_hashes(self, *, incident_id: int) -> Incident:
        """The incident, if it takes hashes now; Conflict (``incident_not_open``) otherwise."""
        incident = self.store.get_incident(incident_id)
        if incident.state not in OPEN_STATES or incident.bank is None:
            why = "it shares no hashes" if not incident.shares_hashes else f"it is {incident.state}"
            raise Conflict(
                f"incident {incident_id} takes no hashes: {why}", code="incident_not_open"
            )
        return incident

    # -- the lifecycle --------------------------------------------------------------------

    def declare(
        self,
        *,
        title: str,
        activation: ActivationType,
        actor: Actor,
        location: str = "",
        summary: str = "",
    ) -> Incident:
        """Propose an incident; the declaring organisation's approval is its first."""
        self.require_member(actor)
        at = self.clock()
        incident = self.store.create_incident(
            NewIncident(
                title=text_field(title, what="a title", most=MAX_TITLE, required=True),
                activation=ActivationType(activation),
                location=text_field(location, what="a location", most=MAX_LOCATION),
                summary=text_field(summary, what="a summary", most=MAX_SUMMARY),
                quorum=self.quorum,
                declared_by=actor.name,
                declared_org=actor.org,
                declared_at=at,
            ),
            NewIncidentEvent(
                at=at,
                kind=IncidentEventKind.DECLARED,
                actor=actor.name,
                org=actor.org,
                detail={"activation": str(activation), "quorum": self.quorum},
            ),
        )
        self._announce(incident, "incident.declared", actor, {"activation": str(activation)})
        return self.approve(incident_id=incident.id, actor=actor, declaring=True)

    def approve(self, *, incident_id: int, actor: Actor, declaring: bool = False) -> Incident:
        """Record an organisation's approval; the one that completes the quorum activates."""
        self.require_member(actor)

        def change(incident: Incident) -> tuple[Incident, list[NewIncidentEvent]]:
            if incident.state is not IncidentState.PROPOSED:
                raise Conflict(
                    f"incident {incident.id} is {incident.state}: only a proposed incident "
                    "takes approvals",
                    code="not_proposed",
                )
            if actor.org in incident.approving_orgs:
                raise Conflict(
                    f"{actor.org} has already approved incident {incident.id}",
                    code="already_approved",
                )
            at = self.clock()
            approvals = (*incident.approvals, Approval(org=actor.org, actor=actor.name, at=at))
            events = [
                NewIncidentEvent(
                    at=at,
                    kind=IncidentEventKind.APPROVED,
                    actor=actor.name,
                    org=actor.org,
                    detail={"approvals": len(approvals), "quorum": incident.quorum},
                )
            ]
            changed = replace(incident, approvals=approvals)
            if len(approvals) >= incident.quorum:
                bank = self._incident_bank(incident) if incident.shares_hashes else None
                changed = replace(changed, state=IncidentState.ACTIVE, activated_at=at, bank=bank)
                events.append(
                    NewIncidentEvent(
                        at=at,
                        kind=IncidentEventKind.ACTIVATED,
                        actor=actor.name,
                        org=actor.org,
                        detail={"bank": bank, "approving": list(changed.approving_orgs)},
                    )
                )
            return changed, events

        incident = self._update(incident_id, change)
        if not declaring:
            self._announce(incident, "incident.approved", actor, {"org": actor.org})
        # Only a proposed incident takes approvals: active now means this one activated it.
        if incident.state is IncidentState.ACTIVE:
            self._announce(
                incident, "incident.activated", actor, {"approving": list(incident.approving_orgs)}
            )
        return incident

    def change_state(
        self, *, incident_id: int, state: IncidentState, actor: Actor, note: str = ""
    ) -> Incident:
        """Move to monitoring, back to active, or to concluded (activation takes approvals;
        the debrief, ``report``)."""
        target = IncidentState(state)
        note = text_field(note, what="a note", most=MAX_SUMMARY)
        if target in (IncidentState.PROPOSED, IncidentState.DEBRIEFED):
            raise InvalidInput(
                f"an incident becomes {target} by "
                + ("being declared" if target is IncidentState.PROPOSED else "its debrief report"),
                code="invalid_transition",
            )

        def change(incident: Incident) -> tuple[Incident, list[NewIncidentEvent]]:
            check_transition(incident.id, incident.state, target)
            if target is IncidentState.ACTIVE and incident.activated_at is None:
                raise Conflict(
                    f"incident {incident.id} becomes active through approvals",
                    code="invalid_transition",
                )
            at = self.clock()
            kind = (
                IncidentEventKind.CONCLUDED
                if target is IncidentState.CONCLUDED
                else IncidentEventKind.STATE_CHANGED
            )
            changed = replace(incident, state=target)
            if target is IncidentState.CONCLUDED:
                changed = replace(changed, concluded_at=at)
            event = NewIncidentEvent(
                at=at,
                kind=kind,
                actor=actor.name,
                org=actor.org,
                detail={"from": str(incident.state), "to": str(target), "note": note},
            )
            return changed, [event]

        incident = self._update(incident_id, change)
        self._announce(incident, f"incident.{target}", actor, {"note": note})
        return incident

    def conclude(self, *, incident_id: int, actor: Actor, note: str = "") -> Incident:
        return self.change_state(
            incident_id=incident_id, state=IncidentState.CONCLUDED, actor=actor, note=note
        )

    def update(
        self,
        *,
        incident_id: int,
        actor: Actor,
        title: str | None = None,
        location: str | None = None,
        summary: str | None = None,
    ) -> Incident:
        """Change the title, location or situation summary (not after the conclusion)."""
        fields: dict[str, str] = {}
        if title is not None:
            fields["title"] = text_field(title, what="a title", most=MAX_TITLE, required=True)
        if location is not None:
            fields["location"] = text_field(location, what="a location", most=MAX_LOCATION)
        if summary is not None:
            fields["summary"] = text_field(summary, what="a summary", most=MAX_SUMMARY)
        if not fields:
            raise InvalidInput("nothing to change", code="missing_field")

        def change(incident: Incident) -> tuple[Incident, list[NewIncidentEvent]]:
            if incident.state in (IncidentState.CONCLUDED, IncidentState.DEBRIEFED):
                raise Conflict(
                    f"incident {incident.id} is {incident.state}", code="incident_closed"
                )
            event = NewIncidentEvent(
                at=self.clock(),
                kind=IncidentEventKind.UPDATED,
                actor=actor.name,
                org=actor.org,
                detail={"fields": sorted(fields)},
            )
            changed = replace(
                incident,
                title=fields.get("title", incident.title),
                location=fields.get("location", incident.location),
                summary=fields.get("summary", incident.summary),
            )
            return changed, [event]

        incident = self._update(incident_id, change)
        self._announce(incident, "incident.updated", actor, {"fields": sorted(fields)})
        return incident

    def mark_debriefed(self, *, incident_id: int, actor: Actor) -> Incident:
        """Record that the debrief of a concluded incident was written."""

        def change(incident: Incident) -> tuple[Incident, list[NewIncidentEvent]]:
            check_transition(incident.id, incident.state, IncidentState.DEBRIEFED)
            at = self.clock()
            event = NewIncidentEvent(
                at=at, kind=IncidentEventKind.DEBRIEFED, actor=actor.name, org=actor.org
            )
            return replace(incident, state=IncidentState.DEBRIEFED, debriefed_at=at), [event]

        incident = self._update(incident_id, change)
        self._announce(incident, "incident.debriefed", actor, {})
        return incident

    # -- hashes ---------------------------------------------------------------------------

    def submit(
        self,
        *,
        incident_id: int,
        actor: Actor,
        signals: Sequence[Signal] = (),
        contents: Sequence[bytes] = (),
        content_type: ContentType | None = None,
        labels: Sequence[str] = (),
        note: str = "",
    ) -> list[AddedEntries]:
        """Bank hashes (or content, hashed here) in the incident's bank, shared at once."""
        self.require_member(actor)
        incident = self.open_for_hashes(incident_id=incident_id)
        assert incident.bank is not None
        if not signals and not contents:
            raise InvalidInput("submit signals or content", code="missing_field")
        chosen = incident_labels(incident.id, labels)
        for signal in signals:  # refused before any content is banked
            kind = self.banks.registry.get(signal.signal_type)
            kind.validate_quality(signal.quality)
            kind.validate(signal.value)
        results: list[AddedEntries] = []
        if contents:
            results.extend(
                self.banks.add_contents(
                    bank=incident.bank,
                    contents=contents,
                    content_type=content_type,
                    labels=chosen,
                    note=note,
                    contributor=actor.org,
                    actor=actor.name,
                )
            )
        if signals:
            results.append(
                self.banks.add_signals(
                    bank=incident.bank,
                    signals=signals,
                    labels=chosen,
                    note=note,
                    contributor=actor.org,
                    actor=actor.name,
                )
            )
        added = [e.id for r in results for e in r.added]
        if added:
            self.record_hashes(incident.id, actor=actor, entry_ids=added)
        return results

    def record_hashes(
        self,
        incident_id: int,
        *,
        actor: Actor,
        entry_ids: Sequence[int],
        variant: int | None = None,
        automatic: bool = False,
    ) -> Incident:
        """Note in the timeline that entries reached the bank: submitted, or an accepted
        ``variant``'s. Sets the first hash time, and the last variant's."""
        kind = (
            IncidentEventKind.HASHES_SUBMITTED
            if variant is None
            else IncidentEventKind.VARIANT_ACCEPTED
        )
        detail: dict[str, Any] = {
            "count": len(entry_ids),
            "entries": entry_id_ranges(list(entry_ids)),
        }
        if variant is not None:
            detail.update(variant=variant, automatic=automatic)

        def change(incident: Incident) -> tuple[Incident, list[NewIncidentEvent]]:
            at = self.clock()
            event = NewIncidentEvent(
                at=at, kind=kind, actor=actor.name, org=actor.org, detail=detail
            )
            changed = replace(incident, first_hash_at=incident.first_hash_at or at)
            if variant is not None:
                changed = replace(changed, last_variant_at=at)
            return changed, [event]

        incident = self._update(incident_id, change)
        self._announce(incident, f"incident.{kind}", actor, detail)
        return incident

    # -- helpers --------------------------------------------------------------------------

    def require_member(self, actor: Actor) -> None:
        """Forbidden (``not_member``) unless the actor's organisation is a member here."""
        if not self.is_member(actor.org):
            raise Forbidden(
                f"{actor.org!r} is not a member organisation of this instance",
                code="not_member",
            )

    def _incident_bank(self, incident: Incident) -> str:
        """The incident's bank, made (shared with every member) if it does not exist."""
        name = incident_bank_name(incident.id)
        try:
            self.banks.store.get_bank(name)
        except NotFound:
            with contextlib.suppress(Conflict):  # made a moment ago by another writer
                self.banks.create(
                    name=name,
                    description=f"incident {incident.id}: {incident.title}"[:2000],
                    sharing=SharingPolicy.MEMBERS,
                    actor="incidents",
                )
        return name

    def _update(
        self,
        incident_id: int,
        change: Callable[[Incident], tuple[Incident, list[NewIncidentEvent]]],
    ) -> Incident:
        for _ in range(SAVE_ATTEMPTS):
            current = self.store.get_incident(incident_id)
            changed, events = change(current)
            try:
                return self.store.save_incident(changed, events=events)
            except Conflict as exc:
                if exc.code != "stale":
                    raise
        raise Conflict(
            f"incident {incident_id} is changing too fast to save; try again", code="stale"
        )

    def _announce(
        self, incident: Incident, action: str, actor: Actor, detail: Mapping[str, Any]
    ) -> None:
        self.generation += 1
        self.audit.record(
            actor=actor.name,
            action=action,
            subject=f"incident:{incident.id}",
            detail={"org": actor.org, "state": str(incident.state), **detail},
        )
        self.bell.ring()
        if self.notify is not None:
            try:
                self.notify(
                    {
                        "kind": action,
                        "incident": incident.id,
                        "title": incident.title,
                        "state": str(incident.state),
                        "activation": str(incident.activation),
                        "bank": incident.bank,
                        "org": actor.org,
                        "at": self.clock().isoformat(),
                    }
                )
            except Exception:  # a notifier never undoes a committed change
                log.exception("incident notification failed")
