"""``fireline watch SOURCE``: follow a live stream in the foreground and print its alerts.

Exit status: 1 when any banked entry matched (whatever happened after); otherwise the
error's code when the source failed (3) or stalled (8); 130 when interrupted (Ctrl-C,
SIGTERM); 0 when the stream ended with no match. The watch and its events are stored,
so the HTTP API shows them too.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import FrameType
from typing import Annotated, Any

import typer

from fireline.bootstrap import watch_settings
from fireline.cli.context import JsonOption, container, settings
from fireline.cli.output import emit_error, emit_json
from fireline.domain.watches import EventKind, WatchEvent
from fireline.live import SourcePolicy, open_source, webhook_for
from fireline.services.watch_views import event_view

#: Exit status when any banked entry matched.
EXIT_MATCHED = 1


def watch_command(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="An http(s) URL of an HLS playlist (master or media), or a local file that "
            "is still being written (MPEG-TS, Matroska/WebM, FLV, fragmented MP4).",
            show_default=False,
        ),
    ],
    webhook: Annotated[
        str | None,
        typer.Option(
            help="POST every alert and the final event here, as JSON.", show_default=False
        ),
    ] = None,
    bank: Annotated[
        list[str] | None,
        typer.Option(
            "--bank", help="Match only against this bank; repeatable.", show_default=False
        ),
    ] = None,
    stall_timeout: Annotated[
        float | None,
        typer.Option(
            "--stall-timeout",
            min=0.1,
            max=3600,
            help="Seconds without a new segment before an HLS stream counts as stalled (or "
            "without new bytes before a file counts as finished); default: "
            "FIRELINE_WATCH_STALL_SECONDS.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Follow a live stream as it arrives, match it against the banks, print alerts.

    Runs until the stream ends, stalls, fails, or Ctrl-C. Exit status: 1 matched, 0
    ended with no match, 3 bad source, 8 stalled, 130 interrupted.
    """
    instance = container(ctx)
    limits = watch_settings(settings(ctx))
    if stall_timeout is not None:
        limits = replace(limits, stall_seconds=stall_timeout)
    policy = SourcePolicy.for_command_line()
    spec = policy.source(source)
    if webhook is not None:
        policy.check_url(webhook)
    watch = instance.watches.create(
        source=spec.location, kind=spec.kind, banks=bank or [], webhook=webhook, created_by="cli"
    )
    sink = (
        None
        if webhook is None
        else webhook_for(webhook, policy=policy, store=instance.store.watches, watch_id=watch.id)
    )
    printer = _Printer(as_json=as_json)
    try:
        with _sigterm_interrupts():
            outcome = instance.watches.follow(
                watch,
                source=open_source(spec, policy=policy, settings=limits),
                sink=sink,
                on_event=printer,
                settings=limits,
            )
    finally:
        if sink is not None:
            sink.close()
    if outcome.error is not None:
        emit_error(outcome.error.message)
    if outcome.watch.progress.alerts:
        raise typer.Exit(EXIT_MATCHED)
    if outcome.error is not None:
        raise typer.Exit(outcome.error.exit_code)


class _Printer:
    """Renders each event as it is recorded: alerts on stdout, the rest on stderr."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json

    def __call__(self, event: WatchEvent) -> None:
        if self.as_json:
            emit_json(event_view(event))
            return
        data = event.data
        if event.kind is EventKind.STARTED:
            typer.echo(
                f"watching {data.get('source')} ({_describe(data)}); Ctrl-C to stop", err=True
            )
        elif event.kind is EventKind.ALERT:
            typer.echo(_alert_line("ALERT", data))
        elif event.kind is EventKind.ALERT_UPDATE:
            typer.echo(_alert_line("still matching", data))
        elif event.kind is EventKind.NOTICE:
            typer.echo(f"notice: {data.get('message')}", err=True)
        elif event.kind is EventKind.WEBHOOK_FAILED:
            typer.echo(f"warning: webhook delivery failed: {data.get('error')}", err=True)
        elif event.kind in (EventKind.ENDED, EventKind.STOPPED):
            typer.echo(f"{event.kind.value}: {data.get('reason')}; {_totals(data)}", err=True)
        elif event.kind in (EventKind.STALLED, EventKind.FAILED):
            typer.echo(f"{event.kind.value}: {_totals(data)}", err=True)  # the error follows


def _describe(data: dict[str, Any]) -> str:
    if data.get("kind") == "file":
        return "a growing file"
    parts = ["HLS", "live" if data.get("live") else "ended playlist"]
    variant = data.get("variant")
    if isinstance(variant, dict):
        parts.append(
            f"variant {variant.get('resolution') or '?'} at {variant.get('bandwidth')} b/s"
        )
    return ", ".join(parts)


def _alert_line(title: str, data: dict[str, Any]) -> str:
    labels = ", ".join(data.get("labels") or []) or "no labels"
    transform = "" if data.get("transform") == "original" else f", {data.get('transform')}"
    first = data.get("first_chunk")
    when = ""
    if isinstance(first, dict):
        when = f"; {first.get('seconds_before_alert')} s after {first.get('label')} arrived"
    return (
        f"{title}: entry {data.get('entry_id')} in bank {data.get('bank')} ({labels}) matched "
        f"stream {data.get('stream_start'):.1f}-{data.get('stream_end'):.1f} s "
        f"(distance {data.get('distance')}{transform}{when})"
    )


def _totals(data: dict[str, Any]) -> str:
    progress = data.get("progress") or {}
    matched = len(data.get("matched") or [])
    return (
        f"{progress.get('segments', 0)} segments, {progress.get('frames', 0)} frames hashed, "
        f"{progress.get('stream_seconds', 0)} s of stream, {matched} entries matched"
    )


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while the watch runs, so it is recorded as stopped."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
