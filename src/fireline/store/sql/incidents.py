"""SqlIncidentStore: incidents, their timelines, proposed variants and tallies, in SQL.

Every writer that touches an incident locks its row first (``SELECT ... FOR UPDATE`` on
PostgreSQL, where an ``UPDATE`` of the row does the same; SQLite's BEGIN IMMEDIATE admits
one writer at a time). Holding it, a writer numbers the timeline events it appends
max(seq) + 1, 2, ... without gaps, checks a variant's signals against the incident's
others, and adds to a tally it has just read. The primary keys stand behind all three:
a writer that got the locking wrong fails instead of storing a wrong row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from fireline.domain import Conflict, Signal
from fireline.domain.incidents import (
    ActivationType,
    Approval,
    Evidence,
    Incident,
    IncidentEvent,
    IncidentEventKind,
    IncidentState,
    NewIncident,
    NewIncidentEvent,
    NewVariant,
    Tally,
    Variant,
    VariantState,
)
from fireline.store.memory_incidents import (
    duplicate_variant,
    incident_not_found,
    stale,
    variant_not_found,
)
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.incident_tables import (
    IncidentEventRow,
    IncidentRow,
    IncidentTallyRow,
    IncidentVariantRow,
    IncidentVariantSignalRow,
)
from fireline.store.sql.tables import value_digest

#: The largest incident or variant id the columns hold (BIGINT); larger ones cannot be
#: bound, so they are simply not found.
MAX_ID = 2**63 - 1
#: The largest event seq the column holds (INTEGER).
_MAX_SEQ = 2**31 - 1

_AnyRow = Row[*tuple[Any, ...]]


def _storable(record_id: int) -> bool:
    return 1 <= record_id <= MAX_ID


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _utc_text(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return at.astimezone(UTC).isoformat()


# -- incidents ---------------------------------------------------------------------------


def _select_incidents() -> Select[*tuple[Any, ...]]:
    return select(IncidentRow.__table__)


def _incident(row: _AnyRow) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        activation=ActivationType(row.activation),
        state=IncidentState(row.state),
        location=row.location,
        summary=row.summary,
        quorum=row.quorum,
        declared_by=row.declared_by,
        declared_org=row.declared_org,
        declared_at=row.declared_at,
        approvals=tuple(
            Approval(org=a["org"], actor=a["actor"], at=datetime.fromisoformat(a["at"]))
            for a in json.loads(row.approvals)
        ),
        bank=row.bank,
        activated_at=row.activated_at,
        first_hash_at=row.first_hash_at,
        last_variant_at=row.last_variant_at,
        concluded_at=row.concluded_at,
        debriefed_at=row.debriefed_at,
        version=row.version,
    )


def _incident_values(incident: Incident) -> dict[str, Any]:
    """Every column an incident's save writes (all but the id and version)."""
    return {
        "title": incident.title,
        "activation": incident.activation.value,
        "state": incident.state.value,
        "location": incident.location,
        "summary": incident.summary,
        "quorum": incident.quorum,
        "declared_by": incident.declared_by,
        "declared_org": incident.declared_org,
        "declared_at": incident.declared_at,
        "approvals": _json(
            [{"org": a.org, "actor": a.actor, "at": _utc_text(a.at)} for a in incident.approvals]
        ),
        "bank": incident.bank,
        "activated_at": incident.activated_at,
        "first_hash_at": incident.first_hash_at,
        "last_variant_at": incident.last_variant_at,
        "concluded_at": incident.concluded_at,
        "debriefed_at": incident.debriefed_at,
    }


def _read_incident(conn: Connection, incident_id: int) -> Incident:
    row = conn.execute(_select_incidents().where(IncidentRow.id == incident_id)).one_or_none()
    if row is None:
        raise incident_not_found(incident_id)
    return _incident(row)


def _lock_incident(conn: Connection, incident_id: int) -> None:
    """Lock the incident's row until commit (PostgreSQL); NotFound if there is none."""
    found = conn.execute(
        select(IncidentRow.id).where(IncidentRow.id == incident_id).with_for_update()
    ).one_or_none()
    if found is None:
        raise incident_not_found(incident_id)


def _require_incident(conn: Connection, incident_id: int) -> None:
    found = conn.execute(select(IncidentRow.id).where(IncidentRow.id == incident_id)).one_or_none()
    if found is None:
        raise incident_not_found(incident_id)


