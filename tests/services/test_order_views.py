"""An order's one-hour clock in words, as the web UI shows it (ui.js counts the same way)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from fireline.domain.orders import OrderState, RemovalOrder
from fireline.services.order_views import clock_text

T0 = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)
ORDER = RemovalOrder(
    id=1,
    authority="BKA",
    reference="TCO-1",
    content_ref="post-1",
    reason="r",
    received_at=T0,
    deadline=T0 + timedelta(hours=1),
)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(0), "60 min left"),
        (timedelta(seconds=1), "59 min left"),
        (timedelta(minutes=58, seconds=59), "1 min left"),
        (timedelta(minutes=59, seconds=1), "under 1 min left"),
        (timedelta(hours=1), "under 1 min left"),
        (timedelta(hours=1, seconds=1), "overdue by 1 min"),
        (timedelta(hours=1, minutes=5), "overdue by 5 min"),
        (timedelta(hours=1, minutes=5, seconds=1), "overdue by 6 min"),
    ],
)
def test_an_open_orders_clock(elapsed: timedelta, expected: str) -> None:
    assert clock_text(ORDER, at=T0 + elapsed) == expected


def test_a_closed_orders_clock_is_its_state() -> None:
    done = replace(ORDER, state=OrderState.COMPLIED, closed_at=T0)
    assert clock_text(done, at=T0 + timedelta(hours=3)) == "complied"
