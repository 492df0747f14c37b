"""The UI's general pages: login, dashboard, banks, the match debugger, incidents, audit."""

from __future__ import annotations

from collections import Counter
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from fireline.domain import InvalidInput, MediaTooLarge, Permission, Unauthenticated, allows
from fireline.domain.incidents import IncidentState
from fireline.domain.orders import OrderState
from fireline.domain.review import AppealState
from fireline.services import instance_figures
from fireline.services.charts import bar_chart, step_chart
from fireline.services.transparency_render import render_article7_html, render_report_html
from fireline.services.views import match_result_view
from fireline.web.ui.app import ui_of
from fireline.web.ui.session import COOKIE

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a UI path only, never another site."""
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    ui = ui_of(request)
    return ui.templates.TemplateResponse(
        request, "login.html", {"next": _safe_next(next), "error": None}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    api_key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/ui/",
) -> Response:
    ui = ui_of(request)
    try:
        key = ui.container.keys.authenticate(api_key.strip())
    except Unauthenticated as exc:
        return ui.templates.TemplateResponse(
            request,
            "login.html",
            {"next": _safe_next(next), "error": exc.message},
            status_code=401,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        ui.sessions.issue(key),
        max_age=ui.sessions.seconds,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/ui",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    ui = ui_of(request)
    key = ui.person(request)
    container = ui.container
    tiles: list[tuple[str, int | str, str]] = []
    if allows(key.role, Permission.REVIEW):
        queue = container.review.queue(limit=500)
        tiles.append(("Cases waiting for review", len(queue), "/ui/queue"))
        pending = container.review.list_appeals(state=AppealState.PENDING, limit=500)
        tiles.append(("Appeals pending", len(pending), "/ui/appeals"))
        tiles.append(("Media you revealed today", container.review.exposure(key.actor), ""))
    if allows(key.role, Permission.LEGAL):
        container.orders.escalate_due()
        open_orders = container.orders.list_orders(state=OrderState.RECEIVED, limit=1000)
        tiles.append(("Removal orders open", len(open_orders), "/ui/orders"))
        overdue = container.orders.list_orders(overdue=True, limit=1000)
        tiles.append(("Removal orders overdue", len(overdue), "/ui/orders"))
    if allows(key.role, Permission.READ_INCIDENTS):
        active = container.incidents.all(states=[IncidentState.ACTIVE, IncidentState.PROPOSED])
        tiles.append(("Incidents active or proposed", len(active), "/ui/incidents"))
    figures = None
    if allows(key.role, Permission.READ_FIGURES):
        figures = instance_figures(banks=container.store.banks, orgs=container.store.orgs)
    return ui.page(request, "dashboard.html", key, tiles=tiles, figures=figures)


@router.get("/banks", response_class=HTMLResponse)
def banks(request: Request) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.READ_BANKS)
    found = ui.container.banks.all()
    counts = ui.container.store.banks.entry_figures()
    return ui.page(request, "banks.html", key, banks=found, figures=counts)


@router.get("/banks/{name}", response_class=HTMLResponse)
def bank(request: Request, name: str, after: Annotated[int, Query(ge=0)] = 0) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.READ_ENTRIES)
    found = ui.container.banks.get(name=name)
    entries = ui.container.banks.entries(
        bank=name, include_retracted=True, after_id=after, limit=100
    )
    return ui.page(
        request,
        "bank.html",
        key,
        bank=found,
        entries=entries,
        curate=allows(key.role, Permission.CURATE),
    )


@router.post("/entries/{entry_id}/retract")
async def retract(request: Request, entry_id: int, reason: Annotated[str, Form()] = "") -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.CURATE)
    banks = ui.container.banks
    entry = await run_in_threadpool(
        lambda: banks.retract(entry_id=entry_id, reason=reason.strip(), actor=key.actor)
    )
    target = quote(f"/ui/banks/{entry.bank_name}")
    return RedirectResponse(f"{target}?flash=Entry {entry.id} retracted", status_code=303)


@router.get("/match", response_class=HTMLResponse)
def match_form(request: Request) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.MATCH)
    return ui.page(request, "match.html", key, result=None, filename=None)


@router.post("/match", response_class=HTMLResponse)
async def match(
    request: Request,
    file: UploadFile | None = None,
    text: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.MATCH)
    container = ui.container
    has_file = file is not None and bool(file.filename)
    given = [has_file, bool(text.strip()), bool(url.strip())]
    if sum(given) != 1:
        raise InvalidInput(
            "choose or drop a file, or paste a text or a link: one of them", code="missing_file"
        )
    if text.strip():
        result = await run_in_threadpool(container.matcher.match_text, text, source="text")
        name = "the pasted text"
    elif url.strip():
        result = await run_in_threadpool(container.matcher.match_url, url.strip(), source=url)
        name = url.strip()
    else:
        assert file is not None
        limit = container.settings.max_upload_bytes
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise MediaTooLarge(f"the file is larger than {limit} bytes", code="too_many_bytes")
        source = file.filename or ""
        result = await run_in_threadpool(
            lambda: container.matcher.match_content(
                data, dihedral=container.settings.match_dihedral, source=source
            )
        )
        name = source
    return ui.page(request, "match.html", key, result=match_result_view(result), filename=name)


@router.get("/incidents", response_class=HTMLResponse)
def incidents(request: Request) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.READ_INCIDENTS)
    return ui.page(request, "incidents.html", key, incidents=ui.container.incidents.all())


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident(request: Request, incident_id: int) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.READ_INCIDENTS)
    live = ui.container.incident_reports.live(incident_id=incident_id)
    minutes = sorted({row["minute"] for row in live["per_minute"]})
    matched: Counter[str] = Counter()
    blocked: Counter[str] = Counter()
    for row in live["per_minute"]:
        matched[row["minute"]] += row["matched"]
        blocked[row["minute"]] += row["blocked"]
    charts = {
        "variants": step_chart(
            "Accepted variants over time (cumulative)",
            [(row["minute"][11:16], row["cumulative"]) for row in live["variants_over_time"]],
        ),
        "per_minute": bar_chart(
            "Matched and blocked uploads per minute, all members",
            [m[11:16] for m in minutes],
            [
                ("matched", [matched[m] for m in minutes]),
                ("blocked", [blocked[m] for m in minutes]),
            ],
        ),
    }
    return ui.page(
        request,
        "incident.html",
        key,
        live=live,
        charts={name: Markup(svg) for name, svg in charts.items()},
    )


@router.get("/transparency", response_class=HTMLResponse)
def transparency(
    request: Request,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.READ_FIGURES)
    period = ui.container.transparency.period(start, end)
    query = urlencode(
        {"from": period.start.date().isoformat(), "to": period.end.date().isoformat()}
    )
    return ui.page(
        request, "transparency.html", key, period=period, query=query, year=period.start.year
    )


@router.get("/transparency/report", response_class=HTMLResponse)
def transparency_report(
    request: Request,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    ui = ui_of(request)
    ui.require(request, Permission.READ_FIGURES)
    reports = ui.container.transparency
    return HTMLResponse(render_report_html(reports.report(reports.period(start, end))))


@router.get("/transparency/article7", response_class=HTMLResponse)
def article7(request: Request, year: Annotated[int, Query(ge=2000, le=2999)]) -> Response:
    ui = ui_of(request)
    ui.require(request, Permission.READ_FIGURES)
    return HTMLResponse(render_article7_html(ui.container.transparency.article7(year=year)))


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, after: Annotated[int, Query(ge=0)] = 0) -> Response:
    ui = ui_of(request)
    key = ui.require(request, Permission.READ_AUDIT)
    records = ui.container.audit.records(after=after, limit=100)
    verification = ui.container.audit.verify()
    return ui.page(
        request, "audit.html", key, records=records, verification=verification, after=after
    )
