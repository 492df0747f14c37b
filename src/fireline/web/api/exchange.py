"""The exchange over HTTP: peer routes (signed by a peer's key) and admin routes (API key).

Peer routes authenticate with ``Fireline-Key``, ``Fireline-Date`` and
``Fireline-Signature`` headers (see docs/exchange.md), not an API key.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from fireline.domain import OpinionKind, Peer
from fireline.services.exchange import envelope_of
from fireline.services.exchange_status import (
    identity_view,
    peer_view,
    subscription_view,
    verify,
)
from fireline.services.exchange_status import (
    status as exchange_status,
)
from fireline.services.views import View
from fireline.sync import sync_once
from fireline.web.deps import AdminKey, ContainerDep, OpineKey, ReadEntriesKey
from fireline.web.schemas import error_responses

router = APIRouter(prefix="/v1", tags=["exchange"])
_ERRORS = error_responses(401, 403, 404, 409, 413, 422)
#: Seconds between keep-alive comments on an idle push stream.
KEEPALIVE = 15.0
#: Seconds between looks at the store while no bell rings (another process published).
STREAM_POLL = 0.5


class PeerCreate(BaseModel):
    name: str = Field(description="What this instance calls the peer.")
    public_key: str = Field(description="The peer's key: ed25519:<base64url>.")
    url: str | None = Field(None, description="Where to reach the peer (to subscribe).")
    member: bool = Field(False, description="Admit it to this instance's shared banks.")


class SubscriptionCreate(BaseModel):
    peer: str
    remote_bank: str
    bank: str | None = Field(None, description="Local bank (default: the remote name).")


class OpinionCreate(BaseModel):
    kind: OpinionKind
    note: str = ""


async def _peer(request: Request, container: ContainerDep, body: bytes = b"") -> Peer:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return await run_in_threadpool(
        container.exchange.authenticate,
        public_key=request.headers.get("Fireline-Key"),
        date=request.headers.get("Fireline-Date"),
        signature=request.headers.get("Fireline-Signature"),
        method=request.method,
        target=target,
        body=body,
    )


def _envelopes(batches: list[Any]) -> list[Any]:
    return [json.loads(envelope_of(b)) for b in batches]


@router.get("/exchange/identity")
def identity(container: ContainerDep) -> View:
    """This instance's public key and fingerprint (public: peers need it to admit us)."""
    return identity_view(container.exchange)


