"""Review: cases, decisions, the queue, appeals, disputes, audit records and exposures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fireline.domain import (
    AuditAction,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    OpinionKind,
)
from fireline.domain.policy import AccountClass
from fireline.domain.review import (
    ACCOUNT_CLASSES,
    AppealState,
    Case,
    CaseSource,
    CaseState,
    ContentStatus,
    Exposure,
    NewDecision,
    Outcome,
    severity_of,
)
from fireline.services import AuditLog, ReviewService
from fireline.services.review import DISPUTE_NOTE
from fireline.store import MemoryStore, Store
from fireline.store.sql import SqlStore
from tests.backends import BACKENDS, backend_url

T0 = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class Opinions:
    """Records what the service asks the exchange to opine; ``fail`` makes it raise."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    fail: set[int] = field(default_factory=set)

    def __call__(self, **kwargs: Any) -> object:
        if kwargs["entry_id"] in self.fail:
            raise NotFound(f"no entry with id {kwargs['entry_id']}", code="entry_not_found")
        self.calls.append(kwargs)
        return object()


@dataclass
class Review:
    service: ReviewService
    store: Store
    clock: Clock
    opinions: Opinions
    audit: AuditLog

    def records(self, action: str | None = None) -> list[Any]:
        found = self.audit.records(limit=1000)
        return [r for r in found if action is None or r.action == action]


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
def review(store: Store) -> Review:
    clock = Clock()
    opinions = Opinions()
    audit = AuditLog(store=store.audit)
    service = ReviewService(
        store=store.review, audit=audit, opine=opinions, appeal_window=WINDOW, now=clock
    )
    return Review(service=service, store=store, clock=clock, opinions=opinions, audit=audit)


def match_case(r: Review, **changes: Any) -> Case:
    """An upload that matched two entries and was blocked at upload."""
    fields: dict[str, Any] = {
        "source": CaseSource.MATCH,
        "content_ref": "post-1",
        "uploader": "user-9",
        "labels": ["category:perpetrator_livestream", "entity:incident-1"],
        "signal_types": ["pdq", "vpdq"],
        "entry_ids": [9, 7],
        "incident_id": 1,
        "actions": ["preserve", "block"],
        "content_status": ContentStatus.BLOCKED,
        "evidence": {"matches": [{"entry_id": 7, "distance": 4}], "rules": ["default"]},
        "media_sha256": "b" * 64,
        "actor": "key:matcher@acme",
    }
    fields.update(changes)
    return r.service.open_case(**fields)


def report_case(r: Review, **changes: Any) -> Case:
    fields: dict[str, Any] = {
        "source": CaseSource.REPORT,
        "content_ref": "post-2",
        "content_status": ContentStatus.VISIBLE,
        "note": "this glorifies an attack",
    }
    fields.update(changes)
    return r.service.open_case(**fields)


def removed_case(r: Review, reviewer: str = "rev-a", **changes: Any) -> Case:
    case = match_case(r, content_status=ContentStatus.REMOVED, **changes)
    return r.service.decide(case.id, reviewer=reviewer, outcome=Outcome.REMOVE, reason="violates")


# -- severity ----------------------------------------------------------------------------

SEVERITIES = [
    ([], 1),
    (["entity:group-x"], 2),
    (["basis:member_policy", "entity:group-x"], 2),
    (["category:recruitment"], 3),
    (["category:glorification", "entity:x"], 3),
    (["category:instruction"], 4),
    (["category:attacker_manifesto"], 4),
    (["category:graphic_violence_defenceless"], 4),
    (["category:recruitment", "category:instruction"], 4),
    (["category:imminent_credible_threat"], 5),
    (["category:perpetrator_livestream", "category:recruitment"], 5),
]


@pytest.mark.parametrize(("labels", "severity"), SEVERITIES)
def test_severity_follows_the_most_severe_category(labels: list[str], severity: int) -> None:
    assert severity_of(labels) == severity


def test_the_account_classes_are_the_policys() -> None:
    assert tuple(c.value for c in AccountClass) == ACCOUNT_CLASSES


# -- opening -----------------------------------------------------------------------------


