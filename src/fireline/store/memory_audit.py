"""In-memory twin of the audit store."""

from __future__ import annotations

import builtins
import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fireline.domain import GENESIS_HASH, AuditRecord
from fireline.domain.audit import record_hash


class MemoryAuditStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: builtins.list[AuditRecord] = []

    def append(
        self, *, actor: str, action: str, subject: str, detail: Mapping[str, Any]
    ) -> AuditRecord:
        # Stored as JSON gives it back, the way the SQL store reads it.
        clean = json.loads(json.dumps(dict(detail)))
        with self._lock:
            seq = len(self._records) + 1
            prev_hash = self._records[-1].hash if self._records else GENESIS_HASH
            at = datetime.now(UTC)
            record = AuditRecord(
                seq=seq,
                at=at,
                actor=actor,
                action=action,
                subject=subject,
                detail=clean,
                prev_hash=prev_hash,
                hash=record_hash(
                    seq=seq,
                    at=at,
                    actor=actor,
                    action=action,
                    subject=subject,
                    detail=clean,
                    prev_hash=prev_hash,
                ),
            )
            self._records.append(record)
            return record

    def list(self, *, after: int = 0, limit: int = 100) -> builtins.list[AuditRecord]:
        with self._lock:
            return [r for r in self._records if r.seq > after][: max(limit, 0)]

    def last(self) -> AuditRecord | None:
        with self._lock:
            return self._records[-1] if self._records else None
