"""``fireline audit``: read the audit log, verify its hash chain."""

from __future__ import annotations

from typing import Annotated

import typer

from fireline.cli.context import JsonOption, container, stdout_console
from fireline.cli.output import (
    audit_record_to_json,
    audit_table,
    emit_error,
    emit_json,
    verification_to_json,
)
from fireline.domain import ChainBroken

app = typer.Typer(help="Read the tamper-evident audit log and verify its hash chain.")

#: `audit verify`'s status when the chain is broken: ChainBroken's, as `exchange verify`.
EXIT_CHAIN_BROKEN = ChainBroken.exit_code


@app.command("list")
def list_records(
    ctx: typer.Context,
    after: Annotated[int, typer.Option(min=0, help="Only records with seq above this.")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many records at most.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """List audit records, oldest first (page on with --after)."""
    records = container(ctx).audit.records(after=after, limit=limit)
    if as_json:
        for record in records:
            emit_json(audit_record_to_json(record))
    elif records:
        stdout_console().print(audit_table(records))
    else:
        typer.echo("no audit records" + (f" after {after}" if after else ""))


@app.command("verify")
def verify(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Recompute every record's hash and link; exit 10 naming the first bad record.

    A zero exit means every stored record is intact and linked, from the first on.
    """
    result = container(ctx).audit.verify()
    if as_json:
        emit_json(verification_to_json(result))
    if result.ok:
        if not as_json:
            typer.echo(f"audit log intact: {result.records} records, last hash {result.last_hash}")
        return
    emit_error(f"audit log broken at record {result.bad_seq} ({result.problem}): {result.message}")
    raise typer.Exit(EXIT_CHAIN_BROKEN)
