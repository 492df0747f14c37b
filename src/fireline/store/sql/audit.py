"""SqlAuditStore: the hash-chained audit log, in SQL.

An append reads the newest record inside its transaction and inserts the next seq with
the chain hash. Two writers that read the same newest record both try the same seq; the
primary key lets one in and fails the other, which starts again from the new newest
record. SQLite's single writer (BEGIN IMMEDIATE) never gets that far.
"""

from __future__ import annotations

import builtins
import json
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, Select, insert, select
from sqlalchemy.exc import IntegrityError

from fireline.domain import GENESIS_HASH, AuditRecord, StorageError
from fireline.domain.audit import canonical_json, record_hash
from fireline.store.sql.engine import reading, writing
from fireline.store.sql.tables import AuditRecordRow

#: Tries before an append gives up (each lost race means another writer got through).
_ATTEMPTS = 200
#: The largest seq the column holds (BIGINT).
_MAX_SEQ = 2**63 - 1


class _SeqTaken(Exception):
    """Another writer appended the seq this transaction picked; roll back and retry."""


def _select_records() -> Select[*tuple[Any, ...]]:
    return select(
        AuditRecordRow.seq,
        AuditRecordRow.at,
        AuditRecordRow.actor,
        AuditRecordRow.action,
        AuditRecordRow.subject,
        AuditRecordRow.detail,
        AuditRecordRow.prev_hash,
        AuditRecordRow.hash,
    )


def _record(row: Row[*tuple[Any, ...]]) -> AuditRecord:
    return AuditRecord(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        detail=json.loads(row.detail),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class SqlAuditStore:
    """The AuditStore protocol on SQLite or PostgreSQL; behaves like MemoryAuditStore."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(
        self, *, actor: str, action: str, subject: str, detail: Mapping[str, Any]
    ) -> AuditRecord:
        text = canonical_json(dict(detail)).decode()
        for attempt in range(_ATTEMPTS):
            try:
                return self._append_once(
                    actor=actor, action=action, subject=subject, detail_text=text
                )
            except _SeqTaken:
                # Back off a little, at random, so racing writers spread out.
                time.sleep(random.uniform(0, min(0.001 * 2**attempt, 0.05)))
        raise StorageError(
            "the audit log is too busy: could not append a record", code="audit_busy"
        )

    def _append_once(
        self, *, actor: str, action: str, subject: str, detail_text: str
    ) -> AuditRecord:
        detail = json.loads(detail_text)
        with writing(self._engine) as conn:
            newest = conn.execute(
                select(AuditRecordRow.seq, AuditRecordRow.hash)
                .order_by(AuditRecordRow.seq.desc())
                .limit(1)
            ).one_or_none()
            seq = 1 if newest is None else newest.seq + 1
            prev_hash = GENESIS_HASH if newest is None else newest.hash
            at = datetime.now(UTC)
            digest = record_hash(
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                subject=subject,
                detail=detail,
                prev_hash=prev_hash,
            )
            try:
                conn.execute(
                    insert(AuditRecordRow).values(
                        seq=seq,
                        at=at,
                        actor=actor,
                        action=action,
                        subject=subject,
                        detail=detail_text,
                        prev_hash=prev_hash,
                        hash=digest,
                    )
                )
            except IntegrityError as exc:
                raise _SeqTaken from exc
        return AuditRecord(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            detail=detail,
            prev_hash=prev_hash,
            hash=digest,
        )

    def list(self, *, after: int = 0, limit: int = 100) -> builtins.list[AuditRecord]:
        # A cursor outside the column's range must not reach the driver, which cannot bind it.
        after = min(max(after, 0), _MAX_SEQ)
        with reading(self._engine) as conn:
            rows = conn.execute(
                _select_records()
                .where(AuditRecordRow.seq > after)
                .order_by(AuditRecordRow.seq)
                .limit(max(limit, 0))
            )
            return [_record(row) for row in rows]

    def last(self) -> AuditRecord | None:
        with reading(self._engine) as conn:
            row = conn.execute(
                _select_records().order_by(AuditRecordRow.seq.desc()).limit(1)
            ).one_or_none()
            return None if row is None else _record(row)