def test_opening_a_case_stores_it_open_and_audits_it(review: Review) -> None:
    case = match_case(review, account_class="news")
    assert case.state is CaseState.OPEN and case.version == 1
    assert case.severity == 5
    assert case.labels == ("category:perpetrator_livestream", "entity:incident-1")
    assert (case.signal_types, case.entry_ids, case.actions) == (
        ("pdq", "vpdq"),
        (7, 9),
        ("block", "preserve"),
    )
    assert case.created_at == T0
    assert review.service.get(case.id).case == case
    (record,) = review.records()
    assert (record.actor, record.action, record.subject) == (
        "key:matcher@acme",
        AuditAction.CASE_OPENED,
        f"case:{case.id}",
    )
    assert record.detail == {
        "source": "match",
        "severity": 5,
        "labels": ["category:perpetrator_livestream", "entity:incident-1"],
        "signal_types": ["pdq", "vpdq"],
        "entries": 2,
        "incident_id": 1,
        "account_class": "news",
        "actions": ["block", "preserve"],
        "content_status": "blocked",
    }


def test_a_given_severity_overrides_the_labels(review: Review) -> None:
    case = report_case(review, source="order", severity=5)
    assert (case.source, case.severity) == (CaseSource.ORDER, 5)


BAD_CASES = [
    ({"content_ref": ""}, "missing_field"),
    ({"content_ref": "   "}, "missing_field"),
    ({"content_ref": "x" * 201}, "text_too_long"),
    ({"content_ref": "a\x00b"}, "invalid_text"),
    ({"uploader": "u" * 201}, "text_too_long"),
    ({"note": "n" * 2001}, "text_too_long"),
    ({"labels": ["category:cats"]}, "unknown_label"),
    ({"labels": ["nonsense"]}, "unknown_label"),
    ({"labels": "category:recruitment"}, "unknown_label"),
    ({"account_class": "celebrity"}, "invalid_account_class"),
    ({"source": "rumour"}, "invalid_source"),
    ({"source": "match", "entry_ids": []}, "missing_field"),
    ({"entry_ids": [0]}, "invalid_id"),
    ({"entry_ids": [True]}, "invalid_id"),
    ({"entry_ids": [2**63]}, "invalid_id"),
    ({"incident_id": -1}, "invalid_id"),
    ({"content_status": "restored"}, "invalid_status"),
    ({"content_status": "hidden"}, "invalid_status"),
    ({"severity": 0}, "invalid_severity"),
    ({"severity": 6}, "invalid_severity"),
    ({"media_sha256": "B" * 64}, "invalid_digest"),
    ({"media_sha256": "b" * 63}, "invalid_digest"),
    ({"evidence": {"at": T0}}, "invalid_evidence"),
    ({"evidence": {"distance": float("nan")}}, "invalid_evidence"),
    ({"evidence": {1: "x"}}, "invalid_evidence"),
    ({"actions": ["Block!"]}, "invalid_actions"),
    ({"signal_types": ["PDQ hash"]}, "invalid_signal_types"),
    ({"actor": ""}, "missing_field"),
]


