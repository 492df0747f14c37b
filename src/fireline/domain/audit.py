"""The audit log's records: an append-only chain of SHA-256 hashes, one per change.

Each record's hash covers its own fields and the previous record's hash, so altering,
removing or reordering any record breaks the chain from that point on. The hash is
``sha256(canonical JSON of {seq, at, actor, action, subject, detail, prev_hash})``, with
``at`` written as RFC 3339 UTC with microseconds; anyone can recompute it from an export.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

#: The ``prev_hash`` of the first record.
GENESIS_HASH = "0" * 64


class AuditAction(StrEnum):
    """What the built-in services record. Other modules may record their own actions."""

    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    ORG_CREATED = "org.created"
    BANK_CREATED = "bank.created"
    BANK_UPDATED = "bank.updated"
    BANK_DELETED = "bank.deleted"
    ENTRIES_ADDED = "entries.added"
    ENTRY_RETRACTED = "entry.retracted"
    CASE_OPENED = "case.opened"
    CASE_DECIDED = "case.decided"
    APPEAL_FILED = "appeal.filed"
    APPEAL_DECIDED = "appeal.decided"
    CONTENT_RESTORED = "content.restored"
    ORDER_RECEIVED = "order.received"
    ORDER_COMPLIED = "order.complied"
    ORDER_REFUSED = "order.refused"
    ORDER_ESCALATED = "order.escalated"
    HOLD_CREATED = "hold.created"
    HOLD_EXTENDED = "hold.extended"
    HOLD_PURGED = "hold.purged"
    HOLD_RELEASED = "hold.released"
    NOTICE_SENT = "notice.sent"
    PROCEEDING_BROUGHT = "proceeding.brought"
    PROCEEDING_DECIDED = "proceeding.decided"


def canonical_json(obj: Any) -> bytes:
    """The one byte form hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def audit_time(at: datetime) -> str:
    """``at`` as RFC 3339 in UTC with microseconds: ``2026-01-02T03:04:05.000006Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    detail: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """The hex SHA-256 a record with these fields carries."""
    body = {
        "seq": seq,
        "at": audit_time(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": dict(detail),
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One change: who (``actor``) did what (``action``) to what (``subject``), and when.

    ``detail`` holds JSON values only (never a hash value or content). ``seq`` runs
    1, 2, 3... without gaps.
    """

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str

    def computed_hash(self) -> str:
        """The hash the record's fields give now; differs from ``hash`` if it was altered."""
        return record_hash(
            seq=self.seq,
            at=self.at,
            actor=self.actor,
            action=self.action,
            subject=self.subject,
            detail=self.detail,
            prev_hash=self.prev_hash,
        )


class ChainProblem(StrEnum):
    """Why a verification failed at a record."""

    #: A sequence number is missing (a record was deleted) or out of order.
    GAP = "gap"
    #: The record's prev_hash is not the previous record's hash.
    BROKEN_LINK = "broken_link"
    #: The record's fields no longer give its hash.
    ALTERED = "altered"


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of walking the whole chain.

    ``records`` and ``last_hash`` describe the intact prefix: keep ``last_hash`` somewhere
    else to detect later truncation of the newest records, which the chain alone cannot.
    """

    ok: bool
    records: int
    last_seq: int
    last_hash: str
    bad_seq: int | None = None
    problem: ChainProblem | None = None
    message: str = ""
