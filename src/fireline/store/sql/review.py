"""SqlReviewStore: cases, decisions, appeals and exposures, in SQL.

A case or an appeal is saved by an ``UPDATE ... WHERE version = <read version>``: the
writer that loses the race updates no row and raises Conflict (``stale``), and its
whole transaction (the decision or appeal stored with it included) rolls back. On
PostgreSQL the update also locks the case's row until commit, so the check for a pending
appeal that follows it cannot race another writer of the same case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    insert,
    select,
    update,
)
from sqlalchemy import case as when
from sqlalchemy.dialects import postgresql, sqlite

from fireline.domain.review import (
    QUEUED_STATES,
    Appeal,
    AppealState,
    Case,
    CaseSource,
    CaseState,
    Decision,
    Exposure,
    NewAppeal,
    NewCase,
    NewDecision,
    Outcome,
)
from fireline.store.memory_incidents import stale
from fireline.store.memory_review import (
    appeal_not_found,
    appeal_pending,
    case_not_found,
    evidence_json,
    not_its_case,
)
from fireline.store.sql.case_rows import (
    MAX_ID,
    case_from_row,
    insert_decision,
    json_text,
    read_case,
    require_case,
    select_cases,
    storable,
    write_case,
)
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.review_tables import (
    ReviewAppealRow,
    ReviewCaseRow,
    ReviewDecisionRow,
    ReviewExposureRow,
)

_AnyRow = Row[*tuple[Any, ...]]


def _decision(row: _AnyRow) -> Decision:
    return Decision(
        id=row.id,
        case_id=row.case_id,
        reviewer=row.reviewer,
        outcome=Outcome(row.outcome),
        reason=row.reason,
        at=row.at,
        on_appeal=bool(row.on_appeal),
    )


# -- appeals -----------------------------------------------------------------------------


def _select_appeals() -> Select[*tuple[Any, ...]]:
    return select(ReviewAppealRow.__table__)


def _appeal(row: _AnyRow) -> Appeal:
    return Appeal(
        id=row.id,
        case_id=row.case_id,
        appellant=row.appellant,
        reason=row.reason,
        filed_at=row.filed_at,
        state=AppealState(row.state),
        reviewer=row.reviewer,
        decision_reason=row.decision_reason,
        decided_at=row.decided_at,
        wrong_match=bool(row.wrong_match),
        version=row.version,
    )


def _read_appeal(conn: Connection, appeal_id: int) -> Appeal:
    row = conn.execute(_select_appeals().where(ReviewAppealRow.id == appeal_id)).one_or_none()
    if row is None:
        raise appeal_not_found(appeal_id)
    return _appeal(row)


class SqlReviewStore:
    """The ReviewStore protocol on SQLite or PostgreSQL; behaves like MemoryReviewStore."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- cases ----------------------------------------------------------------------------

    def create_case(self, case: NewCase) -> Case:
        evidence = evidence_json(case.evidence)
        with writing(self._engine) as conn:
            case_id = conn.execute(
                insert(ReviewCaseRow)
                .values(
                    source=case.source.value,
                    state=CaseState.OPEN.value,
                    severity=case.severity,
                    incident_id=case.incident_id,
                    content_ref=case.content_ref,
                    uploader=case.uploader,
                    account_class=case.account_class,
                    labels=json_text(list(case.labels)),
                    signal_types=json_text(list(case.signal_types)),
                    entry_ids=json_text(list(case.entry_ids)),
                    evidence=evidence,
                    actions=json_text(list(case.actions)),
                    content_status=case.content_status.value,
                    note=case.note,
                    created_at=case.created_at,
                    reason="",
                    media_sha256=case.media_sha256,
                    version=1,
                )
                .returning(ReviewCaseRow.id)
            ).scalar_one()
            return read_case(conn, case_id)

    def get_case(self, case_id: int) -> Case:
        if not storable(case_id):
            raise case_not_found(case_id)
        with reading(self._engine) as conn:
            return read_case(conn, case_id)

    def save_case(self, case: Case, *, decision: NewDecision | None = None) -> Case:
        with writing(self._engine) as conn:
            write_case(conn, case)
            if decision is not None:
                insert_decision(conn, case.id, decision)
            return read_case(conn, case.id)

    def list_cases(
        self,
        *,
        states: Sequence[CaseState] | None = None,
        source: CaseSource | None = None,
        incident_id: int | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Case]:
        if states is not None and not states:
            return []
        query = (
            select_cases()
            .where(ReviewCaseRow.id > max(min(after, MAX_ID), 0))
            .order_by(ReviewCaseRow.id)
            .limit(max(limit, 0))
        )
        if states is not None:
            query = query.where(ReviewCaseRow.state.in_([CaseState(s).value for s in states]))
        if source is not None:
            query = query.where(ReviewCaseRow.source == CaseSource(source).value)
        if incident_id is not None:
            if not storable(incident_id):
                return []
            query = query.where(ReviewCaseRow.incident_id == incident_id)
        with reading(self._engine) as conn:
            return [case_from_row(row) for row in conn.execute(query)]

    def queue(self, *, limit: int = 50) -> list[Case]:
        query = (
            select_cases()
            .where(ReviewCaseRow.state.in_(sorted(s.value for s in QUEUED_STATES)))
            .order_by(
                ReviewCaseRow.severity.desc(),
                when((ReviewCaseRow.incident_id.is_(None), 1), else_=0),
                ReviewCaseRow.created_at,
                ReviewCaseRow.id,
            )
            .limit(max(limit, 0))
        )
        with reading(self._engine) as conn:
            return [case_from_row(row) for row in conn.execute(query)]

    def decisions(self, case_id: int) -> list[Decision]:
        if not storable(case_id):
            raise case_not_found(case_id)
        with reading(self._engine) as conn:
            require_case(conn, case_id)
            rows = conn.execute(
                select(ReviewDecisionRow.__table__)
                .where(ReviewDecisionRow.case_id == case_id)
                .order_by(ReviewDecisionRow.id)
            )
            return [_decision(row) for row in rows]

    # -- appeals --------------------------------------------------------------------------

    def create_appeal(self, appeal: NewAppeal, *, case: Case) -> Appeal:
        if case.id != appeal.case_id:
            raise not_its_case(appeal.case_id, case.id)
        with writing(self._engine) as conn:
            # The case first: its update locks the row (PostgreSQL), so no other appeal
            # of it can be filed between the check below and the insert.
            write_case(conn, case)
            pending = conn.execute(
                select(ReviewAppealRow.id).where(
                    ReviewAppealRow.case_id == case.id,
                    ReviewAppealRow.state == AppealState.PENDING.value,
                )
            ).first()
            if pending is not None:
                raise appeal_pending(case.id)
            appeal_id = conn.execute(
                insert(ReviewAppealRow)
                .values(
                    case_id=appeal.case_id,
                    appellant=appeal.appellant,
                    reason=appeal.reason,
                    filed_at=appeal.filed_at,
                    state=AppealState.PENDING.value,
                    decision_reason="",
                    wrong_match=False,
                    version=1,
                )
                .returning(ReviewAppealRow.id)
            ).scalar_one()
            return _read_appeal(conn, appeal_id)

    def get_appeal(self, appeal_id: int) -> Appeal:
        if not storable(appeal_id):
            raise appeal_not_found(appeal_id)
        with reading(self._engine) as conn:
            return _read_appeal(conn, appeal_id)

    def save_appeal(
        self,
        appeal: Appeal,
        *,
        case: Case | None = None,
        decision: NewDecision | None = None,
    ) -> Appeal:
        if not storable(appeal.id):
            raise appeal_not_found(appeal.id)
        with writing(self._engine) as conn:
            case_id = conn.execute(
                select(ReviewAppealRow.case_id).where(ReviewAppealRow.id == appeal.id)
            ).scalar_one_or_none()
            if case_id is None:
                raise appeal_not_found(appeal.id)
            if case is not None and case.id != case_id:
                raise not_its_case(case_id, case.id)
            done = conn.execute(
                update(ReviewAppealRow)
                .where(ReviewAppealRow.id == appeal.id, ReviewAppealRow.version == appeal.version)
                .values(
                    state=appeal.state.value,
                    reviewer=appeal.reviewer,
                    decision_reason=appeal.decision_reason,
                    decided_at=appeal.decided_at,
                    wrong_match=appeal.wrong_match,
                    version=appeal.version + 1,
                )
            )
            if done.rowcount == 0:
                raise stale(f"appeal {appeal.id}")
            if case is not None:
                write_case(conn, case)
            if decision is not None:
                insert_decision(conn, case_id, decision)
            return _read_appeal(conn, appeal.id)

    def appeals(self, case_id: int) -> list[Appeal]:
        if not storable(case_id):
            raise case_not_found(case_id)
        with reading(self._engine) as conn:
            require_case(conn, case_id)
            rows = conn.execute(
                _select_appeals()
                .where(ReviewAppealRow.case_id == case_id)
                .order_by(ReviewAppealRow.id)
            )
            return [_appeal(row) for row in rows]

    def list_appeals(
        self, *, state: AppealState | None = None, after: int = 0, limit: int = 100
    ) -> list[Appeal]:
        query = (
            _select_appeals()
            .where(ReviewAppealRow.id > max(min(after, MAX_ID), 0))
            .order_by(ReviewAppealRow.id)
            .limit(max(limit, 0))
        )
        if state is not None:
            query = query.where(ReviewAppealRow.state == AppealState(state).value)
        with reading(self._engine) as conn:
            return [_appeal(row) for row in conn.execute(query)]

    # -- exposures ------------------------------------------------------------------------

    def record_exposure(self, reviewer: str, day: date, case_id: int) -> int:
        if not storable(case_id):
            raise case_not_found(case_id)
        with writing(self._engine) as conn:
            require_case(conn, case_id)
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            upsert = dialect.insert(ReviewExposureRow).values(reviewer=reviewer, day=day, views=1)
            views: int = conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[ReviewExposureRow.reviewer, ReviewExposureRow.day],
                    set_={"views": ReviewExposureRow.views + 1},
                ).returning(ReviewExposureRow.views)
            ).scalar_one()
            return views

    def exposures(self, reviewer: str, day: date) -> int:
        with reading(self._engine) as conn:
            views = conn.execute(
                select(ReviewExposureRow.views).where(
                    ReviewExposureRow.reviewer == reviewer, ReviewExposureRow.day == day
                )
            ).scalar_one_or_none()
            return views or 0

    def exposure_days(self, reviewer: str, *, since: date) -> list[Exposure]:
        with reading(self._engine) as conn:
            rows = conn.execute(
                select(ReviewExposureRow.day, ReviewExposureRow.views)
                .where(ReviewExposureRow.reviewer == reviewer, ReviewExposureRow.day >= since)
                .order_by(ReviewExposureRow.day)
            )
            return [Exposure(reviewer=reviewer, day=r.day, views=r.views) for r in rows]
