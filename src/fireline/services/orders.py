"""EU TCO Regulation 2021/784: removal orders, preservation holds and notices to users.

Receiving an order opens a review case (severity 5) and starts its clock; complying
removes the case's content, keeps its evidence under a preservation hold and gives the
uploader a notice, all in one transaction. ``escalate_due`` flags open orders whose clock
runs low (once each) and ``purge_expired`` deletes the media of expired holds; a server
runs both periodically (OrderWorker). Every change is durable when a method returns and
recorded in the audit log; details never hold content, hash values or user ids.
See docs/orders.md.
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
    DEFAULT_PRESERVATION,
    MAX_NAME,
    MAX_REASON,
    MAX_TEXT,
    MAX_URL,
    HoldSource,
    HoldState,
    NewHold,
    NewNotice,
    NewOrder,
    Notice,
    NoticeKind,
    OrderFile,
    OrderState,
    PreservationHold,
    RemovalOrder,
    SavedOrder,
    check_withhold_days,
    complied,
    escalation_due,
    extended,
    notice_reason,
    purged,
    refused,
    removed_by_order,
    withheld_until,
)
from fireline.domain.review import (
    QUEUED_STATES,
    Case,
    CaseSource,
    ContentStatus,
    Outcome,
    check_id,
    parse_enum,
)
from fireline.services.audit import AuditLog
from fireline.services.review import ReviewService, _check_page, _retrying, _text
from fireline.store import OrderStore
from fireline.store.evidence import EvidenceStore

log = logging.getLogger("fireline.orders")

Notify = Callable[[Mapping[str, Any]], None]

MAX_PAGE = 1000
#: Who the instance's own periodic work acts as, in the audit log.
INSTANCE = "local"
#: The severity of an order's case: the clock runs.
ORDER_SEVERITY = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


def _time(value: object, *, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(f"{what} must be a time with a zone", code="invalid_time")
    return value.astimezone(UTC)


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    url = _text(value, what="content_url", most=MAX_URL)
    if not url:
        return None
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidInput("content_url is an http(s) URL", code="invalid_url")
    return url


def _positive(duration: timedelta, *, what: str, zero: bool = False) -> timedelta:
    if duration < timedelta(0) or (duration == timedelta(0) and not zero):
        raise InvalidInput(f"{what} must be positive", code="invalid_setting")
    return duration


class OrderService:
    """Removal orders, preservation holds and notices. Every change is durable on return.

    ``deadline`` runs from an order's receipt; an open order with less than ``escalate``
    left is escalated once, and ``notify`` (webhooks) told. A hold keeps evidence for
    ``preservation`` unless extended.
    """

    def __init__(
        self,
        *,
        store: OrderStore,
        review: ReviewService,
        evidence: EvidenceStore,
        audit: AuditLog,
        notify: Notify | None = None,
        deadline: timedelta = DEFAULT_DEADLINE,
        escalate: timedelta = DEFAULT_ESCALATE,
        preservation: timedelta = DEFAULT_PRESERVATION,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.review = review
        self.evidence = evidence
        self.audit = audit
        self.notify = notify
        self.deadline = _positive(deadline, what="the order deadline")
        self.escalate = _positive(escalate, what="the escalation window", zero=True)
        self.preservation = _positive(preservation, what="the preservation period")
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
        at = now if received_at is None else _time(received_at, what="received_at")
        if at > now:
            raise InvalidInput("received_at is in the future", code="invalid_time")
        new = NewOrder(
            authority=_text(authority, what="authority", most=MAX_NAME, required=True),
            reference=_text(reference, what="reference", most=MAX_NAME, required=True),
            content_ref=_text(content_ref, what="content_ref", most=MAX_NAME, required=True),
            reason=_text(reason, what="reason", most=MAX_REASON, required=True),
            received_at=at,
            deadline=at + self.deadline,
            content_url=_url(content_url),
            uploader=_text(uploader, what="uploader", most=MAX_NAME),
            withhold_notice_days=check_withhold_days(withhold_notice_days),
        )
        actor = _text(actor, what="an actor", most=MAX_NAME, required=True)
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
        """The order with its holds and notices."""
        order = self.store.get_order(order_id)
        return OrderFile(
            order=order,
            holds=tuple(self.store.list_holds(order_id=order.id, limit=MAX_PAGE)),
            notices=tuple(self.store.list_notices(order_id=order.id, limit=MAX_PAGE)),
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
        _check_page(after, limit)
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
        confirmation = _text(confirmation, what="confirmation", most=MAX_TEXT, required=True)
        actor = _text(actor, what="an actor", most=MAX_NAME, required=True)

        def attempt() -> tuple[SavedOrder, Case | None]:
            order = self.store.get_order(order_id)
            at = self.now()
            changed = complied(order, at=at, by=actor, confirmation=confirmation)
            case = None if order.case_id is None else self.review.store.get_case(order.case_id)
            removed, decision = removed_by_order(case, order, actor=actor, at=at)
            saved = self.store.save_order(
                changed,
                hold=NewHold(
                    source=HoldSource.ORDER,
                    content_ref=order.content_ref,
                    created_at=at,
                    expires_at=at + self.preservation,
                    order_id=order.id,
                    case_id=order.case_id,
                    media_sha256=None if case is None else case.media_sha256,
                ),
                notice=NewNotice(
                    kind=NoticeKind.REMOVED,
                    content_ref=order.content_ref,
                    uploader=order.uploader or (case.uploader if case else ""),
                    reason=notice_reason(order),
                    created_at=at,
                    order_id=order.id,
                    case_id=order.case_id,
                    withheld_until=withheld_until(at, order.withhold_notice_days),
                ),
                case=removed,
                decision=decision,
            )
            return saved, case if decision is not None else None

        saved, decided = _retrying(attempt, what=f"order {order_id}")
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
        if decided is not None:
            self._case_decided(decided, actor=actor)
        if saved.hold is not None:
            self._hold_created(saved.hold, actor=actor)
        if saved.notice is not None:
            self._notice_sent(saved.notice, actor=actor)
        return order

    def refuse(
        self, order_id: int, *, state: OrderState | str, justification: str, actor: str
    ) -> RemovalOrder:
        """Close an order without complying: ``refused`` (manifest errors, insufficient
        information) or ``impossible`` (force majeure), with the justification the
        authority is given. Its case stays in the review queue."""
        chosen = parse_enum(OrderState, state, what="state", code="invalid_state")
        justification = _text(justification, what="justification", most=MAX_TEXT, required=True)
        actor = _text(actor, what="an actor", most=MAX_NAME, required=True)

        def attempt() -> RemovalOrder:
            order = self.store.get_order(order_id)
            changed = refused(
                order, state=chosen, at=self.now(), by=actor, justification=justification
            )
            return self.store.save_order(changed).order

        order = _retrying(attempt, what=f"order {order_id}")
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

    # -- holds ----------------------------------------------------------------------------

    def get_hold(self, hold_id: int) -> PreservationHold:
        return self.store.get_hold(hold_id)

    def list_holds(
        self, *, state: HoldState | str | None = None, after: int = 0, limit: int = 100
    ) -> list[PreservationHold]:
        _check_page(after, limit)
        chosen = (
            None
            if state is None
            else parse_enum(HoldState, state, what="state", code="invalid_state")
        )
        return self.store.list_holds(state=chosen, after=after, limit=limit)

    def preserve_case(self, case_id: int, *, actor: str) -> PreservationHold:
        """Keep a case's evidence (e.g. one whose actions include ``preserve``) under a
        hold; the case's live hold if it has one already."""
        actor = _text(actor, what="an actor", most=MAX_NAME, required=True)
        case = self.review.store.get_case(check_id(case_id, what="a case"))
        at = self.now()
        for hold in self.store.list_holds(case_id=case.id, state=HoldState.ACTIVE):
            if hold.live(at):
                return hold
        hold = self.store.create_hold(
            NewHold(
                source=HoldSource.CASE,
                content_ref=case.content_ref,
                created_at=at,
                expires_at=at + self.preservation,
                case_id=case.id,
                media_sha256=case.media_sha256,
            )
        )
        self._hold_created(hold, actor=actor)
        return hold

    def extend(self, hold_id: int, *, until: datetime, reason: str, actor: str) -> PreservationHold:
        """Keep a hold's evidence until ``until`` (later than now), at an authority's
        request. Conflict (``hold_purged``); InvalidInput (``invalid_until``)."""
        until = _time(until, what="until")
        reason = _text(reason, what="reason", most=MAX_TEXT, required=True)
        actor = _text(actor, what="an actor", most=MAX_NAME, required=True)

        def attempt() -> PreservationHold:
            hold = self.store.get_hold(hold_id)
            at = self.now()
            if until <= at:
                raise InvalidInput("until must be in the future", code="invalid_until")
            return self.store.save_hold(extended(hold, until=until, reason=reason, at=at))

        hold = _retrying(attempt, what=f"hold {hold_id}")
        self.audit.record(
            actor=actor,
            action=AuditAction.HOLD_EXTENDED,
            subject=f"hold:{hold.id}",
            detail={"until": hold.expires_at.isoformat()},
        )
        return hold

    def purge_expired(self, *, actor: str = INSTANCE) -> list[PreservationHold]:
        """Purge every active hold that has expired: delete its media unless a live hold
        or a case awaiting review still uses them, then mark it ``purged``."""
        at = self.now()
        expired = list(self._all_holds(state=HoldState.ACTIVE, expires_by=at))
        kept = self._media_in_use(expired, at=at)
        done = []
        for hold in expired:
            digest = hold.media_sha256
            if digest is not None and digest not in kept:
                # Media first: a hold still active after a failure is purged next time.
                self.evidence.delete(digest)
            try:
                saved = self.store.save_hold(purged(hold, at=at))
            except Conflict as exc:
                if exc.code != "stale":
                    raise
                continue
            self.audit.record(
                actor=actor, action=AuditAction.HOLD_PURGED, subject=f"hold:{saved.id}"
            )
            done.append(saved)
        return done

    # -- notices --------------------------------------------------------------------------

    def send_notice(
        self,
        *,
        kind: NoticeKind | str,
        content_ref: str,
        reason: str,
        uploader: str = "",
        order_id: int | None = None,
        case_id: int | None = None,
        withhold_days: int = 0,
        actor: str,
    ) -> Notice:
        """Record a notice to the user whose content was removed, blocked or restored.

        It names the order or the case it follows (at least one, which must exist);
        ``withhold_days`` (at most 42) delays it at an authority's request.
        """
        chosen = parse_enum(NoticeKind, kind, what="kind", code="invalid_kind")
        content_ref = _text(content_ref, what="content_ref", most=MAX_NAME, required=True)
        reason = _text(reason, what="reason", most=MAX_REASON, required=True)
        uploader = _text(uploader, what="uploader", most=MAX_NAME)
        days = check_withhold_days(withhold_days)
        actor = _text(actor, what="an actor", most=MAX_NAME, required=True)
        if order_id is None and case_id is None:
            raise InvalidInput("a notice names its order or its case", code="missing_field")
        if order_id is not None:
            self.store.get_order(check_id(order_id, what="an order"))
        if case_id is not None:
            self.review.store.get_case(check_id(case_id, what="a case"))
        at = self.now()
        notice = self.store.create_notice(
            NewNotice(
                kind=chosen,
                content_ref=content_ref,
                uploader=uploader,
                reason=reason,
                created_at=at,
                order_id=order_id,
                case_id=case_id,
                withheld_until=withheld_until(at, days),
            )
        )
        self._notice_sent(notice, actor=actor)
        return notice

    def list_notices(
        self,
        *,
        order_id: int | None = None,
        case_id: int | None = None,
        ready: bool = False,
        after: int = 0,
        limit: int = 100,
    ) -> list[Notice]:
        """Notices in id order; ``ready``: only those the platform may deliver now."""
        _check_page(after, limit)
        return self.store.list_notices(
            order_id=order_id,
            case_id=case_id,
            ready_at=self.now() if ready else None,
            after=after,
            limit=limit,
        )

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

    def _all_holds(self, **filters: Any) -> Iterator[PreservationHold]:
        after = 0
        while True:
            page = self.store.list_holds(**filters, after=after, limit=MAX_PAGE)
            yield from page
            if len(page) < MAX_PAGE:
                return
            after = page[-1].id

    def _media_in_use(self, expired: list[PreservationHold], *, at: datetime) -> set[str]:
        """The media of ``expired`` that a live hold or a case awaiting review still uses."""
        digests = {h.media_sha256 for h in expired if h.media_sha256 is not None}
        if not digests:
            return set()
        kept = {
            digest
            for digest in digests
            if any(h.live(at) for h in self._all_holds(state=HoldState.ACTIVE, media_sha256=digest))
        }
        after = 0
        while True:
            cases = self.review.store.list_cases(
                states=sorted(QUEUED_STATES), after=after, limit=MAX_PAGE
            )
            kept |= {c.media_sha256 for c in cases if c.media_sha256 in digests} - {None}
            if len(cases) < MAX_PAGE:
                return {d for d in kept if d is not None}
            after = cases[-1].id

    def _hold_created(self, hold: PreservationHold, *, actor: str) -> None:
        self.audit.record(
            actor=actor,
            action=AuditAction.HOLD_CREATED,
            subject=f"hold:{hold.id}",
            detail={"until": hold.expires_at.isoformat(), "source": hold.source.value},
        )

    def _notice_sent(self, notice: Notice, *, actor: str) -> None:
        self.audit.record(
            actor=actor,
            action=AuditAction.NOTICE_SENT,
            subject=f"notice:{notice.id}",
            detail={"kind": notice.kind.value, "withheld": notice.withheld},
        )

    def _case_decided(self, before: Case, *, actor: str) -> None:
        """The review log's record of an order's case decided by compliance (the fields
        ReviewService.decide records)."""
        case = self.review.store.get_case(before.id)
        self.audit.record(
            actor=actor,
            action=AuditAction.CASE_DECIDED,
            subject=f"case:{case.id}",
            detail={
                "source": case.source.value,
                "severity": case.severity,
                "labels": list(case.labels),
                "signal_types": list(case.signal_types),
                "incident_id": case.incident_id,
                "account_class": case.account_class,
                "outcome": Outcome.REMOVE.value,
                "previous_status": before.content_status.value,
                "content_status": case.content_status.value,
                "seconds_to_decide": _seconds(case.created_at, case.decided_at),
                "via": "order",
            },
        )

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


def _seconds(start: datetime, end: datetime | None) -> float:
    return round(max(((end or start) - start).total_seconds(), 0.0), 3)


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
        for step in (self.orders.escalate_due, self.orders.purge_expired):
            try:
                step()
            except Exception:
                log.exception("orders: %s failed", step.__name__)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.seconds)
