"""Review proceedings against removal orders: brought, decided, and the content reinstated
when a decision requires it, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from fireline.domain import AuditAction, Conflict, InvalidInput, NotFound
from fireline.domain.orders import RemovalOrder
from fireline.domain.proceedings import Proceeding, ProceedingOutcome, ProceedingParty
from fireline.domain.review import CaseState, ContentStatus, Outcome
from fireline.services.proceedings import ProceedingService
from tests.services.test_orders import LEGAL, T0, Legal, legal, store  # noqa: F401

DAY = timedelta(days=1)
COURT = "Verwaltungsgericht Wiesbaden"


@pytest.fixture
def proceedings(legal: Legal) -> ProceedingService:  # noqa: F811
    return ProceedingService(
        store=legal.store.orders, review=legal.service.review, audit=legal.audit, now=legal.clock
    )


def _complied(legal: Legal) -> RemovalOrder:  # noqa: F811
    order = legal.receive()
    legal.clock.advance(minutes=20)
    legal.service.comply(order.id, confirmation="removed", actor=LEGAL)
    legal.clock.advance(days=2)
    return order


def _bring(service: ProceedingService, order_id: int, **changes: Any) -> Proceeding:
    fields: dict[str, Any] = {
        "party": ProceedingParty.HOSTING_PROVIDER,
        "body": COURT,
        "reference": "6 K 17/26",
        "actor": LEGAL,
    }
    fields.update(changes)
    return service.bring(order_id, **fields)


def test_a_proceeding_is_brought_against_an_order_and_recorded(
    legal: Legal,  # noqa: F811
    proceedings: ProceedingService,
) -> None:
    order = _complied(legal)
    brought = _bring(proceedings, order.id, brought_at=T0 + DAY)
    assert (brought.order_id, brought.party, brought.body, brought.reference) == (
        order.id,
        ProceedingParty.HOSTING_PROVIDER,
        COURT,
        "6 K 17/26",
    )
    assert (brought.brought_at, brought.state, brought.outcome) == (T0 + DAY, "pending", None)
    now = _bring(proceedings, order.id, party="content_provider", reference="6 K 18/26")
    assert now.brought_at == legal.clock.at
    assert proceedings.of_order(order.id) == [brought, now]
    assert legal.service.file(order.id).proceedings == (brought, now)
    first, _ = legal.records(AuditAction.PROCEEDING_BROUGHT)
    assert (first.actor, first.subject) == (LEGAL, f"proceeding:{brought.id}")
    assert first.detail == {
        "order": order.id,
        "party": "hosting_provider",
        "brought_at": (T0 + DAY).isoformat(),
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"party": ""}, "missing_field"),
        ({"party": "the platform"}, "invalid_party"),
        ({"body": "  "}, "missing_field"),
        ({"reference": ""}, "missing_field"),
        ({"body": "x" * 201}, "text_too_long"),
        ({"brought_at": datetime(2026, 3, 16, 9, 0)}, "invalid_time"),
        ({"brought_at": "2026-03-16"}, "invalid_time"),
        ({"brought_at": T0 + 30 * DAY}, "invalid_time"),  # in the future
        ({"brought_at": T0 - DAY}, "brought_before_received"),
    ],
)
def test_bad_proceedings_are_refused_and_change_nothing(
    legal: Legal,  # noqa: F811
    proceedings: ProceedingService,
    changes: dict[str, Any],
    code: str,
) -> None:
    order = _complied(legal)
    records = len(legal.audit.records(limit=1000))
    with pytest.raises(InvalidInput) as raised:
        _bring(proceedings, order.id, **changes)
    assert raised.value.code == code
    assert proceedings.list_proceedings() == []
    assert len(legal.audit.records(limit=1000)) == records


def test_an_unknown_order_or_the_same_proceeding_twice_is_refused(
    legal: Legal,  # noqa: F811
    proceedings: ProceedingService,
) -> None:
    for missing in (0, 99):
        with pytest.raises(NotFound) as raised:
            _bring(proceedings, missing)
        assert raised.value.code == "order_not_found"
        with pytest.raises(NotFound):
            proceedings.of_order(missing)
    order = _complied(legal)
    _bring(proceedings, order.id)
    with pytest.raises(Conflict) as conflict:
        _bring(proceedings, order.id, party="content_provider")
    assert conflict.value.code == "duplicate_proceeding"
    assert len(proceedings.list_proceedings()) == 1
    assert len(legal.records(AuditAction.PROCEEDING_BROUGHT)) == 1
    with pytest.raises(NotFound) as unknown:
        proceedings.decide(99, outcome="annulled", actor=LEGAL)
    assert unknown.value.code == "proceeding_not_found"


def test_an_annulled_order_reinstates_the_content_and_records_the_reversal(
    legal: Legal,  # noqa: F811
    proceedings: ProceedingService,
) -> None:
    order = _complied(legal)
    case_id = order.case_id or 0
    brought = _bring(proceedings, order.id, brought_at=T0 + DAY)
    legal.clock.advance(days=40)
    ruled = legal.clock.at - DAY
    done = proceedings.decide(
        brought.id,
        outcome=ProceedingOutcome.ANNULLED,
        reinstatement_required=True,
        decided_at=ruled,
        actor=LEGAL,
    )
    assert (done.state, done.outcome, done.decided_at, done.decided_by) == (
        "decided",
        ProceedingOutcome.ANNULLED,
        ruled,
        LEGAL,
    )
    assert done.reinstatement_required and proceedings.get(brought.id) == done
    case_file = legal.service.review.get(case_id)
    case = case_file.case
    assert (case.state, case.content_status, case.outcome, case.reviewer) == (
        CaseState.DECIDED,
        ContentStatus.RESTORED,
        Outcome.KEEP,
        LEGAL,
    )
    assert [(d.outcome, d.on_appeal) for d in case_file.decisions] == [
        (Outcome.REMOVE, False),
        (Outcome.KEEP, False),
    ]
    assert case.reason.startswith(f"reinstated: review proceeding {brought.id} ({COURT}")
    assert legal.service.review.queue() == []
    (decided,) = legal.records(AuditAction.PROCEEDING_DECIDED)
    assert (decided.subject, decided.detail) == (
        f"proceeding:{brought.id}",
        {
            "order": order.id,
            "party": "hosting_provider",
            "outcome": "annulled",
            "reinstatement_required": True,
            "decided_at": ruled.isoformat(),
        },
    )
    reversal = legal.records(AuditAction.CASE_DECIDED)[-1]
    assert (reversal.detail["via"], reversal.detail["outcome"]) == ("proceeding", "keep")
    assert reversal.detail["seconds_to_decide"] is None  # a court's months are no reviewer's
    (restored,) = legal.records(AuditAction.CONTENT_RESTORED)
    assert restored.detail["via"] == "proceeding" and restored.detail["proceeding"] == brought.id
    assert restored.detail["previous_status"] == "removed"

    # Deciding again is refused whatever it says, and changes nothing.
    records = len(legal.audit.records(limit=1000))
    for outcome in ("annulled", "upheld"):
        with pytest.raises(Conflict) as raised:
            proceedings.decide(brought.id, outcome=outcome, actor=LEGAL)
        assert raised.value.code == "proceeding_decided"
    assert proceedings.get(brought.id) == done
    assert len(legal.audit.records(limit=1000)) == records


def test_an_upheld_order_leaves_the_content_removed(
    legal: Legal,  # noqa: F811
    proceedings: ProceedingService,
) -> None:
    order = _complied(legal)
    brought = _bring(proceedings, order.id, party="content_provider")
    done = proceedings.decide(brought.id, outcome="upheld", actor=LEGAL)
    assert (done.outcome, done.reinstatement_required) == (ProceedingOutcome.UPHELD, False)
    case = legal.store.review.get_case(order.case_id or 0)
    assert (case.content_status, case.outcome) == (ContentStatus.REMOVED, Outcome.REMOVE)
    assert legal.records(AuditAction.CONTENT_RESTORED) == []
    assert proceedings.list_proceedings(decided=True) == [done]
    assert proceedings.list_proceedings(decided=False) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"outcome": ""}, "missing_field"),
        ({"outcome": "quashed"}, "invalid_outcome"),
        ({"outcome": "upheld", "reinstatement_required": True}, "reinstatement_upheld"),
        ({"reinstatement_required": "yes"}, "invalid_field"),
        ({"decided_at": datetime(2026, 3, 20, 9, 0)}, "invalid_time"),
        ({"decided_at": T0 + 30 * DAY}, "invalid_time"),  # in the future
        ({"decided_at": T0 + DAY - timedelta(seconds=1)}, "decided_before_brought"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    legal: Legal,  # noqa: F811
    proceedings: ProceedingService,
    changes: dict[str, Any],
    code: str,
) -> None:
    order = _complied(legal)
    brought = _bring(proceedings, order.id, brought_at=T0 + DAY)
    records = len(legal.audit.records(limit=1000))
    fields: dict[str, Any] = {"outcome": "annulled", "reinstatement_required": True}
    with pytest.raises(InvalidInput) as raised:
        proceedings.decide(brought.id, **{**fields, **changes}, actor=LEGAL)
    assert raised.value.code == code
    assert proceedings.get(brought.id) == brought
    assert legal.store.review.get_case(order.case_id or 0).content_status is ContentStatus.REMOVED
    assert len(legal.audit.records(limit=1000)) == records


def test_content_never_removed_cannot_be_reinstated(
    legal: Legal,  # noqa: F811
    proceedings: ProceedingService,
) -> None:
    order = legal.receive()
    legal.service.refuse(order.id, state="refused", justification="manifest error", actor=LEGAL)
    brought = _bring(proceedings, order.id)
    with pytest.raises(Conflict) as raised:
        proceedings.decide(brought.id, outcome="varied", reinstatement_required=True, actor=LEGAL)
    assert raised.value.code == "nothing_to_reinstate"
    assert proceedings.get(brought.id) == brought
    assert legal.records(AuditAction.PROCEEDING_DECIDED) == []
    # Without reinstatement the same decision is recorded, and the case is left alone.
    done = proceedings.decide(brought.id, outcome="varied", actor=LEGAL)
    assert done.outcome is ProceedingOutcome.VARIED
    case = legal.store.review.get_case(order.case_id or 0)
    assert (case.state, case.content_status) == (CaseState.OPEN, ContentStatus.VISIBLE)
