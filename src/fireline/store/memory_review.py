"""In-memory twin of the review store."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from fireline.domain import Conflict, InvalidInput, NotFound
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
)
from fireline.store.memory_incidents import stale

#: The fields of a case that a save writes; the others are fixed when it is opened.
SAVED_FIELDS = (
    "state",
    "severity",
    "content_status",
    "decided_at",
    "reviewer",
    "outcome",
    "reason",
    "actions",
    "media_sha256",
)


def case_not_found(case_id: int) -> NotFound:
    return NotFound(f"no case {case_id}", code="case_not_found")


def appeal_not_found(appeal_id: int) -> NotFound:
    return NotFound(f"no appeal {appeal_id}", code="appeal_not_found")


def appeal_pending(case_id: int) -> Conflict:
    return Conflict(f"case {case_id} already has a pending appeal", code="appeal_pending")


def not_its_case(appeal_case: int, case_id: int) -> InvalidInput:
    return InvalidInput(
        f"the appeal is against case {appeal_case}, not case {case_id}", code="wrong_case"
    )


def evidence_json(evidence: Mapping[str, Any]) -> str:
    """The evidence as compact JSON; InvalidInput (``invalid_evidence``) unless it is
    a mapping of JSON values."""
    try:
        return json.dumps(dict(evidence), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"evidence must hold JSON values only ({exc})", code="invalid_evidence"
        ) from None


def saved(current: Case, case: Case) -> Case:
    """``current`` with the saved fields of ``case``, at the next version."""
    return replace(
        current, **{name: getattr(case, name) for name in SAVED_FIELDS}, version=case.version + 1
    )


def queue_key(case: Case) -> tuple[int, int, Any, int]:
    """Queue order: severity, then incident cases, then oldest, then id."""
    return (-case.severity, 0 if case.incident_id is not None else 1, case.created_at, case.id)


class MemoryReviewStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cases: dict[int, Case] = {}
        self._decisions: list[Decision] = []
        self._appeals: dict[int, Appeal] = {}
        self._exposures: dict[tuple[str, date], int] = {}

    def create_case(self, case: NewCase) -> Case:
        evidence = json.loads(evidence_json(case.evidence))
        with self._lock:
            created = Case(
                id=len(self._cases) + 1,
                source=case.source,
                state=CaseState.OPEN,
                severity=case.severity,
                content_ref=case.content_ref,
                created_at=case.created_at,
                content_status=case.content_status,
                incident_id=case.incident_id,
                uploader=case.uploader,
                account_class=case.account_class,
                labels=tuple(case.labels),
                signal_types=tuple(case.signal_types),
                entry_ids=tuple(case.entry_ids),
                evidence=evidence,
                actions=tuple(case.actions),
                note=case.note,
                media_sha256=case.media_sha256,
            )
            self._cases[created.id] = created
            return created

    def get_case(self, case_id: int) -> Case:
        with self._lock:
            return self._case(case_id)

    def _case(self, case_id: int) -> Case:
        found = self._cases.get(case_id)
        if found is None:
            raise case_not_found(case_id)
        return found

    def _checked_case(self, case: Case) -> Case:
        """The case ``case`` saves over, if its version is current; nothing changes."""
        current = self._case(case.id)
        if current.version != case.version:
            raise stale(f"case {case.id}")
        return current

    def _decide(self, case_id: int, decision: NewDecision) -> None:
        self._decisions.append(
            Decision(
                id=len(self._decisions) + 1,
                case_id=case_id,
                reviewer=decision.reviewer,
                outcome=decision.outcome,
                reason=decision.reason,
                at=decision.at,
                on_appeal=decision.on_appeal,
            )
        )

    def save_case(self, case: Case, *, decision: NewDecision | None = None) -> Case:
        with self._lock:
            current = self._checked_case(case)
            changed = saved(current, case)
            self._cases[case.id] = changed
            if decision is not None:
                self._decide(case.id, decision)
            return changed

    def list_cases(
        self,
        *,
        states: Sequence[CaseState] | None = None,
        source: CaseSource | None = None,
        incident_id: int | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Case]:
        with self._lock:
            chosen = [
                c
                for c in sorted(self._cases.values(), key=lambda c: c.id)
                if c.id > after
                and (states is None or c.state in states)
                and (source is None or c.source == source)
                and (incident_id is None or c.incident_id == incident_id)
            ]
            return chosen[: max(limit, 0)]

    def queue(self, *, limit: int = 50) -> list[Case]:
        with self._lock:
            waiting = [c for c in self._cases.values() if c.state in QUEUED_STATES]
            return sorted(waiting, key=queue_key)[: max(limit, 0)]

    def decisions(self, case_id: int) -> list[Decision]:
        with self._lock:
            self._case(case_id)
            return [d for d in self._decisions if d.case_id == case_id]

    def create_appeal(self, appeal: NewAppeal, *, case: Case) -> Appeal:
        with self._lock:
            if case.id != appeal.case_id:
                raise not_its_case(appeal.case_id, case.id)
            current = self._checked_case(case)
            if any(
                a.case_id == case.id and a.state is AppealState.PENDING
                for a in self._appeals.values()
            ):
                raise appeal_pending(case.id)
            created = Appeal(
                id=len(self._appeals) + 1,
                case_id=appeal.case_id,
                appellant=appeal.appellant,
                reason=appeal.reason,
                filed_at=appeal.filed_at,
            )
            self._cases[case.id] = saved(current, case)
            self._appeals[created.id] = created
            return created

    def get_appeal(self, appeal_id: int) -> Appeal:
        with self._lock:
            return self._appeal(appeal_id)

    def _appeal(self, appeal_id: int) -> Appeal:
        found = self._appeals.get(appeal_id)
        if found is None:
            raise appeal_not_found(appeal_id)
        return found

    def save_appeal(
        self,
        appeal: Appeal,
        *,
        case: Case | None = None,
        decision: NewDecision | None = None,
    ) -> Appeal:
        with self._lock:
            current = self._appeal(appeal.id)
            if case is not None and case.id != current.case_id:
                raise not_its_case(current.case_id, case.id)
            if current.version != appeal.version:
                raise stale(f"appeal {appeal.id}")
            current_case = self._checked_case(case) if case is not None else None
            changed = replace(
                appeal,
                case_id=current.case_id,
                appellant=current.appellant,
                reason=current.reason,
                filed_at=current.filed_at,
                version=appeal.version + 1,
            )
            self._appeals[appeal.id] = changed
            if case is not None and current_case is not None:
                self._cases[case.id] = saved(current_case, case)
            if decision is not None:
                self._decide(current.case_id, decision)
            return changed

    def appeals(self, case_id: int) -> list[Appeal]:
        with self._lock:
            self._case(case_id)
            return [
                a
                for a in sorted(self._appeals.values(), key=lambda a: a.id)
                if a.case_id == case_id
            ]

    def list_appeals(
        self, *, state: AppealState | None = None, after: int = 0, limit: int = 100
    ) -> list[Appeal]:
        with self._lock:
            chosen = [
                a
                for a in sorted(self._appeals.values(), key=lambda a: a.id)
                if a.id > after and (state is None or a.state == state)
            ]
            return chosen[: max(limit, 0)]

    def record_exposure(self, reviewer: str, day: date, case_id: int) -> int:
        with self._lock:
            self._case(case_id)
            count = self._exposures.get((reviewer, day), 0) + 1
            self._exposures[(reviewer, day)] = count
            return count

    def exposures(self, reviewer: str, day: date) -> int:
        with self._lock:
            return self._exposures.get((reviewer, day), 0)

    def exposure_days(self, reviewer: str, *, since: date) -> list[Exposure]:
        with self._lock:
            return [
                Exposure(reviewer=reviewer, day=day, views=views)
                for (who, day), views in sorted(self._exposures.items())
                if who == reviewer and day >= since
            ]
