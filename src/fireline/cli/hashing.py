"""``fireline hash``: print the signals of files, as python-threatexchange does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fireline.cli.context import (
    ContentChoice,
    ContentTypeOption,
    JsonOption,
    offline_container,
    read_content,
)
from fireline.cli.output import emit_file_error, emit_json, signal_to_json
from fireline.domain import InvalidInput


def hash_command(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Files to hash.", show_default=False)
    ],
    content_type: ContentTypeOption = ContentChoice.AUTO,
    as_json: JsonOption = False,
) -> None:
    """Print each file's signals as '<signal_type> <value>' lines (needs no database).

    A file that cannot be read or hashed is reported on stderr and the others are still
    hashed; the exit status is then 3.
    """
    instance = offline_container(ctx)
    failed = False
    for path in files:
        try:
            data = read_content(path, max_bytes=instance.settings.max_upload_bytes)
            hashed = instance.hashing.hash_content(data, content_type=content_type.resolve())
        except InvalidInput as exc:
            failed = True
            emit_file_error(str(path), exc, as_json=as_json)
            continue
        if as_json:
            emit_json({"file": str(path), "signals": [signal_to_json(s) for s in hashed.signals]})
        else:
            for signal in hashed.signals:
                typer.echo(f"{signal.signal_type} {signal.value}")
    if failed:
        raise typer.Exit(InvalidInput.exit_code)
