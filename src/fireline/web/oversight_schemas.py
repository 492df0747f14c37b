"""Schemas of the oversight routes: the audit log and the aggregate figures."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from fireline.domain import AuditRecord, AuditVerification, Figures
from fireline.services import views


class AuditRecordPublic(BaseModel):
    seq: int
    at: str = Field(description="RFC 3339 UTC with microseconds, exactly as hashed.")
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str = Field(
        description="sha256 of the canonical JSON of every other field (see docs/roles.md)."
    )

    @classmethod
    def from_domain(cls, record: AuditRecord) -> AuditRecordPublic:
        return cls.model_validate(views.audit_record_view(record))


class AuditRecordsPublic(BaseModel):
    data: list[AuditRecordPublic]
    count: int
    next_after: int = Field(description="Pass as after for the next page.")


class AuditVerificationPublic(BaseModel):
    ok: bool
    records: int = Field(description="Records checked and found intact.")
    last_seq: int
    last_hash: str = Field(description="Hash of the last intact record; keep it elsewhere.")
    bad_seq: int | None = Field(description="The first record that is wrong, if any.")
    problem: str | None = Field(description="gap, broken_link or altered; null when ok.")
    message: str

    @classmethod
    def from_domain(cls, result: AuditVerification) -> AuditVerificationPublic:
        return cls.model_validate(views.verification_view(result))


class FiguresPublic(BaseModel):
    """Aggregate counts only: nothing here names a hash, an entry or a bank."""

    organisations: int
    banks: int
    banks_by_sharing: dict[str, int]
    active_entries: int
    retracted_entries: int
    active_by_signal_type: dict[str, int]
    active_by_category: dict[str, int] = Field(
        description="Active entries per category:* label; an entry with two counts in both."
    )
    uncategorised_entries: int

    @classmethod
    def from_domain(cls, figures: Figures) -> FiguresPublic:
        return cls.model_validate(views.figures_view(figures))
