"""API schemas of screening, cases, decisions and appeals (CaseDecisionCreate, CasePublic...).

The public models are built from the JSON views of fireline.services.review_views, so the
API, ``--json`` and the UI share one shape.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fireline.domain.policy import AccountClass
from fireline.domain.review import Outcome
from fireline.web.schemas import (
    MatchPublic,
    RefusalPublic,
    SignalIn,
    SignalPublic,
    TransformedSignalIn,
)

# Generous bounds against abuse; the service enforces the real limits with clear codes.
_TEXT = 20_000
_REF = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------


class UploadFields(_Strict):
    """Who posted the upload, as the platform knows it (JSON body, or multipart fields)."""

    content_ref: str = Field(
        max_length=_REF, description="The platform's own id of the content (1-200 characters)."
    )
    uploader: str = Field("", max_length=_REF, description="The platform's id of the poster.")
    account_class: AccountClass | None = Field(
        None,
        description="An exempt context: news, research, archive (human-rights archive) or "
        "counter_speech. Such uploads are never blocked or removed automatically.",
    )


class UploadScreen(UploadFields):
    signals: list[SignalIn] = Field(min_length=1, max_length=1000)
    transforms: list[TransformedSignalIn] = Field([], max_length=1000)


class ReportCreate(UploadFields):
    note: str = Field("", max_length=_TEXT, description="What the reporting user said.")
    labels: list[str] = Field([], max_length=100, description="Taxonomy labels, if known.")


class AppealCreate(_Strict):
    appellant: str = Field(max_length=_REF, description="The platform's id of the appealing user.")
    reason: str = Field("", max_length=_TEXT)


class CaseDecisionCreate(_Strict):
    outcome: Outcome = Field(description="remove, keep or interstitial.")
    reason: str = Field(max_length=_TEXT, description="Why: required, kept in the case.")


class AppealDecisionCreate(_Strict):
    upheld: bool = Field(description="True: the appellant is right and the content is restored.")
    reason: str = Field(max_length=_TEXT)
    wrong_match: bool = Field(
        False,
        description="The hash match itself was wrong: a dispute opinion goes back to each "
        "matched entry's contributor through the exchange (upheld appeals of match cases).",
    )


# -- responses ---------------------------------------------------------------------------


class VerdictPublic(BaseModel):
    actions: list[str]
    rules: list[str]
    exempt: bool
    suppressed: list[int]
    negative: list[int]
    quarantined: list[int]
    reasons: list[str]


class ScreeningPublic(BaseModel):
    blocked: bool = Field(description="Refuse the upload.")
    content_status: str = Field(description="visible, blocked, removed or interstitial.")
    case_id: int | None = Field(description="The case a reviewer or an appeal will decide.")
    verdict: VerdictPublic
    matched: bool
    matches: list[MatchPublic]
    signals: list[SignalPublic]
    refused: list[RefusalPublic]


class DecisionPublic(BaseModel):
    id: int
    case_id: int
    reviewer: str
    outcome: str
    reason: str
    at: str | None
    on_appeal: bool


class AppealPublic(BaseModel):
    id: int
    case_id: int
    appellant: str
    reason: str
    filed_at: str | None
    state: str
    reviewer: str | None
    decision_reason: str
    decided_at: str | None
    wrong_match: bool


class AppealsPublic(BaseModel):
    appeals: list[AppealPublic]


class CasePublic(BaseModel):
    id: int
    source: str
    state: str
    severity: int
    content_ref: str
    uploader: str
    account_class: str | None
    incident_id: int | None
    labels: list[str]
    signal_types: list[str]
    entry_ids: list[int]
    actions: list[str]
    content_status: str
    note: str
    evidence: dict[str, Any]
    has_media: bool
    created_at: str | None
    decided_at: str | None
    reviewer: str | None
    outcome: str | None
    reason: str


class CaseFilePublic(CasePublic):
    decisions: list[DecisionPublic]
    appeals: list[AppealPublic]


class CasesPublic(BaseModel):
    cases: list[CasePublic]


class ExposureDay(BaseModel):
    day: str
    views: int


class ExposurePublic(BaseModel):
    reviewer: str
    today: int = Field(description="Media this reviewer revealed today (UTC).")
    days: list[ExposureDay]


class QuarantinePublic(BaseModel):
    entries: list[int] = Field(description="Entries whose matches go to review, not removal.")
