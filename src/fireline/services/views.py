"""One JSON form for each domain record, shared by the HTTP API, `--json` and exports.

Plain dictionaries of JSON types (timestamps as ISO 8601 strings), so that a script
reading `fireline match --json` and one reading `POST /v1/match` see the same shapes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fireline.domain import (
    AddedEntries,
    ApiKey,
    AuditRecord,
    AuditVerification,
    Bank,
    Entry,
    Figures,
    Match,
    MatchResult,
    Organisation,
    Refusal,
    Segment,
    Signal,
)
from fireline.domain.audit import audit_time

View = dict[str, Any]


def time_view(value: datetime | None) -> str | None:
    """A timestamp as ISO 8601 text (None stays None)."""
    return value.isoformat() if value is not None else None


def signal_view(signal: Signal) -> View:
    return {"signal_type": signal.signal_type, "value": signal.value, "quality": signal.quality}


def refusal_view(refusal: Refusal) -> View:
    return {"signal": signal_view(refusal.signal), "reason": refusal.reason}


def bank_view(bank: Bank) -> View:
    return {
        "id": bank.id,
        "name": bank.name,
        "description": bank.description,
        "owner": bank.owner,
        "sharing": bank.sharing.value,
        "pdq_threshold": bank.pdq_threshold,
        "version": bank.version,
        "entry_count": bank.entry_count,
        "created_at": time_view(bank.created_at),
    }


def entry_view(entry: Entry) -> View:
    view: View = {
        "id": entry.id,
        "bank": entry.bank_name,
        "signal_type": entry.signal_type,
        "value": entry.value,
        "quality": entry.quality,
        "labels": list(entry.labels),
        "note": entry.note,
        "item": entry.item,
        "contributor": entry.contributor,
        "created_at": time_view(entry.created_at),
        "retracted_at": time_view(entry.retracted_at),
        "retraction_reason": entry.retraction_reason,
    }
    if entry.origin_uid is not None:  # received through the exchange: say from where
        view["origin_uid"] = entry.origin_uid
        p = entry.provenance
        view["provenance"] = (
            None
            if p is None
            else {
                "org": p.org,
                "instance": p.instance,
                "contributed_at": time_view(p.contributed_at),
                "relayed_by": list(p.relayed_by),
            }
        )
    return view


def match_view(match: Match) -> View:
    """A match, flat: the banked entry's fields with the query and how close it came."""
    entry = match.entry
    return {
        "bank": entry.bank_name,
        "entry_id": entry.id,
        "signal_type": entry.signal_type,
        "query": match.query.value,
        "value": entry.value,
        "distance": match.distance,
        "threshold": match.threshold,
        "transform": match.transform,
        "labels": list(entry.labels),
        "note": entry.note,
        "item": entry.item,
        "segments": [segment_view(s) for s in match.segments],
        "measures": dict(match.measures),
    }


def segment_view(segment: Segment, *, coverage: bool = True) -> View:
    """Where a match lies: seconds of video or audio, characters of text (``unit``).

    Without ``coverage`` the shares of each file covered are left out: for a live
    stream's sliding window they would describe the window, not the stream.
    """
    view: View = {
        "query_start": segment.query_start,
        "query_end": segment.query_end,
        "reference_start": segment.reference_start,
        "reference_end": segment.reference_end,
        "speed": segment.speed,
        "score": segment.score,
        "matched_frames": segment.matched_frames,
        "unit": segment.unit,
    }
    if coverage:
        view["query_coverage"] = segment.query_coverage
        view["reference_coverage"] = segment.reference_coverage
    return view


def match_result_view(result: MatchResult) -> View:
    return {
        "matched": result.matched,
        "matches": [match_view(m) for m in result.matches],
        "signals": [signal_view(s) for s in result.signals],
        "refused": [refusal_view(r) for r in result.refused],
    }


def added_view(result: AddedEntries) -> View:
    return {
        "added": [entry_view(e) for e in result.added],
        "existing": [entry_view(e) for e in result.existing],
        "refused": [refusal_view(r) for r in result.refused],
    }


def key_view(key: ApiKey) -> View:
    """An API key without its secret (which is never stored)."""
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role.value,
        "org": key.org,
        "prefix": key.prefix,
        "created_at": time_view(key.created_at),
        "revoked_at": time_view(key.revoked_at),
    }


def org_view(org: Organisation) -> View:
    return {
        "id": org.id,
        "name": org.name,
        "description": org.description,
        "created_at": time_view(org.created_at),
    }


def audit_record_view(record: AuditRecord) -> View:
    """A record as hashed: ``at`` in the exact form the hash covers (see domain.audit)."""
    return {
        "seq": record.seq,
        "at": audit_time(record.at),
        "actor": record.actor,
        "action": record.action,
        "subject": record.subject,
        "detail": dict(record.detail),
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


def verification_view(result: AuditVerification) -> View:
    return {
        "ok": result.ok,
        "records": result.records,
        "last_seq": result.last_seq,
        "last_hash": result.last_hash,
        "bad_seq": result.bad_seq,
        "problem": None if result.problem is None else result.problem.value,
        "message": result.message,
    }


def figures_view(figures: Figures) -> View:
    """Aggregate counts only: nothing in it names a hash, an entry or a bank."""
    entries = figures.entries
    return {
        "organisations": figures.organisations,
        "banks": entries.banks,
        "banks_by_sharing": dict(entries.banks_by_sharing),
        "active_entries": entries.active_entries,
        "retracted_entries": entries.retracted_entries,
        "active_by_signal_type": dict(entries.active_by_signal_type),
        "active_by_category": dict(entries.active_by_category),
        "uncategorised_entries": entries.uncategorised,
    }
