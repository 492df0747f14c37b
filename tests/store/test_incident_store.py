"""The incident store contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from fireline.domain import Conflict, NotFound, Signal
from fireline.domain.incidents import (
    ActivationType,
    Approval,
    Evidence,
    Incident,
    IncidentEventKind,
    IncidentState,
    NewIncident,
    NewIncidentEvent,
    NewVariant,
    Tally,
    Variant,
    VariantState,
)
from fireline.store import Store
from fireline.store.sql import SqlStore

T0 = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)
PDQ_A = Signal("pdq", "a" * 64, quality=90)
PDQ_B = Signal("pdq", "b" * 64, quality=80)
MD5_A = Signal("md5", "a" * 32)
# Longer than any index row may hold: the store keys signals by digest.
VPDQ_LONG = Signal("vpdq", "0," + "f" * 64 + ",1.0;" * 4000)


def event(kind: IncidentEventKind, at: datetime = T0, **detail: Any) -> NewIncidentEvent:
    return NewIncidentEvent(at=at, kind=kind, actor="alice", org="acme", detail=detail)


def declare(
    store: Store,
    title: str = "Attack",
    *,
    activation: ActivationType = ActivationType.PERPETRATOR_CONTENT,
    at: datetime = T0,
) -> Incident:
    return store.incidents.create_incident(
        NewIncident(
            title=title,
            activation=activation,
            location="Christchurch",
            summary="a livestreamed attack",
            quorum=2,
            declared_by="alice",
            declared_org="acme",
            declared_at=at,
        ),
        event(IncidentEventKind.DECLARED, at),
    )


def move(store: Store, incident: Incident, state: IncidentState) -> Incident:
    return store.incidents.save_incident(
        replace(incident, state=state),
        events=[event(IncidentEventKind.STATE_CHANGED, to=state.value)],
    )


def evidence(**changes: Any) -> Evidence:
    return replace(
        Evidence(org="acme", signal_type="pdq", entry_uid="3f2a9c1d:7", distance=12, threshold=31),
        **changes,
    )


def propose(
    store: Store, incident_id: int, *signals: Signal, org: str = "acme", at: datetime = T0
) -> Variant:
    return store.incidents.add_variant(
        NewVariant(
            incident_id=incident_id,
            signals=signals,
            proposed_at=at,
            proposed_by="matcher",
            org=org,
            evidence=(evidence(),),
        ),
        event=event(IncidentEventKind.VARIANT_PROPOSED, at, org=org),
    )


def kinds(store: Store, incident_id: int) -> list[IncidentEventKind]:
    return [e.kind for e in store.incidents.events(incident_id)]


# -- incidents -----------------------------------------------------------------------------


def test_a_declared_incident_is_proposed_at_version_one_with_its_first_event(
    store: Store,
) -> None:
    incident = declare(store)
    assert (incident.state, incident.version, incident.approvals) == (
        IncidentState.PROPOSED,
        1,
        (),
    )
    assert (incident.title, incident.activation, incident.declared_at) == (
        "Attack",
        ActivationType.PERPETRATOR_CONTENT,
        T0,
    )
    assert incident.bank is None and incident.activated_at is None
    assert incident.declared_at.tzinfo is not None
    assert store.incidents.get_incident(incident.id) == incident
    (first,) = store.incidents.events(incident.id)
    assert (first.incident_id, first.seq, first.kind, first.at) == (
        incident.id,
        1,
        IncidentEventKind.DECLARED,
        T0,
    )
    assert (first.actor, first.org, first.detail) == ("alice", "acme", {})


LISTINGS = [
    (None, 100, ["d", "c", "b", "a"]),
    (None, 2, ["d", "c"]),
    (None, 0, []),
    ([IncidentState.ACTIVE], 100, ["c", "a"]),
    ([IncidentState.ACTIVE, IncidentState.CONCLUDED], 100, ["d", "c", "a"]),
    ([IncidentState.ACTIVE, IncidentState.CONCLUDED], 1, ["d"]),
    ([IncidentState.DEBRIEFED], 100, []),
    ([], 100, []),
]


@pytest.mark.parametrize(("states", "limit", "expected"), LISTINGS)
def test_incidents_are_listed_newest_first_optionally_by_state(
    store: Store, states: list[IncidentState] | None, limit: int, expected: list[str]
) -> None:
    a, _, c, d = (declare(store, title) for title in "abcd")
    move(store, a, IncidentState.ACTIVE)
    move(store, c, IncidentState.ACTIVE)
    move(store, d, IncidentState.CONCLUDED)
    listed = store.incidents.list_incidents(states=states, limit=limit)
    assert [i.title for i in listed] == expected


MISSING_INCIDENTS = [0, -1, 999, 2**63, 2**70]

MISSING: list[tuple[str, Callable[[Store, int], object], str]] = [
    ("get_incident", lambda s, n: s.incidents.get_incident(n), "incident_not_found"),
    ("events", lambda s, n: s.incidents.events(n), "incident_not_found"),
    ("list_variants", lambda s, n: s.incidents.list_variants(n), "incident_not_found"),
    ("add_variant", lambda s, n: propose(s, n, PDQ_A), "incident_not_found"),
    (
        "add_tally",
        lambda s, n: s.incidents.add_tally(n, org="acme", minute=T0, matched=1, blocked=0),
        "incident_not_found",
    ),
    (
        "save_incident",
        lambda s, n: s.incidents.save_incident(
            replace(declare(s), id=n), events=[event(IncidentEventKind.UPDATED)]
        ),
        "incident_not_found",
    ),
    ("get_variant", lambda s, n: s.incidents.get_variant(n), "variant_not_found"),
    (
        "save_variant",
        lambda s, n: s.incidents.save_variant(
            replace(propose(s, declare(s).id, PDQ_A), id=n), events=[]
        ),
        "variant_not_found",
    ),
]


@pytest.mark.parametrize("number", MISSING_INCIDENTS)
@pytest.mark.parametrize(
    ("call", "code"), [(m[1], m[2]) for m in MISSING], ids=[m[0] for m in MISSING]
)
def test_a_missing_incident_or_variant_is_not_found(
    store: Store, call: Callable[[Store, int], object], code: str, number: int
) -> None:
    with pytest.raises(NotFound) as raised:
        call(store, number)
    assert raised.value.code == code


@pytest.mark.parametrize("number", MISSING_INCIDENTS)
def test_lookups_of_a_missing_incident_find_nothing(store: Store, number: int) -> None:
    assert store.incidents.find_variants(number, [PDQ_A]) == []
    assert store.incidents.tallies(number) == []


def test_saving_an_incident_bumps_its_version_and_appends_its_events(store: Store) -> None:
    incident = declare(store)
    approved = replace(
        incident, approvals=(Approval(org="acme", actor="alice", at=T0),), summary="more"
    )
    saved = store.incidents.save_incident(
        approved,
        events=[
            event(IncidentEventKind.APPROVED, T0 + timedelta(seconds=1), org="acme"),
            event(IncidentEventKind.UPDATED, T0 + timedelta(seconds=2), fields=["summary"]),
        ],
    )
    assert saved == replace(approved, version=2)
    assert store.incidents.get_incident(incident.id) == saved
    assert [(e.seq, e.kind) for e in store.incidents.events(incident.id)] == [
        (1, IncidentEventKind.DECLARED),
        (2, IncidentEventKind.APPROVED),
        (3, IncidentEventKind.UPDATED),
    ]
    quiet = store.incidents.save_incident(replace(saved, location="elsewhere"), events=[])
    assert quiet.version == 3
    assert len(store.incidents.events(incident.id)) == 3


def test_a_stale_save_changes_nothing_and_appends_no_events(store: Store) -> None:
    incident = declare(store)
    first = move(store, incident, IncidentState.ACTIVE)
    with pytest.raises(Conflict) as raised:
        store.incidents.save_incident(
            replace(incident, state=IncidentState.CONCLUDED, title="lost"),
            events=[event(IncidentEventKind.CONCLUDED)],
        )
    assert raised.value.code == "stale"
    assert store.incidents.get_incident(incident.id) == first
    assert kinds(store, incident.id) == [
        IncidentEventKind.DECLARED,
        IncidentEventKind.STATE_CHANGED,
    ]
    # Read again, retry: it goes through.
    retried = store.incidents.save_incident(
        replace(first, state=IncidentState.CONCLUDED), events=[event(IncidentEventKind.CONCLUDED)]
    )
    assert (retried.state, retried.version) == (IncidentState.CONCLUDED, 3)


PAGES = [
    (0, 1000, [1, 2, 3, 4, 5]),
    (2, 1000, [3, 4, 5]),
    (0, 2, [1, 2]),
    (3, 1, [4]),
    (5, 10, []),
    (-4, 10, [1, 2, 3, 4, 5]),
    (2**70, 10, []),
]


@pytest.mark.parametrize(("after", "limit", "expected"), PAGES)
def test_events_are_read_oldest_first_after_a_cursor(
    store: Store, after: int, limit: int, expected: list[int]
) -> None:
    incident = declare(store)
    for n in range(4):
        incident = store.incidents.save_incident(
            incident, events=[event(IncidentEventKind.UPDATED, n=n)]
        )
    seqs = [e.seq for e in store.incidents.events(incident.id, after=after, limit=limit)]
    assert seqs == expected


def test_events_are_numbered_per_incident(store: Store) -> None:
    first, second = declare(store, "first"), declare(store, "second")
    second = store.incidents.save_incident(
        second, events=[event(IncidentEventKind.UPDATED), event(IncidentEventKind.UPDATED)]
    )
    propose(store, first.id, PDQ_A)
    store.incidents.save_incident(first, events=[event(IncidentEventKind.UPDATED)])
    assert [e.seq for e in store.incidents.events(first.id)] == [1, 2, 3]
    assert [e.seq for e in store.incidents.events(second.id)] == [1, 2, 3]
    assert {e.incident_id for e in store.incidents.events(second.id)} == {second.id}


def test_an_incident_is_found_by_its_bank(store: Store) -> None:
    declare(store, "other")
    incident = declare(store)
    assert store.incidents.incident_by_bank("incident-1") is None
    saved = store.incidents.save_incident(
        replace(incident, bank="incident-1", activated_at=T0), events=[]
    )
    assert store.incidents.incident_by_bank("incident-1") == saved
    assert store.incidents.incident_by_bank("incident-2") is None


# -- round trips ---------------------------------------------------------------------------

DETAILS = [
    {},
    {"to": "active", "approvals": 2, "quorum": 2},
    {"nested": {"b": [1, 2.5, None, True], "a": "é ✓ 日本"}, "ratio": 0.1},
    {"control": "tab\there, nul\u0000 escaped", "big": 2**62},
]


@pytest.mark.parametrize("detail", DETAILS)
def test_event_details_round_trip(store: Store, detail: dict[str, Any]) -> None:
    incident = declare(store)
    store.incidents.save_incident(
        incident,
        events=[event(IncidentEventKind.UPDATED, T0 + timedelta(microseconds=1), **detail)],
    )
    last = store.incidents.events(incident.id)[-1]
    assert (last.detail, last.at) == (detail, T0 + timedelta(microseconds=1))


EAST = timezone(timedelta(hours=13))


def test_every_field_of_an_incident_round_trips(store: Store) -> None:
    incident = declare(store)
    full = replace(
        incident,
        title="Attack ✓",
        state=IncidentState.DEBRIEFED,
        location="",
        summary="line one\nline two",
        quorum=5,
        approvals=(
            Approval(org="acme", actor="alice", at=T0 + timedelta(microseconds=7)),
            # Any zone in, UTC out: the same instant.
            Approval(org="bigco", actor="bob", at=datetime(2026, 3, 16, 3, 1, tzinfo=EAST)),
        ),
        bank="incident-7",
        activated_at=T0 + timedelta(minutes=1),
        first_hash_at=T0 + timedelta(minutes=2),
        last_variant_at=T0 + timedelta(minutes=3),
        concluded_at=T0 + timedelta(days=1),
        debriefed_at=T0 + timedelta(days=8, microseconds=999_999),
    )
    saved = store.incidents.save_incident(full, events=[])
    assert saved == replace(full, version=2)
    stored = store.incidents.get_incident(incident.id)
    assert stored == saved
    assert all(a.at.tzinfo is not None for a in stored.approvals)
    assert stored.approvals[1].at == datetime(2026, 3, 15, 14, 1, tzinfo=UTC)
    emptied = replace(stored, bank=None, activated_at=None, approvals=())
    assert store.incidents.save_incident(emptied, events=[]) == replace(emptied, version=3)
    assert store.incidents.get_incident(incident.id).bank is None


EVIDENCE = [
    evidence(),
    evidence(entry_uid=None, distance=0, threshold=0),
    evidence(
        signal_type="vpdq", query_start=0.1, query_end=12.345678901234567, reference_start=0.0
    ),
    evidence(org="bigco", query_start=1e-7, query_end=3e9, reference_start=2.5, reference_end=7.0),
]


def test_every_field_of_a_variant_round_trips(store: Store) -> None:
    incident = declare(store)
    created = store.incidents.add_variant(
        NewVariant(
            incident_id=incident.id,
            signals=(PDQ_A, MD5_A, VPDQ_LONG),
            proposed_at=T0 + timedelta(microseconds=3),
            proposed_by="matcher",
            org="acme",
            evidence=tuple(EVIDENCE),
        ),
        event=event(IncidentEventKind.VARIANT_PROPOSED),
    )
    assert created.signals == (PDQ_A, MD5_A, VPDQ_LONG)
    assert created.evidence == tuple(EVIDENCE)
    assert (created.state, created.orgs, created.proposals, created.version) == (
        VariantState.PROPOSED,
        ("acme",),
        1,
        1,
    )
    assert (created.decided_at, created.decided_by, created.automatic, created.reason) == (
        None,
        None,
        False,
        "",
    )
    assert store.incidents.get_variant(created.id) == created
    decided = replace(
        created,
        state=VariantState.ACCEPTED,
        orgs=("acme", "bigco"),
        evidence=(*created.evidence, evidence(org="bigco", distance=3)),
        proposals=2,
        decided_at=T0 + timedelta(hours=1),
        decided_by="rule",
        automatic=True,
        reason="within 10 of the threshold",
    )
    saved = store.incidents.save_variant(decided, events=[])
    assert saved == replace(decided, version=2)
    assert store.incidents.get_variant(created.id) == saved


# -- variants ------------------------------------------------------------------------------


def test_a_proposed_variant_is_stored_with_its_event(store: Store) -> None:
    incident = declare(store)
    variant = propose(store, incident.id, PDQ_A, MD5_A, org="bigco")
    assert (variant.incident_id, variant.orgs, variant.signals) == (
        incident.id,
        ("bigco",),
        (PDQ_A, MD5_A),
    )
    proposed = store.incidents.events(incident.id)[-1]
    assert (proposed.seq, proposed.kind) == (2, IncidentEventKind.VARIANT_PROPOSED)
    assert proposed.detail == {"org": "bigco", "variant": variant.id}
    assert store.incidents.list_variants(incident.id) == [variant]


DUPLICATES = [
    ("the same signal", (PDQ_A,)),
    ("one signal of several", (PDQ_B, MD5_A)),
    ("the same value at another quality", (replace(PDQ_A, quality=10),)),
    ("a long signal", (VPDQ_LONG,)),
]


@pytest.mark.parametrize("signals", [d[1] for d in DUPLICATES], ids=[d[0] for d in DUPLICATES])
def test_a_variant_sharing_a_signal_with_another_is_refused_and_nothing_stored(
    store: Store, signals: tuple[Signal, ...]
) -> None:
    incident = declare(store)
    first = propose(store, incident.id, PDQ_A, MD5_A, VPDQ_LONG)
    with pytest.raises(Conflict) as raised:
        propose(store, incident.id, *signals)
    assert raised.value.code == "duplicate_variant"
    assert store.incidents.list_variants(incident.id) == [first]
    assert len(store.incidents.events(incident.id)) == 2
    assert store.incidents.find_variants(incident.id, signals) == [first]
    # A later proposal that shares nothing is stored as usual.
    later = propose(store, incident.id, Signal("pdq", "c" * 64))
    assert later.id != first.id


SHARED_ELSEWHERE = [
    ("another incident", True, PDQ_A),
    ("another signal type", False, Signal("sha256", PDQ_A.value)),
]


@pytest.mark.parametrize(
    ("other_incident", "signal"),
    [s[1:] for s in SHARED_ELSEWHERE],
    ids=[s[0] for s in SHARED_ELSEWHERE],
)
def test_a_signal_is_a_duplicate_only_of_the_same_type_in_the_same_incident(
    store: Store, other_incident: bool, signal: Signal
) -> None:
    incident, other = declare(store), declare(store, "other")
    propose(store, incident.id, PDQ_A)
    target = other.id if other_incident else incident.id
    variant = propose(store, target, signal)
    assert store.incidents.find_variants(target, [signal]) == [variant]


def test_a_variant_repeating_its_own_signal_is_not_a_duplicate(store: Store) -> None:
    incident = declare(store)
    variant = propose(store, incident.id, PDQ_A, PDQ_A)
    assert variant.signals == (PDQ_A, PDQ_A)
    assert store.incidents.find_variants(incident.id, [PDQ_A]) == [variant]


FINDS: list[tuple[list[Signal], list[int]]] = [
    ([], []),
    ([PDQ_A], [0]),
    ([MD5_A], [1]),
    ([PDQ_A, MD5_A], [0, 1]),
    ([MD5_A, PDQ_A, PDQ_A], [0, 1]),
    ([replace(PDQ_B, quality=None)], [1]),
    ([VPDQ_LONG], [2]),
    ([Signal("pdq", "d" * 64)], []),
]


@pytest.mark.parametrize(("signals", "expected"), FINDS)
def test_variants_are_found_by_any_of_their_signals(
    store: Store, signals: list[Signal], expected: list[int]
) -> None:
    incident = declare(store)
    variants = [
        propose(store, incident.id, PDQ_A),
        propose(store, incident.id, PDQ_B, MD5_A),
        propose(store, incident.id, VPDQ_LONG),
    ]
    found = store.incidents.find_variants(incident.id, signals)
    assert found == [variants[i] for i in expected]


VARIANT_LISTINGS = [
    (None, 10_000, [0, 1, 2, 3]),
    (None, 2, [0, 1]),
    (VariantState.PROPOSED, 10_000, [0, 3]),
    (VariantState.ACCEPTED, 10_000, [1, 2]),
    (VariantState.ACCEPTED, 1, [1]),
    (VariantState.REJECTED, 10_000, []),
]


@pytest.mark.parametrize(("state", "limit", "expected"), VARIANT_LISTINGS)
def test_variants_are_listed_oldest_first_optionally_by_state(
    store: Store, state: VariantState | None, limit: int, expected: list[int]
) -> None:
    incident, other = declare(store), declare(store, "other")
    ids = [propose(store, incident.id, Signal("md5", f"{n:032x}")).id for n in range(4)]
    propose(store, other.id, PDQ_A)
    for n in (1, 2):
        variant = store.incidents.get_variant(ids[n])
        store.incidents.save_variant(replace(variant, state=VariantState.ACCEPTED), events=[])
    listed = store.incidents.list_variants(incident.id, state=state, limit=limit)
    assert [v.id for v in listed] == [ids[i] for i in expected]


def test_saving_a_variant_bumps_its_version_and_appends_to_its_incident(store: Store) -> None:
    incident = declare(store)
    variant = propose(store, incident.id, PDQ_A)
    accepted = store.incidents.save_variant(
        replace(variant, state=VariantState.ACCEPTED, decided_by="bob", decided_at=T0),
        events=[event(IncidentEventKind.VARIANT_ACCEPTED, variant=variant.id)],
    )
    assert (accepted.version, accepted.state) == (2, VariantState.ACCEPTED)
    last = store.incidents.events(incident.id)[-1]
    assert (last.seq, last.kind, last.detail) == (
        3,
        IncidentEventKind.VARIANT_ACCEPTED,
        {"variant": variant.id},
    )
    # The incident itself is untouched.
    assert store.incidents.get_incident(incident.id) == incident


REFUSED_VARIANT_SAVES: list[tuple[str, Callable[[Variant], Variant], str]] = [
    ("stale", lambda v: replace(v, state=VariantState.REJECTED), "stale"),
    (
        "signals changed",
        lambda v: replace(v, version=2, signals=(PDQ_B,), state=VariantState.REJECTED),
        "variant_signals_fixed",
    ),
]


@pytest.mark.parametrize(
    ("change", "code"),
    [r[1:] for r in REFUSED_VARIANT_SAVES],
    ids=[r[0] for r in REFUSED_VARIANT_SAVES],
)
def test_a_refused_variant_save_changes_nothing(
    store: Store, change: Callable[[Variant], Variant], code: str
) -> None:
    incident = declare(store)
    variant = propose(store, incident.id, PDQ_A)
    folded = store.incidents.save_variant(
        replace(variant, proposals=2, orgs=("acme", "bigco")),
        events=[event(IncidentEventKind.VARIANT_FOLDED)],
    )
    with pytest.raises(Conflict) as raised:
        store.incidents.save_variant(change(variant), events=[event(IncidentEventKind.UPDATED)])
    assert raised.value.code == code
    assert store.incidents.get_variant(variant.id) == folded
    assert kinds(store, incident.id)[-1] is IncidentEventKind.VARIANT_FOLDED


# -- tallies -------------------------------------------------------------------------------


def test_tallies_add_up_unless_replaced(store: Store) -> None:
    incident = declare(store)
    minute = T0 + timedelta(minutes=1)

    def tally(org: str, at: datetime, matched: int, blocked: int, **kw: bool) -> None:
        store.incidents.add_tally(
            incident.id, org=org, minute=at, matched=matched, blocked=blocked, **kw
        )

    tally("acme", minute, 3, 1)
    tally("acme", minute, 2, 2)
    tally("bigco", minute, 10, 5, replace=True)
    tally("bigco", minute, 4, 0, replace=True)
    tally("acme", T0, 1, 0, replace=True)
    tally("acme", T0, 1, 1)
    # The same instant in another zone is the same minute.
    tally("Zeta", minute.astimezone(EAST), 1, 0)
    tally("Zeta", minute, 1, 0)
    assert store.incidents.tallies(incident.id) == [
        Tally(org="acme", minute=T0, matched=2, blocked=1),
        Tally(org="Zeta", minute=minute, matched=2, blocked=0),
        Tally(org="acme", minute=minute, matched=5, blocked=3),
        Tally(org="bigco", minute=minute, matched=4, blocked=0),
    ]
    assert all(t.minute.tzinfo is not None for t in store.incidents.tallies(incident.id))
    assert store.incidents.tallies(declare(store, "other").id) == []


# -- concurrency ---------------------------------------------------------------------------

_WRITERS = 4
_ROUNDS = 8


def test_concurrent_writers_number_events_without_gaps(sql_store: SqlStore) -> None:
    incidents = sql_store.incidents
    incident = declare(sql_store)
    barrier = threading.Barrier(_WRITERS)
    problems: list[BaseException] = []

    def save_with_retries(worker: int, n: int) -> None:
        while True:
            current = incidents.get_incident(incident.id)
            try:
                incidents.save_incident(
                    replace(current, summary=f"{worker}.{n}"),
                    events=[
                        event(IncidentEventKind.UPDATED, worker=worker, n=n),
                        event(IncidentEventKind.UPDATED, worker=worker, n=n, second=True),
                    ],
                )
                return
            except Conflict as exc:
                assert exc.code == "stale"
                time.sleep(random.uniform(0, 0.005))

    def work(worker: int) -> None:
        try:
            barrier.wait()
            for n in range(_ROUNDS):
                save_with_retries(worker, n)
                propose(sql_store, incident.id, Signal("md5", f"{worker:016x}{n:016x}"))
                incidents.add_tally(
                    incident.id, org=f"org{worker % 2}", minute=T0, matched=1, blocked=worker
                )
        except BaseException as exc:  # reported below, from the test's own thread
            problems.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(_WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []

    events = incidents.events(incident.id, limit=10_000)
    # Per round and writer: two events saved with the incident, one for its variant.
    assert [e.seq for e in events] == list(range(1, 2 + 3 * _WRITERS * _ROUNDS))
    assert incidents.get_incident(incident.id).version == 1 + _WRITERS * _ROUNDS
    assert len(incidents.list_variants(incident.id)) == _WRITERS * _ROUNDS
    # A save's two events stay next to each other.
    for seq, e in enumerate(events):
        if e.detail.get("second"):
            before = events[seq - 1].detail
            assert (before["worker"], before["n"]) == (e.detail["worker"], e.detail["n"])
    half = _WRITERS // 2 * _ROUNDS
    assert incidents.tallies(incident.id) == [
        Tally(org="org0", minute=T0, matched=half, blocked=sum(range(0, _WRITERS, 2)) * _ROUNDS),
        Tally(org="org1", minute=T0, matched=half, blocked=sum(range(1, _WRITERS, 2)) * _ROUNDS),
    ]


def test_concurrent_proposals_of_one_upload_store_one_variant(sql_store: SqlStore) -> None:
    incident = declare(sql_store)
    barrier = threading.Barrier(_WRITERS)
    outcomes: list[str] = []

    def work(worker: int) -> None:
        barrier.wait()
        try:
            propose(sql_store, incident.id, PDQ_A, Signal("md5", f"{worker:032x}"))
            outcomes.append("stored")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(_WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate_variant"] * (_WRITERS - 1) + ["stored"]
    (variant,) = sql_store.incidents.list_variants(incident.id)
    assert sql_store.incidents.find_variants(incident.id, [PDQ_A]) == [variant]
    assert [e.seq for e in sql_store.incidents.events(incident.id)] == [1, 2]
