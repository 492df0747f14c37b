"""EU TCO Regulation 2021/784: removal orders and their one-hour clock.

Receiving an order opens a review case (severity 5) and starts its clock; complying
removes the case's content, keeps its evidence under a preservation hold (services.holds)
and gives the uploader a notice (services.notices), all in one transaction.
``escalate_due`` flags open orders whose clock runs low (once each); a server runs it
periodically with the holds' purge (OrderWorker). Every change is durable when a method
returns and recorded in the audit log; details never hold content, hash values or user
ids. See docs/orders.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fireline.domain import AuditAction, Conflict, InvalidInput
from fireline.domain.orders import (
    DEFAULT_DEADLINE,
    DEFAULT_ESCALATE,
    MAX_NAME,
    MAX_REASON,
    MAX_TEXT,
    MAX_URL,
    NewOrder,
    OrderFile,
    OrderRemoval,
    OrderState,
    RemovalOrder,
    SavedOrder,
    check_withhold_days,
    complied,
    escalation_due,
    refused,
)
from fireline.domain.review import CaseSource, ContentStatus, parse_enum
from fireline.services.audit import INSTANCE, AuditLog
from fireline.services.fields import MAX_PAGE, check_duration, check_page, text_field, time_field
from fireline.services.holds import HoldService
from fireline.services.notices import NoticeService
from fireline.services.retrying import retrying
from fireline.services.review import ReviewService
from fireline.store import OrderStore
from fireline.store.evidence import EvidenceStore

log = logging.getLogger("fireline.orders")

Notify = Callable[[Mapping[str, Any]], None]

#: The severity of an order's case: the clock runs.
ORDER_SEVERITY = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    url = text_field(value, what="content_url", most=MAX_URL)
    if not url:
        return None
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidInput("content_url is an http(s) URL", code="invalid_url")
    return url


class OrderService:
    """Removal orders. Every change is durable when a method returns.

    ``deadline`` runs from an order's receipt; an open order with less than ``escalate``
    left is escalated once, and ``notify`` (webhooks) told. Complying creates a hold with
    ``holds`` and a notice with ``notices``, in the order's own transaction.
    """

    def __init__(
        self,
        *,
        store: OrderStore,
        review: ReviewService,
        holds: HoldService,
        notices: NoticeService,
        evidence: EvidenceStore,
        audit: AuditLog,
        notify: Notify | None = None,
        deadline: timedelta = DEFAULT_DEADLINE,
        escalate: timedelta = DEFAULT_ESCALATE,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.review = review
        self.holds = holds
        self.notices = notices
        self.evidence = evidence
        self.audit = audit
        self.notify = notify
        self.deadline = check_duration(deadline, what="the order deadline")
        self.escalate = check_duration(escalate, what="the escalation window", zero=True)
        self.now = now

    # -- orders ---------------------------------------------------------------------------

    def receive(
        self,
        *,
        authority: str,
        reference: str,
        content_ref: str,
        reason: str,
        content_url: str | None = None,
        uploader: str = "",
        withhold_notice_days: int = 0,
        received_at: datetime | None = None,
        media: bytes | None = None,
        actor: str = INSTANCE,
    ) -> RemovalOrder:
        """Record a removal order and open its review case; the clock starts at receipt.

        ``received_at`` (default now, never later) is when the order reached the
        platform. ``media`` (the content, when the platform still has it) is kept as the
        case's evidence. Conflict (``duplicate_order``) for an authority's reference
        received before; InvalidInput (``missing_field``) without authority, reference,
        content_ref or reason.
        """
        now = self.now()
        at = now if received_at is None else time_field(received_at, what="received_at")
        if at > now:
            raise InvalidInput("received_at is in the future", code="invalid_time")
        new = NewOrder(
            authority=text_field(authority, what="authority", most=MAX_NAME, required=True),
            reference=text_field(reference, what="reference", most=MAX_NAME, required=True),
            content_ref=text_field(content_ref, what="content_ref", most=MAX_NAME, required=True),
            reason=text_field(reason, what="reason", most=MAX_REASON, required=True),
            received_at=at,
            deadline=at + self.deadline,
            content_url=_url(content_url),
            uploader=text_field(uploader, what="uploader", most=MAX_NAME),
            withhold_notice_days=check_withhold_days(withhold_notice_days),
        )
        actor = text_field(actor, what="an actor", most=MAX_NAME, required=True)
        if self.store.find_order(new.authority, new.reference) is not None:
            raise Conflict(
                f"the order {new.reference!r} of {new.authority!r} was already received",
                code="duplicate_order",
            )
        note = f"removal order {new.reference} from {new.authority}: {new.reason}"
        case = self.review.open_case(
            source=CaseSource.ORDER,
            content_ref=new.content_ref,
            uploader=new.uploader,
            content_status=ContentStatus.VISIBLE,
            note=note[:MAX_TEXT].rstrip(),
            media_sha256=None if media is None else self.evidence.put(media),
            severity=ORDER_SEVERITY,
            actor=actor,
        )
        order = self.store.create_order(replace(new, case_id=case.id))
        self.audit.record(
            actor=actor,
            action=AuditAction.ORDER_RECEIVED,
            subject=f"order:{order.id}",
            detail={
                "authority": order.authority,
                "received_at": order.received_at.isoformat(),
                "deadline": order.deadline.isoformat(),
                "case_id": order.case_id,
            },
        )
        return order

    def get(self, order_id: int) -> RemovalOrder:
        """The order; NotFound (``order_not_found``) otherwise."""
        return self.store.get_order(order_id)

    def file(self, order_id: int) -> OrderFile:
        """The order with its holds, notices and review proceedings."""
        order = self.store.get_order(order_id)
        return OrderFile(
            order=order,
            holds=tuple(self.store.list_holds(order_id=order.id, limit=MAX_PAGE)),
            notices=tuple(self.store.list_notices(order_id=order.id, limit=MAX_PAGE)),
            proceedings=tuple(self.store.list_proceedings(order_id=order.id, limit=MAX_PAGE)),
        )

    def list_orders(
        self,
        *,
        state: OrderState | str | None = None,
        overdue: bool = False,
        after: int = 0,
        limit: int = 100,
    ) -> list[RemovalOrder]:
        """Orders in id order from after ``after``; ``overdue``: open past their deadline."""
        check_page(after, limit)
        states = (
            None
            if state is None
            else [parse_enum(OrderState, state, what="state", code="invalid_state")]
        )
        if overdue:
            states = [s for s in states or [OrderState.RECEIVED] if s is OrderState.RECEIVED]
        return self.store.list_orders(
            states=states,
            deadline_before=self.now() if overdue else None,
            after=after,
            limit=limit,
        )

    def due(self) -> list[RemovalOrder]:
        """Open orders with less than the escalation window left (or overdue), most
        pressing first."""
        at = self.now()
        found = self._all_orders(deadline_before=at + self.escalate)
        return sorted(found, key=lambda o: (o.deadline, o.id))

    def comply(self, order_id: int, *, confirmation: str, actor: str) -> RemovalOrder:
        """Record that the content was removed or disabled and the authority told so.

        In one transaction: the order is ``complied``; its case is decided ``remove``
        (when still open; otherwise only its content becomes removed); a preservation
        hold keeps the case's evidence; the uploader's notice is stored (withheld when
        the order asked). Conflict (``order_closed``) for a closed order.
        """
        confirmation = text_field(confirmation, what="confirmation", most=MAX_TEXT, required=True)
        actor = text_field(actor, what="an actor", most=MAX_NAME, required=True)

        def attempt() -> tuple[SavedOrder, OrderRemoval]:
            order = self.store.get_order(order_id)
            at = self.now()
            changed = complied(order, at=at, by=actor, confirmation=confirmation)
            removal = self.review.prepare_order_removal(order, actor=actor, at=at)
            case = removal.before
            saved = self.store.save_order(
                changed,
                hold=self.holds.order_hold(
                    order, media_sha256=None if case is None else case.media_sha256, at=at
                ),
                notice=self.notices.order_notice(order, case=case, at=at),
                case=removal.case,
                decision=removal.decision,
            )
            return saved, removal

        saved, removal = retrying(attempt, what=f"order {order_id}")
        order = saved.order
        self.audit.record(
            actor=actor,
            action=AuditAction.ORDER_COMPLIED,
            subject=f"order:{order.id}",
            detail={
                "seconds_to_comply": order.seconds_to_comply,
                "within_deadline": order.within_deadline,
                "authority": order.authority,
            },
        )
        self.review.order_removal_saved(removal, actor=actor)
        if saved.hold is not None:
            self.holds.record_created(saved.hold, actor=actor)
        if saved.notice is not None:
            self.notices.record_sent(saved.notice, actor=actor)
        return order

    def refuse(
        self, order_id: int, *, state: OrderState | str, justification: str, actor: str
    ) -> RemovalOrder:
        """Close an order without complying: ``refused`` (manifest errors, insufficient
        information) or ``impossible`` (force majeure), with the justification the
        authority is given. Its case stays in the review queue."""
        chosen = parse_enum(OrderState, state, what="state", code="invalid_state")
        justification = text_field(
            justification, what="justification", most=MAX_TEXT, required=True
        )
        actor = text_field(actor, what="an actor", most=MAX_NAME, required=True)

        def attempt() -> RemovalOrder:
            order = self.store.get_order(order_id)
            changed = refused(
                order, state=chosen, at=self.now(), by=actor, justification=justification
            )
            return self.store.save_order(changed).order

        order = retrying(attempt, what=f"order {order_id}")
        self.audit.record(
            actor=actor,
            action=AuditAction.ORDER_REFUSED,
            subject=f"order:{order.id}",
            detail={"state": order.state.value, "authority": order.authority},
        )
        return order

    def escalate_due(self, *, actor: str = INSTANCE) -> list[RemovalOrder]:
        """Escalate every open order with less than the window left, once each.

        Each is flagged, recorded (``order.escalated``) and announced to ``notify``; an
        order another process escalated or closed meanwhile is left to it.
        """
        at = self.now()
        escalated = []
        for order in self._all_orders(deadline_before=at + self.escalate, escalated=False):
            if not escalation_due(order, at=at, window=self.escalate):
                continue
            try:
                saved = self.store.save_order(replace(order, escalated_at=at)).order
            except Conflict as exc:
                if exc.code != "stale":
                    raise
                continue
            minutes_left = saved.minutes_left(at)
            self.audit.record(
                actor=actor,
                action=AuditAction.ORDER_ESCALATED,
                subject=f"order:{saved.id}",
                detail={"minutes_left": minutes_left},
            )
            self._announce(saved, minutes_left=minutes_left, at=at)
            escalated.append(saved)
        return escalated

    # -- helpers --------------------------------------------------------------------------

    def _all_orders(
        self, *, deadline_before: datetime, escalated: bool | None = None
    ) -> Iterator[RemovalOrder]:
        after = 0
        while True:
            page = self.store.list_orders(
                states=[OrderState.RECEIVED],
                deadline_before=deadline_before,
                escalated=escalated,
                after=after,
                limit=MAX_PAGE,
            )
            yield from page
            if len(page) < MAX_PAGE:
                return
            after = page[-1].id

    def _announce(self, order: RemovalOrder, *, minutes_left: float, at: datetime) -> None:
        if self.notify is None:
            return
        try:
            self.notify(
                {
                    "kind": AuditAction.ORDER_ESCALATED.value,
                    "order": order.id,
                    "authority": order.authority,
                    "reference": order.reference,
                    "deadline": order.deadline.isoformat(),
                    "minutes_left": minutes_left,
                    "at": at.isoformat(),
                }
            )
        except Exception:  # a notifier never undoes a committed change
            log.exception("order %s: escalation notification failed", order.id)


class OrderWorker:
    """Escalates due orders and purges expired holds every ``seconds``, in a thread."""

    def __init__(self, orders: OrderService, *, seconds: float) -> None:
        self.orders = orders
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="orders", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def tick(self) -> None:
        """One round: escalate, then purge. A failure is logged; the next round retries."""
        for step in (self.orders.escalate_due, self.orders.holds.purge_expired):
            try:
                step()
            except Exception:
                log.exception("orders: %s failed", step.__name__)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.seconds)
