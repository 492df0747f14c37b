"""``fireline simulate christchurch``: replay a livestreamed attack's day on real instances."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from fireline.cli.context import stderr_console
from fireline.cli.output import emit_json
from fireline.domain import InvalidInput
from fireline.simulate import Progress as ReplayProgress
from fireline.simulate import ReplayParams, simulate_christchurch
from fireline.simulate.report import summary_lines

app = typer.Typer(
    help="Simulations on real instances started for the purpose.", no_args_is_help=True
)

#: Exit status of ``--check`` when the target was missed or two runs disagreed.
EXIT_MISSED = 1
DEFAULTS = ReplayParams()


@app.command("christchurch")
def christchurch(
    members: Annotated[
        int, typer.Option(help="Member platforms (plus one hub).")
    ] = DEFAULTS.members,
    hours: Annotated[float, typer.Option(help="Simulated hours.")] = DEFAULTS.hours,
    seed: Annotated[
        int, typer.Option(help="Seed: the same seed replays the same day.")
    ] = DEFAULTS.seed,
    variants: Annotated[
        int, typer.Option(help="Edited variants of the recording.")
    ] = DEFAULTS.variants,
    benign_items: Annotated[
        int, typer.Option(help="Distinct benign videos.")
    ] = DEFAULTS.benign_items,
    uploads: Annotated[int, typer.Option(help="Upload attempts in all.")] = DEFAULTS.uploads,
    benign_share: Annotated[
        float, typer.Option(help="Share of uploads that are benign.")
    ] = DEFAULTS.benign_share,
    stream_seconds: Annotated[
        float, typer.Option(help="Seconds of generated media for the recording.")
    ] = DEFAULTS.stream_seconds,
    declare_minute: Annotated[
        int, typer.Option(help="Minute member0 declares the incident.")
    ] = DEFAULTS.declare_minute,
    approve_after: Annotated[
        int, typer.Option(help="Minutes until member1 approves it.")
    ] = DEFAULTS.approve_after,
    report_probability: Annotated[
        float, typer.Option(help="Chance a user reports a re-upload that got through.")
    ] = DEFAULTS.report_probability,
    responder_every: Annotated[
        int, typer.Option(help="Minutes between the hub responders' looks at proposals.")
    ] = DEFAULTS.responder_every,
    runs: Annotated[int, typer.Option(min=1, max=5, help="Replays; 2 checks they agree.")] = 1,
    workers: Annotated[int, typer.Option(min=1, help="Threads rendering and hashing media.")] = 2,
    out: Annotated[
        Path | None, typer.Option(help="Folder for replay.json and the hub's debrief.html.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    check: Annotated[
        bool, typer.Option(help="Exit 1 when the target is missed or runs disagree.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Replay a livestreamed attack's day: a hub and member platforms as processes on
    loopback, a synthetic stream, hundreds of edited re-uploads, benign uploads, an
    incident declared and approved, variants harvested; prints what got blocked."""
    params = ReplayParams(
        seed=seed,
        members=members,
        hours=hours,
        stream_seconds=stream_seconds,
        declare_minute=declare_minute,
        approve_after=approve_after,
        variants=variants,
        benign_items=benign_items,
        uploads=uploads,
        benign_share=benign_share,
        responder_every=responder_every,
        report_probability=report_probability,
    )
    try:
        params.check()
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid_replay") from None
    console = stderr_console()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    show = not quiet and console.is_terminal
    with Progress(*columns, console=console, disable=not show, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def items(total: int) -> None:
            tasks["media"] = bar.add_task("rendering and hashing media", total=total)

        def run_started(run: int, minutes: int) -> None:
            tasks["run"] = bar.add_task(f"replay {run + 1}: simulated minutes", total=minutes)

        progress = ReplayProgress(
            items=items,
            item_done=lambda key: bar.advance(tasks["media"]),
            run_started=run_started,
            minute_done=lambda minute: bar.advance(tasks["run"]),
        )
        result = simulate_christchurch(
            params, runs=runs, workers=workers, out=out, progress=progress
        )
    if as_json:
        emit_json(result.as_json())
    else:
        for line in summary_lines(result.summaries[0]):
            typer.echo(line)
        if runs > 1:
            typer.echo(f"{runs} runs agree: {'yes' if result.agree else 'NO'}")
        if out is not None:
            typer.echo(f"written to {out}")
    if check and not (result.agree and result.summaries[0]["target"]["met"]):
        raise typer.Exit(EXIT_MISSED)