@pytest.mark.parametrize(("changes", "code"), BAD_CASES)
def test_a_bad_case_is_refused_and_nothing_is_stored(
    review: Review, changes: dict[str, Any], code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        match_case(review, **changes)
    assert raised.value.code == code
    assert review.service.list_cases() == []
    assert review.records() == []


# -- the queue and reading ---------------------------------------------------------------


def test_the_queue_puts_urgent_incident_and_old_cases_first(review: Review) -> None:
    low = report_case(review, content_ref="low")
    review.clock.advance(minutes=1)
    sev5_new = match_case(review, content_ref="sev5-new", incident_id=None)
    review.clock.advance(minutes=1)
    sev5_incident = match_case(review, content_ref="sev5-incident")
    review.clock.advance(minutes=1)
    decided = match_case(review, content_ref="decided")
    review.service.decide(decided.id, reviewer="rev-a", outcome="remove", reason="violates")
    assert [c.id for c in review.service.queue()] == [sev5_incident.id, sev5_new.id, low.id]
    assert [c.id for c in review.service.queue(limit=1)] == [sev5_incident.id]


@pytest.mark.parametrize(("after", "limit"), [(-1, 10), (0, 0), (0, 1001), (True, 10)])
def test_bad_pages_are_refused(review: Review, after: int, limit: int) -> None:
    with pytest.raises(InvalidInput):
        review.service.list_cases(after=after, limit=limit)
    with pytest.raises(InvalidInput):
        review.service.list_appeals(after=after, limit=limit)


def test_cases_are_listed_with_filters_given_as_text(review: Review) -> None:
    a = match_case(review)
    b = report_case(review)
    review.service.decide(b.id, reviewer="rev-a", outcome="keep", reason="fine")
    assert [c.id for c in review.service.list_cases(states=["open"])] == [a.id]
    assert [c.id for c in review.service.list_cases(source="report")] == [b.id]
    assert [c.id for c in review.service.list_cases(incident_id=1)] == [a.id]
    assert [c.id for c in review.service.list_cases(after=a.id)] == [b.id]
    with pytest.raises(InvalidInput) as raised:
        review.service.list_cases(states=["pending"])
    assert raised.value.code == "invalid_state"


def test_an_unknown_case_is_not_found(review: Review) -> None:
    for call in (
        lambda: review.service.get(99),
        lambda: review.service.decide(99, reviewer="r", outcome="keep", reason="x"),
        lambda: review.service.file_appeal(99, appellant="u"),
        lambda: review.service.reveal(99, reviewer="r"),
    ):
        with pytest.raises(NotFound) as raised:
            call()
        assert raised.value.code == "case_not_found"
    with pytest.raises(NotFound) as missing:
        review.service.decide_appeal(99, reviewer="r", upheld=True, reason="x")
    assert missing.value.code == "appeal_not_found"


# -- deciding ----------------------------------------------------------------------------

# (content before, outcome, content after)
STATUSES = [
    (ContentStatus.BLOCKED, Outcome.REMOVE, ContentStatus.BLOCKED),
    (ContentStatus.REMOVED, Outcome.REMOVE, ContentStatus.REMOVED),
    (ContentStatus.VISIBLE, Outcome.REMOVE, ContentStatus.REMOVED),
    (ContentStatus.INTERSTITIAL, Outcome.REMOVE, ContentStatus.REMOVED),
    (ContentStatus.VISIBLE, Outcome.KEEP, ContentStatus.VISIBLE),
    (ContentStatus.INTERSTITIAL, Outcome.KEEP, ContentStatus.VISIBLE),
    (ContentStatus.BLOCKED, Outcome.KEEP, ContentStatus.RESTORED),
    (ContentStatus.REMOVED, Outcome.KEEP, ContentStatus.RESTORED),
    (ContentStatus.VISIBLE, Outcome.INTERSTITIAL, ContentStatus.INTERSTITIAL),
    (ContentStatus.BLOCKED, Outcome.INTERSTITIAL, ContentStatus.INTERSTITIAL),
]


@pytest.mark.parametrize(("before", "outcome", "after"), STATUSES)
def test_a_decision_sets_what_becomes_of_the_content(
    review: Review, before: ContentStatus, outcome: Outcome, after: ContentStatus
) -> None:
    case = match_case(review, content_status=before)
    review.clock.advance(seconds=90)
    decided = review.service.decide(
        case.id, reviewer="rev-a", outcome=outcome, reason="  per policy 3.1 "
    )
    assert (decided.state, decided.outcome, decided.content_status) == (
        CaseState.DECIDED,
        outcome,
        after,
    )
    assert (decided.reviewer, decided.reason, decided.decided_at) == (
        "rev-a",
        "per policy 3.1",
        T0 + timedelta(seconds=90),
    )
    (made,) = review.service.get(case.id).decisions
    assert (made.reviewer, made.outcome, made.on_appeal) == ("rev-a", outcome, False)
    decided_records = review.records(AuditAction.CASE_DECIDED)
    assert [r.detail for r in decided_records] == [
        {
            "source": "match",
            "severity": 5,
            "labels": ["category:perpetrator_livestream", "entity:incident-1"],
            "signal_types": ["pdq", "vpdq"],
            "incident_id": 1,
            "account_class": None,
            "outcome": outcome.value,
            "previous_status": before.value,
            "content_status": after.value,
            "seconds_to_decide": 90.0,
        }
    ]
    assert decided_records[0].actor == "rev-a"
    restored = review.records(AuditAction.CONTENT_RESTORED)
    assert len(restored) == (1 if after is ContentStatus.RESTORED else 0)
    if restored:
        assert restored[0].detail["via"] == "decision"
        assert restored[0].detail["previous_status"] == before.value


def test_deciding_twice_is_refused_and_changes_nothing(review: Review) -> None:
    case = removed_case(review)
    with pytest.raises(Conflict) as raised:
        review.service.decide(case.id, reviewer="rev-b", outcome="keep", reason="no")
    assert raised.value.code == "case_decided"
    assert review.service.get(case.id).case == case
    assert len(review.records(AuditAction.CASE_DECIDED)) == 1


def test_deciding_an_appealed_or_closed_case_is_refused(review: Review) -> None:
    case = removed_case(review)
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    with pytest.raises(Conflict) as appealed:
        review.service.decide(case.id, reviewer="rev-b", outcome="keep", reason="no")
    assert appealed.value.code == "appeal_pending"
    review.service.decide_appeal(appeal.id, reviewer="rev-b", upheld=False, reason="stands")
    with pytest.raises(Conflict) as closed:
        review.service.decide(case.id, reviewer="rev-c", outcome="keep", reason="no")
    assert closed.value.code == "case_closed"
    assert len(review.service.get(case.id).decisions) == 2


BAD_DECISIONS = [
    ({"reason": ""}, "missing_field"),
    ({"reason": "   "}, "missing_field"),
    ({"reason": "r" * 2001}, "text_too_long"),
    ({"reviewer": ""}, "missing_field"),
    ({"reviewer": "r" * 201}, "text_too_long"),
    ({"outcome": "delete"}, "invalid_outcome"),
]


@pytest.mark.parametrize(("changes", "code"), BAD_DECISIONS)
def test_a_bad_decision_is_refused_and_changes_nothing(
    review: Review, changes: dict[str, Any], code: str
) -> None:
    case = match_case(review)
    fields: dict[str, Any] = {"reviewer": "rev-a", "outcome": "remove", "reason": "violates"}
    fields.update(changes)
    with pytest.raises(InvalidInput) as raised:
        review.service.decide(case.id, **fields)
    assert raised.value.code == code
    assert review.service.get(case.id).case == case
    assert review.service.get(case.id).decisions == ()


# -- filing appeals ----------------------------------------------------------------------


def test_an_appeal_is_filed_pending_and_queues_the_case(review: Review) -> None:
    case = removed_case(review)
    review.clock.advance(days=2)
    appeal = review.service.file_appeal(
        case.id, appellant="user-9", reason=" it was news ", actor="key:platform@acme"
    )
    assert (appeal.state, appeal.appellant, appeal.reason, appeal.filed_at) == (
        AppealState.PENDING,
        "user-9",
        "it was news",
        T0 + timedelta(days=2),
    )
    file = review.service.get(case.id)
    assert file.case.state is CaseState.APPEALED
    assert file.pending_appeal == appeal
    assert file.appeals == (appeal,)
    assert [c.id for c in review.service.queue()] == [case.id]
    assert review.service.list_appeals(state="pending") == [appeal]
    assert review.service.get_appeal(appeal.id) == appeal
    (record,) = review.records(AuditAction.APPEAL_FILED)
    assert (record.actor, record.subject) == ("key:platform@acme", f"case:{case.id}")
    assert record.detail["appeal"] == appeal.id
    assert record.detail["reviewed"] is True
    assert record.detail["outcome"] == "remove"
    assert record.detail["content_status"] == "removed"
    assert record.detail["seconds_since_decision"] == 2 * 86400.0
    assert "user-9" not in str(record.detail) and "post-1" not in str(record.detail)


@pytest.mark.parametrize(
    ("elapsed", "allowed"),
    [
        (WINDOW - timedelta(seconds=1), True),
        (WINDOW, True),
        (WINDOW + timedelta(seconds=1), False),
        (WINDOW + timedelta(days=400), False),
    ],
)
def test_an_appeal_must_come_within_the_window_of_the_decision(
    review: Review, elapsed: timedelta, allowed: bool
) -> None:
    case = match_case(review, content_status=ContentStatus.REMOVED)
    review.clock.advance(days=10)  # the window runs from the decision, not the opening
    review.service.decide(case.id, reviewer="rev-a", outcome="remove", reason="violates")
    review.clock.at += elapsed
    if allowed:
        review.service.file_appeal(case.id, appellant="user-9")
        return
    with pytest.raises(Conflict) as raised:
        review.service.file_appeal(case.id, appellant="user-9")
    assert raised.value.code == "appeal_out_of_time"
    assert review.service.get(case.id).case.state is CaseState.DECIDED
    assert review.service.get(case.id).appeals == ()
    assert review.records(AuditAction.APPEAL_FILED) == []


def test_content_blocked_before_anyone_reviewed_it_may_be_appealed(review: Review) -> None:
    case = match_case(review)
    review.clock.advance(days=29)
    appeal = review.service.file_appeal(case.id, appellant="user-9", reason="parody")
    assert review.service.get(case.id).case.state is CaseState.APPEALED
    assert review.records(AuditAction.APPEAL_FILED)[0].detail["reviewed"] is False
    late = match_case(review, content_ref="late")
    review.clock.advance(days=30, seconds=1)
    with pytest.raises(Conflict) as raised:
        review.service.file_appeal(late.id, appellant="user-9")
    assert raised.value.code == "appeal_out_of_time"
    assert appeal.state is AppealState.PENDING


def test_a_second_pending_appeal_is_refused(review: Review) -> None:
    case = removed_case(review)
    review.service.file_appeal(case.id, appellant="user-9")
    with pytest.raises(Conflict) as raised:
        review.service.file_appeal(case.id, appellant="user-9", reason="again")
    assert raised.value.code == "appeal_pending"
    assert len(review.service.get(case.id).appeals) == 1


@pytest.mark.parametrize(
    ("outcome", "before"),
    [
        (Outcome.KEEP, ContentStatus.VISIBLE),
        (Outcome.KEEP, ContentStatus.REMOVED),  # restored
    ],
)
def test_kept_content_has_nothing_to_appeal(
    review: Review, outcome: Outcome, before: ContentStatus
) -> None:
    case = match_case(review, content_status=before)
    review.service.decide(case.id, reviewer="rev-a", outcome=outcome, reason="fine")
    with pytest.raises(Conflict) as raised:
        review.service.file_appeal(case.id, appellant="user-9")
    assert raised.value.code == "nothing_to_appeal"
    assert review.service.get(case.id).appeals == ()


def test_visible_content_nobody_reviewed_has_nothing_to_appeal(review: Review) -> None:
    case = report_case(review)
    with pytest.raises(Conflict) as raised:
        review.service.file_appeal(case.id, appellant="user-9")
    assert raised.value.code == "nothing_to_appeal"


def test_content_behind_a_warning_screen_may_be_appealed(review: Review) -> None:
    case = report_case(review)
    review.service.decide(case.id, reviewer="rev-a", outcome="interstitial", reason="graphic")
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    decided = review.service.decide_appeal(appeal.id, reviewer="rev-b", upheld=True, reason="ok")
    assert decided.state is AppealState.UPHELD
    assert review.service.get(case.id).case.content_status is ContentStatus.RESTORED


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"appellant": ""}, "missing_field"),
        ({"appellant": "u" * 201}, "text_too_long"),
        ({"reason": "r" * 2001}, "text_too_long"),
        ({"actor": ""}, "missing_field"),
    ],
)
def test_a_bad_appeal_is_refused(review: Review, changes: dict[str, Any], code: str) -> None:
    case = removed_case(review)
    fields: dict[str, Any] = {"appellant": "user-9"}
    fields.update(changes)
    with pytest.raises(InvalidInput) as raised:
        review.service.file_appeal(case.id, **fields)
    assert raised.value.code == code
    assert review.service.get(case.id).case == case


