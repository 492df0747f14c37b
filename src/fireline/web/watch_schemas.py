"""API schemas for watches of live streams (WatchCreate, WatchPublic, WatchesPublic...)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fireline.domain.watches import Watch, WatchEvent
from fireline.services.watch_views import event_view, watch_view


class WatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(
        max_length=4096,
        description="An http(s) URL of an HLS playlist, or a file under FIRELINE_WATCH_FILE_DIR.",
        examples=["https://live.example/stream/master.m3u8"],
    )
    webhook: str | None = Field(
        None, max_length=4096, description="POST each alert and the final event here, as JSON."
    )
    banks: list[str] = Field(
        default_factory=list, max_length=100, description="Match only these banks; all if empty."
    )


class ErrorBody(BaseModel):
    code: str
    message: str


class WatchProgressPublic(BaseModel):
    segments: int
    frames: int
    stream_seconds: float
    alerts: int


class WatchPublic(BaseModel):
    id: int
    source: str
    kind: str
    status: str = Field(description="running, ended, stalled, failed, stopped or lost.")
    banks: list[str]
    webhook: str | None = Field(description="Where the webhook points (scheme, host, port).")
    created_by: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    stop_requested: bool
    error: ErrorBody | None
    progress: WatchProgressPublic
    events: int = Field(description="Events recorded so far, numbered 1 to events.")

    @classmethod
    def from_domain(cls, watch: Watch) -> WatchPublic:
        return cls.model_validate(watch_view(watch))


class WatchesPublic(BaseModel):
    data: list[WatchPublic]
    count: int
    next_before_id: int | None = Field(
        None, description="Pass as before_id for the next (older) page; null on the last."
    )


class WatchEventPublic(BaseModel):
    watch_id: int
    number: int
    kind: str = Field(
        description="started, alert, alert_update, notice, webhook_failed, ended, stalled, "
        "failed or stopped."
    )
    at: datetime
    data: dict[str, Any]

    @classmethod
    def from_domain(cls, event: WatchEvent) -> WatchEventPublic:
        return cls.model_validate(event_view(event))


class WatchEventsPublic(BaseModel):
    data: list[WatchEventPublic]
    count: int
    next_after: int = Field(description="Pass as after for the next events.")
