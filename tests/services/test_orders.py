"""EU TCO orders: the one-hour clock, escalation, compliance, holds and their purge, notices."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fireline.domain import AuditAction, Conflict, InvalidInput, NotFound
from fireline.domain.orders import HoldSource, HoldState, NoticeKind, OrderState, RemovalOrder
from fireline.domain.review import CaseSource, CaseState, ContentStatus, Outcome
from fireline.services import AuditLog, ReviewService
from fireline.services.holds import HoldService
from fireline.services.notices import NoticeService
from fireline.services.orders import OrderService, OrderWorker
from fireline.store import MemoryStore, Store
from fireline.store.evidence import MemoryEvidence
from fireline.store.sql import SqlStore
from tests.backends import BACKENDS, backend_url

T0 = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)
MEDIA = b"\x89PNG\r\n\x1a\n synthetic evidence"
LEGAL = "key:legal@acme"


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class Legal:
    service: OrderService
    holds: HoldService
    notices: NoticeService
    store: Store
    clock: Clock
    evidence: MemoryEvidence
    audit: AuditLog
    sent: list[Mapping[str, Any]] = field(default_factory=list)

    def records(self, action: str) -> list[Any]:
        return [r for r in self.audit.records(limit=1000) if r.action == action]

    def receive(self, reference: str = "TCO-1", **changes: Any) -> RemovalOrder:
        fields: dict[str, Any] = {
            "authority": "BKA",
            "reference": reference,
            "content_ref": "post-1",
            "reason": "glorifies an attack",
            "uploader": "user-9",
            "actor": LEGAL,
        }
        fields.update(changes)
        return self.service.receive(**fields)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = backend_url(request, request.param, migrated=True)
    sql = SqlStore(url)
    yield sql
    sql.close()


@pytest.fixture
def legal(store: Store) -> Legal:
    clock = Clock()
    audit = AuditLog(store=store.audit)
    evidence = MemoryEvidence()
    review = ReviewService(store=store.review, audit=audit, now=clock)
    sent: list[Mapping[str, Any]] = []
    holds = HoldService(
        store=store.orders, review=review, evidence=evidence, audit=audit, now=clock
    )
    notices = NoticeService(store=store.orders, review=review, audit=audit, now=clock)
    service = OrderService(
        store=store.orders,
        review=review,
        holds=holds,
        notices=notices,
        evidence=evidence,
        audit=audit,
        notify=sent.append,
        now=clock,
    )
    return Legal(service, holds, notices, store, clock, evidence, audit, sent)


def test_an_order_starts_a_one_hour_clock_and_opens_an_urgent_case(legal: Legal) -> None:
    order = legal.receive(content_url="https://example.org/p/1")
    assert (order.state, order.received_at, order.deadline) == (
        OrderState.RECEIVED,
        T0,
        T0 + timedelta(hours=1),
    )
    case = legal.store.review.get_case(order.case_id or 0)
    assert (case.source, case.severity, case.content_status) == (
        CaseSource.ORDER,
        5,
        ContentStatus.VISIBLE,
    )
    assert case.note.startswith("removal order TCO-1 from BKA: glorifies")
    assert [c.id for c in legal.store.review.queue()] == [case.id]
    (record,) = legal.records(AuditAction.ORDER_RECEIVED)
    assert (record.actor, record.subject) == (LEGAL, f"order:{order.id}")
    assert record.detail == {
        "authority": "BKA",
        "received_at": T0.isoformat(),
        "deadline": (T0 + timedelta(hours=1)).isoformat(),
        "case_id": case.id,
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"authority": "  "}, "missing_field"),
        ({"reference": ""}, "missing_field"),
        ({"content_ref": ""}, "missing_field"),
        ({"reason": ""}, "missing_field"),
        ({"content_url": "ftp://x"}, "invalid_url"),
        ({"withhold_notice_days": 43}, "invalid_withhold_days"),
        ({"received_at": datetime(2026, 3, 15, 14, 0)}, "invalid_time"),
        ({"received_at": T0 + timedelta(minutes=1)}, "invalid_time"),
    ],
)
def test_bad_orders_are_refused_and_change_nothing(
    legal: Legal, changes: dict[str, Any], code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        legal.receive(**changes)
    assert raised.value.code == code
    assert legal.service.list_orders() == [] and legal.store.review.list_cases() == []


def test_a_duplicate_order_is_refused_without_opening_another_case(legal: Legal) -> None:
    legal.receive()
    with pytest.raises(Conflict) as raised:
        legal.receive(content_ref="post-2")
    assert raised.value.code == "duplicate_order"
    assert len(legal.store.review.list_cases()) == 1


def test_an_order_escalates_once_with_15_minutes_left_and_then_is_overdue(legal: Legal) -> None:
    order = legal.receive()
    worker = OrderWorker(legal.service, seconds=60)
    legal.clock.advance(minutes=45)  # exactly 15 minutes left: not less
    worker.tick()
    assert legal.service.get(order.id).escalated is False and legal.sent == []
    legal.clock.advance(seconds=30)
    assert [o.id for o in legal.service.due()] == [order.id]
    assert [o.id for o in legal.service.escalate_due()] == [order.id]
    assert legal.service.escalate_due() == []
    worker.tick()
    (record,) = legal.records(AuditAction.ORDER_ESCALATED)
    assert record.detail == {"minutes_left": 14.5}
    (event,) = legal.sent
    assert (event["kind"], event["order"], event["minutes_left"]) == ("order.escalated", 1, 14.5)
    assert legal.service.list_orders(overdue=True) == []
    legal.clock.advance(minutes=15)
    assert [o.id for o in legal.service.list_orders(overdue=True)] == [order.id]
    assert legal.service.get(order.id).overdue(legal.clock.at)


def test_complying_removes_the_content_holds_evidence_and_withholds_the_notice(
    legal: Legal,
) -> None:
    order = legal.receive(media=MEDIA, withhold_notice_days=7)
    legal.clock.advance(minutes=42)
    done = legal.service.comply(order.id, confirmation="removed at 14:42", actor=LEGAL)
    assert (done.state, done.seconds_to_comply, done.within_deadline) == (
        OrderState.COMPLIED,
        2520.0,
        True,
    )
    case = legal.store.review.get_case(order.case_id or 0)
    assert (case.state, case.outcome, case.content_status) == (
        CaseState.DECIDED,
        Outcome.REMOVE,
        ContentStatus.REMOVED,
    )
    found = legal.service.file(order.id)
    (hold,) = found.holds
    assert (hold.source, hold.state, hold.media_sha256) == (
        HoldSource.ORDER,
        HoldState.ACTIVE,
        case.media_sha256,
    )
    assert hold.expires_at == legal.clock.at + timedelta(days=183)
    (notice,) = found.notices
    assert (notice.kind, notice.uploader, notice.withheld) == (NoticeKind.REMOVED, "user-9", True)
    assert notice.withheld_until == legal.clock.at + timedelta(days=7)
    assert legal.notices.list_notices(ready=True) == []
    assert legal.records(AuditAction.ORDER_COMPLIED)[0].detail == {
        "seconds_to_comply": 2520.0,
        "within_deadline": True,
        "authority": "BKA",
    }
    assert legal.records(AuditAction.HOLD_CREATED)[0].detail == {
        "until": hold.expires_at.isoformat(),
        "source": "order",
    }
    assert legal.records(AuditAction.NOTICE_SENT)[0].detail == {"kind": "removed", "withheld": True}
    assert legal.records(AuditAction.CASE_DECIDED)[0].detail["via"] == "order"
    for again in (
        lambda: legal.service.comply(order.id, confirmation="again", actor=LEGAL),
        lambda: legal.service.refuse(order.id, state="refused", justification="x", actor=LEGAL),
    ):
        with pytest.raises(Conflict) as raised:
            again()
        assert raised.value.code == "order_closed"
    assert len(legal.store.orders.list_holds()) == 1


def test_a_late_compliance_is_outside_the_deadline(legal: Legal) -> None:
    order = legal.receive()
    legal.clock.advance(hours=2)
    done = legal.service.comply(order.id, confirmation="removed", actor=LEGAL)
    assert (done.seconds_to_comply, done.within_deadline) == (7200.0, False)
    with pytest.raises(InvalidInput) as raised:
        legal.service.comply(legal.receive("TCO-2").id, confirmation=" ", actor=LEGAL)
    assert raised.value.code == "missing_field"


def test_an_order_is_refused_with_a_justification_and_its_case_stays_queued(legal: Legal) -> None:
    order = legal.receive()
    for state, justification, code in [
        ("complied", "x", "invalid_state"),
        ("refused", "", "missing_field"),
    ]:
        with pytest.raises(InvalidInput) as raised:
            legal.service.refuse(order.id, state=state, justification=justification, actor=LEGAL)
        assert raised.value.code == code
    done = legal.service.refuse(
        order.id, state=OrderState.IMPOSSIBLE, justification="force majeure", actor=LEGAL
    )
    assert (done.state, done.justification, done.within_deadline) == (
        OrderState.IMPOSSIBLE,
        "force majeure",
        None,
    )
    assert legal.records(AuditAction.ORDER_REFUSED)[0].detail == {
        "state": "impossible",
        "authority": "BKA",
    }
    assert [c.id for c in legal.store.review.queue()] == [order.case_id]
    with pytest.raises(NotFound):
        legal.service.refuse(99, state="refused", justification="x", actor=LEGAL)


def test_holds_purge_after_183_days_keeping_media_a_live_hold_still_needs(legal: Legal) -> None:
    first = legal.receive(media=MEDIA)
    second = legal.receive("TCO-2", media=MEDIA)  # the same content, ordered twice
    digest = legal.store.review.get_case(first.case_id or 0).media_sha256
    assert digest is not None
    legal.service.comply(first.id, confirmation="removed", actor=LEGAL)
    legal.clock.advance(days=10)
    legal.service.comply(second.id, confirmation="removed", actor=LEGAL)
    first_hold, second_hold = legal.store.orders.list_holds()

    legal.clock.advance(days=173)  # the first hold's last day
    assert legal.holds.purge_expired() == [
        replace(first_hold, state=HoldState.PURGED, purged_at=legal.clock.at, version=2)
    ]
    assert legal.evidence.get(digest) == MEDIA  # the second hold still keeps it
    assert legal.records(AuditAction.HOLD_PURGED)[0].detail == {}

    with pytest.raises(InvalidInput) as raised:
        legal.holds.extend(
            second_hold.id, until=second_hold.expires_at, reason="trial", actor=LEGAL
        )
    assert raised.value.code == "invalid_until"
    until = second_hold.expires_at + timedelta(days=90)
    legal.holds.extend(second_hold.id, until=until, reason="court proceedings", actor=LEGAL)
    assert legal.records(AuditAction.HOLD_EXTENDED)[0].detail == {"until": until.isoformat()}
    legal.clock.advance(days=11)
    assert legal.holds.purge_expired() == []
    legal.clock.advance(days=90)
    assert [h.id for h in legal.holds.purge_expired()] == [second_hold.id]
    with pytest.raises(NotFound):
        legal.evidence.get(digest)
    with pytest.raises(Conflict) as conflict:
        legal.holds.extend(
            second_hold.id, until=legal.clock.at + timedelta(days=1), reason="x", actor=LEGAL
        )
    assert conflict.value.code == "hold_purged"


def test_an_open_case_keeps_its_media_when_its_hold_expires(legal: Legal) -> None:
    digest = legal.evidence.put(MEDIA)
    case = legal.service.review.open_case(
        source=CaseSource.REPORT, content_ref="post-3", media_sha256=digest, actions=["preserve"]
    )
    hold = legal.holds.preserve_case(case.id, actor=LEGAL)
    assert legal.holds.preserve_case(case.id, actor=LEGAL) == hold  # once
    assert (hold.source, hold.case_id, hold.media_sha256) == (HoldSource.CASE, case.id, digest)
    legal.clock.advance(days=184)
    assert [h.id for h in legal.holds.purge_expired()] == [hold.id]
    assert legal.evidence.get(digest) == MEDIA


def test_a_cases_hold_is_released_early_and_its_media_go_unless_still_used(legal: Legal) -> None:
    digest = legal.evidence.put(MEDIA)
    case = legal.service.review.open_case(
        source=CaseSource.REPORT, content_ref="post-3", media_sha256=digest
    )
    hold = legal.holds.preserve_case(case.id, actor=LEGAL)
    with pytest.raises(InvalidInput) as raised:
        legal.holds.release(hold.id, reason=" ", actor=LEGAL)
    assert raised.value.code == "missing_field"
    # The open case still needs its media: the hold ends, the media stay.
    done = legal.holds.release(hold.id, reason="not terrorist content", actor=LEGAL)
    assert (done.state, done.released_at, done.release_reason) == (
        HoldState.RELEASED,
        legal.clock.at,
        "not terrorist content",
    )
    assert legal.evidence.get(digest) == MEDIA
    (record,) = legal.records(AuditAction.HOLD_RELEASED)
    assert (record.actor, record.subject, record.detail) == (
        LEGAL,
        f"hold:{hold.id}",
        {"source": "case"},
    )
    for again in (
        lambda: legal.holds.release(hold.id, reason="again", actor=LEGAL),
        lambda: legal.holds.extend(
            hold.id, until=legal.clock.at + timedelta(days=400), reason="x", actor=LEGAL
        ),
    ):
        with pytest.raises(Conflict) as conflict:
            again()
        assert conflict.value.code == "hold_released"
    legal.clock.advance(days=200)
    assert legal.holds.purge_expired() == []  # released holds are never purged again

    # Once its case is decided, a new hold's release takes the media with it.
    legal.service.review.decide(case.id, reviewer="rvw-1", outcome="keep", reason="news")
    second = legal.holds.preserve_case(case.id, actor=LEGAL)
    legal.holds.release(second.id, reason="decided keep", actor=LEGAL)
    with pytest.raises(NotFound):
        legal.evidence.get(digest)


def test_an_orders_hold_cannot_be_released_early(legal: Legal) -> None:
    order = legal.receive(media=MEDIA)
    legal.service.comply(order.id, confirmation="removed", actor=LEGAL)
    (hold,) = legal.service.file(order.id).holds
    with pytest.raises(Conflict) as raised:
        legal.holds.release(hold.id, reason="no longer needed", actor=LEGAL)
    assert raised.value.code == "hold_by_order"
    assert legal.holds.get(hold.id) == hold and legal.records(AuditAction.HOLD_RELEASED) == []
    assert hold.media_sha256 is not None and legal.evidence.get(hold.media_sha256) == MEDIA
    legal.clock.advance(days=183)
    assert [h.id for h in legal.holds.purge_expired()] == [hold.id]
    with pytest.raises(Conflict) as purged:
        legal.holds.release(hold.id, reason="x", actor=LEGAL)
    assert purged.value.code == "hold_purged"


def test_notices_name_their_order_or_case_and_may_be_withheld(legal: Legal) -> None:
    order = legal.receive()
    with pytest.raises(InvalidInput) as raised:
        legal.notices.send(kind="removed", content_ref="p", reason="r", actor=LEGAL)
    assert raised.value.code == "missing_field"
    with pytest.raises(NotFound):
        legal.notices.send(kind="removed", content_ref="p", reason="r", order_id=99, actor=LEGAL)
    with pytest.raises(InvalidInput) as raised:
        legal.notices.send(
            kind="erased", content_ref="p", reason="r", order_id=order.id, actor=LEGAL
        )
    assert raised.value.code == "invalid_kind"
    notice = legal.notices.send(
        kind=NoticeKind.BLOCKED,
        content_ref="post-1",
        uploader="user-9",
        reason="blocked at upload",
        case_id=order.case_id,
        withhold_days=3,
        actor=LEGAL,
    )
    assert notice.withheld and legal.notices.list_notices(ready=True) == []
    legal.clock.advance(days=3)
    assert legal.notices.list_notices(ready=True) == [notice]
    assert legal.notices.list_notices(case_id=order.case_id) == [notice]
    (record,) = legal.records(AuditAction.NOTICE_SENT)
    assert record.detail == {"kind": "blocked", "withheld": True}
