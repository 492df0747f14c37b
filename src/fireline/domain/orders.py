"""EU TCO Regulation 2021/784: removal orders, preservation holds and notices to users.

A competent authority's **removal order** (Art. 3) must be complied with within one hour
of receipt: the content is removed or disabled and the authority told so. The provider
may instead answer that it cannot comply (Art. 3(7): force majeure or de facto
impossibility; Art. 3(8): manifest errors or insufficient information), with reasons.
An order is ``received`` until it is closed as ``complied``, ``refused`` or
``impossible``; closed orders never change again. An open order whose clock runs low is
``escalated`` (a flag, set once).

Content removed following an order, or evidence a case was told to preserve, is kept
under a **preservation hold** (Art. 6) for six months, longer when an authority asks;
then the hold's media are purged. Whoever's content was removed gets a **notice**
(Art. 11), which an authority may ask to withhold for a time, for public security.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from fireline.domain.errors import Conflict, InvalidInput
from fireline.domain.proceedings import Proceeding
from fireline.domain.review import Case, CaseState, NewDecision, Outcome, status_after


class OrderState(StrEnum):
    #: Waiting for the provider: the clock runs.
    RECEIVED = "received"
    #: The content was removed or disabled, and the authority told so.
    COMPLIED = "complied"
    #: Not complied with: manifest errors or insufficient information (Art. 3(8)).
    REFUSED = "refused"
    #: Not complied with: force majeure or de facto impossibility (Art. 3(7)).
    IMPOSSIBLE = "impossible"


#: The states an order may be closed as without complying.
REFUSALS = frozenset({OrderState.REFUSED, OrderState.IMPOSSIBLE})


class HoldSource(StrEnum):
    """What a preservation hold keeps evidence for."""

    ORDER = "order"
    CASE = "case"


class HoldState(StrEnum):
    #: Its media are kept (until ``expires_at``, when the next purge deletes them).
    ACTIVE = "active"
    #: Expired and purged: its media were deleted unless something else still holds them.
    PURGED = "purged"
    #: Ended early on purpose (a case's hold only): its media were deleted unless something
    #: else still holds them.
    RELEASED = "released"


class NoticeKind(StrEnum):
    """What happened to the user's content."""

    REMOVED = "removed"
    RESTORED = "restored"
    BLOCKED = "blocked"


#: Art. 3(3): one hour from receipt.
DEFAULT_DEADLINE = timedelta(hours=1)
DEFAULT_ESCALATE = timedelta(minutes=15)
#: Art. 6(2): six months.
DEFAULT_PRESERVATION = timedelta(days=183)
#: Art. 11(3): a notice may be withheld for up to six weeks.
MAX_WITHHOLD_DAYS = 42

