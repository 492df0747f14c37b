"""The JSON forms of removal orders, preservation holds, notices and review proceedings
(API, `--json`), and an order's clock in words (the web UI)."""

from __future__ import annotations

import math
from datetime import datetime

from fireline.domain.orders import Notice, OrderFile, PreservationHold, RemovalOrder
from fireline.domain.proceedings import Proceeding
from fireline.services.views import View, time_view


def order_view(order: RemovalOrder, *, at: datetime) -> View:
    """The order as of ``at``: ``minutes_left`` and ``overdue`` run with its clock."""
    return {
        "id": order.id,
        "authority": order.authority,
        "reference": order.reference,
        "content_ref": order.content_ref,
        "content_url": order.content_url,
        "uploader": order.uploader,
        "reason": order.reason,
        "state": str(order.state),
        "case_id": order.case_id,
        "received_at": time_view(order.received_at),
        "deadline": time_view(order.deadline),
        "minutes_left": order.minutes_left(at) if order.is_open else None,
        "overdue": order.overdue(at),
        "escalated": order.escalated,
        "escalated_at": time_view(order.escalated_at),
        "withhold_notice_days": order.withhold_notice_days,
        "closed_at": time_view(order.closed_at),
        "closed_by": order.closed_by,
        "complied_at": time_view(order.complied_at),
        "seconds_to_comply": order.seconds_to_comply,
        "within_deadline": order.within_deadline,
        "confirmation": order.confirmation,
        "justification": order.justification,
    }


def hold_view(hold: PreservationHold) -> View:
    return {
        "id": hold.id,
        "source": str(hold.source),
        "state": str(hold.state),
        "order_id": hold.order_id,
        "case_id": hold.case_id,
        "content_ref": hold.content_ref,
        "has_media": hold.media_sha256 is not None,
        "created_at": time_view(hold.created_at),
        "expires_at": time_view(hold.expires_at),
        "extension_reason": hold.extension_reason,
        "extended_at": time_view(hold.extended_at),
        "purged_at": time_view(hold.purged_at),
        "release_reason": hold.release_reason,
        "released_at": time_view(hold.released_at),
    }


def notice_view(notice: Notice) -> View:
    return {
        "id": notice.id,
        "kind": str(notice.kind),
        "content_ref": notice.content_ref,
        "uploader": notice.uploader,
        "reason": notice.reason,
        "order_id": notice.order_id,
        "case_id": notice.case_id,
        "created_at": time_view(notice.created_at),
        "withheld": notice.withheld,
        "withheld_until": time_view(notice.withheld_until),
    }


def proceeding_view(proceeding: Proceeding) -> View:
    return {
        "id": proceeding.id,
        "order_id": proceeding.order_id,
        "party": str(proceeding.party),
        "body": proceeding.body,
        "reference": proceeding.reference,
        "brought_at": time_view(proceeding.brought_at),
        "state": proceeding.state,
        "outcome": None if proceeding.outcome is None else str(proceeding.outcome),
        "decided_at": time_view(proceeding.decided_at),
        "decided_by": proceeding.decided_by,
        "reinstatement_required": proceeding.reinstatement_required,
    }


def order_file_view(found: OrderFile, *, at: datetime) -> View:
    return {
        **order_view(found.order, at=at),
        "holds": [hold_view(h) for h in found.holds],
        "notices": [notice_view(n) for n in found.notices],
        "proceedings": [proceeding_view(p) for p in found.proceedings],
    }


def clock_text(order: RemovalOrder, *, at: datetime) -> str:
    """An open order's one-hour clock in words at ``at``: ``42 min left``, ``under 1 min
    left``, ``overdue by 5 min``; a closed order's state. (ui.js counts the same way.)"""
    if not order.is_open:
        return str(order.state)
    seconds = (order.deadline - at).total_seconds()
    if seconds >= 60:
        return f"{math.floor(seconds / 60)} min left"
    if seconds >= 0:
        return "under 1 min left"
    return f"overdue by {math.ceil(-seconds / 60)} min"
