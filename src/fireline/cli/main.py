"""The ``fireline`` command: the typer app and the one place errors become exit codes.

Exit codes: 0 ok; 1 a match was found (``match``, ``watch``) or figures disagree
(``transparency verify``); 2 usage error; 3 invalid input; 4 not found; 5 conflict; 6
authentication or permission; 7 storage error; 8 a watched stream stalled; 10 a broken
chain (``audit verify``, ``exchange verify``); 130 interrupted. See docs/cli.md.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from fireline.cli.audit import app as audit_app
from fireline.cli.banks import app as bank_app
from fireline.cli.cases import app as case_app
from fireline.cli.cases import appeal_app
from fireline.cli.context import EXIT_INTERRUPTED, CliState
from fireline.cli.db import app as db_app
from fireline.cli.exchange import app as exchange_app
from fireline.cli.hashing import hash_command
from fireline.cli.incidents import app as incident_app
from fireline.cli.keys import app as key_app
from fireline.cli.matching import match_command
from fireline.cli.orders import app as order_app
from fireline.cli.orders import notice_app
from fireline.cli.orgs import app as org_app
from fireline.cli.output import emit_error
from fireline.cli.policy import app as policy_app
from fireline.cli.serve import serve_command
from fireline.cli.simulate import app as simulate_app
from fireline.cli.transparency import app as transparency_app
from fireline.cli.watch import watch_command
from fireline.domain import FirelineError


class FirelineGroup(TyperGroup):
    """The root group: maps fireline's errors to exit codes, with no traceback."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except FirelineError as exc:
            emit_error(exc.message)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            emit_error("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None


app = typer.Typer(
    cls=FirelineGroup,
    name="fireline",
    help="Hash, bank and match terrorist and violent extremist content.",
    no_args_is_help=True,
    # Locals may hold secrets (API keys, database passwords): never print them.
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL or memory://; overrides FIRELINE_DATABASE_URL.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """fireline: hash, bank and match content; serve the HTTP API."""
    cli = CliState(database_url=database_url)
    ctx.obj = cli
    ctx.call_on_close(cli.close)


app.command("hash")(hash_command)
app.command("match")(match_command)
app.command("serve")(serve_command)
app.command("watch")(watch_command)
app.add_typer(bank_app, name="bank")
app.add_typer(key_app, name="key")
app.add_typer(org_app, name="org")
app.add_typer(simulate_app, name="simulate")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(exchange_app, name="exchange")
app.add_typer(incident_app, name="incident")
app.add_typer(policy_app, name="policy")
app.add_typer(case_app, name="case")
app.add_typer(appeal_app, name="appeal")
app.add_typer(order_app, name="order")
app.add_typer(notice_app, name="notice")
app.add_typer(transparency_app, name="transparency")


def run() -> None:
    """Console-script entry point."""
    app(prog_name="fireline")
