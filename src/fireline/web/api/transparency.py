"""Transparency reports and the EU TCO Article 7 report, computed from the audit log.

Aggregates only (counts and durations): every role with ``read_figures`` may read them,
observers included. See docs/transparency.md.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from fireline.services.transparency_render import (
    article7_view,
    render_article7_html,
    render_report_html,
    report_csv,
    report_view,
)
from fireline.web.deps import ContainerDep, FiguresKey
from fireline.web.schemas import error_responses

router = APIRouter(prefix="/v1", tags=["figures"])
_ERRORS = error_responses(401, 403, 422)


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


class Article7Format(StrEnum):
    JSON = "json"
    HTML = "html"


def _content(description: str, *types: str) -> dict[int | str, dict[str, Any]]:
    body: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    body.update({t: {"schema": {"type": "string"}} for t in types})
    return {200: {"description": description, "content": body}, **_ERRORS}


@router.get(
    "/transparency",
    response_class=JSONResponse,
    responses=_content(
        "The transparency report (format fireline.transparency/1), as JSON, as CSV "
        "(section,figure,key,value) or as one self-contained HTML page",
        "text/csv",
        "text/html",
    ),
)
async def transparency_report(
    container: ContainerDep,
    _key: FiguresKey,
    start: Annotated[
        str | None,
        Query(alias="from", description="First day counted, YYYY-MM-DD (UTC); default 1 January."),
    ] = None,
    end: Annotated[
        str | None,
        Query(alias="to", description="First day not counted, YYYY-MM-DD (UTC); default now."),
    ] = None,
    format: ReportFormat = ReportFormat.JSON,
) -> Response:
    """Figures over ``[from, to)`` recomputed from the audit log, with the chain verified."""
    reports = container.transparency
    period = reports.period(start, end)
    report = await run_in_threadpool(reports.report, period)
    if format is ReportFormat.CSV:
        return Response(report_csv(report), media_type="text/csv; charset=utf-8")
    if format is ReportFormat.HTML:
        return HTMLResponse(render_report_html(report))
    return JSONResponse(report_view(report))


@router.get(
    "/transparency/article7",
    response_class=JSONResponse,
    responses=_content(
        "The annual report of Regulation (EU) 2021/784, Article 7(3) (format "
        "fireline.tco_article7/1), as JSON or as one self-contained HTML page",
        "text/html",
    ),
)
async def article7_report(
    container: ContainerDep,
    _key: FiguresKey,
    year: Annotated[
        str | None, Query(description="The calendar year (UTC); default last year.")
    ] = None,
    format: Article7Format = Article7Format.JSON,
) -> Response:
    """The EU TCO Article 7(3) report of one calendar year, from the audit log."""
    reports = container.transparency
    chosen = year if year is not None else str(reports.now().year - 1)
    report = await run_in_threadpool(lambda: reports.article7(year=chosen))
    if format is Article7Format.HTML:
        return HTMLResponse(render_article7_html(report))
    return JSONResponse(article7_view(report))
