"""API schemas, named as a family (BankCreate, BankPublic, BanksPublic...).

Table rows and domain records are never the API schema; these are built from domain
records by the ``from_domain`` helpers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fireline.domain import (
    AddedEntries,
    ApiKey,
    Bank,
    Entry,
    Match,
    MatchResult,
    Refusal,
    Role,
    SharingPolicy,
    Signal,
)
from fireline.services import HashedContent, ImportReport


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorPublic(BaseModel):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route can answer."""
    return {status: {"model": ErrorPublic} for status in statuses}


class SignalIn(_Strict):
    signal_type: str = Field(examples=["pdq"])
    value: str = Field(max_length=10_000)
    quality: int | None = None


class SignalPublic(BaseModel):
    signal_type: str
    value: str
    quality: int | None = None

    @classmethod
    def from_domain(cls, signal: Signal) -> SignalPublic:
        return cls(signal_type=signal.signal_type, value=signal.value, quality=signal.quality)


class RefusalPublic(BaseModel):
    signal: SignalPublic
    reason: str

    @classmethod
    def from_domain(cls, refusal: Refusal) -> RefusalPublic:
        return cls(signal=SignalPublic.from_domain(refusal.signal), reason=refusal.reason)


class HashPublic(BaseModel):
    content_type: str
    size: int
    signals: list[SignalPublic]

    @classmethod
    def from_domain(cls, hashed: HashedContent) -> HashPublic:
        return cls(
            content_type=hashed.content_type.value,
            size=hashed.size,
            signals=[SignalPublic.from_domain(s) for s in hashed.signals],
        )


class BankCreate(_Strict):
    name: str = Field(examples=["christchurch-2019"])
    description: str = ""
    sharing: SharingPolicy = SharingPolicy.PRIVATE
    pdq_threshold: int | None = Field(None, ge=0, le=128)


class BankUpdate(_Strict):
    description: str | None = None
    sharing: SharingPolicy | None = None
    pdq_threshold: int | None = Field(None, ge=0, le=128)
    clear_pdq_threshold: bool = False


class BankPublic(BaseModel):
    id: int
    name: str
    description: str
    owner: str
    sharing: SharingPolicy
    pdq_threshold: int | None
    version: int
    entry_count: int
    created_at: datetime

    @classmethod
    def from_domain(cls, bank: Bank) -> BankPublic:
        return cls(
            id=bank.id,
            name=bank.name,
            description=bank.description,
            owner=bank.owner,
            sharing=bank.sharing,
            pdq_threshold=bank.pdq_threshold,
            version=bank.version,
            entry_count=bank.entry_count,
            created_at=bank.created_at,
        )


class BanksPublic(BaseModel):
    data: list[BankPublic]
    count: int


class EntryPublic(BaseModel):
    id: int
    bank: str
    signal_type: str
    value: str
    quality: int | None
    labels: list[str]
    note: str
    item: str | None
    contributor: str
    created_at: datetime
    retracted_at: datetime | None
    retraction_reason: str

    @classmethod
    def from_domain(cls, entry: Entry) -> EntryPublic:
        return cls(
            id=entry.id,
            bank=entry.bank_name,
            signal_type=entry.signal_type,
            value=entry.value,
            quality=entry.quality,
            labels=list(entry.labels),
            note=entry.note,
            item=entry.item,
            contributor=entry.contributor,
            created_at=entry.created_at,
            retracted_at=entry.retracted_at,
            retraction_reason=entry.retraction_reason,
        )


class EntriesPublic(BaseModel):
    data: list[EntryPublic]
    count: int
    next_after_id: int | None = Field(
        None, description="Pass as after_id for the next page; null on the last page."
    )


class EntriesCreate(_Strict):
    signals: list[SignalIn] = Field(min_length=1, max_length=10_000)
    labels: list[str] = []
    note: str = ""


class EntriesCreated(BaseModel):
    added: list[EntryPublic]
    existing: list[EntryPublic]
    refused: list[RefusalPublic]

    @classmethod
    def from_domain(cls, result: AddedEntries) -> EntriesCreated:
        return cls(
            added=[EntryPublic.from_domain(e) for e in result.added],
            existing=[EntryPublic.from_domain(e) for e in result.existing],
            refused=[RefusalPublic.from_domain(r) for r in result.refused],
        )


class EntryRetract(_Strict):
    reason: str = ""


class MatchRequest(_Strict):
    signals: list[SignalIn] = Field(min_length=1, max_length=1000)
    banks: list[str] | None = None


class MatchPublic(BaseModel):
    bank: str
    entry_id: int
    signal_type: str
    query: str
    value: str
    distance: int
    threshold: int
    transform: str
    labels: list[str]
    note: str
    item: str | None

    @classmethod
    def from_domain(cls, match: Match) -> MatchPublic:
        return cls(
            bank=match.entry.bank_name,
            entry_id=match.entry.id,
            signal_type=match.entry.signal_type,
            query=match.query.value,
            value=match.entry.value,
            distance=match.distance,
            threshold=match.threshold,
            transform=match.transform,
            labels=list(match.entry.labels),
            note=match.entry.note,
            item=match.entry.item,
        )


class MatchesPublic(BaseModel):
    matched: bool
    matches: list[MatchPublic]
    signals: list[SignalPublic]
    refused: list[RefusalPublic]

    @classmethod
    def from_domain(cls, result: MatchResult) -> MatchesPublic:
        return cls(
            matched=result.matched,
            matches=[MatchPublic.from_domain(m) for m in result.matches],
            signals=[SignalPublic.from_domain(s) for s in result.signals],
            refused=[RefusalPublic.from_domain(r) for r in result.refused],
        )


class ImportPublic(BaseModel):
    added: int
    existing: int
    skipped_retracted: int

    @classmethod
    def from_domain(cls, report: ImportReport) -> ImportPublic:
        return cls(
            added=report.added, existing=report.existing, skipped_retracted=report.skipped_retracted
        )


class KeyCreate(_Strict):
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.MATCHER


class KeyPublic(BaseModel):
    id: int
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_domain(cls, key: ApiKey) -> KeyPublic:
        return cls(
            id=key.id,
            name=key.name,
            role=key.role,
            prefix=key.prefix,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class KeysPublic(BaseModel):
    data: list[KeyPublic]
    count: int


class KeyCreated(KeyPublic):
    secret: str = Field(description="Shown once; only its hash is stored.")
