"""``fireline key``: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from fireline.cli.context import JsonOption, cli_actor, container, stdout_console
from fireline.cli.output import api_key_to_json, emit_json, key_table
from fireline.domain import Role

app = typer.Typer(help="Create, list and revoke API keys for the HTTP service.")


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Who or what the key is for.", show_default=False),
    ],
    role: Annotated[
        Role,
        typer.Option(
            help="admin: everything; curator: edits banks and entries; reviewer: reads "
            "entries, records opinions; matcher: hashes and matches only; auditor: reads the "
            "audit log; observer: aggregate figures only. See docs/roles.md."
        ),
    ] = Role.MATCHER,
    org: Annotated[
        str | None,
        typer.Option(
            help="The organisation the key belongs to (it must exist); default: this "
            "instance's own (FIRELINE_ORG_NAME)."
        ),
    ] = None,
) -> None:
    """Create a key and print its secret once: only a hash of it is stored.

    The secret alone goes to stdout (so it can be captured); the rest goes to stderr.
    """
    key, secret = container(ctx).keys.create(name=name, role=role, org=org, actor=cli_actor())
    typer.echo(f"created {key.role.value} key {key.id} ({key.name}) of {key.org}", err=True)
    typer.echo(secret)
    typer.echo("store the secret now: it is not shown again", err=True)


@app.command("list")
def list_keys(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List keys (never their secrets)."""
    keys = container(ctx).keys.all()
    if as_json:
        for key in keys:
            emit_json(api_key_to_json(key))
    elif keys:
        stdout_console().print(key_table(keys))
    else:
        typer.echo("no keys yet; create one with: fireline key create NAME --role admin")


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[int, typer.Argument(metavar="ID", help="The key's id.", show_default=False)],
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    key = container(ctx).keys.revoke(key_id=key_id, actor=cli_actor())
    typer.echo(f"revoked key {key.id} ({key.name})")
