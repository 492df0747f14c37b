"""API schemas of removal orders, preservation holds, notices and review proceedings
(OrderCreate, OrderPublic, ProceedingCreate...).

Required text fields default to empty here so that the service answers a missing one
with 422 ``missing_field``, as it does on the command line. The public models are built
from the JSON views of fireline.services.order_views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fireline.domain.orders import MAX_WITHHOLD_DAYS, NoticeKind

# Generous bounds against abuse; the service enforces the real limits with clear codes.
_TEXT = 20_000
_REF = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------


class OrderCreate(_Strict):
    authority: str = Field("", max_length=_REF, description="The issuing competent authority.")
    reference: str = Field("", max_length=_REF, description="The authority's order number.")
    content_ref: str = Field("", max_length=_REF, description="The platform's id of the content.")
    reason: str = Field(
        "", max_length=_TEXT, description="The order's statement of reasons (Art. 3(4))."
    )
    content_url: str | None = Field(None, max_length=_REF, description="Where it was shown.")
    uploader: str = Field("", max_length=_REF, description="The platform's id of the poster.")
    withhold_notice_days: int = Field(
        0,
        description=f"Days the uploader's notice is withheld (0-{MAX_WITHHOLD_DAYS}), at the "
        "authority's request (Art. 11(3)).",
    )
    received_at: datetime | None = Field(
        None, description="When the order reached the platform, with a zone (default: now)."
    )


class OrderCompliance(_Strict):
    confirmation: str = Field(
        "", max_length=_TEXT, description="What the authority was told (required)."
    )


class OrderRefusal(_Strict):
    state: Literal["refused", "impossible"] = Field(
        description="refused (manifest errors, insufficient information) or impossible "
        "(force majeure, de facto impossibility)."
    )
    justification: str = Field("", max_length=_TEXT, description="Why (required).")


class HoldExtension(_Strict):
    until: datetime = Field(description="Keep the evidence until then (later than now).")
    reason: str = Field("", max_length=_TEXT, description="The authority's request (required).")


class HoldRelease(_Strict):
    reason: str = Field("", max_length=_TEXT, description="Why the evidence goes (required).")


class NoticeCreate(_Strict):
    kind: NoticeKind = Field(description="removed, restored or blocked.")
    content_ref: str = Field("", max_length=_REF)
    uploader: str = Field("", max_length=_REF)
    reason: str = Field("", max_length=_TEXT, description="What the user is told (required).")
    order_id: int | None = Field(None, description="The order it follows.")
    case_id: int | None = Field(None, description="The case it follows.")
    withhold_days: int = Field(0, description=f"0-{MAX_WITHHOLD_DAYS} days.")


class ProceedingCreate(_Strict):
    party: str = Field(
        "", max_length=_REF, description="hosting_provider or content_provider (required)."
    )
    body: str = Field(
        "", max_length=_REF, description="The court or authority it is before (required)."
    )
    reference: str = Field("", max_length=_REF, description="The body's case number (required).")
    brought_at: datetime | None = Field(
        None, description="When it was brought, with a zone (default: now)."
    )


class ProceedingDecision(_Strict):
    outcome: str = Field(
        "", max_length=_REF, description="upheld, annulled or varied: the order's fate (required)."
    )
    reinstatement_required: bool = Field(
        False, description="The content must be reinstated (annulled or varied only)."
    )
    decided_at: datetime | None = Field(
        None, description="When the body decided, with a zone (default: now)."
    )


# -- responses ---------------------------------------------------------------------------


class HoldPublic(BaseModel):
    id: int
    source: str
    state: str
    order_id: int | None
    case_id: int | None
    content_ref: str
    has_media: bool
    created_at: str | None
    expires_at: str | None
    extension_reason: str
    extended_at: str | None
    purged_at: str | None
    release_reason: str
    released_at: str | None


class HoldsPublic(BaseModel):
    holds: list[HoldPublic]


class NoticePublic(BaseModel):
    id: int
    kind: str
    content_ref: str
    uploader: str
    reason: str
    order_id: int | None
    case_id: int | None
    created_at: str | None
    withheld: bool
    withheld_until: str | None


class NoticesPublic(BaseModel):
    notices: list[NoticePublic]


class OrderPublic(BaseModel):
    id: int
    authority: str
    reference: str
    content_ref: str
    content_url: str | None
    uploader: str
    reason: str
    state: str
    case_id: int | None
    received_at: str | None
    deadline: str | None
    minutes_left: float | None = Field(description="Until the deadline; negative when overdue.")
    overdue: bool
    escalated: bool
    escalated_at: str | None
    withhold_notice_days: int
    closed_at: str | None
    closed_by: str | None
    complied_at: str | None
    seconds_to_comply: float | None
    within_deadline: bool | None
    confirmation: str
    justification: str


class OrdersPublic(BaseModel):
    orders: list[OrderPublic]


class ProceedingPublic(BaseModel):
    id: int
    order_id: int
    party: str
    body: str
    reference: str
    brought_at: str | None
    state: str = Field(description="pending or decided.")
    outcome: str | None
    decided_at: str | None
    decided_by: str | None
    reinstatement_required: bool


class ProceedingsPublic(BaseModel):
    proceedings: list[ProceedingPublic]


class OrderFilePublic(OrderPublic):
    holds: list[HoldPublic]
    notices: list[NoticePublic]
    proceedings: list[ProceedingPublic]