# -- deciding appeals --------------------------------------------------------------------


def test_an_upheld_appeal_restores_the_content_and_records_the_reversal(review: Review) -> None:
    case = removed_case(review)
    review.clock.advance(hours=1)
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    review.clock.advance(hours=3)
    decided = review.service.decide_appeal(
        appeal.id, reviewer="rev-b", upheld=True, reason="news reporting"
    )
    assert (decided.state, decided.reviewer, decided.decision_reason, decided.wrong_match) == (
        AppealState.UPHELD,
        "rev-b",
        "news reporting",
        False,
    )
    assert decided.decided_at == T0 + timedelta(hours=4)
    file = review.service.get(case.id)
    assert (file.case.state, file.case.outcome, file.case.content_status) == (
        CaseState.CLOSED,
        Outcome.KEEP,
        ContentStatus.RESTORED,
    )
    assert (file.case.reviewer, file.case.reason) == ("rev-b", "news reporting")
    assert [(d.reviewer, d.outcome, d.on_appeal) for d in file.decisions] == [
        ("rev-a", Outcome.REMOVE, False),
        ("rev-b", Outcome.KEEP, True),
    ]
    assert file.pending_appeal is None
    assert review.service.queue() == []
    assert review.opinions.calls == []
    (record,) = review.records(AuditAction.APPEAL_DECIDED)
    assert record.actor == "rev-b"
    assert record.detail == {
        "source": "match",
        "severity": 5,
        "labels": ["category:perpetrator_livestream", "entity:incident-1"],
        "signal_types": ["pdq", "vpdq"],
        "incident_id": 1,
        "account_class": None,
        "appeal": appeal.id,
        "upheld": True,
        "wrong_match": False,
        "outcome_before": "remove",
        "outcome": "keep",
        "previous_status": "removed",
        "content_status": "restored",
        "seconds_to_decide": 3 * 3600.0,
        "disputes_sent": 0,
        "disputes_failed": 0,
    }
    (restored,) = review.records(AuditAction.CONTENT_RESTORED)
    assert restored.detail["via"] == "appeal"
    assert restored.detail["appeal"] == appeal.id
    assert restored.detail["previous_status"] == "removed"
    with pytest.raises(Conflict) as closed:
        review.service.file_appeal(case.id, appellant="user-9")
    assert closed.value.code == "case_closed"


