"""``fireline serve``: run the HTTP service on the configured store."""

from __future__ import annotations

import copy
import os
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.text import Text

from fireline.cli.context import container, fail_usage, settings, stderr_console
from fireline.services.demo import DEMO_BANK, seed_demo
from fireline.settings import MEMORY_URL


def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on; default: FIRELINE_HOST.")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on; default: FIRELINE_PORT."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Worker processes; default: FIRELINE_WORKERS."),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--seed-demo",
            help="Create the demo bank of generated images if missing (development only).",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API until interrupted.

    On first run an admin key is created (or FIRELINE_ADMIN_KEY installed) and a new
    secret is printed once.
    """
    configured = settings(ctx)
    if demo and configured.env == "production":
        fail_usage("--seed-demo is for development only (FIRELINE_ENV=production)")
    processes = workers or configured.workers
    if processes > 1 and configured.resolved_database_url == MEMORY_URL:
        fail_usage("several workers cannot share memory://: use SQLite or PostgreSQL")
    instance = container(ctx)
    admin = configured.admin_key.get_secret_value() if configured.admin_key else None
    secret = instance.keys.ensure_admin(configured=admin)
    console = stderr_console()
    if secret is not None:
        console.print(
            Panel(
                Text.assemble(
                    ("Admin API key (shown once, store it now):\n\n", "bold"),
                    (secret, ""),
                    "\n\nSend it as: Authorization: Bearer <key>",
                ),
                title="fireline",
                expand=False,
            )
        )
    if (demo or configured.seed_demo) and seed_demo(instance.banks):
        console.print(f"seeded the {DEMO_BANK!r} bank with generated images", markup=False)

    # Load the match indexes now, so the first request does not wait for them.
    seq = instance.matcher.refresh()
    console.print(f"match indexes loaded (change log at {seq})", markup=False)

    import uvicorn
    import uvicorn.config

    from fireline.web.app import create_app

    address = (host or configured.host, port or configured.port)
    log_config = _log_config(uvicorn.config.LOGGING_CONFIG)
    try:
        if processes == 1:
            uvicorn.run(
                create_app(instance),
                host=address[0],
                port=address[1],
                log_level="info",
                log_config=log_config,
                # Push streams to peers stay open: give them this long to end on a stop.
                timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
            )
        else:
            # Each worker builds its own container from the environment; pass on what the
            # command line chose.
            os.environ["FIRELINE_DATABASE_URL"] = configured.resolved_database_url
            instance.close()
            uvicorn.run(
                "fireline.web.app:create_app_from_environment",
                factory=True,
                workers=processes,
                host=address[0],
                port=address[1],
                log_level="info",
                log_config=log_config,
                # Push streams to peers stay open: give them this long to end on a stop.
                timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
            )
    except SystemExit as exc:
        # uvicorn exits 3 when it cannot bind; 3 means invalid input here, so say what it is.
        if exc.code not in (0, None):
            fail_usage(
                f"the HTTP server could not start on {address[0]}:{address[1]} "
                "(see the log above; is the port in use?)"
            )
        raise


#: Seconds a stopping server waits for open connections (peers' push streams) to end.
SHUTDOWN_GRACE_SECONDS = 3


def _log_config(base: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging, plus fireline's own records (watch alerts) on the same handler."""
    config = copy.deepcopy(base)
    config["loggers"]["fireline"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