# -- events ------------------------------------------------------------------------------


def _event(row: _AnyRow) -> IncidentEvent:
    return IncidentEvent(
        incident_id=row.incident_id,
        seq=row.seq,
        at=row.at,
        kind=IncidentEventKind(row.kind),
        actor=row.actor,
        org=row.org,
        detail=json.loads(row.detail),
    )


def _append(conn: Connection, incident_id: int, events: Sequence[NewIncidentEvent]) -> None:
    """Append to the timeline; the caller holds the incident's row (see the module doc)."""
    if not events:
        return
    newest = conn.execute(
        select(func.coalesce(func.max(IncidentEventRow.seq), 0)).where(
            IncidentEventRow.incident_id == incident_id
        )
    ).scalar_one()
    conn.execute(
        insert(IncidentEventRow),
        [
            {
                "incident_id": incident_id,
                "seq": newest + number,
                "at": e.at,
                "kind": e.kind.value,
                "actor": e.actor,
                "org": e.org,
                "detail": _json(dict(e.detail)),
            }
            for number, e in enumerate(events, start=1)
        ],
    )


# -- variants ----------------------------------------------------------------------------


def _select_variants() -> Select[*tuple[Any, ...]]:
    return select(IncidentVariantRow.__table__)


def _signals_json(signals: Sequence[Signal]) -> str:
    return _json(
        [{"signal_type": s.signal_type, "value": s.value, "quality": s.quality} for s in signals]
    )


def _signals(text: str) -> tuple[Signal, ...]:
    return tuple(
        Signal(signal_type=s["signal_type"], value=s["value"], quality=s["quality"])
        for s in json.loads(text)
    )


def _variant(row: _AnyRow) -> Variant:
    return Variant(
        id=row.id,
        incident_id=row.incident_id,
        signals=_signals(row.signals),
        state=VariantState(row.state),
        proposed_at=row.proposed_at,
        proposed_by=row.proposed_by,
        orgs=tuple(json.loads(row.orgs)),
        evidence=tuple(Evidence(**e) for e in json.loads(row.evidence)),
        proposals=row.proposals,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        automatic=bool(row.automatic),
        reason=row.reason,
        version=row.version,
    )


def _variant_values(variant: Variant) -> dict[str, Any]:
    """The columns a variant's save writes: not its id, incident, signals or version."""
    return {
        "state": variant.state.value,
        "proposed_at": variant.proposed_at,
        "proposed_by": variant.proposed_by,
        "orgs": _json(list(variant.orgs)),
        "evidence": _json([asdict(e) for e in variant.evidence]),
        "proposals": variant.proposals,
        "decided_at": variant.decided_at,
        "decided_by": variant.decided_by,
        "automatic": variant.automatic,
        "reason": variant.reason,
    }


def _signal_keys(signals: Sequence[Signal]) -> list[tuple[str, str]]:
    """(signal type, value digest) of each distinct signal, in order."""
    return list(dict.fromkeys((s.signal_type, value_digest(s.value)) for s in signals))


