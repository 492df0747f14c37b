"""The narrow protocol review cases are stored through; an in-memory twin and a SQL one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from fireline.domain.review import (
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


class ReviewStore(Protocol):
    """Cases, their decisions and appeals, and reviewers' daily exposure to media.

    Cases and appeals are saved with optimistic locking: a save names the version it
    read, and Conflict (``stale``) says another writer saved first; the caller reads
    again and retries. A save writes only what review changes (state, severity, content
    status, the latest decision's fields, actions, media); the rest of a case is fixed
    when it is opened. A decision or an appeal is stored in the same transaction as the
    case change it belongs to. Reads of an unknown case or appeal raise NotFound.

    The queue holds open cases and cases with a pending appeal, most urgent first:
    severity (highest first), then cases of an incident before others, then the oldest
    (by creation), then by id.
    """

    def create_case(self, case: NewCase) -> Case:
        """Store a new case, state open, version 1."""
        ...

    def get_case(self, case_id: int) -> Case:
        """The case; NotFound (``case_not_found``) otherwise."""
        ...

    def save_case(self, case: Case, *, decision: NewDecision | None = None) -> Case:
        """Save over version ``case.version`` (with ``decision``, atomically); returns the
        case at the next version."""
        ...

    def list_cases(
        self,
        *,
        states: Sequence[CaseState] | None = None,
        source: CaseSource | None = None,
        incident_id: int | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Case]:
        """Cases with an id above ``after`` (the cursor), in id order, optionally filtered."""
        ...

    def queue(self, *, limit: int = 50) -> list[Case]:
        """The cases awaiting a reviewer, most urgent first (see the class doc)."""
        ...

    def decisions(self, case_id: int) -> list[Decision]:
        """The case's decisions, oldest first."""
        ...

    def create_appeal(self, appeal: NewAppeal, *, case: Case) -> Appeal:
        """Store a pending appeal and save ``case`` (over its version) in one transaction.

        Conflict (``appeal_pending``) when the case already has a pending appeal.
        """
        ...

    def get_appeal(self, appeal_id: int) -> Appeal:
        """The appeal; NotFound (``appeal_not_found``) otherwise."""
        ...

    def save_appeal(
        self,
        appeal: Appeal,
        *,
        case: Case | None = None,
        decision: NewDecision | None = None,
    ) -> Appeal:
        """Save over version ``appeal.version``, with its ``case`` (over its version) and a
        ``decision`` on it, atomically; returns the appeal at the next version."""
        ...

    def appeals(self, case_id: int) -> list[Appeal]:
        """The case's appeals, oldest first."""
        ...

    def list_appeals(
        self, *, state: AppealState | None = None, after: int = 0, limit: int = 100
    ) -> list[Appeal]:
        """Appeals with an id above ``after``, in id order."""
        ...

    def record_exposure(self, reviewer: str, day: date, case_id: int) -> int:
        """Count one view of the case's media by ``reviewer`` on ``day``; returns the
        reviewer's views that day, this one included."""
        ...

    def exposures(self, reviewer: str, day: date) -> int:
        """The reviewer's views on ``day`` (0 when none)."""
        ...

    def exposure_days(self, reviewer: str, *, since: date) -> list[Exposure]:
        """The reviewer's views per day from ``since`` on, days with views only, oldest first."""
        ...
