"""Incidents for member instances: peer-signed routes of a hub (see docs/incidents.md).

A member instance follows the hub's incidents by long polling ``GET
/v1/exchange/incidents``, declares and approves incidents, submits hashes, proposes the
variants its uploads reveal and reports its per-minute tallies. The hub acts for the
member peer as the organisation named like the peer.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from fireline.domain import Forbidden, InvalidInput, Peer, Signal
from fireline.domain.incidents import ActivationType, Evidence
from fireline.services.incident_views import incident_view, proposal_view
from fireline.services.incidents import Actor
from fireline.services.views import View, added_view
from fireline.web.api.exchange import _peer
from fireline.web.bodies import problems
from fireline.web.deps import ContainerDep
from fireline.web.schemas import error_responses

M = TypeVar("M", bound=BaseModel)
router = APIRouter(prefix="/v1/exchange", tags=["exchange"])
_ERRORS = error_responses(401, 403, 404, 409, 413, 422)
#: Seconds a long poll waits for a change at most.
MAX_WAIT = 30.0
#: Seconds between looks at the store while waiting (changes made by other processes).
POLL = 0.25
#: Incidents a member sees (newest first).
LISTED = 200
MAX_TALLIES = 1440


class SignalIn(BaseModel):
    signal_type: str = Field(max_length=64)
    value: str = Field(max_length=1_000_000)
    quality: int | None = None


class PeerIncidentCreate(BaseModel):
    title: str = Field(max_length=10_000)
    activation: ActivationType
    location: str = Field("", max_length=10_000)
    summary: str = Field("", max_length=100_000)


class PeerHashes(BaseModel):
    signals: list[SignalIn] = Field(max_length=1000)
    labels: list[str] = Field([], max_length=50)


class EvidenceIn(BaseModel):
    signal_type: str = Field(max_length=64)
    entry_uid: str | None = Field(None, max_length=64)
    distance: int = Field(ge=0, le=1_000_000)
    threshold: int = Field(ge=0, le=1_000_000)
    # Seconds, as decimal strings ("12.500"): a signed body holds no floating-point numbers.
    query_start: float | None = Field(None, ge=0)
    query_end: float | None = Field(None, ge=0)
    reference_start: float | None = Field(None, ge=0)
    reference_end: float | None = Field(None, ge=0)


class PeerProposal(BaseModel):
    signals: list[SignalIn] = Field(max_length=64)
    evidence: list[EvidenceIn] = Field([], max_length=64)


class TallyIn(BaseModel):
    minute: datetime
    matched: int = Field(ge=0, le=2**31)
    blocked: int = Field(ge=0, le=2**31)


class PeerTallies(BaseModel):
    tallies: list[TallyIn] = Field(max_length=MAX_TALLIES)


def _member(peer: Peer) -> Actor:
    if not peer.member:
        raise Forbidden(f"peer {peer.name!r} is not a member of this hub", code="not_member")
    return Actor(name=f"peer:{peer.name}", org=peer.name)


def _parse(model: type[M], body: bytes) -> M:
    """The body as ``model``, or InvalidInput (422) saying what is wrong."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInput(problems(exc.errors()), code="invalid_request") from None


def _signals(items: list[SignalIn]) -> list[Signal]:
    return [Signal(s.signal_type, s.value, s.quality) for s in items]


def _listing(container: Any) -> tuple[str, list[View]]:
    incidents = container.incidents.all(limit=LISTED)
    token = hashlib.sha256(",".join(f"{i.id}.{i.version}" for i in incidents).encode()).hexdigest()[
        :32
    ]
    return token, [incident_view(i) for i in incidents]


async def _body(request: Request, container: ContainerDep) -> tuple[Peer, bytes]:
    body = await request.body()
    return await _peer(request, container, body), body


@router.get("/incidents", responses=_ERRORS)
async def incidents(
    request: Request,
    container: ContainerDep,
    known: Annotated[str, Query(max_length=64)] = "",
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT)] = 0,
) -> View:
    """The hub's incidents; with ``known`` and ``wait``, answers once they differ from the
    listing whose token is ``known`` (or when ``wait`` seconds have passed)."""
    _member(await _peer(request, container))
    bell = container.bell
    deadline = time.monotonic() + wait
    while True:
        token, listed = await run_in_threadpool(_listing, container)
        left = deadline - time.monotonic()
        if token != known or left <= 0 or await request.is_disconnected():
            return {"token": token, "incidents": listed}
        await bell.wait_async(min(POLL, left))


@router.post("/incidents", status_code=status.HTTP_201_CREATED, responses=_ERRORS)
async def declare(request: Request, container: ContainerDep) -> View:
    """Declare an incident as the member organisation."""
    peer, body = await _body(request, container)
    given = _parse(PeerIncidentCreate, body)
    incident = await run_in_threadpool(
        container.incidents.declare,
        title=given.title,
        activation=given.activation,
        location=given.location,
        summary=given.summary,
        actor=_member(peer),
    )
    return incident_view(incident)


@router.post("/incidents/{incident_id}/approvals", responses=_ERRORS)
async def approve(incident_id: int, request: Request, container: ContainerDep) -> View:
    peer, _ = await _body(request, container)
    incident = await run_in_threadpool(
        container.incidents.approve, incident_id=incident_id, actor=_member(peer)
    )
    return incident_view(incident)


@router.post(
    "/incidents/{incident_id}/hashes", status_code=status.HTTP_201_CREATED, responses=_ERRORS
)
async def submit(incident_id: int, request: Request, container: ContainerDep) -> View:
    peer, body = await _body(request, container)
    given = _parse(PeerHashes, body)
    results = await run_in_threadpool(
        container.incidents.submit,
        incident_id=incident_id,
        actor=_member(peer),
        signals=_signals(given.signals),
        labels=given.labels,
    )
    return {"results": [added_view(r) for r in results]}


@router.post("/incidents/{incident_id}/variants", responses=_ERRORS)
async def propose(incident_id: int, request: Request, container: ContainerDep) -> View:
    peer, body = await _body(request, container)
    given = _parse(PeerProposal, body)
    actor = _member(peer)
    evidence = [Evidence(org=actor.org, **e.model_dump()) for e in given.evidence]
    proposal = await run_in_threadpool(
        container.variants.propose,
        incident_id=incident_id,
        signals=_signals(given.signals),
        evidence=evidence,
        actor=actor,
    )
    return proposal_view(proposal)


@router.post("/incidents/{incident_id}/tallies", responses=_ERRORS)
async def tallies(incident_id: int, request: Request, container: ContainerDep) -> View:
    """Replace the member's counts of the given minutes (a report repeated is harmless)."""
    peer, body = await _body(request, container)
    given = _parse(PeerTallies, body)
    actor = _member(peer)

    if any(t.minute.tzinfo is None for t in given.tallies):
        raise InvalidInput("every minute needs a time zone", code="invalid_request")

    def record() -> int:
        container.incidents.get(incident_id=incident_id)
        for t in given.tallies:
            container.variants.store.add_tally(
                incident_id,
                org=actor.org,
                minute=t.minute.astimezone(UTC).replace(second=0, microsecond=0),
                matched=t.matched,
                blocked=t.blocked,
                replace=True,
            )
        return len(given.tallies)

    return {"recorded": await run_in_threadpool(record)}