@router.get("/exchange/feeds/{bank}/batches", responses=_ERRORS)
async def feed_batches(
    bank: str,
    request: Request,
    container: ContainerDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> View:
    """A page of the bank's feed after ``after`` (peers only)."""
    peer = await _peer(request, container)
    batches = await run_in_threadpool(
        container.exchange.feed, peer=peer, bank=bank, after=after, limit=limit
    )
    return {"data": _envelopes(batches), "count": len(batches)}


@router.get("/exchange/feeds/{bank}/stream", responses=_ERRORS)
async def feed_stream(
    bank: str,
    request: Request,
    container: ContainerDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> StreamingResponse:
    """Server-sent events: every batch after ``after``, then each new one as it is made."""
    exchange = container.exchange
    peer = await _peer(request, container)
    await run_in_threadpool(exchange.feed, peer=peer, bank=bank, after=0, limit=1)

    async def events() -> AsyncIterator[bytes]:
        cursor = after
        idle = 0.0
        while not await request.is_disconnected():
            batches = await run_in_threadpool(
                exchange.feed, peer=peer, bank=bank, after=cursor, limit=100
            )
            for batch in batches:
                yield b"id: %d\nevent: batch\ndata: " % batch.seq + envelope_of(batch) + b"\n\n"
                cursor = batch.seq
            if batches:
                idle = 0.0
                continue
            await exchange.bell.wait_async(STREAM_POLL)
            idle += STREAM_POLL
            if idle >= KEEPALIVE:
                idle = 0.0
                yield b": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post("/exchange/feeds/{bank}/contributions", responses=_ERRORS)
async def contribute(bank: str, request: Request, container: ContainerDep) -> View:
    """Apply a member's signed contribution batch, atomically, and relay it."""
    body = await request.body()
    peer = await _peer(request, container, body)
    received = await run_in_threadpool(
        container.exchange.accept_contribution, peer=peer, bank=bank, data=body
    )
    report = received.report
    return {
        "seq": received.seq,
        "applied": report is not None,
        "report": None
        if report is None
        else {
            "added": report.added,
            "existing": report.existing,
            "retracted": report.retracted,
            "opinions": report.opinions,
            "skipped": report.skipped,
        },
    }


@router.get("/exchange/peers", responses=_ERRORS)
def list_peers(container: ContainerDep, _key: AdminKey) -> View:
    peers = container.exchange.peers()
    return {"data": [peer_view(p) for p in peers], "count": len(peers)}


@router.post("/exchange/peers", status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def add_peer(body: PeerCreate, container: ContainerDep, _key: AdminKey) -> View:
    peer = container.exchange.add_peer(
        name=body.name, public_key=body.public_key, url=body.url, member=body.member
    )
    return peer_view(peer)


@router.delete("/exchange/peers/{name}", responses=_ERRORS)
def revoke_peer(name: str, container: ContainerDep, _key: AdminKey) -> View:
    return peer_view(container.exchange.revoke_peer(name=name))


@router.get("/exchange/subscriptions", responses=_ERRORS)
def list_subscriptions(container: ContainerDep, _key: AdminKey) -> View:
    subs = container.exchange.subscriptions()
    return {
        "data": [subscription_view(container.exchange, s) for s in subs],
        "count": len(subs),
    }


@router.post("/exchange/subscriptions", status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def subscribe(body: SubscriptionCreate, container: ContainerDep, _key: AdminKey) -> View:
    sub = container.exchange.subscribe(peer=body.peer, remote_bank=body.remote_bank, bank=body.bank)
    return subscription_view(container.exchange, sub)


@router.post("/exchange/sync", responses=_ERRORS)
def sync(container: ContainerDep, _key: AdminKey) -> View:
    """Pull every subscription's new batches and send our contributions, now."""
    reports = sync_once(container.exchange, container.exchange.subscriptions())
    return {
        "data": [
            {
                "subscription": r.subscription.id,
                "peer": r.subscription.peer,
                "applied": r.applied,
                "sent": r.sent,
                "errors": r.errors,
            }
            for r in reports
        ]
    }


@router.get("/exchange/status", responses=_ERRORS)
def exchange_status_route(container: ContainerDep, _key: AdminKey) -> View:
    return exchange_status(container.exchange)


@router.get("/exchange/verify/{bank}", responses=_ERRORS)
def verify_bank(bank: str, container: ContainerDep, _key: AdminKey) -> View:
    """Re-check every chain of the bank; ``intact`` is false at the first fault."""
    reports = verify(container.exchange, bank=bank)
    return {
        "bank": bank,
        "intact": all(r.intact for r in reports),
        "chains": [
            {
                "channel": r.channel,
                "source": r.source,
                "batches": r.batches,
                "intact": r.intact,
                "problem": r.problem,
            }
            for r in reports
        ],
    }


@router.post("/entries/{entry_id}/opinions", status_code=status.HTTP_201_CREATED, responses=_ERRORS)
def opine(entry_id: int, body: OpinionCreate, container: ContainerDep, key: OpineKey) -> View:
    """Record your organisation's opinion of an entry; it travels to the contributor."""
    opinion = container.exchange.opine(
        entry_id=entry_id, kind=body.kind, note=body.note, org=key.org
    )
    return opinion_view(opinion)


@router.get("/entries/{entry_id}/opinions", responses=_ERRORS)
def list_opinions(entry_id: int, container: ContainerDep, _key: ReadEntriesKey) -> View:
    opinions = container.exchange.opinions(entry_id=entry_id)
    return {"data": [opinion_view(o) for o in opinions], "count": len(opinions)}


def opinion_view(opinion: Any) -> View:
    return {
        "id": opinion.id,
        "entry_id": opinion.entry_id,
        "org": opinion.org,
        "instance": opinion.instance or None,
        "kind": opinion.kind.value,
        "note": opinion.note,
        "at": opinion.at.isoformat(),
    }


__all__ = ["Response", "router"]
