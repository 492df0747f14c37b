"""What every command shares: settings, the container, reading files, parsing flags.

The container is built on first use and closed when the command's context closes, so
commands that never touch the store (``--help``, usage errors) never open it.
"""

from __future__ import annotations

import getpass
import os
import re
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from fireline.bootstrap import Container, build
from fireline.cli.output import emit_error
from fireline.domain import InvalidInput, MediaTooLarge, Signal
from fireline.services import parse_signal
from fireline.settings import MEMORY_URL, Settings
from fireline.signals import ContentType, SignalRegistry

#: Exit status of a usage error (click's own, for bad options too).
EXIT_USAGE = 2
#: Exit status when the user interrupts (128 + SIGINT).
EXIT_INTERRUPTED = 130


class ContentChoice(StrEnum):
    """``--content-type``: the content types, and ``auto`` (tell from the header)."""

    AUTO = "auto"
    PHOTO = ContentType.PHOTO.value
    VIDEO = ContentType.VIDEO.value
    AUDIO = ContentType.AUDIO.value
    TEXT = ContentType.TEXT.value
    URL = ContentType.URL.value
    FILE = ContentType.FILE.value

    def resolve(self) -> ContentType | None:
        """The content type asked for; None for ``auto``."""
        return None if self is ContentChoice.AUTO else ContentType(self.value)


ContentTypeOption = Annotated[
    ContentChoice,
    typer.Option(
        "--content-type",
        help="auto (default): photo, video, audio or text, told from the file's header; "
        "photo: perceptual and byte hashes of a decoded image; video: vPDQ frame hashes, "
        "video_md5 and the soundtrack's audio_fp; audio: audio_fp; text: plain text, HTML, "
        "PDF or DOCX, hashed as text_minhash, text_tlsh and byte hashes; url: a file "
        "holding one link; file: byte hashes only.",
        case_sensitive=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line, for machines.")]


@dataclass
class CliState:
    """Per-invocation state, kept in ``ctx.obj`` by the app callback and closed with it."""

    database_url: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _containers: list[Container] = field(default_factory=list, repr=False)

    def settings(self) -> Settings:
        """FIRELINE_* settings, with ``--database-url`` on top; exit 2 when they are invalid."""
        if self._settings is None:
            try:
                self._settings = (
                    Settings()
                    if self.database_url is None
                    else Settings(database_url=self.database_url)
                )
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
                    for err in exc.errors()
                )
                fail_usage(f"invalid settings: {problems}")
        return self._settings

    def container(self, *, offline: bool = False) -> Container:
        """The wired instance, built once; ``offline`` puts it on an in-memory store."""
        configured = self.settings()
        if offline:
            configured = configured.model_copy(update={"database_url": MEMORY_URL})
        for built in self._containers:
            if built.settings == configured:
                return built
        built = build(configured)
        self._containers.append(built)
        return built

    def close(self) -> None:
        while self._containers:
            self._containers.pop().close()


def state(ctx: typer.Context) -> CliState:
    """The invocation's state, wherever in the command tree ``ctx`` is."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
        root.call_on_close(root.obj.close)
    obj: CliState = root.obj
    return obj


def settings(ctx: typer.Context) -> Settings:
    return state(ctx).settings()


def container(ctx: typer.Context) -> Container:
    """The wired instance on the configured store, which must be migrated."""
    return state(ctx).container()


def offline_container(ctx: typer.Context) -> Container:
    """A container on an in-memory store, for commands that only hash and need no database."""
    return state(ctx).container(offline=True)


def cli_actor() -> str:
    """Who acts on the command line, as the audit log names them: ``cli:<user>``."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name and no password entry (some containers)
        user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


def fail_usage(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit 2 (a usage error)."""
    emit_error(message)
    raise typer.Exit(EXIT_USAGE)


def stdout_console() -> Console:
    # Tables are data: never cut a value to fit, fold it instead (see output.py).
    return Console(highlight=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def read_content(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of one file, reading at most ``max_bytes`` + 1; InvalidInput when unreadable."""
    try:
        if path.is_dir():
            raise InvalidInput("is a directory", code="not_a_file")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InvalidInput("no such file", code="file_not_found") from None
    except PermissionError:
        raise InvalidInput("permission denied", code="file_unreadable") from None
    except OSError as exc:
        raise InvalidInput(
            f"cannot be read ({exc.strerror or exc})", code="file_unreadable"
        ) from None
    if len(data) > max_bytes:
        raise MediaTooLarge(
            f"the file is over the limit of {max_bytes} bytes (FIRELINE_MAX_UPLOAD_BYTES)",
            code="too_many_bytes",
        )
    return data


TextOption = Annotated[
    list[str] | None,
    typer.Option(
        "--text",
        help="A text to hash or match (a post); '-' reads standard input. Repeatable.",
        show_default=False,
    ),
]
UrlOption = Annotated[
    list[str] | None,
    typer.Option("--url", help="A link to hash or match. Repeatable.", show_default=False),
]


def given_texts(texts: list[str] | None) -> list[tuple[str, str]]:
    """(source, text) for each ``--text``; '-' is standard input, read once."""
    found = []
    for text in texts or []:
        if text == "-":
            found.append(("<stdin>", sys.stdin.read()))
        else:
            found.append((f"text:{text[:40]}", text))
    return found


def walk_files(path: Path) -> Iterator[Path]:
    """``path`` itself, or every non-hidden file under a directory, in a stable order.

    Hidden names (a leading ``.``) are skipped below the given directory; symbolic links
    to directories are not followed, so a link cycle cannot loop. Special files found
    there (FIFOs, sockets, devices) are skipped too: reading one could block forever.
    """
    if not path.is_dir():
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and not _is_special(Path(root) / name):
                yield Path(root) / name


def _is_special(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:  # a dangling link or a link loop: reading it reports the problem
        return False
    return not stat.S_ISREG(mode)


def parse_signal_options(registry: SignalRegistry, raw: Sequence[str]) -> list[Signal]:
    """Parse ``--signal TYPE:VALUE`` flags; InvalidInput names the first bad one."""
    signals: list[Signal] = []
    for text in raw:
        signal_type, sep, value = text.partition(":")
        if not sep or not signal_type.strip() or not value.strip():
            raise InvalidInput(
                f"--signal {text[:80]!r} must be written TYPE:VALUE "
                f"(TYPE one of {', '.join(registry.names())})",
                code="malformed_signal",
            )
        signals.append(parse_signal(registry, signal_type=signal_type.strip(), value=value.strip()))
    return signals


_URL_PASSWORD = re.compile(r"(?P<head>://[^/:@]*:)[^/@]*@")


def redact_url(url: str) -> str:
    """A database URL safe to print: any password replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\g<head>***@", url)