#: Longest authority name, order reference, content reference and uploader.
MAX_NAME = 200
MAX_URL = 2000
#: Longest statement of reasons.
MAX_REASON = 10_000
#: Longest confirmation, justification, extension reason or notice reason.
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class RemovalOrder:
    """An authority's removal order. ``version`` grows with every save (optimistic locking).

    ``content_ref`` and ``uploader`` are the platform's opaque ids of the content and its
    poster; ``reason`` is the order's statement of reasons (Art. 3(4)). ``case_id`` is the
    review case the order opened. ``closed_at`` and ``closed_by`` say when and by whom it
    was complied with or refused; ``confirmation`` is what the authority was told,
    ``justification`` why a refused order was not complied with.
    """

    id: int
    authority: str
    reference: str
    content_ref: str
    reason: str
    received_at: datetime
    deadline: datetime
    state: OrderState = OrderState.RECEIVED
    content_url: str | None = None
    uploader: str = ""
    case_id: int | None = None
    withhold_notice_days: int = 0
    escalated_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    confirmation: str = ""
    justification: str = ""
    version: int = 1

    @property
    def is_open(self) -> bool:
        return self.state is OrderState.RECEIVED

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None

    @property
    def complied_at(self) -> datetime | None:
        return self.closed_at if self.state is OrderState.COMPLIED else None

    @property
    def seconds_to_comply(self) -> float | None:
        """complied_at - received_at, in seconds (None unless complied)."""
        if self.complied_at is None:
            return None
        return round((self.complied_at - self.received_at).total_seconds(), 3)

    @property
    def within_deadline(self) -> bool | None:
        """Whether it was complied with by its deadline (None unless complied)."""
        return None if self.complied_at is None else self.complied_at <= self.deadline

    def minutes_left(self, at: datetime) -> float:
        """Minutes until the deadline at ``at``; negative once it has passed."""
        return round((self.deadline - at).total_seconds() / 60, 1)

    def overdue(self, at: datetime) -> bool:
        """Open past its deadline."""
        return self.is_open and at > self.deadline


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An order as received; it is stored ``received`` at version 1."""

    authority: str
    reference: str
    content_ref: str
    reason: str
    received_at: datetime
    deadline: datetime
    content_url: str | None = None
    uploader: str = ""
    case_id: int | None = None
    withhold_notice_days: int = 0


@dataclass(frozen=True, slots=True)
class PreservationHold:
    """Evidence kept for an order or a case until ``expires_at`` (Art. 6).

    ``media_sha256`` names the evidence media (none when the platform kept none).
    ``extension_reason`` and ``extended_at`` record the latest extension;
    ``release_reason`` and ``released_at`` an early release.
    """

    id: int
    source: HoldSource
    content_ref: str
    created_at: datetime
    expires_at: datetime
    state: HoldState = HoldState.ACTIVE
    order_id: int | None = None
    case_id: int | None = None
    media_sha256: str | None = None
    extension_reason: str = ""
    extended_at: datetime | None = None
    purged_at: datetime | None = None
    release_reason: str = ""
    released_at: datetime | None = None
    version: int = 1

    def expired(self, at: datetime) -> bool:
        return at >= self.expires_at

    def live(self, at: datetime) -> bool:
        """Active and not yet expired at ``at``: its media must be kept."""
        return self.state is HoldState.ACTIVE and not self.expired(at)


@dataclass(frozen=True, slots=True)
class NewHold:
    source: HoldSource
    content_ref: str
    created_at: datetime
    expires_at: datetime
    order_id: int | None = None
    case_id: int | None = None
    media_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice to the user whose content was acted on (Art. 11).

    The platform delivers it; while ``withheld_until`` is in the future (an authority
    asked to delay it, Art. 11(3)) it must not.
    """

    id: int
    kind: NoticeKind
    content_ref: str
    uploader: str
    reason: str
    created_at: datetime
    order_id: int | None = None
    case_id: int | None = None
    withheld_until: datetime | None = None

    @property
    def withheld(self) -> bool:
        return self.withheld_until is not None

    def deliverable(self, at: datetime) -> bool:
        return self.withheld_until is None or at >= self.withheld_until


@dataclass(frozen=True, slots=True)
class NewNotice:
    kind: NoticeKind
    content_ref: str
    uploader: str
    reason: str
    created_at: datetime
    order_id: int | None = None
    case_id: int | None = None
    withheld_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SavedOrder:
    """An order as saved, with the hold and the notice stored in the same transaction."""

    order: RemovalOrder
    hold: PreservationHold | None = None
    notice: Notice | None = None


