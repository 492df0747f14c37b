"""The audit log: record every change, read it a page at a time, verify the hash chain.

Services record after their change has committed, naming who acted (``actor``: an API
key's ``key.actor``, ``cli:<user>`` on the command line, ``local`` otherwise), what they
did (an AuditAction, or a dotted name of the caller's own such as ``peer.added``) and to
what (``subject``: ``kind:id``, e.g. ``bank:demo``, ``entry:42``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fireline.domain import (
    GENESIS_HASH,
    AuditRecord,
    AuditVerification,
    ChainProblem,
    InvalidInput,
)
from fireline.domain.audit import canonical_json
from fireline.services.text import check_text
from fireline.store import AuditStore

#: Most records one page may hold.
MAX_PAGE = 1000
#: Who the instance's own periodic work (escalations, purges) acts as.
INSTANCE = "local"
#: Longest action name the store keeps.
MAX_ACTION = 64


def entry_id_ranges(entry_ids: list[int]) -> list[list[int]]:
    """Ids as ``[first, last]`` runs: a bulk import of consecutive ids stays one pair."""
    ranges: list[list[int]] = []
    for entry_id in sorted(set(entry_ids)):
        if ranges and ranges[-1][1] == entry_id - 1:
            ranges[-1][1] = entry_id
        else:
            ranges.append([entry_id, entry_id])
    return ranges


class AuditLog:
    """The instance's tamper-evident, append-only log of changes."""

    def __init__(self, *, store: AuditStore) -> None:
        self.store = store

    def record(
        self,
        *,
        actor: str,
        action: str,
        subject: str,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Append one record; it is durable when this returns.

        ``detail`` holds JSON values only, and never a hash value or content: auditors
        read it. InvalidInput (and nothing recorded) when a field cannot be stored.
        """
        check_text(actor, what="an audit actor")
        check_text(subject, what="an audit subject")
        if not action or len(action) > MAX_ACTION:
            raise InvalidInput(
                f"an audit action is 1-{MAX_ACTION} characters", code="invalid_audit_action"
            )
        check_text(action, what="an audit action")
        action = str(action)  # an AuditAction is stored as its plain value
        fields = dict(detail or {})
        try:
            canonical_json(fields)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"audit detail must hold JSON values only ({exc})", code="invalid_audit_detail"
            ) from None
        return self.store.append(actor=actor, action=action, subject=subject, detail=fields)

    def records(self, *, after: int = 0, limit: int = 100) -> list[AuditRecord]:
        """Records with seq above ``after``, oldest first; ``after`` is the page cursor."""
        if after < 0:
            raise InvalidInput("after is 0 or more", code="invalid_cursor")
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit is between 1 and {MAX_PAGE}", code="invalid_limit")
        return self.store.list(after=after, limit=limit)

    def last(self) -> AuditRecord | None:
        """The newest record, or None."""
        return self.store.last()

    def verify(self, *, page: int = MAX_PAGE) -> AuditVerification:
        """Walk the whole chain, page by page, and report the first record that is wrong.

        Finds a missing record (a gap in seq), a record whose prev_hash is not its
        predecessor's hash, and a record whose fields no longer give its hash. Records
        appended while the walk runs are checked too, up to the page the walk ends on.
        """
        expected = 1
        prev_hash = GENESIS_HASH
        after = 0
        while True:
            batch = self.store.list(after=after, limit=page)
            for record in batch:
                problem = _check(record, expected=expected, prev_hash=prev_hash)
                if problem is not None:
                    kind, bad_seq, message = problem
                    return AuditVerification(
                        ok=False,
                        records=expected - 1,
                        last_seq=expected - 1,
                        last_hash=prev_hash,
                        bad_seq=bad_seq,
                        problem=kind,
                        message=message,
                    )
                prev_hash = record.hash
                expected += 1
            if len(batch) < page:
                break
            after = batch[-1].seq
        count = expected - 1
        return AuditVerification(
            ok=True,
            records=count,
            last_seq=count,
            last_hash=prev_hash,
            message=f"{count} records, chain intact",
        )


def _check(
    record: AuditRecord, *, expected: int, prev_hash: str
) -> tuple[ChainProblem, int, str] | None:
    if record.seq != expected:
        return (
            ChainProblem.GAP,
            expected,
            f"record {expected} is missing: the record after {expected - 1} is {record.seq}",
        )
    if record.prev_hash != prev_hash:
        return (
            ChainProblem.BROKEN_LINK,
            record.seq,
            f"record {record.seq} does not link to record {record.seq - 1}: its prev_hash "
            f"is {record.prev_hash}, the previous hash is {prev_hash}",
        )
    if record.computed_hash() != record.hash:
        return (
            ChainProblem.ALTERED,
            record.seq,
            f"record {record.seq} was altered: its fields give {record.computed_hash()}, "
            f"it carries {record.hash}",
        )
    return None
