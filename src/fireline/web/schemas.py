"""API schemas, named as a family (BankCreate, BankPublic, BanksPublic...).

Table rows and domain records are never the API schema; these are built from domain
records by the ``from_domain`` helpers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fireline.domain import (
    AddedEntries,
    ApiKey,
    Bank,
    Entry,
    Match,
    MatchResult,
    Organisation,
    Refusal,
    Role,
    SharingPolicy,
    Signal,
)
from fireline.services import HashedContent, ImportReport, views


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
    value: str = Field(max_length=2_000_000)
    quality: int | None = None


class SignalPublic(BaseModel):
    signal_type: str
    value: str
    quality: int | None = None

    @classmethod
    def from_domain(cls, signal: Signal) -> SignalPublic:
        return cls.model_validate(views.signal_view(signal))


class RefusalPublic(BaseModel):
    signal: SignalPublic
    reason: str

    @classmethod
    def from_domain(cls, refusal: Refusal) -> RefusalPublic:
        return cls.model_validate(views.refusal_view(refusal))


class HashPublic(BaseModel):
    content_type: str
    size: int
    signals: list[SignalPublic]
    links: list[SignalPublic] = Field(
        [], description="For text: the links it holds (url signals), matched but not banked."
    )
    document_format: str | None = Field(
        None, description="For text: the format its text was read from (text, html, pdf, docx)."
    )

    @classmethod
    def from_domain(cls, hashed: HashedContent) -> HashPublic:
        return cls(
            content_type=hashed.content_type.value,
            size=hashed.size,
            signals=[SignalPublic.from_domain(s) for s in hashed.signals],
            links=[SignalPublic.from_domain(s) for s in hashed.links],
            document_format=hashed.document_format,
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
        return cls.model_validate(views.bank_view(bank))


class BanksPublic(BaseModel):
    data: list[BankPublic]
    count: int


class ProvenancePublic(BaseModel):
    """Who contributed a received entry, when, and which instances relayed it."""

    org: str
    instance: str
    contributed_at: datetime
    relayed_by: list[str]


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
    origin_uid: str | None = Field(
        None, description="The entry's uid where it was first banked (received entries)."
    )
    provenance: ProvenancePublic | None = None

    @classmethod
    def from_domain(cls, entry: Entry) -> EntryPublic:
        return cls.model_validate(views.entry_view(entry))


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
        return cls.model_validate(views.added_view(result))


class EntryRetract(_Strict):
    reason: str = ""


class TransformedSignalIn(SignalIn):
    """A hash of a transformed copy of the upload (mirrored, an inset), computed by the
    client the way a file upload's matching computes it (HashingService with variants)."""

    transform: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_:.,()+-]+$")


class HashRequest(_Strict):
    """A text or a link to hash, given in the body instead of as a file (exactly one)."""

    text: str | None = Field(None, description="A text, such as a post (at least 20 words).")
    url: str | None = Field(None, description="A link.")

    @model_validator(mode="after")
    def _one(self) -> HashRequest:
        if (self.text is None) == (self.url is None):
            raise ValueError("give exactly one of text and url")
        return self


class MatchRequest(_Strict):
    signals: list[SignalIn] = Field(
        [], max_length=1000, description="Signals to match; or give text or url instead."
    )
    text: str | None = Field(
        None, description="A text (a post) to hash and match, with the links it holds."
    )
    url: str | None = Field(None, description="A link to match against banked URLs and rules.")
    transforms: list[TransformedSignalIn] = Field(
        [],
        max_length=1000,
        description="Hashes of transformed copies: each matches as its transform of the "
        "signal of the same type, as a file upload's mirrored and inset copies do.",
    )
    banks: list[str] | None = None

    @model_validator(mode="after")
    def _one(self) -> MatchRequest:
        given = sum((bool(self.signals), self.text is not None, self.url is not None))
        if given != 1:
            raise ValueError("give exactly one of signals, text and url")
        if self.transforms and not self.signals:
            raise ValueError("transforms go with signals")
        return self


class SegmentPublic(BaseModel):
    """Where a match lies: seconds from each file's start (video, audio) or characters
    of each text (text_minhash passages), as ``unit`` says."""

    query_start: float
    query_end: float
    reference_start: float
    reference_end: float
    speed: float = Field(description="Reference seconds per query second (2.0: sped up 2x).")
    score: int = Field(description="Share (0-100) of the query's frames in the segment that match.")
    matched_frames: int
    query_coverage: float = Field(description="Share of the query's length the segment spans.")
    reference_coverage: float = Field(description="Share of the banked file's length it spans.")
    unit: str = Field("seconds", description="seconds (video, audio) or characters (text).")


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
    segments: list[SegmentPublic] = Field(
        description="For video, audio and text signals: where the match lies; empty otherwise."
    )
    measures: dict[str, float] = Field(
        {},
        description="Figures beside the distance: for text_minhash, jaccard (the texts' "
        "similarity) and containment (the share of the banked text found in the upload).",
    )

    @classmethod
    def from_domain(cls, match: Match) -> MatchPublic:
        return cls.model_validate(views.match_view(match))


class MatchesPublic(BaseModel):
    matched: bool
    matches: list[MatchPublic]
    signals: list[SignalPublic]
    refused: list[RefusalPublic]

    @classmethod
    def from_domain(cls, result: MatchResult) -> MatchesPublic:
        return cls.model_validate(views.match_result_view(result))


class ImportPublic(BaseModel):
    added: int
    existing: int
    skipped_retracted: int
    skipped_unsupported: int
    skipped_negative: int

    @classmethod
    def from_domain(cls, report: ImportReport) -> ImportPublic:
        return cls(
            added=report.added,
            existing=report.existing,
            skipped_retracted=report.skipped_retracted,
            skipped_unsupported=report.skipped_unsupported,
            skipped_negative=report.skipped_negative,
        )


class KeyCreate(_Strict):
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.MATCHER
    org: str | None = Field(
        None, description="The key's organisation (must exist); default: the instance's own."
    )


class KeyPublic(BaseModel):
    id: int
    name: str
    role: Role
    org: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_domain(cls, key: ApiKey) -> KeyPublic:
        return cls.model_validate(views.key_view(key))


class KeysPublic(BaseModel):
    data: list[KeyPublic]
    count: int


class KeyCreated(KeyPublic):
    secret: str = Field(description="Shown once; only its hash is stored.")


class OrgCreate(_Strict):
    name: str = Field(min_length=1, max_length=64, examples=["example-platform"])
    description: str = ""


class OrgPublic(BaseModel):
    id: int
    name: str
    description: str
    created_at: datetime

    @classmethod
    def from_domain(cls, org: Organisation) -> OrgPublic:
        return cls.model_validate(views.org_view(org))


class OrgsPublic(BaseModel):
    data: list[OrgPublic]
    count: int
