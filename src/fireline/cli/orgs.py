"""``fireline org``: create and list organisations."""

from __future__ import annotations

from typing import Annotated

import typer

from fireline.cli.context import JsonOption, cli_actor, container, stdout_console
from fireline.cli.output import emit_json, org_table, org_to_json

app = typer.Typer(help="Create and list organisations (keys belong to one, banks to one).")


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="1-64 letters, digits, '_', '.', '-'.",
            show_default=False,
        ),
    ],
    description: Annotated[str, typer.Option(help="Who the organisation is.")] = "",
) -> None:
    """Create an organisation; give it keys with `fireline key create NAME --org ORG`."""
    org = container(ctx).orgs.create(name=name, description=description, actor=cli_actor())
    typer.echo(f"created organisation {org.name} (id {org.id})")


@app.command("list")
def list_orgs(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List organisations by name."""
    orgs = container(ctx).orgs.all()
    if as_json:
        for org in orgs:
            emit_json(org_to_json(org))
    elif orgs:
        stdout_console().print(org_table(orgs))
    else:
        typer.echo("no organisations yet; create one with: fireline org create NAME")
