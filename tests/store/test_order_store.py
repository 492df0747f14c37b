"""The order store contract (orders, holds, notices), on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fireline.domain import Conflict, NotFound
from fireline.domain.orders import (
    HoldSource,
    HoldState,
    NewHold,
    NewNotice,
    NewOrder,
    NoticeKind,
    OrderState,
    RemovalOrder,
)
from fireline.domain.review import (
    Case,
    CaseSource,
    CaseState,
    ContentStatus,
    NewCase,
    NewDecision,
    Outcome,
)
from fireline.store import Store

T0 = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def order_case(store: Store) -> Case:
    return store.review.create_case(
        NewCase(
            source=CaseSource.ORDER,
            severity=5,
            content_ref="post-1",
            created_at=T0,
            content_status=ContentStatus.VISIBLE,
            media_sha256="c" * 64,
        )
    )


def receive(store: Store, **changes: Any) -> RemovalOrder:
    new = NewOrder(
        authority="BKA",
        reference="TCO-1",
        content_ref="post-1",
        reason="glorifies an attack",
        received_at=T0,
        deadline=T0 + HOUR,
        content_url="https://example.org/p/1",
        uploader="user-9",
        case_id=order_case(store).id,
        withhold_notice_days=7,
    )
    return store.orders.create_order(replace(new, **changes))


def hold(order: RemovalOrder, **changes: Any) -> NewHold:
    base = NewHold(
        source=HoldSource.ORDER,
        content_ref=order.content_ref,
        created_at=T0,
        expires_at=T0 + timedelta(days=183),
        order_id=order.id,
        case_id=order.case_id,
        media_sha256="c" * 64,
    )
    return replace(base, **changes)


def test_an_order_reads_back_whole_and_an_authoritys_reference_is_unique(store: Store) -> None:
    order = receive(store)
    assert (order.id, order.state, order.version, order.escalated) == (
        1,
        OrderState.RECEIVED,
        1,
        False,
    )
    assert order.received_at == T0 and order.deadline == T0 + HOUR
    assert (order.content_url, order.uploader, order.withhold_notice_days) == (
        "https://example.org/p/1",
        "user-9",
        7,
    )
    assert store.orders.get_order(order.id) == order
    assert store.orders.find_order("BKA", "TCO-1") == order
    assert store.orders.find_order("BKA", "TCO-2") is None
    with pytest.raises(Conflict) as raised:
        receive(store)
    assert raised.value.code == "duplicate_order"
    assert [o.id for o in store.orders.list_orders()] == [order.id]
    assert receive(store, authority="Politie").id > order.id


@pytest.mark.parametrize("missing", [0, 999, -1, 2**63])
def test_unknown_orders_and_holds_are_not_found(store: Store, missing: int) -> None:
    with pytest.raises(NotFound) as raised:
        store.orders.get_order(missing)
    assert raised.value.code == "order_not_found"
    with pytest.raises(NotFound) as raised:
        store.orders.get_hold(missing)
    assert raised.value.code == "hold_not_found"


def test_complying_saves_the_order_hold_notice_and_case_together(store: Store) -> None:
    order = receive(store)
    case = store.review.get_case(order.case_id or 0)
    at = T0 + timedelta(minutes=20)
    decided = replace(
        case, state=CaseState.DECIDED, content_status=ContentStatus.REMOVED, outcome=Outcome.REMOVE
    )
    saved = store.orders.save_order(
        replace(
            order, state=OrderState.COMPLIED, closed_at=at, closed_by="legal", confirmation="ok"
        ),
        hold=hold(order),
        notice=NewNotice(
            kind=NoticeKind.REMOVED,
            content_ref="post-1",
            uploader="user-9",
            reason="an order",
            created_at=at,
            order_id=order.id,
            case_id=order.case_id,
            withheld_until=at + timedelta(days=7),
        ),
        case=decided,
        decision=NewDecision(reviewer="legal", outcome=Outcome.REMOVE, reason="order", at=at),
    )
    assert saved.order.version == 2 and saved.order.complied_at == at
    assert saved.order.seconds_to_comply == 1200.0 and saved.order.within_deadline is True
    assert saved.hold is not None and saved.hold.state is HoldState.ACTIVE
    assert saved.notice is not None and saved.notice.withheld
    assert store.review.get_case(case.id).content_status is ContentStatus.REMOVED
    assert [d.reviewer for d in store.review.decisions(case.id)] == ["legal"]
    assert store.orders.list_holds(order_id=order.id) == [saved.hold]
    assert store.orders.list_notices(order_id=order.id) == [saved.notice]
    assert store.orders.list_notices(ready_at=at) == []
    assert store.orders.list_notices(ready_at=at + timedelta(days=7)) == [saved.notice]


def test_a_stale_case_rolls_the_whole_compliance_back(store: Store) -> None:
    order = receive(store)
    case = store.review.get_case(order.case_id or 0)
    store.review.save_case(replace(case, severity=4))
    with pytest.raises(Conflict) as raised:
        store.orders.save_order(
            replace(order, state=OrderState.COMPLIED, closed_at=T0),
            hold=hold(order),
            case=replace(case, content_status=ContentStatus.REMOVED),
        )
    assert raised.value.code == "stale"
    assert store.orders.get_order(order.id) == order
    assert store.orders.list_holds() == []
    assert store.review.get_case(case.id).content_status is ContentStatus.VISIBLE
    with pytest.raises(Conflict):
        store.orders.save_order(replace(order, version=7))


def test_orders_filter_by_state_deadline_and_escalation(store: Store) -> None:
    first = receive(store)
    second = receive(store, reference="TCO-2", deadline=T0 + 2 * HOUR)
    store.orders.save_order(replace(first, escalated_at=T0 + timedelta(minutes=50)))
    closed = receive(store, reference="TCO-3")
    store.orders.save_order(replace(closed, state=OrderState.REFUSED, closed_at=T0))
    open_ = [OrderState.RECEIVED]
    assert [o.id for o in store.orders.list_orders(states=open_)] == [first.id, second.id]
    due = store.orders.list_orders(states=open_, deadline_before=T0 + HOUR + timedelta(seconds=1))
    assert [o.id for o in due] == [first.id]
    assert store.orders.list_orders(states=open_, deadline_before=T0 + HOUR) == []
    assert [o.id for o in store.orders.list_orders(escalated=False)] == [second.id, closed.id]
    assert [o.id for o in store.orders.list_orders(after=first.id, limit=1)] == [second.id]


def test_holds_are_saved_with_optimistic_locking_and_filtered(store: Store) -> None:
    order = receive(store)
    kept = store.orders.create_hold(hold(order))
    other = store.orders.create_hold(
        hold(order, source=HoldSource.CASE, order_id=None, media_sha256=None, expires_at=T0)
    )
    later = T0 + timedelta(days=400)
    extended = store.orders.save_hold(replace(kept, expires_at=later, extension_reason="trial"))
    assert (extended.version, extended.expires_at, extended.extension_reason) == (2, later, "trial")
    with pytest.raises(Conflict):
        store.orders.save_hold(replace(kept, state=HoldState.PURGED))
    assert store.orders.list_holds(expires_by=T0) == [other]
    assert store.orders.list_holds(media_sha256="c" * 64) == [extended]
    assert store.orders.list_holds(case_id=order.case_id, state=HoldState.ACTIVE) == [
        extended,
        other,
    ]
    purged = store.orders.save_hold(replace(other, state=HoldState.PURGED, purged_at=T0))
    assert store.orders.list_holds(state=HoldState.PURGED) == [purged]


def test_a_released_hold_reads_back_with_its_reason(store: Store) -> None:
    order = receive(store)
    created = store.orders.create_hold(hold(order, source=HoldSource.CASE, order_id=None))
    assert (created.release_reason, created.released_at) == ("", None)
    ended = replace(
        created, state=HoldState.RELEASED, released_at=T0, release_reason="decided keep"
    )
    saved = store.orders.save_hold(ended)
    assert saved == replace(ended, version=2) == store.orders.get_hold(created.id)
    assert store.orders.list_holds(state=HoldState.RELEASED) == [saved]
    assert store.orders.list_holds(state=HoldState.ACTIVE) == []
