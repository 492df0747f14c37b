"""In-memory twin of the order store (removal orders, preservation holds, notices, review
proceedings)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from fireline.domain import Conflict, NotFound
from fireline.domain.orders import (
    HoldState,
    NewHold,
    NewNotice,
    NewOrder,
    Notice,
    OrderState,
    PreservationHold,
    RemovalOrder,
    SavedOrder,
)
from fireline.domain.proceedings import NewProceeding, Proceeding
from fireline.domain.review import Case, NewDecision
from fireline.store.memory_incidents import stale
from fireline.store.review_interface import ReviewStore

#: The fields of an order that a save writes; the others are fixed when it is received.
SAVED_ORDER_FIELDS = (
    "state",
    "case_id",
    "escalated_at",
    "closed_at",
    "closed_by",
    "confirmation",
    "justification",
)
#: The fields of a hold that a save writes.
SAVED_HOLD_FIELDS = (
    "state",
    "expires_at",
    "extension_reason",
    "extended_at",
    "purged_at",
    "release_reason",
    "released_at",
)
#: The fields of a proceeding that a save writes (its decision).
SAVED_PROCEEDING_FIELDS = ("outcome", "decided_at", "decided_by", "reinstatement_required")


def order_not_found(order_id: int) -> NotFound:
    return NotFound(f"no removal order {order_id}", code="order_not_found")


def hold_not_found(hold_id: int) -> NotFound:
    return NotFound(f"no preservation hold {hold_id}", code="hold_not_found")


def proceeding_not_found(proceeding_id: int) -> NotFound:
    return NotFound(f"no review proceeding {proceeding_id}", code="proceeding_not_found")


def duplicate_proceeding(order_id: int, body: str, reference: str) -> Conflict:
    return Conflict(
        f"order {order_id} already has the proceeding {reference!r} before {body!r}",
        code="duplicate_proceeding",
    )


def duplicate_order(authority: str, reference: str) -> Conflict:
    return Conflict(
        f"the order {reference!r} of {authority!r} was already received", code="duplicate_order"
    )


class MemoryOrderStore:
    """Orders, holds, notices and proceedings in memory; ``review`` is the store orders'
    cases live in."""

    def __init__(self, *, review: ReviewStore) -> None:
        self._lock = threading.Lock()
        self._review = review
        self._orders: dict[int, RemovalOrder] = {}
        self._holds: dict[int, PreservationHold] = {}
        self._notices: dict[int, Notice] = {}
        self._proceedings: dict[int, Proceeding] = {}

    # -- orders ---------------------------------------------------------------------------

    def create_order(self, order: NewOrder) -> RemovalOrder:
        with self._lock:
            if self._find(order.authority, order.reference) is not None:
                raise duplicate_order(order.authority, order.reference)
            created = RemovalOrder(
                id=len(self._orders) + 1,
                authority=order.authority,
                reference=order.reference,
                content_ref=order.content_ref,
                reason=order.reason,
                received_at=order.received_at,
                deadline=order.deadline,
                content_url=order.content_url,
                uploader=order.uploader,
                case_id=order.case_id,
                withhold_notice_days=order.withhold_notice_days,
            )
            self._orders[created.id] = created
            return created

    def _find(self, authority: str, reference: str) -> RemovalOrder | None:
        return next(
            (
                o
                for o in self._orders.values()
                if o.authority == authority and o.reference == reference
            ),
            None,
        )

    def get_order(self, order_id: int) -> RemovalOrder:
        with self._lock:
            return self._order(order_id)

    def _order(self, order_id: int) -> RemovalOrder:
        found = self._orders.get(order_id)
        if found is None:
            raise order_not_found(order_id)
        return found

    def find_order(self, authority: str, reference: str) -> RemovalOrder | None:
        with self._lock:
            return self._find(authority, reference)

    def save_order(
        self,
        order: RemovalOrder,
        *,
        hold: NewHold | None = None,
        notice: NewNotice | None = None,
        case: Case | None = None,
        decision: NewDecision | None = None,
    ) -> SavedOrder:
        with self._lock:
            current = self._order(order.id)
            if current.version != order.version:
                raise stale(f"order {order.id}")
            if case is not None:
                # The case first: if its save fails, nothing here has changed yet.
                self._review.save_case(case, decision=decision)
            changed = replace(
                current,
                **{name: getattr(order, name) for name in SAVED_ORDER_FIELDS},
                version=order.version + 1,
            )
            self._orders[order.id] = changed
            return SavedOrder(
                order=changed,
                hold=None if hold is None else self._add_hold(hold),
                notice=None if notice is None else self._add_notice(notice),
            )

    def list_orders(
        self,
        *,
        states: Sequence[OrderState] | None = None,
        deadline_before: datetime | None = None,
        escalated: bool | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[RemovalOrder]:
        with self._lock:
            chosen = [
                o
                for o in sorted(self._orders.values(), key=lambda o: o.id)
                if o.id > after
                and (states is None or o.state in states)
                and (deadline_before is None or o.deadline < deadline_before)
                and (escalated is None or o.escalated is escalated)
            ]
            return chosen[: max(limit, 0)]

    # -- holds ----------------------------------------------------------------------------

    def create_hold(self, hold: NewHold) -> PreservationHold:
        with self._lock:
            return self._add_hold(hold)

    def _add_hold(self, hold: NewHold) -> PreservationHold:
        created = PreservationHold(
            id=len(self._holds) + 1,
            source=hold.source,
            content_ref=hold.content_ref,
            created_at=hold.created_at,
            expires_at=hold.expires_at,
            order_id=hold.order_id,
            case_id=hold.case_id,
            media_sha256=hold.media_sha256,
        )
        self._holds[created.id] = created
        return created

    def get_hold(self, hold_id: int) -> PreservationHold:
        with self._lock:
            return self._hold(hold_id)

    def _hold(self, hold_id: int) -> PreservationHold:
        found = self._holds.get(hold_id)
        if found is None:
            raise hold_not_found(hold_id)
        return found

    def save_hold(self, hold: PreservationHold) -> PreservationHold:
        with self._lock:
            current = self._hold(hold.id)
            if current.version != hold.version:
                raise stale(f"hold {hold.id}")
            changed = replace(
                current,
                **{name: getattr(hold, name) for name in SAVED_HOLD_FIELDS},
                version=hold.version + 1,
            )
            self._holds[hold.id] = changed
            return changed

    def list_holds(
        self,
        *,
        state: HoldState | None = None,
        expires_by: datetime | None = None,
        order_id: int | None = None,
        case_id: int | None = None,
        media_sha256: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[PreservationHold]:
        with self._lock:
            chosen = [
                h
                for h in sorted(self._holds.values(), key=lambda h: h.id)
                if h.id > after
                and (state is None or h.state == state)
                and (expires_by is None or h.expires_at <= expires_by)
                and (order_id is None or h.order_id == order_id)
                and (case_id is None or h.case_id == case_id)
                and (media_sha256 is None or h.media_sha256 == media_sha256)
            ]
            return chosen[: max(limit, 0)]

    # -- notices --------------------------------------------------------------------------

    def create_notice(self, notice: NewNotice) -> Notice:
        with self._lock:
            return self._add_notice(notice)

    def _add_notice(self, notice: NewNotice) -> Notice:
        created = Notice(
            id=len(self._notices) + 1,
            kind=notice.kind,
            content_ref=notice.content_ref,
            uploader=notice.uploader,
            reason=notice.reason,
            created_at=notice.created_at,
            order_id=notice.order_id,
            case_id=notice.case_id,
            withheld_until=notice.withheld_until,
        )
        self._notices[created.id] = created
        return created

    def list_notices(
        self,
        *,
        order_id: int | None = None,
        case_id: int | None = None,
        ready_at: datetime | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Notice]:
        with self._lock:
            chosen = [
                n
                for n in sorted(self._notices.values(), key=lambda n: n.id)
                if n.id > after
                and (order_id is None or n.order_id == order_id)
                and (case_id is None or n.case_id == case_id)
                and (ready_at is None or n.deliverable(ready_at))
            ]
            return chosen[: max(limit, 0)]

    # -- review proceedings ---------------------------------------------------------------

    def create_proceeding(self, proceeding: NewProceeding) -> Proceeding:
        with self._lock:
            self._order(proceeding.order_id)
            for other in self._proceedings.values():
                if (other.order_id, other.body, other.reference) == (
                    proceeding.order_id,
                    proceeding.body,
                    proceeding.reference,
                ):
                    raise duplicate_proceeding(
                        proceeding.order_id, proceeding.body, proceeding.reference
                    )
            created = Proceeding(
                id=len(self._proceedings) + 1,
                order_id=proceeding.order_id,
                party=proceeding.party,
                body=proceeding.body,
                reference=proceeding.reference,
                brought_at=proceeding.brought_at,
            )
            self._proceedings[created.id] = created
            return created

    def get_proceeding(self, proceeding_id: int) -> Proceeding:
        with self._lock:
            return self._proceeding(proceeding_id)

    def _proceeding(self, proceeding_id: int) -> Proceeding:
        found = self._proceedings.get(proceeding_id)
        if found is None:
            raise proceeding_not_found(proceeding_id)
        return found

    def save_proceeding(
        self,
        proceeding: Proceeding,
        *,
        case: Case | None = None,
        decision: NewDecision | None = None,
    ) -> Proceeding:
        with self._lock:
            current = self._proceeding(proceeding.id)
            if current.version != proceeding.version:
                raise stale(f"proceeding {proceeding.id}")
            if case is not None:
                # The case first: if its save fails, nothing here has changed yet.
                self._review.save_case(case, decision=decision)
            changed = replace(
                current,
                **{name: getattr(proceeding, name) for name in SAVED_PROCEEDING_FIELDS},
                version=proceeding.version + 1,
            )
            self._proceedings[proceeding.id] = changed
            return changed

    def list_proceedings(
        self,
        *,
        order_id: int | None = None,
        decided: bool | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[Proceeding]:
        with self._lock:
            chosen = [
                p
                for p in sorted(self._proceedings.values(), key=lambda p: p.id)
                if p.id > after
                and (order_id is None or p.order_id == order_id)
                and (decided is None or p.decided is decided)
            ]
            return chosen[: max(limit, 0)]