def test_a_rejected_appeal_leaves_the_content_removed(review: Review) -> None:
    case = removed_case(review)
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    decided = review.service.decide_appeal(
        appeal.id, reviewer="rev-b", upheld=False, reason="it is the perpetrator's video"
    )
    assert decided.state is AppealState.REJECTED
    file = review.service.get(case.id)
    assert (file.case.state, file.case.outcome, file.case.content_status) == (
        CaseState.CLOSED,
        Outcome.REMOVE,
        ContentStatus.REMOVED,
    )
    assert [(d.outcome, d.on_appeal) for d in file.decisions] == [
        (Outcome.REMOVE, False),
        (Outcome.REMOVE, True),
    ]
    assert review.records(AuditAction.CONTENT_RESTORED) == []
    (record,) = review.records(AuditAction.APPEAL_DECIDED)
    assert (record.detail["upheld"], record.detail["content_status"]) == (False, "removed")


def test_rejecting_an_appeal_of_unreviewed_content_upholds_automations_action(
    review: Review,
) -> None:
    case = match_case(review)  # blocked at upload, nobody reviewed it
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    review.service.decide_appeal(appeal.id, reviewer="rev-a", upheld=False, reason="violates")
    closed = review.service.get(case.id).case
    assert (closed.outcome, closed.content_status) == (Outcome.REMOVE, ContentStatus.BLOCKED)
    record = review.records(AuditAction.APPEAL_DECIDED)[0]
    assert (record.detail["outcome_before"], record.detail["outcome"]) == (None, "remove")


