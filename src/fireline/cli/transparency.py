"""``fireline transparency``: reports computed from the audit log, and their cross-check."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fireline.cli.audit import EXIT_CHAIN_BROKEN
from fireline.cli.context import JsonOption, container
from fireline.cli.incident_output import staged_files
from fireline.cli.output import emit_error, emit_json
from fireline.services.transparency import CrossCheck, TransparencyReport
from fireline.services.transparency_render import (
    article7_view,
    chain_view,
    render_article7_html,
    render_report_html,
    report_csv,
    report_view,
)

app = typer.Typer(
    help="Transparency reports from the audit log: figures, the EU TCO Article 7 report, "
    "and a cross-check against the stores."
)

#: `transparency verify`'s status when the log's figures and the stores disagree.
EXIT_FIGURES_DIFFER = 1


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


class Article7Format(StrEnum):
    JSON = "json"
    HTML = "html"


OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write the report to this file (atomically: a temporary file, synced, then "
        "renamed); default: stdout.",
        dir_okay=False,
        show_default=False,
    ),
]


def _emit(text: str, out: Path | None, report: TransparencyReport) -> None:
    """Print the report, or write it to ``out`` and say so; warn of a broken chain."""
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        with staged_files([out]) as (handle,):
            handle.write(text)
        typer.echo(f"wrote {out}: {report.figures['records']['counted']} audit records counted")
    if not report.chain.ok:
        emit_error(
            f"the audit log is broken at record {report.chain.bad_seq} ({report.chain.problem}): "
            "run `fireline audit verify`"
        )


@app.command("report")
def report(
    ctx: typer.Context,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="YYYY-MM-DD",
            help="First day counted (UTC); default: 1 January of the period's year.",
            show_default=False,
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="YYYY-MM-DD",
            help="First day not counted (UTC); default: now.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="json, csv or html.", case_sensitive=False)
    ] = ReportFormat.JSON,
    out: OutOption = None,
) -> None:
    """The transparency report of a period, recomputed from the audit log (default: this
    year so far)."""
    reports = container(ctx).transparency
    result = reports.report(reports.period(start, end))
    if fmt is ReportFormat.CSV:
        text = report_csv(result)
    elif fmt is ReportFormat.HTML:
        text = render_report_html(result)
    else:
        text = json.dumps(report_view(result), indent=2, ensure_ascii=False) + "\n"
    _emit(text, out, result)


@app.command("article7")
def article7(
    ctx: typer.Context,
    year: Annotated[
        str | None,
        typer.Option(
            "--year",
            metavar="YYYY",
            help="The calendar year; default: last year.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        Article7Format, typer.Option("--format", help="json or html.", case_sensitive=False)
    ] = Article7Format.JSON,
    out: OutOption = None,
) -> None:
    """The annual report of Regulation (EU) 2021/784, Article 7(3), from the audit log."""
    reports = container(ctx).transparency
    result = reports.article7(year=year if year is not None else str(reports.now().year - 1))
    if fmt is Article7Format.HTML:
        text = render_article7_html(result)
    else:
        text = json.dumps(article7_view(result), indent=2, ensure_ascii=False) + "\n"
    _emit(text, out, result)


@app.command("verify")
def verify(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Check the log's figures against the stores' own counts, and the log's hash chain.

    Exit 0 when they agree and the chain is intact; 1 naming each figure that differs;
    10 when the chain is broken.
    """
    check = container(ctx).transparency.cross_check()
    if as_json:
        emit_json(_check_json(check))
    elif check.chain.ok:
        typer.echo(
            f"audit log intact: {check.chain.records} records, last hash {check.chain.last_hash}"
        )
    if not check.chain.ok:
        emit_error(
            f"audit log broken at record {check.chain.bad_seq} ({check.chain.problem}): "
            f"{check.chain.message}"
        )
    for difference in check.differences:
        emit_error(
            f"{difference.figure}: {difference.audit} from the audit log, "
            f"{difference.store} in the stores"
        )
    if not check.chain.ok:
        raise typer.Exit(EXIT_CHAIN_BROKEN)
    if check.differences:
        raise typer.Exit(EXIT_FIGURES_DIFFER)
    if not as_json:
        typer.echo(f"figures match the stores: {len(check.compared)} figures compared")


def _check_json(check: CrossCheck) -> dict[str, object]:
    return {
        "ok": check.ok,
        "chain": chain_view(check.chain),
        "compared": list(check.compared),
        "differences": [
            {"figure": d.figure, "audit": d.audit, "store": d.store} for d in check.differences
        ],
    }
