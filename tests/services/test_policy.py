"""Loading the policy, flood control, and the verdict on a real MatchResult."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fireline.domain import Entry, InvalidInput, Match, MatchResult, Signal
from fireline.domain.policy import (
    AccountClass,
    FloodControl,
    PolicyAction,
    UploadContext,
)
from fireline.domain.policy_file import parse_policy
from fireline.services.policy import FloodGuard, PolicyService, load_policy

A = PolicyAction
WINDOW = 300
CONTROL = FloodControl(multiple=10, window_seconds=WINDOW, baseline_windows=12, min_matches=50)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def next_window(self, windows: int = 1) -> None:
        self.t += WINDOW * windows


def feed(guard: FloodGuard, entry_id: int, times: int, **kw: frozenset[int]) -> frozenset[int]:
    seen: frozenset[int] = frozenset()
    for _ in range(times):
        seen = guard.observe([entry_id], **kw)
    return seen


# --- flood control --------------------------------------------------------------------------


def test_a_spike_over_the_baseline_is_quarantined() -> None:
    clock = Clock()
    guard = FloodGuard(CONTROL, now=clock)
    for _ in range(12):
        assert feed(guard, 7, 5) == frozenset()
        clock.next_window()
    assert feed(guard, 7, 50) == frozenset()  # 50 is not more than 10 x 5
    assert guard.record([7]).newly == frozenset({7})  # the 51st is
    assert guard.observe([7]) == {7}
    assert guard.record([7]).newly == frozenset()  # quarantined once
    assert guard.quarantined() == (7,)


def test_a_steady_high_rate_is_not_quarantined() -> None:
    clock = Clock()
    guard = FloodGuard(CONTROL, now=clock)
    for _ in range(20):
        assert feed(guard, 7, 400) == frozenset()
        clock.next_window()
    assert guard.quarantined() == ()


def test_a_new_entry_needs_min_matches() -> None:
    clock = Clock()
    guard = FloodGuard(CONTROL, now=clock)
    clock.next_window(3)
    assert feed(guard, 7, 49) == frozenset()
    assert guard.observe([7]) == {7}


def test_nothing_is_quarantined_before_a_baseline_exists() -> None:
    clock = Clock()
    guard = FloodGuard(CONTROL, now=clock)
    assert feed(guard, 7, 1000) == frozenset()  # the guard's first window
    clock.next_window()
    assert feed(guard, 7, 1000) == frozenset()  # 1000 is the baseline now
    assert guard.observe([7]) == frozenset()


def test_an_incident_entry_is_never_quarantined() -> None:
    clock = Clock()
    guard = FloodGuard(CONTROL, now=clock)
    clock.next_window()
    assert feed(guard, 7, 500, incident_entries=frozenset({7})) == frozenset()
    assert guard.quarantined() == ()
    not_exempt = FloodGuard(FloodControl(incident_exempt=False), now=clock)
    clock.next_window()
    assert feed(not_exempt, 7, 500, incident_entries=frozenset({7})) == {7}


def test_release_ends_quarantine_and_forgets_the_spike() -> None:
    clock = Clock()
    guard = FloodGuard(CONTROL, now=clock)
    clock.next_window()
    assert feed(guard, 7, 60) == {7}
    assert guard.release(7) is True
    assert guard.release(7) is False
    assert guard.quarantined() == ()
    assert feed(guard, 7, 40) == frozenset()


def test_memory_stays_bounded() -> None:
    clock = Clock()
    guard = FloodGuard(CONTROL, now=clock, max_entries=100)
    for entry_id in range(1000):
        guard.observe([entry_id])
    assert guard.tracked() == 100
    clock.next_window(13)  # beyond the baseline span: every count is stale
    guard.observe([5000])
    assert guard.tracked() == 1


def test_the_guard_is_thread_safe() -> None:
    clock = Clock()
    guard = FloodGuard(CONTROL, now=clock)
    clock.next_window()

    def hammer() -> None:
        for _ in range(100):
            guard.observe([1, 2])

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert guard.quarantined() == (1, 2)
    assert guard.record([1, 2]).newly == frozenset()


# --- the service ----------------------------------------------------------------------------

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def entry(entry_id: int, bank: str, signal_type: str, labels: tuple[str, ...]) -> Entry:
    return Entry(
        id=entry_id,
        bank_id=1,
        bank_name=bank,
        signal_type=signal_type,
        value=f"v{entry_id}",
        quality=None,
        labels=labels,
        note="",
        item=None,
        contributor="local",
        created_at=NOW,
    )


PDQ = Signal("pdq", "a" * 64, 100)
MD5 = Signal("md5", "b" * 32)
LIVESTREAM = ("category:perpetrator_livestream",)
RESULT = MatchResult(
    signals=(PDQ, MD5),
    matches=(
        Match(PDQ, entry(1, "incident-1", "pdq", LIVESTREAM), distance=4, threshold=31),
        Match(PDQ, entry(2, "gifct", "pdq", ("category:recruitment",)), 20, 31),
        Match(MD5, entry(3, "benign", "md5", ()), 0, 0),
        Match(MD5, entry(4, "gifct", "md5", LIVESTREAM), 0, 0),
    ),
)
POLICY = parse_policy(
    """\