def test_the_reviewer_of_the_decision_cannot_decide_its_appeal(review: Review) -> None:
    case = removed_case(review, reviewer="rev-a")
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    with pytest.raises(Forbidden) as raised:
        review.service.decide_appeal(appeal.id, reviewer="rev-a", upheld=True, reason="oops")
    assert raised.value.code == "same_reviewer"
    assert "own decision" in raised.value.message
    assert review.service.get_appeal(appeal.id) == appeal
    assert review.service.get(case.id).case.state is CaseState.APPEALED
    assert review.records(AuditAction.APPEAL_DECIDED) == []


def test_no_reviewer_who_decided_the_case_earlier_may_decide_its_appeal(review: Review) -> None:
    case = match_case(review, content_status=ContentStatus.REMOVED)
    # An earlier decision in the case's history (e.g. imported from a previous system).
    review.store.review.save_case(
        case,
        decision=NewDecision(reviewer="rev-a", outcome=Outcome.REMOVE, reason="first", at=T0),
    )
    review.service.decide(case.id, reviewer="rev-b", outcome="remove", reason="second")
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    for earlier in ("rev-a", "rev-b"):
        with pytest.raises(Forbidden) as raised:
            review.service.decide_appeal(appeal.id, reviewer=earlier, upheld=True, reason="x")
        assert raised.value.code == "same_reviewer"
    decided = review.service.decide_appeal(appeal.id, reviewer="rev-c", upheld=True, reason="x")
    assert decided.reviewer == "rev-c"


