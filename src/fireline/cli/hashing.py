"""``fireline hash``: print the signals of files, as python-threatexchange does."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from fireline.cli.context import (
    ContentChoice,
    ContentTypeOption,
    JsonOption,
    TextOption,
    UrlOption,
    fail_usage,
    given_texts,
    offline_container,
    read_content,
)
from fireline.cli.output import emit_file_error, emit_json, signal_to_json
from fireline.domain import InvalidInput
from fireline.services import HashedContent


def hash_command(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Files to hash.", show_default=False),
    ] = None,
    text: TextOption = None,
    url: UrlOption = None,
    content_type: ContentTypeOption = ContentChoice.AUTO,
    as_json: JsonOption = False,
) -> None:
    """Print the signals of files, texts and links as '<signal_type> <value>' lines.

    Needs no database. A file, text or link that cannot be hashed is reported on stderr
    and the others are still hashed; the exit status is then 3.
    """
    if not files and not text and not url:
        fail_usage("give at least one FILE, --text or --url to hash")
    instance = offline_container(ctx)
    failed = False
    limit = instance.settings.max_upload_bytes
    kind = content_type.resolve()

    def hash_file(path: Path) -> HashedContent:
        return instance.hashing.hash_content(read_content(path, max_bytes=limit), content_type=kind)

    jobs: list[tuple[str, Callable[[], HashedContent]]] = [
        (str(path), partial(hash_file, path)) for path in files or []
    ]
    jobs += [(src, partial(instance.hashing.hash_text, body)) for src, body in given_texts(text)]
    jobs += [(f"url:{link}", partial(instance.hashing.hash_url, link)) for link in url or []]
    for source, job in jobs:
        try:
            hashed = job()
        except InvalidInput as exc:
            failed = True
            emit_file_error(source, exc, as_json=as_json)
            continue
        if as_json:
            emit_json(
                {
                    "file": source,
                    "signals": [signal_to_json(s) for s in hashed.signals],
                    "links": [signal_to_json(s) for s in hashed.links],
                }
            )
        else:
            for signal in hashed.signals:
                typer.echo(f"{signal.signal_type} {signal.value}")
    if failed:
        raise typer.Exit(InvalidInput.exit_code)
