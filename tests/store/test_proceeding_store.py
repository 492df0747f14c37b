"""The order store's review proceedings, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from fireline.domain import Conflict, NotFound
from fireline.domain.proceedings import (
    NewProceeding,
    Proceeding,
    ProceedingOutcome,
    ProceedingParty,
)
from fireline.domain.review import CaseState, ContentStatus, NewDecision, Outcome
from fireline.store import Store
from tests.store.test_order_store import T0, receive

DAY = timedelta(days=1)


def bring(store: Store, order_id: int, **changes: Any) -> Proceeding:
    new = NewProceeding(
        order_id=order_id,
        party=ProceedingParty.HOSTING_PROVIDER,
        body="Verwaltungsgericht Wiesbaden",
        reference="6 K 17/26",
        brought_at=T0 + DAY,
    )
    return store.orders.create_proceeding(replace(new, **changes))


def test_a_proceeding_reads_back_pending_and_is_unique_per_order(store: Store) -> None:
    order = receive(store)
    brought = bring(store, order.id)
    assert brought == Proceeding(
        id=brought.id,
        order_id=order.id,
        party=ProceedingParty.HOSTING_PROVIDER,
        body="Verwaltungsgericht Wiesbaden",
        reference="6 K 17/26",
        brought_at=T0 + DAY,
    )
    assert (brought.state, brought.decided, brought.version) == ("pending", False, 1)
    assert store.orders.get_proceeding(brought.id) == brought
    with pytest.raises(Conflict) as raised:
        bring(store, order.id, party=ProceedingParty.CONTENT_PROVIDER)
    assert raised.value.code == "duplicate_proceeding"
    other = receive(store, reference="TCO-2")
    # The same court case may concern another order, and the order another court case.
    assert bring(store, other.id).id > brought.id
    assert bring(store, order.id, reference="6 K 18/26").order_id == order.id
    assert [p.reference for p in store.orders.list_proceedings(order_id=order.id)] == [
        "6 K 17/26",
        "6 K 18/26",
    ]


@pytest.mark.parametrize("missing", [0, 999, -1, 2**63])
def test_unknown_proceedings_and_orders_are_not_found(store: Store, missing: int) -> None:
    with pytest.raises(NotFound) as raised:
        store.orders.get_proceeding(missing)
    assert raised.value.code == "proceeding_not_found"
    with pytest.raises(NotFound) as raised:
        bring(store, missing)
    assert raised.value.code == "order_not_found"
    assert store.orders.list_proceedings() == []
    assert store.orders.list_proceedings(order_id=missing) == []


def test_deciding_saves_the_proceeding_and_reinstates_the_case_together(store: Store) -> None:
    order = receive(store)
    case = store.review.get_case(order.case_id or 0)
    removed = store.review.save_case(
        replace(case, state=CaseState.DECIDED, content_status=ContentStatus.REMOVED),
        decision=NewDecision(reviewer="legal", outcome=Outcome.REMOVE, reason="order", at=T0),
    )
    brought = bring(store, order.id)
    at = T0 + 30 * DAY
    decided = replace(
        brought,
        outcome=ProceedingOutcome.ANNULLED,
        decided_at=at,
        decided_by="legal",
        reinstatement_required=True,
    )
    saved = store.orders.save_proceeding(
        decided,
        case=replace(removed, content_status=ContentStatus.RESTORED, outcome=Outcome.KEEP),
        decision=NewDecision(reviewer="legal", outcome=Outcome.KEEP, reason="court", at=at),
    )
    assert saved == replace(decided, version=2) == store.orders.get_proceeding(brought.id)
    assert (saved.state, saved.decided) == ("decided", True)
    assert store.review.get_case(case.id).content_status is ContentStatus.RESTORED
    assert [d.outcome for d in store.review.decisions(case.id)] == [Outcome.REMOVE, Outcome.KEEP]
    assert store.orders.list_proceedings(decided=True) == [saved]
    assert store.orders.list_proceedings(decided=False) == []
    with pytest.raises(Conflict) as raised:
        store.orders.save_proceeding(decided)  # read at version 1: stale
    assert raised.value.code == "stale"


def test_a_stale_case_rolls_the_whole_decision_back(store: Store) -> None:
    order = receive(store)
    case = store.review.get_case(order.case_id or 0)
    store.review.save_case(replace(case, severity=4))
    brought = bring(store, order.id)
    with pytest.raises(Conflict) as raised:
        store.orders.save_proceeding(
            replace(brought, outcome=ProceedingOutcome.VARIED, decided_at=T0 + DAY),
            case=replace(case, content_status=ContentStatus.RESTORED),
            decision=NewDecision(reviewer="x", outcome=Outcome.KEEP, reason="r", at=T0),
        )
    assert raised.value.code == "stale"
    assert store.orders.get_proceeding(brought.id) == brought
    assert store.review.decisions(case.id) == []
    assert store.review.get_case(case.id).content_status is ContentStatus.VISIBLE


def test_proceedings_page_in_id_order(store: Store) -> None:
    order = receive(store)
    made = [bring(store, order.id, reference=f"ref-{i}") for i in range(5)]
    assert store.orders.list_proceedings(after=made[1].id, limit=2) == made[2:4]
    assert store.orders.list_proceedings(after=2**70) == []
    assert store.orders.list_proceedings(limit=0) == []
