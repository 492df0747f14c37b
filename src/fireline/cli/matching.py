"""``fireline match``: match files, directories or raw signals against the banks.

Exit status: 1 when anything matched; otherwise 3 when some file could not be read or
hashed; otherwise 0. A match outranks an unreadable file, so ``fireline match`` in a
pipeline answers "is any of this banked?" first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fireline.cli.context import (
    ContentChoice,
    ContentTypeOption,
    JsonOption,
    TextOption,
    UrlOption,
    container,
    fail_usage,
    given_texts,
    parse_signal_options,
    read_content,
    stderr_console,
    stdout_console,
    walk_files,
)
from fireline.cli.output import (
    emit_file_error,
    emit_json,
    match_result_to_json,
    match_table,
    signal_to_json,
)
from fireline.domain import InvalidInput, Match, MatchResult

#: Exit status when at least one file or signal matched.
EXIT_MATCHED = 1


@dataclass
class ScanSummary:
    """Counts and matches gathered while scanning, for the closing table and exit status."""

    files: int = 0
    files_matched: int = 0
    errors: int = 0
    signals: int = 0
    signals_matched: int = 0
    matches: list[tuple[str, Match]] = field(default_factory=list)

    def record(self, source: str, result: MatchResult, *, is_file: bool) -> None:
        if is_file:
            self.files += 1
            self.files_matched += result.matched
        else:
            self.signals += 1
            self.signals_matched += result.matched
        self.matches.extend((source, m) for m in result.matches)

    def exit_code(self) -> int:
        if self.matches:
            return EXIT_MATCHED
        if self.errors:
            return InvalidInput.exit_code
        return 0

    def table(self) -> Table:
        table = Table(title="Summary", title_justify="left", show_header=False)
        table.add_column()
        table.add_column(justify="right")
        rows = [
            ("files scanned", self.files + self.errors),
            ("files matched", self.files_matched),
            ("files with errors", self.errors),
        ]
        if self.signals:
            rows += [("signals queried", self.signals), ("signals matched", self.signals_matched)]
        for name, count in rows:
            table.add_row(name, str(count))
        return table


def match_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Files or directories; directories are recursed, hidden names skipped.",
            show_default=False,
        ),
    ] = None,
    bank: Annotated[
        list[str] | None,
        typer.Option("--bank", help="Match only against this bank. Repeatable."),
    ] = None,
    signal: Annotated[
        list[str] | None,
        typer.Option("--signal", help="Match a raw signal, TYPE:VALUE, instead of a file."),
    ] = None,
    text: TextOption = None,
    url: UrlOption = None,
    dihedral: Annotated[
        bool | None,
        typer.Option(
            "--dihedral/--no-dihedral",
            help="Also match rotated and mirrored photos; default: FIRELINE_MATCH_DIHEDRAL.",
            show_default=False,
        ),
    ] = None,
    content_type: ContentTypeOption = ContentChoice.AUTO,
    as_json: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Match files, directories, texts, links or raw signals against the banks.

    Exit status: 1 if anything matched, else 3 if a file, text or link could not be read
    or hashed, else 0.
    """
    instance = container(ctx)
    signals = parse_signal_options(instance.registry, signal or [])
    if not paths and not signals and not text and not url:
        fail_usage("give at least one PATH, --text, --url or --signal TYPE:VALUE to match")
    banks = bank or None
    for name in banks or ():
        instance.banks.get(name=name)
    # Load the index now, so a store that cannot be read fails before the scan starts.
    instance.matcher.refresh()
    use_dihedral = instance.settings.match_dihedral if dihedral is None else dihedral
    summary = ScanSummary()

    for query in signals:
        result = instance.matcher.match_signals([query], banks=banks)
        source = f"{query.signal_type}:{query.value}"
        summary.record(source, result, is_file=False)
        if as_json:
            emit_json({"signal": signal_to_json(query), **match_result_to_json(result)})

    given: list[tuple[str, Callable[[], MatchResult]]] = [
        (source, partial(instance.matcher.match_text, body, banks=banks, source=source))
        for source, body in given_texts(text)
    ]
    given += [
        (f"url:{link}", partial(instance.matcher.match_url, link, banks=banks))
        for link in url or []
    ]
    for source, job in given:
        try:
            result = job()
        except InvalidInput as exc:
            summary.errors += 1
            emit_file_error(source, exc, as_json=as_json)
        else:
            summary.record(source, result, is_file=True)
            if as_json:
                emit_json({"file": source, **match_result_to_json(result)})

    files = [f for path in paths or [] for f in walk_files(path)]
    console = stderr_console()
    show_progress = not quiet and console.is_terminal and any(path.is_dir() for path in paths or [])
    columns = (TextColumn("matching"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not show_progress, transient=True) as bar:
        task = bar.add_task("matching", total=len(files))
        for path in files:
            try:
                data = read_content(path, max_bytes=instance.settings.max_upload_bytes)
                result = instance.matcher.match_content(
                    data,
                    content_type=content_type.resolve(),
                    dihedral=use_dihedral,
                    banks=banks,
                    source=str(path),
                )
            except InvalidInput as exc:
                summary.errors += 1
                live = console if show_progress else None
                emit_file_error(str(path), exc, as_json=as_json, live=live)
            else:
                summary.record(str(path), result, is_file=True)
                if as_json:
                    emit_json({"file": str(path), **match_result_to_json(result)})
            bar.advance(task)

    if not as_json:
        out = stdout_console()
        out.print(summary.table())
        if summary.matches:
            out.print(match_table(summary.matches))
    raise typer.Exit(summary.exit_code())