negative_banks = ["benign"]

[flood]
min_matches = 3
multiple = 2

[[rule]]
name = "incident exact"
incident = true
max_distance = 10
actions = ["block", "preserve"]

[[rule]]
name = "category"
labels = ["category:recruitment"]
actions = ["review", "preserve"]
"""
)


def incident_of(bank: str) -> int | None:
    return 1 if bank == "incident-1" else None


def test_the_service_builds_facts_from_a_match_result() -> None:
    facts = PolicyService(POLICY, incident_of_bank=incident_of).facts(RESULT)
    assert [(f.entry_id, f.bank, f.signal_type, f.distance, f.incident_id) for f in facts] == [
        (1, "incident-1", "pdq", 4, 1),
        (2, "gifct", "pdq", 20, None),
        (3, "benign", "md5", 0, None),
        (4, "gifct", "md5", 0, None),
    ]
    assert facts[0].labels == frozenset(LIVESTREAM)
    assert facts[0].query_value == PDQ.value


def test_a_verdict_on_a_match_result() -> None:
    service = PolicyService(POLICY, incident_of_bank=incident_of)
    verdict = service.verdict(RESULT, UploadContext())
    assert verdict.actions == {A.BLOCK, A.PRESERVE, A.REVIEW}
    assert verdict.rules == ("incident exact", "category")
    assert verdict.suppressed == (4,)
    assert verdict.negative == (3,)
    held = service.verdict(RESULT, UploadContext(AccountClass.ARCHIVE))
    assert held.actions == {A.REVIEW, A.PRESERVE} and held.exempt


def test_the_service_quarantines_a_flooding_entry_and_says_so() -> None:
    clock = Clock()
    guard = FloodGuard(POLICY.flood, now=clock)
    service = PolicyService(POLICY, incident_of_bank=lambda bank: None, flood=guard)
    clock.next_window()
    verdicts = [service.verdict(RESULT, UploadContext()) for _ in range(3)]
    assert [v.newly_quarantined for v in verdicts] == [(), (), (1, 2)]
    assert verdicts[2].quarantined == (1, 2)
    assert verdicts[2].actions == {A.REVIEW, A.PRESERVE}  # entry 1's matches are not incident
    assert verdicts[2].reasons[0].startswith("entry 1 quarantined by flood control")
    assert guard.quarantined() == (1, 2)  # never the suppressed or negative entries
    assert service.flood.release(1)


def test_incident_entries_keep_blocking_in_a_flood() -> None:
    clock = Clock()
    guard = FloodGuard(POLICY.flood, now=clock)
    service = PolicyService(POLICY, incident_of_bank=incident_of, flood=guard)
    clock.next_window()
    for _ in range(10):
        verdict = service.verdict(RESULT, UploadContext())
    assert verdict.quarantined == (2,)
    assert verdict.blocks


def test_no_matches_no_actions() -> None:
    service = PolicyService(POLICY, incident_of_bank=incident_of)
    verdict = service.verdict(MatchResult(signals=(PDQ,), matches=()))
    assert verdict.actions == frozenset() and verdict.rules == ()


# --- loading ----------------------------------------------------------------------------


def test_load_policy_without_a_path_is_the_shipped_default() -> None:
    policy = load_policy(None)
    service = PolicyService(policy, incident_of_bank=incident_of)
    verdict = service.verdict(RESULT, UploadContext())
    assert verdict.blocks
    assert {A.BLOCK, A.PRESERVE, A.NOTIFY, A.REVIEW} <= verdict.actions


def test_load_policy_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('default_actions = ["review", "preserve"]\n')
    assert load_policy(path).default_actions == (A.REVIEW, A.PRESERVE)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'[[rule]]\nname = "r"\nactions = ["zap"]\n', ':3: rule "r": unknown action "zap"'),
        (b"a = [\n", ":1: not valid TOML"),
        (b'# ok\nname = "\xff"\n', ":2: not UTF-8 text"),
    ],
)
def test_load_policy_errors_name_the_file_and_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as raised:
        load_policy(path)
    assert raised.value.message.startswith(f"{path}{expected}"), raised.value.message
    assert raised.value.code == "invalid_policy"


def test_load_policy_of_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(InvalidInput, match="cannot read the policy file") as raised:
        load_policy(path)
    assert raised.value.message.startswith(f"{path}: ")
