"""The review store contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fireline.domain import Conflict, InvalidInput, NotFound
from fireline.domain.review import (
    Appeal,
    AppealState,
    Case,
    CaseSource,
    CaseState,
    ContentStatus,
    Exposure,
    NewAppeal,
    NewCase,
    NewDecision,
    Outcome,
)
from fireline.store import Store

T0 = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)
DAY = date(2026, 3, 15)
EVIDENCE = {
    "matches": [{"entry_id": 7, "distance": 12, "segments": [{"query_start": 1.5}]}],
    "rules": ["default"],
    "exempt": False,
    "transform": None,
}


def new_case(**changes: Any) -> NewCase:
    base = NewCase(
        source=CaseSource.MATCH,
        severity=3,
        content_ref="post-1",
        created_at=T0,
        content_status=ContentStatus.BLOCKED,
        uploader="user-9",
        account_class="news",
        labels=("category:recruitment", "entity:group-x"),
        signal_types=("pdq",),
        entry_ids=(7, 9),
        evidence=EVIDENCE,
        actions=("block", "preserve"),
        note="",
        media_sha256="a" * 64,
    )
    return replace(base, **changes)


def open_case(store: Store, **changes: Any) -> Case:
    return store.review.create_case(new_case(**changes))


def decision(
    reviewer: str = "rev-a", outcome: Outcome = Outcome.REMOVE, **changes: Any
) -> NewDecision:
    return replace(
        NewDecision(reviewer=reviewer, outcome=outcome, reason="violates", at=T0), **changes
    )


def decide(store: Store, case: Case, reviewer: str = "rev-a") -> Case:
    return store.review.save_case(
        replace(case, state=CaseState.DECIDED, reviewer=reviewer, outcome=Outcome.REMOVE),
        decision=decision(reviewer),
    )


def appeal(store: Store, case: Case, at: datetime = T0) -> Appeal:
    return store.review.create_appeal(
        NewAppeal(case_id=case.id, appellant="user-9", reason="it is news", filed_at=at),
        case=replace(case, state=CaseState.APPEALED),
    )


# -- cases -------------------------------------------------------------------------------


def test_a_created_case_is_open_at_version_one_and_reads_back_whole(store: Store) -> None:
    case = open_case(store)
    assert (case.id, case.state, case.version) == (1, CaseState.OPEN, 1)
    assert case.source is CaseSource.MATCH and case.content_status is ContentStatus.BLOCKED
    assert case.labels == ("category:recruitment", "entity:group-x")
    assert (case.signal_types, case.entry_ids, case.actions) == (
        ("pdq",),
        (7, 9),
        ("block", "preserve"),
    )
    assert case.evidence == EVIDENCE
    assert (case.uploader, case.account_class, case.media_sha256) == ("user-9", "news", "a" * 64)
    assert case.created_at == T0 and case.created_at.tzinfo is not None
    assert (case.decided_at, case.reviewer, case.outcome, case.reason) == (None, None, None, "")
    assert store.review.get_case(case.id) == case


def test_a_case_without_optional_fields_reads_back_with_their_defaults(store: Store) -> None:
    case = open_case(
        store,
        source=CaseSource.REPORT,
        uploader="",
        account_class=None,
        labels=(),
        signal_types=(),
        entry_ids=(),
        evidence={},
        actions=(),
        media_sha256=None,
        note="reported by a user",
    )
    assert store.review.get_case(case.id) == case
    assert (case.account_class, case.media_sha256, case.evidence) == (None, None, {})


@pytest.mark.parametrize("missing", [0, 999, -1, 2**63])
def test_unknown_cases_and_appeals_are_not_found(store: Store, missing: int) -> None:
    open_case(store)
    reads = [
        lambda: store.review.get_case(missing),
        lambda: store.review.decisions(missing),
        lambda: store.review.appeals(missing),
        lambda: store.review.record_exposure("rev-a", DAY, missing),
    ]
    for read in reads:
        with pytest.raises(NotFound) as raised:
            read()
        assert raised.value.code == "case_not_found"
    with pytest.raises(NotFound) as raised:
        store.review.get_appeal(missing)
    assert raised.value.code == "appeal_not_found"


def test_saving_a_case_bumps_its_version_and_records_the_decision(store: Store) -> None:
    case = open_case(store)
    at = T0 + timedelta(minutes=5)
    saved = store.review.save_case(
        replace(
            case,
            state=CaseState.DECIDED,
            content_status=ContentStatus.REMOVED,
            decided_at=at,
            reviewer="rev-a",
            outcome=Outcome.REMOVE,
            reason="violates",
        ),
        decision=decision(at=at),
    )
    assert saved.version == 2
    assert (saved.state, saved.content_status, saved.outcome) == (
        CaseState.DECIDED,
        ContentStatus.REMOVED,
        Outcome.REMOVE,
    )
    assert store.review.get_case(case.id) == saved
    (recorded,) = store.review.decisions(case.id)
    assert (recorded.case_id, recorded.reviewer, recorded.outcome, recorded.at) == (
        case.id,
        "rev-a",
        Outcome.REMOVE,
        at,
    )
    assert recorded.on_appeal is False


def test_a_stale_save_is_refused_and_changes_nothing(store: Store) -> None:
    case = open_case(store)
    decide(store, case)
    with pytest.raises(Conflict) as raised:
        store.review.save_case(
            replace(case, state=CaseState.CLOSED), decision=decision("rev-b", Outcome.KEEP)
        )
    assert raised.value.code == "stale"
    assert store.review.get_case(case.id).state is CaseState.DECIDED
    assert [d.reviewer for d in store.review.decisions(case.id)] == ["rev-a"]


def test_saving_an_unknown_case_is_not_found(store: Store) -> None:
    case = open_case(store)
    with pytest.raises(NotFound):
        store.review.save_case(replace(case, id=42))


def test_a_save_keeps_what_was_fixed_when_the_case_opened(store: Store) -> None:
    case = open_case(store)
    saved = store.review.save_case(
        replace(case, content_ref="other", labels=(), entry_ids=(1,), severity=5, actions=("x",))
    )
    assert (saved.content_ref, saved.labels, saved.entry_ids) == (
        case.content_ref,
        case.labels,
        case.entry_ids,
    )
    assert (saved.severity, saved.actions) == (5, ("x",))


def test_evidence_that_is_not_json_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput) as raised:
        open_case(store, evidence={"when": T0})
    assert raised.value.code == "invalid_evidence"
    assert store.review.list_cases() == []


def test_concurrent_decisions_of_one_case_leave_exactly_one(store: Store) -> None:
    case = open_case(store)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def decide_as(reviewer: str) -> None:
        barrier.wait()
        try:
            decide(store, case, reviewer)
            outcomes.append("saved")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=decide_as, args=(f"rev-{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "stale", "stale", "stale"]
    assert len(store.review.decisions(case.id)) == 1
    assert store.review.get_case(case.id).version == 2


# -- listing and the queue ---------------------------------------------------------------


def test_cases_are_listed_in_id_order_with_filters_and_a_cursor(store: Store) -> None:
    a = open_case(store, content_ref="a")
    b = open_case(store, content_ref="b", source=CaseSource.REPORT, incident_id=3)
    c = open_case(store, content_ref="c", incident_id=3)
    decide(store, b)

    def refs(**kwargs: Any) -> list[str]:
        return [x.content_ref for x in store.review.list_cases(**kwargs)]

    assert refs() == ["a", "b", "c"]
    assert refs(after=a.id) == ["b", "c"]
    assert refs(limit=2) == ["a", "b"]
    assert refs(limit=0) == []
    assert refs(states=[CaseState.OPEN]) == ["a", "c"]
    assert refs(states=[]) == []
    assert refs(source=CaseSource.REPORT) == ["b"]
    assert refs(incident_id=3) == ["b", "c"]
    assert refs(incident_id=3, states=[CaseState.DECIDED]) == ["b"]
    assert refs(after=c.id) == []


# (content_ref, severity, incident_id, minutes after T0): the queue's order below.
QUEUE = [
    ("sev5-incident-late", 5, 1, 30),
    ("sev5-old", 5, None, 0),
    ("sev5-new", 5, None, 10),
    ("sev4-incident", 4, 2, 50),
    ("sev4", 4, None, 1),
    ("sev1-incident", 1, 3, 5),
    ("sev1-old", 1, None, -60),
    ("sev1-new", 1, None, 60),
]


def test_the_queue_orders_by_severity_then_incident_then_age(store: Store) -> None:
    for ref, severity, incident, minutes in reversed(QUEUE):
        open_case(
            store,
            content_ref=ref,
            severity=severity,
            incident_id=incident,
            created_at=T0 + timedelta(minutes=minutes),
        )
    assert [c.content_ref for c in store.review.queue()] == [q[0] for q in QUEUE]
    assert [c.content_ref for c in store.review.queue(limit=3)] == [q[0] for q in QUEUE[:3]]


def test_the_queue_holds_open_and_appealed_cases_only(store: Store) -> None:
    waiting = open_case(store, content_ref="open")
    decided = decide(store, open_case(store, content_ref="decided"))
    appealed = decide(store, open_case(store, content_ref="appealed"))
    appeal(store, appealed)
    closed = decide(store, open_case(store, content_ref="closed"))
    store.review.save_case(replace(closed, state=CaseState.CLOSED))
    assert {c.content_ref for c in store.review.queue()} == {"open", "appealed"}
    assert decided.id not in {c.id for c in store.review.queue()}
    assert waiting.id in {c.id for c in store.review.queue()}


# -- decisions and appeals ---------------------------------------------------------------


def test_decisions_are_the_cases_history_oldest_first(store: Store) -> None:
    case = decide(store, open_case(store))
    other = open_case(store, content_ref="other")
    filed = appeal(store, case)
    store.review.save_appeal(
        replace(filed, state=AppealState.UPHELD, reviewer="rev-b", decided_at=T0),
        case=replace(
            store.review.get_case(case.id),
            state=CaseState.CLOSED,
            outcome=Outcome.KEEP,
            content_status=ContentStatus.RESTORED,
        ),
        decision=decision("rev-b", Outcome.KEEP, on_appeal=True),
    )
    history = store.review.decisions(case.id)
    assert [(d.reviewer, d.outcome, d.on_appeal) for d in history] == [
        ("rev-a", Outcome.REMOVE, False),
        ("rev-b", Outcome.KEEP, True),
    ]
    assert history[0].id < history[1].id
    assert store.review.decisions(other.id) == []


def test_filing_an_appeal_saves_the_case_with_it(store: Store) -> None:
    case = decide(store, open_case(store))
    filed = appeal(store, case)
    assert (filed.case_id, filed.appellant, filed.reason, filed.filed_at) == (
        case.id,
        "user-9",
        "it is news",
        T0,
    )
    assert (filed.state, filed.reviewer, filed.decided_at, filed.wrong_match) == (
        AppealState.PENDING,
        None,
        None,
        False,
    )
    assert filed.version == 1
    assert store.review.get_appeal(filed.id) == filed
    assert store.review.get_case(case.id).state is CaseState.APPEALED
    assert store.review.appeals(case.id) == [filed]


def test_a_second_pending_appeal_is_refused_and_changes_nothing(store: Store) -> None:
    case = decide(store, open_case(store))
    appeal(store, case)
    current = store.review.get_case(case.id)
    with pytest.raises(Conflict) as raised:
        appeal(store, current)
    assert raised.value.code == "appeal_pending"
    assert store.review.get_case(case.id) == current
    assert len(store.review.appeals(case.id)) == 1


def test_an_appeal_over_a_stale_case_is_refused_and_changes_nothing(store: Store) -> None:
    case = open_case(store)
    decide(store, case)
    with pytest.raises(Conflict) as raised:
        appeal(store, case)
    assert raised.value.code == "stale"
    assert store.review.appeals(case.id) == []
    assert store.review.list_appeals() == []


def test_an_appeal_against_another_case_is_refused(store: Store) -> None:
    case = open_case(store)
    other = open_case(store, content_ref="other")
    with pytest.raises(InvalidInput):
        store.review.create_appeal(
            NewAppeal(case_id=other.id, appellant="u", reason="", filed_at=T0), case=case
        )
    filed = appeal(store, case)
    with pytest.raises(InvalidInput):
        store.review.save_appeal(replace(filed, state=AppealState.REJECTED), case=other)
    assert store.review.get_appeal(filed.id) == filed


def test_deciding_an_appeal_saves_appeal_case_and_decision_together(store: Store) -> None:
    case = decide(store, open_case(store))
    filed = appeal(store, case)
    at = T0 + timedelta(hours=2)
    saved = store.review.save_appeal(
        replace(
            filed,
            state=AppealState.UPHELD,
            reviewer="rev-b",
            decision_reason="news reporting",
            decided_at=at,
            wrong_match=True,
        ),
        case=replace(store.review.get_case(case.id), state=CaseState.CLOSED),
        decision=decision("rev-b", Outcome.KEEP, at=at, on_appeal=True),
    )
    assert saved.version == 2
    assert (saved.state, saved.reviewer, saved.decision_reason, saved.decided_at) == (
        AppealState.UPHELD,
        "rev-b",
        "news reporting",
        at,
    )
    assert saved.wrong_match is True
    assert store.review.get_appeal(filed.id) == saved
    assert store.review.get_case(case.id).state is CaseState.CLOSED
    assert len(store.review.decisions(case.id)) == 2


def test_a_stale_appeal_decision_changes_nothing(store: Store) -> None:
    case = decide(store, open_case(store))
    filed = appeal(store, case)
    current = store.review.get_case(case.id)
    store.review.save_appeal(replace(filed, state=AppealState.REJECTED, reviewer="rev-b"))
    with pytest.raises(Conflict) as raised:
        store.review.save_appeal(
            replace(filed, state=AppealState.UPHELD, reviewer="rev-c"),
            case=replace(current, state=CaseState.CLOSED),
            decision=decision("rev-c", Outcome.KEEP, on_appeal=True),
        )
    assert raised.value.code == "stale"
    assert store.review.get_appeal(filed.id).state is AppealState.REJECTED
    assert store.review.get_case(case.id) == current
    assert len(store.review.decisions(case.id)) == 1


def test_an_appeal_decision_over_a_stale_case_changes_nothing(store: Store) -> None:
    case = decide(store, open_case(store))
    filed = appeal(store, case)
    stale_case = store.review.get_case(case.id)
    store.review.save_case(stale_case)  # someone else saved the case meanwhile
    with pytest.raises(Conflict) as raised:
        store.review.save_appeal(
            replace(filed, state=AppealState.UPHELD, reviewer="rev-b"),
            case=replace(stale_case, state=CaseState.CLOSED),
            decision=decision("rev-b", Outcome.KEEP, on_appeal=True),
        )
    assert raised.value.code == "stale"
    assert store.review.get_appeal(filed.id) == filed
    assert store.review.get_case(case.id).state is CaseState.APPEALED
    assert len(store.review.decisions(case.id)) == 1


def test_a_decided_appeal_lets_the_case_be_appealed_again(store: Store) -> None:
    case = decide(store, open_case(store))
    first = appeal(store, case)
    store.review.save_appeal(replace(first, state=AppealState.REJECTED))
    second = appeal(store, replace(store.review.get_case(case.id), state=CaseState.DECIDED))
    assert [a.id for a in store.review.appeals(case.id)] == [first.id, second.id]


def test_appeals_are_listed_by_state_in_id_order(store: Store) -> None:
    filed = [appeal(store, open_case(store, content_ref=f"c{n}")) for n in range(3)]
    store.review.save_appeal(replace(filed[1], state=AppealState.UPHELD))
    assert [a.id for a in store.review.list_appeals()] == [a.id for a in filed]
    assert [a.id for a in store.review.list_appeals(state=AppealState.PENDING)] == [
        filed[0].id,
        filed[2].id,
    ]
    assert [a.id for a in store.review.list_appeals(state=AppealState.UPHELD)] == [filed[1].id]
    assert [a.id for a in store.review.list_appeals(after=filed[0].id, limit=1)] == [filed[1].id]
    assert store.review.list_appeals(state=AppealState.REJECTED) == []


# -- exposures ---------------------------------------------------------------------------


def test_exposures_count_views_per_reviewer_and_day(store: Store) -> None:
    a = open_case(store)
    b = open_case(store, content_ref="b")
    assert store.review.exposures("rev-a", DAY) == 0
    assert [store.review.record_exposure("rev-a", DAY, c.id) for c in (a, b, a)] == [1, 2, 3]
    assert store.review.record_exposure("rev-b", DAY, a.id) == 1
    later = DAY + timedelta(days=1)
    assert store.review.record_exposure("rev-a", later, a.id) == 1
    assert store.review.exposures("rev-a", DAY) == 3
    assert store.review.exposures("rev-a", later) == 1
    assert store.review.exposures("rev-c", DAY) == 0
    assert store.review.exposure_days("rev-a", since=DAY) == [
        Exposure("rev-a", DAY, 3),
        Exposure("rev-a", later, 1),
    ]
    assert store.review.exposure_days("rev-a", since=later) == [Exposure("rev-a", later, 1)]
    assert store.review.exposure_days("rev-c", since=DAY) == []


def test_concurrent_views_are_all_counted(store: Store) -> None:
    case = open_case(store)
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def view() -> None:
        barrier.wait()
        for _ in range(5):
            counts.append(store.review.record_exposure("rev-a", DAY, case.id))

    threads = [threading.Thread(target=view) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == list(range(1, 21))
    assert store.review.exposures("rev-a", DAY) == 20