def test_an_appeal_is_decided_once(review: Review) -> None:
    case = removed_case(review)
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    review.service.decide_appeal(appeal.id, reviewer="rev-b", upheld=False, reason="stands")
    with pytest.raises(Conflict) as raised:
        review.service.decide_appeal(appeal.id, reviewer="rev-c", upheld=True, reason="no")
    assert raised.value.code == "appeal_decided"
    assert review.service.get_appeal(appeal.id).state is AppealState.REJECTED
    assert len(review.records(AuditAction.APPEAL_DECIDED)) == 1


def test_a_wrong_match_sends_a_dispute_for_every_matched_entry(review: Review) -> None:
    case = removed_case(review)
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    decided = review.service.decide_appeal(
        appeal.id, reviewer="rev-b", upheld=True, reason="a cooking video", wrong_match=True
    )
    assert decided.wrong_match is True
    assert review.opinions.calls == [
        {"entry_id": 7, "kind": OpinionKind.DISPUTE, "note": DISPUTE_NOTE},
        {"entry_id": 9, "kind": OpinionKind.DISPUTE, "note": DISPUTE_NOTE},
    ]
    record = review.records(AuditAction.APPEAL_DECIDED)[0]
    assert (record.detail["wrong_match"], record.detail["disputes_sent"]) == (True, 2)


def test_a_failed_dispute_does_not_undo_the_appeal(review: Review) -> None:
    case = removed_case(review)
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    review.opinions.fail = {7}
    review.service.decide_appeal(
        appeal.id, reviewer="rev-b", upheld=True, reason="wrong", wrong_match=True
    )
    assert [c["entry_id"] for c in review.opinions.calls] == [9]
    assert review.service.get(case.id).case.content_status is ContentStatus.RESTORED
    record = review.records(AuditAction.APPEAL_DECIDED)[0]
    assert (record.detail["disputes_sent"], record.detail["disputes_failed"]) == (1, 1)


def test_without_an_exchange_a_wrong_match_is_recorded_but_sent_nowhere(store: Store) -> None:
    service = ReviewService(store=store.review, audit=AuditLog(store=store.audit), opine=None)
    case = service.open_case(
        source="match", content_ref="p", entry_ids=[3], content_status="removed"
    )
    appeal = service.file_appeal(case.id, appellant="u")
    decided = service.decide_appeal(
        appeal.id, reviewer="rev-b", upheld=True, reason="wrong", wrong_match=True
    )
    assert decided.wrong_match is True


def test_wrong_match_needs_an_upheld_appeal_of_a_match(review: Review) -> None:
    case = removed_case(review)
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    with pytest.raises(InvalidInput) as rejected:
        review.service.decide_appeal(
            appeal.id, reviewer="rev-b", upheld=False, reason="x", wrong_match=True
        )
    assert rejected.value.code == "wrong_match_not_upheld"
    reported = report_case(review)
    review.service.decide(reported.id, reviewer="rev-a", outcome="remove", reason="violates")
    other = review.service.file_appeal(reported.id, appellant="user-9")
    with pytest.raises(InvalidInput) as no_match:
        review.service.decide_appeal(
            other.id, reviewer="rev-b", upheld=True, reason="x", wrong_match=True
        )
    assert no_match.value.code == "not_a_match"
    assert review.opinions.calls == []
    assert review.service.get_appeal(appeal.id).state is AppealState.PENDING
    assert review.service.get_appeal(other.id).state is AppealState.PENDING


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"reason": ""}, "missing_field"),
        ({"reason": "r" * 2001}, "text_too_long"),
        ({"reviewer": " "}, "missing_field"),
        ({"upheld": "yes"}, "invalid_field"),
    ],
)
def test_a_bad_appeal_decision_is_refused(
    review: Review, changes: dict[str, Any], code: str
) -> None:
    case = removed_case(review)
    appeal = review.service.file_appeal(case.id, appellant="user-9")
    fields: dict[str, Any] = {"reviewer": "rev-b", "upheld": True, "reason": "ok"}
    fields.update(changes)
    with pytest.raises(InvalidInput) as raised:
        review.service.decide_appeal(appeal.id, **fields)
    assert raised.value.code == code
    assert review.service.get_appeal(appeal.id) == appeal


