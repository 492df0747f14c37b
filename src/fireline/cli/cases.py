"""``fireline case`` and ``fireline appeal``: the review queue, decisions and appeals.

The command line decides as ``cli:<login name>`` unless ``--reviewer`` names someone
else: whoever can open the database has every right here, but an appeal is still never
decided by the reviewer who decided the case.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fireline.cli.context import JsonOption, cli_actor, container, stdout_console
from fireline.cli.output import emit_json
from fireline.domain.policy import AccountClass
from fireline.domain.review import AppealState, Case, CaseSource, CaseState, Outcome
from fireline.services.review_views import appeal_view, case_file_view, case_view

app = typer.Typer(help="Review cases: the queue, a case's file, decisions, reports.")
appeal_app = typer.Typer(help="Users' appeals: file them, list them, decide them.")

ReviewerOption = Annotated[
    str | None,
    typer.Option(
        "--reviewer", help="Who decides, as the audit log names them (default: cli:<you>)."
    ),
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why: required, kept in the case.")]


def case_table(cases: list[Case]) -> Table:
    table = Table("id", "severity", "source", "state", "content", "status", "labels", "created")
    for case in cases:
        table.add_row(
            str(case.id),
            str(case.severity),
            case.source.value,
            case.state.value,
            case.content_ref,
            case.content_status.value,
            ", ".join(case.labels),
            case.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    return table


def _show(cases: list[Case], *, as_json: bool, empty: str) -> None:
    if as_json:
        for case in cases:
            emit_json(case_view(case))
    elif cases:
        stdout_console().print(case_table(cases))
    else:
        typer.echo(empty)


@app.command("queue")
def queue(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many cases at most.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Open cases and cases with a pending appeal, most urgent first."""
    _show(container(ctx).review.queue(limit=limit), as_json=as_json, empty="the queue is empty")


@app.command("list")
def list_cases(
    ctx: typer.Context,
    state: Annotated[list[CaseState] | None, typer.Option(help="Only these states.")] = None,
    source: Annotated[CaseSource | None, typer.Option(help="Only this source.")] = None,
    after: Annotated[int, typer.Option(min=0, help="Only cases with a larger id.")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    as_json: JsonOption = False,
) -> None:
    """List cases, oldest first (page on with --after)."""
    found = container(ctx).review.list_cases(states=state, source=source, after=after, limit=limit)
    _show(found, as_json=as_json, empty="no cases")


@app.command("show")
def show(ctx: typer.Context, case_id: int) -> None:
    """A case with its evidence, decisions and appeals, as JSON."""
    emit_json(case_file_view(container(ctx).review.get(case_id)))


@app.command("decide")
def decide(
    ctx: typer.Context,
    case_id: int,
    outcome: Annotated[Outcome, typer.Option("--outcome", help="remove, keep or interstitial.")],
    reason: ReasonOption,
    reviewer: ReviewerOption = None,
) -> None:
    """Decide an open case."""
    case = container(ctx).review.decide(
        case_id, reviewer=reviewer or cli_actor(), outcome=outcome, reason=reason
    )
    typer.echo(f"case {case.id}: {case.outcome}, content {case.content_status}")


@app.command("report")
def report(
    ctx: typer.Context,
    content_ref: Annotated[str, typer.Option("--content-ref", help="The platform's content id.")],
    note: Annotated[str, typer.Option(help="What the reporting user said.")] = "",
    uploader: Annotated[str, typer.Option(help="The platform's id of the poster.")] = "",
    label: Annotated[list[str] | None, typer.Option(help="A taxonomy label (repeatable).")] = None,
    account_class: Annotated[AccountClass | None, typer.Option(help="An exempt context.")] = None,
) -> None:
    """Open a case from a user's report."""
    case = container(ctx).review.open_case(
        source=CaseSource.REPORT,
        content_ref=content_ref,
        uploader=uploader,
        account_class=account_class,
        labels=label or [],
        note=note,
        actor=cli_actor(),
    )
    typer.echo(f"case {case.id} opened (severity {case.severity})")


@appeal_app.command("file")
def file_appeal(
    ctx: typer.Context,
    case_id: int,
    appellant: Annotated[str, typer.Option(help="The platform's id of the appealing user.")],
    reason: Annotated[str, typer.Option(help="The user's reasons.")] = "",
) -> None:
    """File a user's appeal against a case's outcome."""
    appeal = container(ctx).review.file_appeal(
        case_id, appellant=appellant, reason=reason, actor=cli_actor()
    )
    typer.echo(f"appeal {appeal.id} filed on case {case_id}")


@appeal_app.command("list")
def list_appeals(
    ctx: typer.Context,
    state: Annotated[AppealState | None, typer.Option(help="Only this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """Appeals oldest first, one JSON object per line."""
    for appeal in container(ctx).review.list_appeals(state=state, limit=limit):
        emit_json(appeal_view(appeal))


@appeal_app.command("decide")
def decide_appeal(
    ctx: typer.Context,
    appeal_id: int,
    reason: ReasonOption,
    upheld: Annotated[
        bool, typer.Option("--uphold/--reject", help="Uphold (restore the content) or reject.")
    ],
    wrong_match: Annotated[
        bool,
        typer.Option(help="The hash match was wrong: dispute the matched entries (upheld only)."),
    ] = False,
    reviewer: ReviewerOption = None,
) -> None:
    """Decide a pending appeal (never by the reviewer who decided the case)."""
    appeal = container(ctx).review.decide_appeal(
        appeal_id,
        reviewer=reviewer or cli_actor(),
        upheld=upheld,
        reason=reason,
        wrong_match=wrong_match,
    )
    typer.echo(f"appeal {appeal.id}: {appeal.state}")
