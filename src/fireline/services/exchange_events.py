"""Turning entries and opinions into wire events, and received events into store events."""

from __future__ import annotations

from datetime import datetime

from fireline.domain import (
    ChangeKind,
    Entry,
    InvalidInput,
    NewEntry,
    OutgoingOpinion,
    Provenance,
    ReceivedOpinion,
    ReceivedRetraction,
    parse_labels,
)
from fireline.exchange import (
    EntryAdded,
    EntryRetracted,
    Event,
    OpinionRecorded,
    ProvenanceWire,
)
from fireline.signals import SignalRegistry
from fireline.store import ReceivedEvent


def wire_time(value: datetime) -> str:
    return value.isoformat(timespec="microseconds").replace("+00:00", "Z")


def uid_of(entry: Entry, fingerprint: str) -> str:
    """The entry's name across the network: its origin's uid, or ours."""
    return entry.origin_uid or f"{fingerprint}:{entry.id}"


def change_event(
    kind: ChangeKind, entry: Entry, *, fingerprint: str, org: str, relaying: bool
) -> Event:
    """The wire event for one logged change of ``entry``.

    ``relaying``: this instance passes a received entry on (a hub's feed), so it adds
    itself to the entry's ``relayed_by``.
    """
    uid = uid_of(entry, fingerprint)
    if kind is ChangeKind.RETRACTED:
        retracted = entry.retracted_at or entry.created_at
        return EntryRetracted(uid=uid, reason=entry.retraction_reason, at=wire_time(retracted))
    p = entry.provenance
    if p is None:
        provenance = ProvenanceWire(
            org=org, instance=fingerprint, contributed_at=wire_time(entry.created_at)
        )
    else:
        relayed = p.relayed_by + ((fingerprint,) if relaying else ())
        provenance = ProvenanceWire(
            org=p.org,
            instance=p.instance,
            contributed_at=wire_time(p.contributed_at),
            relayed_by=relayed[-16:],
        )
    return EntryAdded(
        uid=uid,
        signal_type=entry.signal_type,
        value=entry.value,
        quality=entry.quality,
        labels=entry.labels,
        provenance=provenance,
    )


def opinion_event(item: OutgoingOpinion, *, fingerprint: str, org: str) -> OpinionRecorded:
    o = item.opinion
    return OpinionRecorded(
        uid=item.uid or f"{fingerprint}:{o.entry_id}",
        org=o.org if o.instance else org,
        instance=o.instance or fingerprint,
        kind=o.kind,
        note=o.note,
        at=wire_time(o.at),
    )


def event_size(event: Event) -> int:
    """About how many bytes the event takes in a batch."""
    return 400 + (len(event.value) if isinstance(event, EntryAdded) else 0)


def received_entry(
    number: int, event: EntryAdded, *, registry: SignalRegistry, provenance: Provenance
) -> NewEntry:
    """A received entry as the store takes it; InvalidInput names the event's problem."""
    try:
        kind = registry.get(event.signal_type)
        value = kind.validate(event.value)
        quality = kind.validate_quality(event.quality)
        labels = parse_labels(event.labels)
    except InvalidInput as exc:
        raise InvalidInput(f"event {number}: {exc.message}", code="invalid_batch") from None
    return NewEntry(
        signal_type=kind.name,
        value=value,
        quality=quality,
        labels=labels,
        origin_uid=event.uid,
        provenance=provenance,
        contributor=provenance.org,
    )


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def received_events(
    events: tuple[Event, ...],
    *,
    registry: SignalRegistry,
    own: str,
    contributor: tuple[str, str] | None,
) -> tuple[list[ReceivedEvent], int]:
    """Store events for a received batch, and how many were skipped as our own echoes.

    ``own`` is this instance's fingerprint. ``contributor`` (org, fingerprint) is set for
    a member's contribution: it may only add and retract its own entries, and its
    opinions are recorded as its own whatever the event says.
    """
    out: list[ReceivedEvent] = []
    skipped = 0
    for number, event in enumerate(events, start=1):
        prefix = event.uid.partition(":")[0]
        theirs = contributor is None or prefix == contributor[1]
        if not theirs and not isinstance(event, OpinionRecorded):
            raise InvalidInput(
                f"event {number}: a member contributes only entries it banked itself "
                f"(uid {event.uid} is not theirs)",
                code="not_contributors_entry",
            )
        if isinstance(event, EntryAdded):
            if prefix == own:
                skipped += 1  # our own entry, relayed back to us
                continue
            p = event.provenance
            if contributor is not None:
                provenance = Provenance(
                    org=contributor[0],
                    instance=contributor[1],
                    contributed_at=parse_time(p.contributed_at),
                )
            else:
                provenance = Provenance(
                    org=p.org,
                    instance=p.instance,
                    contributed_at=parse_time(p.contributed_at),
                    relayed_by=p.relayed_by,
                )
            out.append(received_entry(number, event, registry=registry, provenance=provenance))
        elif isinstance(event, EntryRetracted):
            if prefix == own:
                skipped += 1  # only we retract our own entries
                continue
            out.append(ReceivedRetraction(uid=event.uid, reason=event.reason))
        else:
            org, instance = contributor or (event.org, event.instance)
            if instance == own:
                skipped += 1  # our own opinion, relayed back to us
                continue
            out.append(
                ReceivedOpinion(
                    uid=event.uid,
                    org=org,
                    instance=instance,
                    kind=event.kind,
                    note=event.note,
                    at=parse_time(event.at),
                )
            )
    return out, skipped
