"""Notices to users (EU TCO 2021/784, Art. 11): what was done to their content, and why.

fireline records notices; the platform delivers them. An authority may ask that one be
withheld for up to six weeks (Art. 11(3)); ``list_notices(ready=True)`` gives those the
platform may deliver now. Complying with an order stores its uploader's notice in the
order's own transaction (see services.orders). See docs/orders.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fireline.domain import AuditAction, InvalidInput
from fireline.domain.orders import (
    MAX_NAME,
    MAX_REASON,
    NewNotice,
    Notice,
    NoticeKind,
    RemovalOrder,
    check_withhold_days,
    notice_reason,
    withheld_until,
)
from fireline.domain.review import Case, check_id, parse_enum
from fireline.services.audit import AuditLog
from fireline.services.fields import check_page, text_field
from fireline.services.review import ReviewService
from fireline.store import OrderStore


def utcnow() -> datetime:
    return datetime.now(UTC)


class NoticeService:
    """Notices to users whose content was removed, blocked or restored; durable on return."""

    def __init__(
        self,
        *,
        store: OrderStore,
        review: ReviewService,
        audit: AuditLog,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.review = review
        self.audit = audit
        self.now = now

    def send(
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
        content_ref = text_field(content_ref, what="content_ref", most=MAX_NAME, required=True)
        reason = text_field(reason, what="reason", most=MAX_REASON, required=True)
        uploader = text_field(uploader, what="uploader", most=MAX_NAME)
        days = check_withhold_days(withhold_days)
        actor = text_field(actor, what="an actor", most=MAX_NAME, required=True)
        if order_id is None and case_id is None:
            raise InvalidInput("a notice names its order or its case", code="missing_field")
        if order_id is not None:
            self.store.get_order(check_id(order_id, what="an order"))
        if case_id is not None:
            self.review.case(case_id)
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
        self.record_sent(notice, actor=actor)
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
        check_page(after, limit)
        return self.store.list_notices(
            order_id=order_id,
            case_id=case_id,
            ready_at=self.now() if ready else None,
            after=after,
            limit=limit,
        )

    def order_notice(self, order: RemovalOrder, *, case: Case | None, at: datetime) -> NewNotice:
        """The ``removed`` notice complying with ``order`` at ``at`` gives its uploader
        (withheld as the order asked); the order's store saves it in the order's
        transaction, and ``record_sent`` records it then."""
        return NewNotice(
            kind=NoticeKind.REMOVED,
            content_ref=order.content_ref,
            uploader=order.uploader or (case.uploader if case else ""),
            reason=notice_reason(order),
            created_at=at,
            order_id=order.id,
            case_id=order.case_id,
            withheld_until=withheld_until(at, order.withhold_notice_days),
        )

    def record_sent(self, notice: Notice, *, actor: str) -> None:
        """Record ``notice.sent`` for a notice that was just saved."""
        self.audit.record(
            actor=actor,
            action=AuditAction.NOTICE_SENT,
            subject=f"notice:{notice.id}",
            detail={"kind": notice.kind.value, "withheld": notice.withheld},
        )
