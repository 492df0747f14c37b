"""Legal staff's pages: removal orders with their one-hour clock, and preservation holds.

Each needs the ``legal`` permission, as the API routes they mirror. Listing orders first
escalates the due ones, as ``GET /v1/orders`` does. Forms post to the same services the
API calls; a form that cannot be accepted answers with an error page and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from fireline.domain import InvalidInput, Permission, allows
from fireline.domain.orders import REFUSALS, HoldSource, HoldState, OrderState
from fireline.services.order_views import clock_text
from fireline.web.ui.app import ui_of

router = APIRouter()
S = TypeVar("S", OrderState, HoldState)

PAGE = 100
After = Annotated[int, Query(ge=0, description="Only those with a larger id.")]
#: The filters of the orders page: (query value, label, the states it shows).
ORDER_FILTERS: tuple[tuple[str, str, OrderState | None], ...] = (
    ("open", "Open", OrderState.RECEIVED),
    ("complied", "Complied", OrderState.COMPLIED),
    ("refused", "Refused", OrderState.REFUSED),
    ("impossible", "Impossible", OrderState.IMPOSSIBLE),
    ("all", "All", None),
)
HOLD_FILTERS: tuple[tuple[str, str, HoldState | None], ...] = (
    ("active", "Active", HoldState.ACTIVE),
    ("purged", "Purged", HoldState.PURGED),
    ("released", "Released", HoldState.RELEASED),
    ("all", "All", None),
)


def _chosen(filters: tuple[tuple[str, str, S | None], ...], value: str) -> S | None:
    for name, _label, state in filters:
        if name == value:
            return state
    known = ", ".join(name for name, _, _ in filters)
    raise InvalidInput(f"show one of: {known}", code="invalid_state")


def _date(value: str) -> datetime:
    """A form's date (``YYYY-MM-DD``) as the start of that day in UTC."""
    try:
        return datetime.combine(date.fromisoformat(value.strip()), datetime.min.time(), UTC)
    except ValueError:
        raise InvalidInput("choose a date (YYYY-MM-DD)", code="invalid_time") from None


@router.get("/orders", response_class=HTMLResponse)
def orders(request: Request, show: str = "open", after: After = 0) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.LEGAL)
    service = ui.container.orders
    state = _chosen(ORDER_FILTERS, show)
    service.escalate_due()
    found = service.list_orders(state=state, after=after, limit=PAGE)
    at = service.now()
    rows = sorted(found, key=lambda o: (o.deadline, o.id)) if show == "open" else found
    return ui.page(
        request,
        "orders.html",
        key,
        orders=[(o, clock_text(o, at=at), o.overdue(at)) for o in rows],
        filters=ORDER_FILTERS,
        show=show,
        next_after=found[-1].id if len(found) == PAGE else None,
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order(request: Request, order_id: int) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.LEGAL)
    service = ui.container.orders
    found = service.file(order_id)
    case = None
    if found.order.case_id is not None:
        case = ui.container.review.case(found.order.case_id)
    at = service.now()
    return ui.page(
        request,
        "order.html",
        key,
        order=found.order,
        holds=found.holds,
        notices=found.notices,
        case=case,
        case_link=allows(key.role, Permission.REVIEW),
        clock=clock_text(found.order, at=at),
        overdue=found.order.overdue(at),
        refusals=sorted(s.value for s in REFUSALS),
    )


@router.post("/orders/{order_id}/comply")
async def comply(
    request: Request, order_id: int, confirmation: Annotated[str, Form()] = ""
) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.LEGAL)
    done = await run_in_threadpool(
        lambda: ui.container.orders.comply(order_id, confirmation=confirmation, actor=key.actor)
    )
    timing = "within the deadline" if done.within_deadline else "after the deadline"
    return RedirectResponse(
        f"/ui/orders/{order_id}?flash=Complied {timing}: content removed, evidence held",
        status_code=303,
    )


@router.post("/orders/{order_id}/refuse")
async def refuse(
    request: Request,
    order_id: int,
    state: Annotated[str, Form()] = "",
    justification: Annotated[str, Form()] = "",
) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.LEGAL)
    if state not in {s.value for s in REFUSALS}:
        raise InvalidInput("choose a ground: refused or impossible", code="invalid_state")
    done = await run_in_threadpool(
        lambda: ui.container.orders.refuse(
            order_id, state=state, justification=justification, actor=key.actor
        )
    )
    return RedirectResponse(f"/ui/orders/{order_id}?flash=Order {done.state}", status_code=303)


@router.get("/holds", response_class=HTMLResponse)
def holds(request: Request, show: str = "active", after: After = 0) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.LEGAL)
    found = ui.container.holds.list_holds(
        state=_chosen(HOLD_FILTERS, show), after=after, limit=PAGE
    )
    return ui.page(
        request,
        "holds.html",
        key,
        holds=found,
        filters=HOLD_FILTERS,
        show=show,
        next_after=found[-1].id if len(found) == PAGE else None,
    )


@router.get("/holds/{hold_id}", response_class=HTMLResponse)
def hold(request: Request, hold_id: int) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.LEGAL)
    found = ui.container.holds.get(hold_id)
    return ui.page(
        request,
        "hold.html",
        key,
        hold=found,
        active=found.state is HoldState.ACTIVE,
        releasable=found.source is HoldSource.CASE,
        case_link=allows(key.role, Permission.REVIEW),
    )


@router.post("/holds/{hold_id}/extend")
async def extend(
    request: Request,
    hold_id: int,
    until: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.LEGAL)
    when = _date(until)
    done = await run_in_threadpool(
        lambda: ui.container.holds.extend(hold_id, until=when, reason=reason, actor=key.actor)
    )
    return RedirectResponse(
        f"/ui/holds/{hold_id}?flash=Kept until {done.expires_at:%Y-%m-%d %H:%M} UTC",
        status_code=303,
    )


@router.post("/holds/{hold_id}/release")
async def release(request: Request, hold_id: int, reason: Annotated[str, Form()] = "") -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.LEGAL)
    await run_in_threadpool(
        lambda: ui.container.holds.release(hold_id, reason=reason, actor=key.actor)
    )
    return RedirectResponse(f"/ui/holds/{hold_id}?flash=Hold released", status_code=303)