class SqlIncidentStore:
    """The IncidentStore protocol on SQLite or PostgreSQL; behaves like MemoryIncidentStore."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- incidents ------------------------------------------------------------------------

    def create_incident(self, incident: NewIncident, event: NewIncidentEvent) -> Incident:
        with writing(self._engine) as conn:
            # Nobody else knows the new id before commit: no lock needed for its first event.
            incident_id = conn.execute(
                insert(IncidentRow)
                .values(
                    title=incident.title,
                    activation=incident.activation.value,
                    state=IncidentState.PROPOSED.value,
                    location=incident.location,
                    summary=incident.summary,
                    quorum=incident.quorum,
                    declared_by=incident.declared_by,
                    declared_org=incident.declared_org,
                    declared_at=incident.declared_at,
                    approvals="[]",
                    version=1,
                )
                .returning(IncidentRow.id)
            ).scalar_one()
            _append(conn, incident_id, [event])
            return _read_incident(conn, incident_id)

    def get_incident(self, incident_id: int) -> Incident:
        if not _storable(incident_id):
            raise incident_not_found(incident_id)
        with reading(self._engine) as conn:
            return _read_incident(conn, incident_id)

    def list_incidents(
        self, *, states: Sequence[IncidentState] | None = None, limit: int = 100
    ) -> list[Incident]:
        query = _select_incidents().order_by(IncidentRow.id.desc()).limit(max(limit, 0))
        if states is not None:
            query = query.where(IncidentRow.state.in_([s.value for s in states]))
        with reading(self._engine) as conn:
            return [_incident(row) for row in conn.execute(query)]

    def incident_by_bank(self, bank: str) -> Incident | None:
        with reading(self._engine) as conn:
            row = conn.execute(
                _select_incidents()
                .where(IncidentRow.bank == bank)
                .order_by(IncidentRow.id)
                .limit(1)
            ).one_or_none()
            return None if row is None else _incident(row)

    def save_incident(self, incident: Incident, *, events: Sequence[NewIncidentEvent]) -> Incident:
        if not _storable(incident.id):
            raise incident_not_found(incident.id)
        values = _incident_values(incident)
        with writing(self._engine) as conn:
            # The update locks the row (PostgreSQL) until commit, for _append.
            saved = conn.execute(
                update(IncidentRow)
                .where(IncidentRow.id == incident.id, IncidentRow.version == incident.version)
                .values(**values, version=incident.version + 1)
            )
            if saved.rowcount == 0:
                _require_incident(conn, incident.id)
                raise stale(f"incident {incident.id}")
            _append(conn, incident.id, events)
            return _read_incident(conn, incident.id)

    def events(self, incident_id: int, *, after: int = 0, limit: int = 1000) -> list[IncidentEvent]:
        if not _storable(incident_id):
            raise incident_not_found(incident_id)
        # A cursor outside the column's range must not reach the driver, which cannot bind it.
        after = min(max(after, 0), _MAX_SEQ)
        with reading(self._engine) as conn:
            _require_incident(conn, incident_id)
            rows = conn.execute(
                select(IncidentEventRow.__table__)
                .where(IncidentEventRow.incident_id == incident_id, IncidentEventRow.seq > after)
                .order_by(IncidentEventRow.seq)
                .limit(max(limit, 0))
            )
            return [_event(row) for row in rows]

    # -- variants -------------------------------------------------------------------------

    def add_variant(self, variant: NewVariant, *, event: NewIncidentEvent) -> Variant:
        if not _storable(variant.incident_id):
            raise incident_not_found(variant.incident_id)
        with writing(self._engine) as conn:
            _lock_incident(conn, variant.incident_id)
            variant_id = conn.execute(
                insert(IncidentVariantRow)
                .values(
                    incident_id=variant.incident_id,
                    signals=_signals_json(variant.signals),
                    state=VariantState.PROPOSED.value,
                    proposed_at=variant.proposed_at,
                    proposed_by=variant.proposed_by,
                    orgs=_json([variant.org]),
                    evidence=_json([asdict(e) for e in variant.evidence]),
                    proposals=1,
                    decided_at=None,
                    decided_by=None,
                    automatic=False,
                    reason="",
                    version=1,
                )
                .returning(IncidentVariantRow.id)
            ).scalar_one()
            keys = _signal_keys(variant.signals)
            if keys:
                try:
                    conn.execute(
                        insert(IncidentVariantSignalRow),
                        [
                            {
                                "incident_id": variant.incident_id,
                                "signal_type": signal_type,
                                "value_digest": digest,
                                "variant_id": variant_id,
                            }
                            for signal_type, digest in keys
                        ],
                    )
                except IntegrityError:
                    # Leaving the block rolls the variant back with it.
                    raise duplicate_variant(variant.incident_id) from None
            detail = {**event.detail, "variant": variant_id}
            _append(conn, variant.incident_id, [replace(event, detail=detail)])
            row = conn.execute(_select_variants().where(IncidentVariantRow.id == variant_id)).one()
            return _variant(row)

    def get_variant(self, variant_id: int) -> Variant:
        if not _storable(variant_id):
            raise variant_not_found(variant_id)
        with reading(self._engine) as conn:
            row = conn.execute(
                _select_variants().where(IncidentVariantRow.id == variant_id)
            ).one_or_none()
            if row is None:
                raise variant_not_found(variant_id)
            return _variant(row)

    def find_variants(self, incident_id: int, signals: Sequence[Signal]) -> list[Variant]:
        keys = _signal_keys(signals)
        if not _storable(incident_id) or not keys:
            return []
        holders = select(IncidentVariantSignalRow.variant_id).where(
            IncidentVariantSignalRow.incident_id == incident_id,
            tuple_(IncidentVariantSignalRow.signal_type, IncidentVariantSignalRow.value_digest).in_(
                keys
            ),
        )
        with reading(self._engine) as conn:
            rows = conn.execute(
                _select_variants()
                .where(IncidentVariantRow.id.in_(holders))
                .order_by(IncidentVariantRow.id)
            )
            return [_variant(row) for row in rows]

    def list_variants(
        self, incident_id: int, *, state: VariantState | None = None, limit: int = 10_000
    ) -> list[Variant]:
        if not _storable(incident_id):
            raise incident_not_found(incident_id)
        query = (
            _select_variants()
            .where(IncidentVariantRow.incident_id == incident_id)
            .order_by(IncidentVariantRow.id)
            .limit(max(limit, 0))
        )
        if state is not None:
            query = query.where(IncidentVariantRow.state == state.value)
        with reading(self._engine) as conn:
            _require_incident(conn, incident_id)
            return [_variant(row) for row in conn.execute(query)]

    def save_variant(self, variant: Variant, *, events: Sequence[NewIncidentEvent]) -> Variant:
        if not _storable(variant.id):
            raise variant_not_found(variant.id)
        values = _variant_values(variant)
        with writing(self._engine) as conn:
            incident_id = conn.execute(
                select(IncidentVariantRow.incident_id).where(IncidentVariantRow.id == variant.id)
            ).scalar_one_or_none()
            if incident_id is None:
                raise variant_not_found(variant.id)
            # The incident first, as every writer does: its events are numbered under it,
            # and writers of one variant queue there before reading its version.
            _lock_incident(conn, incident_id)
            current = conn.execute(
                select(IncidentVariantRow.version, IncidentVariantRow.signals).where(
                    IncidentVariantRow.id == variant.id
                )
            ).one()
            if current.version != variant.version:
                raise stale(f"variant {variant.id}")
            if _signals(current.signals) != variant.signals or incident_id != variant.incident_id:
                raise Conflict("a variant's signals do not change", code="variant_signals_fixed")
            saved = conn.execute(
                update(IncidentVariantRow)
                .where(
                    IncidentVariantRow.id == variant.id,
                    IncidentVariantRow.version == variant.version,
                )
                .values(**values, version=variant.version + 1)
            )
            if saved.rowcount == 0:  # only a writer that skipped the incident lock gets here
                raise stale(f"variant {variant.id}")
            _append(conn, incident_id, events)
            row = conn.execute(_select_variants().where(IncidentVariantRow.id == variant.id)).one()
            return _variant(row)

    # -- tallies --------------------------------------------------------------------------

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
        if not _storable(incident_id):
            raise incident_not_found(incident_id)
        key = (
            IncidentTallyRow.incident_id == incident_id,
            IncidentTallyRow.org == org,
            IncidentTallyRow.minute == minute,
        )
        with writing(self._engine) as conn:
            # Every tally writer of the incident queues on its row, so the read below is
            # still current when the update lands (processes adding at once lose nothing).
            _lock_incident(conn, incident_id)
            old = conn.execute(
                select(IncidentTallyRow.matched, IncidentTallyRow.blocked).where(*key)
            ).one_or_none()
            if old is None:
                conn.execute(
                    insert(IncidentTallyRow).values(
                        incident_id=incident_id,
                        org=org,
                        minute=minute,
                        matched=matched,
                        blocked=blocked,
                    )
                )
            elif replace:
                conn.execute(
                    update(IncidentTallyRow).where(*key).values(matched=matched, blocked=blocked)
                )
            else:
                conn.execute(
                    update(IncidentTallyRow)
                    .where(*key)
                    .values(matched=old.matched + matched, blocked=old.blocked + blocked)
                )

    def tallies(self, incident_id: int) -> list[Tally]:
        if not _storable(incident_id):
            return []
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(
                    IncidentTallyRow.org,
                    IncidentTallyRow.minute,
                    IncidentTallyRow.matched,
                    IncidentTallyRow.blocked,
                )
                .where(IncidentTallyRow.incident_id == incident_id)
                .order_by(IncidentTallyRow.minute, IncidentTallyRow.org)
            )
            found = [
                Tally(org=r.org, minute=r.minute, matched=r.matched, blocked=r.blocked)
                for r in rows
            ]
        # Sorted here too: PostgreSQL orders text by the database's collation, not by code point.
        return sorted(found, key=lambda t: (t.minute, t.org))
