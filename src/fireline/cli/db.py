"""``fireline db``: migrate the database schema and say which revision it is at."""

from __future__ import annotations

import typer

from fireline.bootstrap import migrate, schema_revision
from fireline.cli.context import redact_url, settings
from fireline.settings import MEMORY_URL

app = typer.Typer(help="Migrate the database schema (run `fireline db upgrade` first).")


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Bring the database to the newest schema; safe to run again at any time."""
    configured = settings(ctx)
    url = configured.resolved_database_url
    revision = migrate(configured)
    if revision is None:
        typer.echo(f"{MEMORY_URL} keeps nothing between runs: nothing to migrate")
    else:
        typer.echo(f"database {redact_url(url)} is at revision {revision}")


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the revision the database schema is at."""
    configured = settings(ctx)
    url = configured.resolved_database_url
    if url == MEMORY_URL:
        typer.echo(f"{MEMORY_URL} has no schema revision")
        return
    # Read-only: the revision is read without creating or migrating anything.
    revision = schema_revision(configured)
    if revision is None:
        typer.echo(f"database {redact_url(url)} is not migrated: run `fireline db upgrade`")
    else:
        typer.echo(f"database {redact_url(url)} is at revision {revision}")
