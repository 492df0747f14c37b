"""EU TCO Regulation 2021/784: administrative or judicial review of a removal order.

The hosting provider and the content provider may each challenge a removal order before
a court or the authority of the member state that issued it (Art. 9). A **proceeding**
is recorded when it is brought (who brought it, before which body, under which
reference) and later decided: the order ``upheld``, ``annulled`` or ``varied``, and
whether the provider is required to reinstate the content. Article 7(3) reports the
proceedings the provider brought and their outcome (e), and how often proceedings
required reinstatement (f). A decided proceeding never changes again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from fireline.domain.errors import Conflict, InvalidInput
from fireline.domain.review import MAX_TEXT, Case, CaseState, NewDecision, reinstated


class ProceedingParty(StrEnum):
    """Who brought the proceeding."""

    #: This instance's organisation: the platform the order was addressed to.
    HOSTING_PROVIDER = "hosting_provider"
    #: The user whose content the order removed.
    CONTENT_PROVIDER = "content_provider"


class ProceedingOutcome(StrEnum):
    """What the court or authority decided about the order."""

    #: The order stands.
    UPHELD = "upheld"
    #: The order was set aside.
    ANNULLED = "annulled"
    #: The order was changed (in part set aside).
    VARIED = "varied"


#: Outcomes that go (at least in part) against the order, and so for whoever challenged it.
AGAINST_ORDER = frozenset({ProceedingOutcome.ANNULLED, ProceedingOutcome.VARIED})

#: Longest body (court or authority) name and reference.
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class Proceeding:
    """A review proceeding against a removal order. ``version`` grows with every save.

    ``body`` is the court or authority it is before, ``reference`` its own case number;
    ``brought_at`` when it was brought. ``outcome``, ``decided_at`` (when the body
    decided), ``decided_by`` (who recorded it) and ``reinstatement_required`` are set
    once, when it is decided.
    """

    id: int
    order_id: int
    party: ProceedingParty
    body: str
    reference: str
    brought_at: datetime
    outcome: ProceedingOutcome | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reinstatement_required: bool = False
    version: int = 1

    @property
    def decided(self) -> bool:
        return self.outcome is not None

    @property
    def state(self) -> str:
        return "decided" if self.decided else "pending"


@dataclass(frozen=True, slots=True)
class NewProceeding:
    """A proceeding as brought; it is stored pending at version 1."""

    order_id: int
    party: ProceedingParty
    body: str
    reference: str
    brought_at: datetime


@dataclass(frozen=True, slots=True)
class Reinstatement:
    """What a decision requiring reinstatement does to the order's case, before saving.

    ``before`` is the case as read, ``case`` the case with its content shown again and
    ``decision`` the ``keep`` decision that records the reversal.
    """

    before: Case
    case: Case
    decision: NewDecision


# -- transitions ---------------------------------------------------------------------------


def decided(
    proceeding: Proceeding,
    *,
    outcome: ProceedingOutcome,
    reinstatement_required: bool,
    at: datetime,
    by: str,
) -> Proceeding:
    """The proceeding decided as ``outcome`` at ``at``.

    Conflict (``proceeding_decided``) when it was decided before; InvalidInput
    (``decided_before_brought``) for a decision before it was brought, and
    (``reinstatement_upheld``) for reinstatement when the order was upheld.
    """
    if proceeding.decided:
        raise Conflict(
            f"proceeding {proceeding.id} was already decided ({proceeding.outcome})",
            code="proceeding_decided",
        )
    check_reinstatement(outcome, reinstatement_required)
    if at < proceeding.brought_at:
        raise InvalidInput(
            f"proceeding {proceeding.id} was brought at {proceeding.brought_at.isoformat()}: "
            "it cannot have been decided before",
            code="decided_before_brought",
        )
    return replace(
        proceeding,
        outcome=outcome,
        decided_at=at,
        decided_by=by,
        reinstatement_required=reinstatement_required,
    )


def check_reinstatement(outcome: ProceedingOutcome, reinstatement_required: bool) -> None:
    """InvalidInput (``reinstatement_upheld``) for reinstatement of an upheld order."""
    if reinstatement_required and outcome not in AGAINST_ORDER:
        raise InvalidInput(
            "an upheld order requires no reinstatement: only an annulled or varied one can",
            code="reinstatement_upheld",
        )


def reinstated_by_proceeding(
    case: Case | None, proceeding: Proceeding, *, by: str, at: datetime
) -> Reinstatement:
    """The order's case with its content reinstated, as an upheld appeal restores it.

    An open case is decided by it (it leaves the review queue); any other keeps its state.
    Conflict (``nothing_to_reinstate``) when the order has no case or its content is not
    blocked, removed or behind a warning screen.
    """
    if case is None or not case.restricted:
        shown = "no case" if case is None else f"content {case.content_status}"
        raise Conflict(
            f"the order of proceeding {proceeding.id} has {shown}: nothing to reinstate",
            code="nothing_to_reinstate",
        )
    reason = (
        f"reinstated: review proceeding {proceeding.id} ({proceeding.body}, "
        f"{proceeding.reference}) {proceeding.outcome} removal order {proceeding.order_id}"
    )[:MAX_TEXT]
    changed, decision = reinstated(case, by=by, reason=reason, at=at)
    if changed.state is CaseState.OPEN:
        changed = replace(changed, state=CaseState.DECIDED)
    return Reinstatement(before=case, case=changed, decision=decision)
