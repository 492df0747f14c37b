"""``fireline bank``: create, inspect, fill, retract from, import, export and delete banks."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from fireline.cli.context import (
    ContentChoice,
    ContentTypeOption,
    JsonOption,
    cli_actor,
    container,
    fail_usage,
    parse_signal_options,
    read_content,
    stdout_console,
)
from fireline.cli.output import (
    bank_details,
    bank_table,
    bank_to_json,
    emit_json,
    entry_table,
    entry_to_json,
    refusal_to_json,
)
from fireline.domain import AddedEntries, InvalidInput, SharingPolicy, parse_labels
from fireline.services import ExchangeFormat
from fireline.services.interchange import export_lines, import_lines, split_lines

app = typer.Typer(help="Create, fill, inspect, import, export and delete banks.")

BankName = Annotated[
    str, typer.Argument(metavar="NAME", help="The bank's name.", show_default=False)
]
LabelOption = Annotated[
    list[str] | None,
    typer.Option(
        "--label",
        help="A taxonomy label, dimension:value (category:..., basis:..., entity:...). Repeatable.",
    ),
]
FormatOption = Annotated[
    ExchangeFormat,
    typer.Option(
        "--format",
        help=(
            "jsonl: fireline's native entries; threatexchange: '<signal_type> <value>' lines; "
            "threatexchange_csv: `threatexchange dataset --csv` rows; tat: a Tech Against "
            "Terrorism hash list (import only); hma: HMA API bodies (export only); urls: one "
            "URL or rule per line."
        ),
        case_sensitive=False,
    ),
]


@app.command("create")
def create(
    ctx: typer.Context,
    name: BankName,
    description: Annotated[str, typer.Option(help="What the bank holds.")] = "",
    pdq_threshold: Annotated[
        int | None,
        typer.Option(help="This bank's PDQ match distance (0-128); default: the instance's."),
    ] = None,
    sharing: Annotated[
        SharingPolicy, typer.Option(help="Who may receive the bank's signals.")
    ] = SharingPolicy.PRIVATE,
) -> None:
    """Create an empty bank."""
    bank = container(ctx).banks.create(
        name=name,
        description=description,
        sharing=sharing,
        pdq_threshold=pdq_threshold,
        actor=cli_actor(),
    )
    typer.echo(f"created bank {bank.name} (id {bank.id}, sharing {bank.sharing.value})")


@app.command("list")
def list_banks(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List every bank with its number of active entries."""
    banks = container(ctx).banks.all()
    if as_json:
        for bank in banks:
            emit_json(bank_to_json(bank))
    elif banks:
        stdout_console().print(bank_table(banks))
    else:
        typer.echo("no banks yet; create one with: fireline bank create NAME")


