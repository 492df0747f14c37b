"""EU TCO 2021/784: removal orders, preservation holds, notices to users and the review
proceedings brought against orders.

Every route needs the ``legal`` permission; the key's actor is who complied, refused,
extended or recorded a proceeding, in the orders and the audit log. Listing orders first
escalates the due ones, so a clock that runs low is flagged whenever anyone looks (the
server's worker does it every ``FIRELINE_ORDER_CHECK_SECONDS`` too).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from fireline.domain.orders import HoldState, OrderState
from fireline.services.order_views import (
    hold_view,
    notice_view,
    order_file_view,
    order_view,
    proceeding_view,
)
from fireline.web.deps import ContainerDep, LegalKey
from fireline.web.order_schemas import (
    HoldExtension,
    HoldPublic,
    HoldRelease,
    HoldsPublic,
    NoticeCreate,
    NoticePublic,
    NoticesPublic,
    OrderCompliance,
    OrderCreate,
    OrderFilePublic,
    OrderPublic,
    OrderRefusal,
    OrdersPublic,
    ProceedingCreate,
    ProceedingDecision,
    ProceedingPublic,
    ProceedingsPublic,
)
from fireline.web.schemas import error_responses

router = APIRouter(prefix="/v1", tags=["orders"])
_ERRORS = error_responses(401, 403, 404, 409, 422)


def _order(container: ContainerDep, order_id: int) -> OrderFilePublic:
    orders = container.orders
    return OrderFilePublic.model_validate(order_file_view(orders.file(order_id), at=orders.now()))


@router.post(
    "/orders", response_model=OrderPublic, status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
def receive_order(body: OrderCreate, container: ContainerDep, key: LegalKey) -> OrderPublic:
    """Record a removal order: its clock starts, and a case opens in the review queue."""
    orders = container.orders
    order = orders.receive(
        authority=body.authority,
        reference=body.reference,
        content_ref=body.content_ref,
        reason=body.reason,
        content_url=body.content_url,
        uploader=body.uploader,
        withhold_notice_days=body.withhold_notice_days,
        received_at=body.received_at,
        actor=key.actor,
    )
    return OrderPublic.model_validate(order_view(order, at=orders.now()))


@router.get("/orders", response_model=OrdersPublic, responses=_ERRORS)
def list_orders(
    container: ContainerDep,
    _key: LegalKey,
    state: OrderState | None = None,
    overdue: Annotated[bool, Query(description="Only open orders past their deadline.")] = False,
    after: Annotated[int, Query(ge=0, description="Only orders with a larger id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> OrdersPublic:
    """Orders oldest first (escalating the due ones first); page on with ``after``."""
    orders = container.orders
    orders.escalate_due()
    found = orders.list_orders(state=state, overdue=overdue, after=after, limit=limit)
    at = orders.now()
    return OrdersPublic(orders=[OrderPublic.model_validate(order_view(o, at=at)) for o in found])


@router.get("/orders/{order_id}", response_model=OrderFilePublic, responses=_ERRORS)
def get_order(order_id: int, container: ContainerDep, _key: LegalKey) -> OrderFilePublic:
    """One order with its preservation holds and notices."""
    return _order(container, order_id)


@router.post("/orders/{order_id}/comply", response_model=OrderFilePublic, responses=_ERRORS)
def comply(
    order_id: int, body: OrderCompliance, container: ContainerDep, key: LegalKey
) -> OrderFilePublic:
    """The content was removed or disabled and the authority told: close the order, remove
    its case's content, hold the evidence, notify the uploader. 409 ``order_closed``."""
    container.orders.comply(order_id, confirmation=body.confirmation, actor=key.actor)
    return _order(container, order_id)


@router.post("/orders/{order_id}/refuse", response_model=OrderFilePublic, responses=_ERRORS)
def refuse(
    order_id: int, body: OrderRefusal, container: ContainerDep, key: LegalKey
) -> OrderFilePublic:
    """Close an order without complying: refused or impossible, with a justification."""
    container.orders.refuse(
        order_id, state=body.state, justification=body.justification, actor=key.actor
    )
    return _order(container, order_id)