@dataclass(frozen=True, slots=True)
class OrderFile:
    """An order with the holds that keep its evidence, the notices it gave and the review
    proceedings brought against it."""

    order: RemovalOrder
    holds: tuple[PreservationHold, ...] = ()
    notices: tuple[Notice, ...] = ()
    proceedings: tuple[Proceeding, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderRemoval:
    """What complying with an order does to its case, before anything is saved.

    ``before`` is the case as read; ``case`` the case with its content removed (None when
    nothing changes); ``decision`` the decision that records it (only for an open case).
    """

    before: Case | None = None
    case: Case | None = None
    decision: NewDecision | None = None


# -- transitions ---------------------------------------------------------------------------


def check_open(order: RemovalOrder) -> None:
    """Conflict (``order_closed``) unless the order is still ``received``."""
    if not order.is_open:
        raise Conflict(f"order {order.id} is already {order.state}", code="order_closed")


def complied(order: RemovalOrder, *, at: datetime, by: str, confirmation: str) -> RemovalOrder:
    check_open(order)
    return replace(
        order, state=OrderState.COMPLIED, closed_at=at, closed_by=by, confirmation=confirmation
    )


def refused(
    order: RemovalOrder, *, state: OrderState, at: datetime, by: str, justification: str
) -> RemovalOrder:
    """The order closed as ``refused`` or ``impossible``; InvalidInput for another state."""
    if state not in REFUSALS:
        raise InvalidInput(
            f"an order is refused as {' or '.join(sorted(REFUSALS))}, not {state}",
            code="invalid_state",
        )
    check_open(order)
    return replace(order, state=state, closed_at=at, closed_by=by, justification=justification)


def escalation_due(order: RemovalOrder, *, at: datetime, window: timedelta) -> bool:
    """Open, not yet escalated, and less than ``window`` left (or overdue)."""
    return order.is_open and not order.escalated and order.deadline - at < window


def extended(
    hold: PreservationHold, *, until: datetime, reason: str, at: datetime
) -> PreservationHold:
    """The hold kept until ``until``: Conflict (``hold_purged``) once purged, InvalidInput
    (``invalid_until``) unless ``until`` is later than it runs now."""
    check_active(hold)
    if until <= hold.expires_at:
        raise InvalidInput(
            f"hold {hold.id} runs until {hold.expires_at.isoformat()}: extend it to a later time",
            code="invalid_until",
        )
    return replace(hold, expires_at=until, extension_reason=reason, extended_at=at)


def check_active(hold: PreservationHold) -> None:
    """Conflict (``hold_purged``, ``hold_released``) unless the hold still keeps its media."""
    if hold.state is HoldState.PURGED:
        raise Conflict(f"hold {hold.id} was purged", code="hold_purged")
    if hold.state is HoldState.RELEASED:
        raise Conflict(f"hold {hold.id} was released", code="hold_released")


def released(hold: PreservationHold, *, at: datetime, reason: str) -> PreservationHold:
    """The hold ended early: Conflict (``hold_by_order``) for an order's hold, which the
    law keeps for its whole period (Art. 6(2)); ``hold_purged``, ``hold_released``."""
    check_active(hold)
    if hold.source is HoldSource.ORDER:
        raise Conflict(
            f"hold {hold.id} keeps an order's evidence, which is preserved for the whole "
            "period (EU TCO Art. 6(2)): it cannot be released early",
            code="hold_by_order",
        )
    return replace(hold, state=HoldState.RELEASED, released_at=at, release_reason=reason)


def purged(hold: PreservationHold, *, at: datetime) -> PreservationHold:
    return replace(hold, state=HoldState.PURGED, purged_at=at)


def withheld_until(at: datetime, days: int) -> datetime | None:
    """When a notice withheld for ``days`` days from ``at`` may go (None: not withheld)."""
    return at + timedelta(days=days) if days else None


def check_withhold_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_WITHHOLD_DAYS:
        raise InvalidInput(
            f"withhold_notice_days is 0 to {MAX_WITHHOLD_DAYS} (Art. 11(3): six weeks)",
            code="invalid_withhold_days",
        )
    return days


def notice_reason(order: RemovalOrder) -> str:
    """What the uploader's notice says: who ordered the removal, and why (Art. 11(2))."""
    text = f"removed following removal order {order.reference} of {order.authority}: "
    return (text + order.reason)[:MAX_REASON]


def removed_by_order(
    case: Case | None, order: RemovalOrder, *, actor: str, at: datetime
) -> OrderRemoval:
    """The order's case with its content removed, and the decision that records it.

    An open case is decided ``remove`` by ``actor`` (so it leaves the review queue and
    nobody restores what an order removed); a case already decided only has its content
    removed, without a decision. Neither when nothing changes.
    """
    if case is None:
        return OrderRemoval()
    status = status_after(Outcome.REMOVE, case.content_status)
    if case.state is not CaseState.OPEN:
        if status is case.content_status:
            return OrderRemoval(before=case)
        return OrderRemoval(before=case, case=replace(case, content_status=status))
    reason = f"complied with removal order {order.id} ({order.authority}, {order.reference})"
    reason = reason[:MAX_TEXT]
    decided = replace(
        case,
        state=CaseState.DECIDED,
        content_status=status,
        decided_at=at,
        reviewer=actor,
        outcome=Outcome.REMOVE,
        reason=reason,
    )
    return OrderRemoval(
        before=case,
        case=decided,
        decision=NewDecision(reviewer=actor, outcome=Outcome.REMOVE, reason=reason, at=at),
    )
