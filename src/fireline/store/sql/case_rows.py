"""Review case rows, read and written inside a caller's transaction.

The review repository and the order repository share them: complying with a removal
order saves the order's case and its decision in the order's own transaction. A case is
written by an ``UPDATE ... WHERE version = <read version>``; the loser of a race updates
no row and raises Conflict (``stale``), rolling back the caller's whole transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select, update

from fireline.domain.review import Case, CaseSource, CaseState, ContentStatus, NewDecision, Outcome
from fireline.store.memory_incidents import stale
from fireline.store.memory_review import case_not_found
from fireline.store.sql.review_tables import ReviewCaseRow, ReviewDecisionRow

#: The largest id the columns hold (BIGINT); larger ones cannot be bound, so they are
#: simply not found.
MAX_ID = 2**63 - 1

_AnyRow = Row[*tuple[Any, ...]]


def storable(record_id: int) -> bool:
    """Whether an id fits the id columns (others are never found)."""
    return 1 <= record_id <= MAX_ID


def json_text(value: Any) -> str:
    """A list column's JSON text, compact."""
    return json.dumps(value, separators=(",", ":"))


def select_cases() -> Select[*tuple[Any, ...]]:
    return select(ReviewCaseRow.__table__)


def case_from_row(row: _AnyRow) -> Case:
    return Case(
        id=row.id,
        source=CaseSource(row.source),
        state=CaseState(row.state),
        severity=row.severity,
        content_ref=row.content_ref,
        created_at=row.created_at,
        content_status=ContentStatus(row.content_status),
        incident_id=row.incident_id,
        uploader=row.uploader,
        account_class=row.account_class,
        labels=tuple(json.loads(row.labels)),
        signal_types=tuple(json.loads(row.signal_types)),
        entry_ids=tuple(json.loads(row.entry_ids)),
        evidence=json.loads(row.evidence),
        actions=tuple(json.loads(row.actions)),
        note=row.note,
        decided_at=row.decided_at,
        reviewer=row.reviewer,
        outcome=None if row.outcome is None else Outcome(row.outcome),
        reason=row.reason,
        media_sha256=row.media_sha256,
        version=row.version,
    )


def _saved_values(case: Case) -> dict[str, Any]:
    """The columns a case's save writes (see memory_review.SAVED_FIELDS)."""
    return {
        "state": case.state.value,
        "severity": case.severity,
        "content_status": case.content_status.value,
        "decided_at": case.decided_at,
        "reviewer": case.reviewer,
        "outcome": None if case.outcome is None else case.outcome.value,
        "reason": case.reason,
        "actions": json_text(list(case.actions)),
        "media_sha256": case.media_sha256,
    }


def read_case(conn: Connection, case_id: int) -> Case:
    """The case; NotFound (``case_not_found``) otherwise."""
    row = conn.execute(select_cases().where(ReviewCaseRow.id == case_id)).one_or_none()
    if row is None:
        raise case_not_found(case_id)
    return case_from_row(row)


def require_case(conn: Connection, case_id: int) -> None:
    """NotFound (``case_not_found``) unless the case exists."""
    found = conn.execute(select(ReviewCaseRow.id).where(ReviewCaseRow.id == case_id)).one_or_none()
    if found is None:
        raise case_not_found(case_id)


def write_case(conn: Connection, case: Case) -> None:
    """Write the case over its version; NotFound or Conflict (``stale``) otherwise."""
    if not storable(case.id):
        raise case_not_found(case.id)
    done = conn.execute(
        update(ReviewCaseRow)
        .where(ReviewCaseRow.id == case.id, ReviewCaseRow.version == case.version)
        .values(**_saved_values(case), version=case.version + 1)
    )
    if done.rowcount == 0:
        require_case(conn, case.id)
        raise stale(f"case {case.id}")


def insert_decision(conn: Connection, case_id: int, decision: NewDecision) -> None:
    """Add a decision to the case's history."""
    conn.execute(
        insert(ReviewDecisionRow).values(
            case_id=case_id,
            reviewer=decision.reviewer,
            outcome=decision.outcome.value,
            reason=decision.reason,
            at=decision.at,
            on_appeal=decision.on_appeal,
        )
    )