@router.post(
    "/orders/{order_id}/proceedings",
    response_model=ProceedingPublic,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
def bring_proceeding(
    order_id: int, body: ProceedingCreate, container: ContainerDep, key: LegalKey
) -> ProceedingPublic:
    """Record an administrative or judicial review proceeding brought against the order.
    409 ``duplicate_proceeding``; 422 ``brought_before_received``."""
    proceeding = container.proceedings.bring(
        order_id,
        party=body.party,
        body=body.body,
        reference=body.reference,
        brought_at=body.brought_at,
        actor=key.actor,
    )
    return ProceedingPublic.model_validate(proceeding_view(proceeding))


@router.get("/orders/{order_id}/proceedings", response_model=ProceedingsPublic, responses=_ERRORS)
def list_proceedings(
    order_id: int,
    container: ContainerDep,
    _key: LegalKey,
    after: Annotated[int, Query(ge=0, description="Only proceedings with a larger id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ProceedingsPublic:
    """The order's review proceedings oldest first."""
    found = container.proceedings.of_order(order_id, after=after, limit=limit)
    return ProceedingsPublic(
        proceedings=[ProceedingPublic.model_validate(proceeding_view(p)) for p in found]
    )


@router.get("/proceedings/{proceeding_id}", response_model=ProceedingPublic, responses=_ERRORS)
def get_proceeding(proceeding_id: int, container: ContainerDep, _key: LegalKey) -> ProceedingPublic:
    """One review proceeding."""
    return ProceedingPublic.model_validate(
        proceeding_view(container.proceedings.get(proceeding_id))
    )


@router.post(
    "/proceedings/{proceeding_id}/decision", response_model=ProceedingPublic, responses=_ERRORS
)
def decide_proceeding(
    proceeding_id: int, body: ProceedingDecision, container: ContainerDep, key: LegalKey
) -> ProceedingPublic:
    """Record the outcome; ``reinstatement_required`` reinstates the order's content in the
    same transaction. 409 ``proceeding_decided``, ``nothing_to_reinstate``; 422
    ``decided_before_brought``, ``reinstatement_upheld``."""
    proceeding = container.proceedings.decide(
        proceeding_id,
        outcome=body.outcome,
        reinstatement_required=body.reinstatement_required,
        decided_at=body.decided_at,
        actor=key.actor,
    )
    return ProceedingPublic.model_validate(proceeding_view(proceeding))


@router.get("/holds", response_model=HoldsPublic, responses=_ERRORS)
def list_holds(
    container: ContainerDep,
    _key: LegalKey,
    state: HoldState | None = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> HoldsPublic:
    """Preservation holds oldest first."""
    found = container.holds.list_holds(state=state, after=after, limit=limit)
    return HoldsPublic(holds=[HoldPublic.model_validate(hold_view(h)) for h in found])


@router.post("/holds/purge", response_model=HoldsPublic, responses=_ERRORS)
def purge(container: ContainerDep, key: LegalKey) -> HoldsPublic:
    """Purge the holds that expired now (what the server's worker does periodically)."""
    done = container.holds.purge_expired(actor=key.actor)
    return HoldsPublic(holds=[HoldPublic.model_validate(hold_view(h)) for h in done])


@router.post("/holds/{hold_id}/extend", response_model=HoldPublic, responses=_ERRORS)
def extend(hold_id: int, body: HoldExtension, container: ContainerDep, key: LegalKey) -> HoldPublic:
    """Keep a hold's evidence longer, at an authority's request. 409 ``hold_purged``,
    ``hold_released``."""
    hold = container.holds.extend(hold_id, until=body.until, reason=body.reason, actor=key.actor)
    return HoldPublic.model_validate(hold_view(hold))


@router.post("/holds/{hold_id}/release", response_model=HoldPublic, responses=_ERRORS)
def release(hold_id: int, body: HoldRelease, container: ContainerDep, key: LegalKey) -> HoldPublic:
    """End a case's hold now; its media go unless still used. 409 ``hold_by_order``."""
    hold = container.holds.release(hold_id, reason=body.reason, actor=key.actor)
    return HoldPublic.model_validate(hold_view(hold))


@router.get("/notices", response_model=NoticesPublic, responses=_ERRORS)
def list_notices(
    container: ContainerDep,
    _key: LegalKey,
    order: Annotated[int | None, Query(ge=1)] = None,
    case: Annotated[int | None, Query(ge=1)] = None,
    ready: Annotated[bool, Query(description="Only notices deliverable now.")] = False,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> NoticesPublic:
    """Notices to users oldest first; ``ready=true``: those not (or no longer) withheld."""
    found = container.notices.list_notices(
        order_id=order, case_id=case, ready=ready, after=after, limit=limit
    )
    return NoticesPublic(notices=[NoticePublic.model_validate(notice_view(n)) for n in found])


@router.post(
    "/notices",
    response_model=NoticePublic,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
def send_notice(body: NoticeCreate, container: ContainerDep, key: LegalKey) -> NoticePublic:
    """Record a notice to a user (it names the order or the case it follows)."""
    notice = container.notices.send(
        kind=body.kind,
        content_ref=body.content_ref,
        uploader=body.uploader,
        reason=body.reason,
        order_id=body.order_id,
        case_id=body.case_id,
        withhold_days=body.withhold_days,
        actor=key.actor,
    )
    return NoticePublic.model_validate(notice_view(notice))
