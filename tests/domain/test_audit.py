"""The audit record's hash, computed exactly as docs/roles.md tells anyone to compute it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from fireline.domain import GENESIS_HASH, AuditRecord
from fireline.domain.audit import audit_time, record_hash

AT = datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=UTC)


def _independent_hash(**fields: object) -> str:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (AT, "2026-12-01T09:30:00.123456Z"),
        (AT.replace(microsecond=0), "2026-12-01T09:30:00.000000Z"),
        (AT.astimezone(timezone(timedelta(hours=13))), "2026-12-01T09:30:00.123456Z"),
    ],
)
def test_times_are_rfc3339_utc_with_microseconds(moment: datetime, text: str) -> None:
    assert audit_time(moment) == text


def test_the_hash_is_sha256_of_the_canonical_json() -> None:
    detail = {"b": [1, 2], "a": "日本 ✓"}
    expected = _independent_hash(
        seq=1,
        at="2026-12-01T09:30:00.123456Z",
        actor="cli:ann",
        action="bank.created",
        subject="bank:x",
        detail=detail,
        prev_hash=GENESIS_HASH,
    )
    got = record_hash(
        seq=1,
        at=AT,
        actor="cli:ann",
        action="bank.created",
        subject="bank:x",
        detail=detail,
        prev_hash=GENESIS_HASH,
    )
    assert got == expected and len(got) == 64


@pytest.mark.parametrize(
    "change", [{"seq": 2}, {"actor": "x"}, {"detail": {"n": 2}}, {"prev_hash": "1" * 64}]
)
def test_any_change_to_a_field_changes_the_hash(change: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "seq": 1,
        "at": AT,
        "actor": "a",
        "action": "b.c",
        "subject": "d",
        "detail": {"n": 1},
        "prev_hash": GENESIS_HASH,
    }
    record = AuditRecord(**fields, hash=record_hash(**fields))  # type: ignore[arg-type]
    changed = AuditRecord(**(fields | change), hash=record.hash)  # type: ignore[arg-type]
    assert record.computed_hash() == record.hash
    assert changed.computed_hash() != record.hash
