"""The audit log as services write it: one record per change, naming who and what."""

from __future__ import annotations

from typing import Any

import pytest

from fireline.bootstrap import Container
from fireline.domain import InvalidInput, NewEntry, NotFound, SharingPolicy, Signal


def _log(container: Container) -> list[tuple[str, str, str]]:
    return [(r.actor, r.action, r.subject) for r in container.audit.records(limit=1000)]


def test_bank_changes_are_recorded_with_their_actor(container: Container) -> None:
    container.banks.create(name="a", sharing=SharingPolicy.MEMBERS, actor="key:ops@acme")
    container.banks.update(name="a", pdq_threshold=20, actor="key:ops@acme")
    added = container.banks.add_signals(
        bank="a",
        signals=[Signal("md5", f"{i:032x}") for i in range(3)],
        contributor="ops",
        actor="key:ops@acme",
    ).added
    container.banks.retract(entry_id=added[1].id, reason="false positive", actor="cli:ann")
    container.banks.delete(name="a", actor="cli:ann")
    assert _log(container) == [
        ("key:ops@acme", "bank.created", "bank:a"),
        ("key:ops@acme", "bank.updated", "bank:a"),
        ("key:ops@acme", "entries.added", "bank:a"),
        ("cli:ann", "entry.retracted", f"entry:{added[1].id}"),
        ("cli:ann", "bank.deleted", "bank:a"),
    ]
    details = [r.detail for r in container.audit.records()]
    assert details[0] == {"owner": "local", "sharing": "members", "pdq_threshold": None}
    assert details[1] == {"version": 1, "pdq_threshold": 20}
    first, last = added[0].id, added[-1].id
    assert details[2] == {"count": 3, "entry_id_ranges": [[first, last]], "already_banked": 0}
    assert details[3] == {"bank": "a", "reason": "false positive"}
    assert details[4] == {"owner": "local", "active_entries": 2}
    assert container.audit.verify().ok


def test_recorded_details_never_hold_hash_values(container: Container) -> None:
    container.banks.create(name="a")
    value = "f" * 64
    container.banks.add_entries(
        bank="a", entries=[NewEntry("pdq", value, quality=100)], contributor="import"
    )
    (_, added) = container.audit.records()
    assert added.actor == "import"  # additions default to the contributor
    assert value not in str(added.detail) and value not in added.subject


def test_changes_that_change_nothing_record_nothing(container: Container) -> None:
    container.banks.create(name="a")
    (entry,) = container.banks.add_signals(bank="a", signals=[Signal("md5", "0" * 32)]).added
    before = _log(container)
    container.banks.add_signals(bank="a", signals=[Signal("md5", "0" * 32)])  # already banked
    container.banks.retract(entry_id=entry.id)
    container.banks.retract(entry_id=entry.id)  # already retracted
    assert _log(container) == [*before, ("local", "entry.retracted", f"entry:{entry.id}")]


def test_a_refused_change_records_nothing(container: Container) -> None:
    container.banks.create(name="a")
    before = _log(container)
    with pytest.raises(InvalidInput):
        container.banks.create(name="bad name")
    with pytest.raises(NotFound):
        container.banks.delete(name="missing")
    with pytest.raises(NotFound):
        container.banks.retract(entry_id=99)
    assert _log(container) == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"detail": {"value": object()}}, "invalid_audit_detail"),
        ({"detail": {"text": "\ud800"}}, "invalid_audit_detail"),
        ({"action": ""}, "invalid_audit_action"),
        ({"action": "x" * 65}, "invalid_audit_action"),
        ({"actor": "nul\x00"}, "invalid_text"),
        ({"subject": "\udc80"}, "invalid_text"),
    ],
)
def test_a_record_no_store_can_keep_is_refused(
    container: Container, fields: dict[str, Any], code: str
) -> None:
    record: dict[str, Any] = {"actor": "a", "action": "peer.added", "subject": "peer:x"}
    with pytest.raises(InvalidInput) as raised:
        container.audit.record(**(record | fields))
    assert raised.value.code == code
    assert container.audit.records() == []


def test_other_modules_record_their_own_actions(container: Container) -> None:
    record = container.audit.record(
        actor="key:ops@acme", action="peer.added", subject="peer:hub", detail={"url": "x"}
    )
    assert (record.seq, record.action, dict(record.detail)) == (1, "peer.added", {"url": "x"})
    assert container.audit.last() == record


@pytest.mark.parametrize(("after", "limit"), [(-1, 10), (0, 0), (0, 1001)])
def test_bad_pages_are_refused(container: Container, after: int, limit: int) -> None:
    with pytest.raises(InvalidInput):
        container.audit.records(after=after, limit=limit)
