"""The reviewer's pages: the queue, a case (media blurred until revealed), appeals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from fireline.domain import InvalidInput, NotFound, Permission
from fireline.domain.review import AppealState, Outcome
from fireline.web.api.review import sniff_media_type
from fireline.web.ui.app import ui_of

router = APIRouter()


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.REVIEW)
    return ui.page(request, "queue.html", key, cases=ui.container.review.queue(limit=200))


@router.get("/appeals", response_class=HTMLResponse)
def appeals(request: Request) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.REVIEW)
    pending = ui.container.review.list_appeals(state=AppealState.PENDING, limit=500)
    return ui.page(request, "appeals.html", key, appeals=pending)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case(request: Request, case_id: int) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.REVIEW)
    found = ui.container.review.get(case_id)
    media_type = None
    if found.case.media_sha256:
        media_type = sniff_media_type(ui.container.evidence.get(found.case.media_sha256)[:64])
    deciders = {d.reviewer for d in found.decisions}
    history = sorted(
        [(found.case.created_at, f"opened from a {found.case.source.value}")]
        + [
            (
                d.at,
                f"{d.reviewer} decided {d.outcome.value}"
                + (" on appeal" if d.on_appeal else "")
                + f": {d.reason}",
            )
            for d in found.decisions
        ]
        + [
            (a.filed_at, f"appeal {a.id} filed" + (f": {a.reason}" if a.reason else ""))
            for a in found.appeals
        ]
        + [
            (
                a.decided_at,
                f"appeal {a.id} {a.state.value}"
                + (": the match was wrong, disputed" if a.wrong_match else ""),
            )
            for a in found.appeals
            if a.decided_at is not None
        ],
        key=lambda row: row[0],
    )
    return ui.page(
        request,
        "case.html",
        key,
        case=found.case,
        history=history,
        media_type=media_type,
        outcomes=[o.value for o in Outcome],
        pending=found.pending_appeal,
        decided_before=key.actor in deciders,
        exposure=ui.container.review.exposure(key.actor),
    )


@router.get("/cases/{case_id}/media")
def media(request: Request, case_id: int) -> Response:
    ui = ui_of(request)
    ui.require(request, Permission.REVIEW)
    found = ui.container.review.get(case_id).case
    if found.media_sha256 is None:
        raise NotFound(f"case {case_id} holds no media", code="no_media")
    data = ui.container.evidence.get(found.media_sha256)
    return Response(
        data,
        media_type=sniff_media_type(data),
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/cases/{case_id}/reveal")
def reveal(request: Request, case_id: int) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.REVIEW)
    return JSONResponse({"today": ui.container.review.reveal(case_id, reviewer=key.actor)})


@router.post("/cases/{case_id}/decision")
async def decide(
    request: Request,
    case_id: int,
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.REVIEW)
    if outcome not in {o.value for o in Outcome}:
        raise InvalidInput(
            "choose an outcome: remove, keep or interstitial", code="invalid_outcome"
        )
    decided = await run_in_threadpool(
        lambda: ui.container.review.decide(
            case_id, reviewer=key.actor, outcome=Outcome(outcome), reason=reason
        )
    )
    return RedirectResponse(
        f"/ui/cases/{case_id}?flash=Decided: {decided.outcome}, content {decided.content_status}",
        status_code=303,
    )


@router.post("/appeals/{appeal_id}/decision")
async def decide_appeal(
    request: Request,
    appeal_id: int,
    verdict: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    wrong_match: Annotated[bool, Form()] = False,
) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.REVIEW)
    if verdict not in ("uphold", "reject"):
        raise InvalidInput("choose to uphold or reject the appeal", code="invalid_outcome")
    appeal = await run_in_threadpool(
        lambda: ui.container.review.decide_appeal(
            appeal_id,
            reviewer=key.actor,
            upheld=verdict == "uphold",
            reason=reason,
            wrong_match=wrong_match,
        )
    )
    return RedirectResponse(
        f"/ui/cases/{appeal.case_id}?flash=Appeal {appeal.state}", status_code=303
    )
