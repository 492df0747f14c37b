"""Watches of live streams: start, list, inspect, read events, stop (the match permission)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fireline.domain.watches import WatchStatus
from fireline.web.deps import ContainerDep, MatchKey
from fireline.web.schemas import error_responses
from fireline.web.watch_schemas import (
    WatchCreate,
    WatchesPublic,
    WatchEventPublic,
    WatchEventsPublic,
    WatchPublic,
)

router = APIRouter(prefix="/v1", tags=["watches"])
_ERRORS = error_responses(401, 403, 404, 422, 429)


@router.post("/watches", response_model=WatchPublic, status_code=201, responses=_ERRORS)
def start_watch(body: WatchCreate, container: ContainerDep, key: MatchKey) -> WatchPublic:
    watch = container.watch_runner.start(
        source=body.source, webhook=body.webhook, banks=body.banks, created_by=key.name
    )
    return WatchPublic.from_domain(watch)


@router.get("/watches", response_model=WatchesPublic, responses=_ERRORS)
def list_watches(
    container: ContainerDep,
    _key: MatchKey,
    status: WatchStatus | None = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> WatchesPublic:
    watches = container.watches.all(status=status, before_id=before_id, limit=limit)
    return WatchesPublic(
        data=[WatchPublic.from_domain(w) for w in watches],
        count=len(watches),
        next_before_id=watches[-1].id if len(watches) == limit else None,
    )


@router.get("/watches/{watch_id}", response_model=WatchPublic, responses=_ERRORS)
def get_watch(watch_id: int, container: ContainerDep, _key: MatchKey) -> WatchPublic:
    return WatchPublic.from_domain(container.watches.get(watch_id=watch_id))


@router.get("/watches/{watch_id}/events", response_model=WatchEventsPublic, responses=_ERRORS)
def watch_events(
    watch_id: int,
    container: ContainerDep,
    _key: MatchKey,
    after: Annotated[int, Query(ge=0, description="Only events numbered above this.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait: Annotated[
        float,
        Query(ge=0, le=20, description="Seconds to wait for an event when there is none yet."),
    ] = 0,
) -> WatchEventsPublic:
    events = container.watches.events(watch_id=watch_id, after=after, limit=limit, wait=wait)
    return WatchEventsPublic(
        data=[WatchEventPublic.from_domain(e) for e in events],
        count=len(events),
        next_after=events[-1].number if events else after,
    )


@router.delete("/watches/{watch_id}", response_model=WatchPublic, responses=_ERRORS)
def stop_watch(watch_id: int, container: ContainerDep, _key: MatchKey) -> WatchPublic:
    return WatchPublic.from_domain(container.watch_runner.stop(watch_id))