# -- the audit log is enough for transparency figures --------------------------------------


def test_transparency_figures_can_be_recomputed_from_the_audit_log(review: Review) -> None:
    kept = report_case(review, labels=["category:glorification"])
    review.service.decide(kept.id, reviewer="rev-a", outcome="keep", reason="fine")
    upheld = removed_case(review, content_ref="upheld")
    rejected = removed_case(review, content_ref="rejected", signal_types=["md5"])
    for case, up in ((upheld, True), (rejected, False)):
        appeal = review.service.file_appeal(case.id, appellant="u")
        review.clock.advance(minutes=10)
        review.service.decide_appeal(appeal.id, reviewer="rev-b", upheld=up, reason="r")
    review.service.open_case(source="order", content_ref="ordered", severity=5)

    opened = review.records(AuditAction.CASE_OPENED)
    decided = review.records(AuditAction.CASE_DECIDED)
    appeals = review.records(AuditAction.APPEAL_DECIDED)
    assert Counter(r.detail["source"] for r in opened) == {"match": 2, "report": 1, "order": 1}
    assert Counter(t for r in opened for t in r.detail["signal_types"]) == {
        "pdq": 1,
        "vpdq": 1,
        "md5": 1,
    }
    assert Counter(r.detail["outcome"] for r in decided) == {"keep": 1, "remove": 2}
    assert len(review.records(AuditAction.APPEAL_FILED)) == 2
    assert sum(r.detail["upheld"] for r in appeals) / len(appeals) == 0.5
    assert [r.detail["seconds_to_decide"] for r in appeals] == [600.0, 600.0]
    assert len(review.records(AuditAction.CONTENT_RESTORED)) == 1


# -- wellbeing ---------------------------------------------------------------------------


def test_reveals_are_counted_per_reviewer_and_day(review: Review) -> None:
    a = match_case(review)
    b = report_case(review)
    assert review.service.exposure("rev-a") == 0
    assert [review.service.reveal(c.id, reviewer="rev-a") for c in (a, b, a)] == [1, 2, 3]
    assert review.service.reveal(a.id, reviewer="rev-b") == 1
    assert review.service.exposure("rev-a") == 3
    review.clock.advance(days=1)
    assert review.service.exposure("rev-a") == 0
    assert review.service.reveal(b.id, reviewer="rev-a") == 1
    assert review.service.exposure_days("rev-a") == [
        Exposure("rev-a", date(2026, 3, 15), 3),
        Exposure("rev-a", date(2026, 3, 16), 1),
    ]
    assert review.service.exposure_days("rev-a", days=1) == [
        Exposure("rev-a", date(2026, 3, 16), 1)
    ]
    with pytest.raises(InvalidInput):
        review.service.reveal(a.id, reviewer="")
    with pytest.raises(InvalidInput):
        review.service.exposure_days("rev-a", days=0)


def test_a_day_is_a_utc_day(review: Review) -> None:
    case = match_case(review)
    review.clock.at = datetime(2026, 3, 15, 23, 59, tzinfo=UTC)
    review.service.reveal(case.id, reviewer="rev-a")
    review.clock.advance(minutes=2)
    assert review.service.exposure("rev-a") == 0


def test_the_appeal_window_must_be_positive(store: Store) -> None:
    with pytest.raises(InvalidInput):
        ReviewService(
            store=store.review,
            audit=AuditLog(store=store.audit),
            opine=None,
            appeal_window=timedelta(0),
        )