@app.command("show")
def show(
    ctx: typer.Context,
    name: BankName,
    limit: Annotated[
        int, typer.Option(min=1, max=10_000, help="How many entries to show, oldest first.")
    ] = 20,
    include_retracted: Annotated[
        bool, typer.Option("--include-retracted", help="Show retracted entries too.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show a bank's details and its first entries."""
    banks = container(ctx).banks
    bank = banks.get(name=name)
    entries = banks.entries(bank=name, include_retracted=include_retracted, limit=limit)
    if as_json:
        emit_json({"bank": bank_to_json(bank), "entries": [entry_to_json(e) for e in entries]})
        return
    console = stdout_console()
    console.print(bank_details(bank))
    if entries:
        console.print(entry_table(entries, title=f"First {len(entries)} entries"))


def _report_added(source: str, result: AddedEntries, *, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "source": source,
                "added": [entry_to_json(e) for e in result.added],
                "existing": [entry_to_json(e) for e in result.existing],
                "refused": [refusal_to_json(r) for r in result.refused],
            }
        )
        return
    for verb, entries in (("added", result.added), ("already banked", result.existing)):
        for entry in entries:
            typer.echo(f"{source}: {verb} entry {entry.id}: {entry.signal_type} {entry.value}")
    for refusal in result.refused:
        typer.echo(f"{source}: not banked: {refusal.signal.signal_type}: {refusal.reason}")


@app.command("add")
def add(
    ctx: typer.Context,
    name: BankName,
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Files to hash and bank.", show_default=False),
    ] = None,
    signal: Annotated[
        list[str] | None,
        typer.Option("--signal", help="A signal to bank as it is: TYPE:VALUE. Repeatable."),
    ] = None,
    label: LabelOption = None,
    note: Annotated[str, typer.Option(help="A note kept with every new entry.")] = "",
    content_type: ContentTypeOption = ContentChoice.AUTO,
    as_json: JsonOption = False,
) -> None:
    """Hash files into a bank, or bank raw signals.

    Every file and signal is checked first: if one is bad, nothing is stored.
    """
    instance = container(ctx)
    labels = parse_labels(label or [])
    instance.banks.get(name=name)
    signals = parse_signal_options(instance.registry, signal or [])
    paths = files or []
    if not paths and not signals:
        fail_usage("give at least one FILE or --signal TYPE:VALUE to add")
    contents: list[tuple[str, bytes]] = []
    for path in paths:
        try:
            data = read_content(path, max_bytes=instance.settings.max_upload_bytes)
        except InvalidInput as exc:
            message = f"{path}: {exc.message} (nothing was added)"
            raise InvalidInput(message, code=exc.code) from None
        contents.append((str(path), data))
    if contents:
        try:
            # One transaction: every file is hashed before any is stored.
            results = instance.banks.add_contents(
                bank=name,
                contents=[data for _, data in contents],
                content_type=content_type.resolve(),
                labels=labels,
                note=note,
                sources=[source for source, _ in contents],
                actor=cli_actor(),
            )
        except InvalidInput as exc:
            raise type(exc)(f"{exc.message} (nothing was added)", code=exc.code) from None
        for (source, _), result in zip(contents, results, strict=True):
            _report_added(source, result, as_json=as_json)
    if signals:
        result = instance.banks.add_signals(
            bank=name, signals=signals, labels=labels, note=note, actor=cli_actor()
        )
        _report_added("--signal", result, as_json=as_json)


@app.command("retract")
def retract(
    ctx: typer.Context,
    entry_id: Annotated[
        int, typer.Argument(metavar="ENTRY_ID", help="The entry's id.", show_default=False)
    ],
    reason: Annotated[str, typer.Option(help="Why, kept with the retraction.")] = "",
) -> None:
    """Retract an entry: it stops matching everywhere, and stays on record."""
    entry = container(ctx).banks.retract(entry_id=entry_id, reason=reason, actor=cli_actor())
    typer.echo(f"retracted entry {entry.id} from bank {entry.bank_name}")


def _read_lines(source: str) -> list[str]:
    try:
        if source == "-":
            return split_lines(sys.stdin.read())
        return split_lines(Path(source).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput(f"{source}: not UTF-8 text", code="not_text") from None
    except IsADirectoryError:
        raise InvalidInput(f"{source}: is a directory", code="not_a_file") from None
    except FileNotFoundError:
        raise InvalidInput(f"{source}: no such file", code="file_not_found") from None
    except OSError as exc:
        raise InvalidInput(
            f"{source}: cannot be read ({exc.strerror or exc})", code="file_unreadable"
        ) from None


@app.command("import")
def import_bank(
    ctx: typer.Context,
    name: BankName,
    file: Annotated[str, typer.Argument(metavar="FILE", help="The file to read; - reads stdin.")],
    fmt: FormatOption = ExchangeFormat.JSONL,
    label: LabelOption = None,
    signal_type: Annotated[
        str | None,
        typer.Option(help="Signal type of bare values (threatexchange lines without a type)."),
    ] = None,
) -> None:
    """Import entries into an existing bank; every line is checked before any is stored."""
    instance = container(ctx)
    if signal_type is not None:
        instance.registry.get(signal_type)
    instance.banks.get(name=name)
    report = import_lines(
        instance.banks,
        bank=name,
        lines=_read_lines(file),
        fmt=fmt,
        labels=parse_labels(label or []),
        default_signal_type=signal_type,
    )
    extra = "".join(
        f", {count} {what} skipped"
        for count, what in (
            (report.skipped_unsupported, "of hash types fireline lacks"),
            (report.skipped_negative, "marked false positive"),
        )
        if count
    )
    typer.echo(
        f"imported into {name}: {report.added} added, {report.existing} already banked, "
        f"{report.skipped_retracted} retracted skipped{extra}"
    )


def _write_atomically(path: Path, lines: Iterable[str]) -> int:
    """Write lines to a temporary file beside ``path``, sync it, then rename it into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    count = 0
    try:
        with temporary.open("w", encoding="utf-8", newline="\n") as handle:
            for line in lines:
                handle.write(line + "\n")
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        raise InvalidInput(
            f"{path}: cannot be written ({exc.strerror or exc})", code="file_unwritable"
        ) from None
    finally:
        temporary.unlink(missing_ok=True)
    return count


@app.command("export")
def export(
    ctx: typer.Context,
    name: BankName,
    fmt: FormatOption = ExchangeFormat.JSONL,
    include_retracted: Annotated[
        bool,
        typer.Option("--include-retracted", help="Also export retracted entries (jsonl only)."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """Export a bank's active entries, oldest first."""
    if include_retracted and fmt is not ExchangeFormat.JSONL:
        fail_usage(f"--include-retracted needs --format jsonl ({fmt.value} has no retractions)")
    left_out: Counter[str] = Counter()
    lines = export_lines(
        container(ctx).banks,
        bank=name,
        fmt=fmt,
        include_retracted=include_retracted,
        left_out=left_out,
    )
    if output is None or str(output) == "-":
        for line in lines:
            typer.echo(line)
    else:
        count = _write_atomically(output, lines)
        typer.echo(f"exported {count} lines from {name} to {output}", err=True)
    if left_out:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(left_out.items()))
        cannot = "HMA has no signal type for" if fmt is ExchangeFormat.HMA else "other than url"
        typer.echo(f"left out entries of types {cannot}: {kinds}", err=True)


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: BankName,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: the bank cannot be restored.")
    ] = False,
) -> None:
    """Delete a bank and all its entries (they are retracted everywhere first)."""
    if not yes:
        fail_usage(f"deleting bank {name!r} cannot be undone; pass --yes to confirm")
    banks = container(ctx).banks
    bank = banks.get(name=name)
    banks.delete(name=name, actor=cli_actor())
    typer.echo(f"deleted bank {bank.name} and its {bank.entry_count} active entries")
