"""docs/cli.md names every command and every exit code the CLI can produce."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.core import TyperGroup
from typer.main import get_command
from typer.testing import CliRunner

from fireline.cli import app
from fireline.domain import FirelineError

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def command_paths(command: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every runnable command's path below a group, e.g. ("bank", "create")."""
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from command_paths(sub, (*prefix, name))
    else:
        yield prefix


COMMANDS = sorted(command_paths(get_command(app)))


def test_the_walk_finds_nested_commands() -> None:
    assert ("bank", "create") in COMMANDS and ("hash",) in COMMANDS
    assert len(COMMANDS) >= 16


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_is_documented(path: tuple[str, ...]) -> None:
    text = CLI_DOC.read_text()
    assert f"`fireline {' '.join(path)}" in text, f"docs/cli.md does not mention {path}"


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Usage:" in result.stdout


def _error_classes(cls: type[FirelineError]) -> Iterator[type[FirelineError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _error_classes(sub)


def test_every_error_class_has_its_exit_code_in_the_table() -> None:
    rows = {
        int(code): rest
        for code, rest in re.findall(r"^\| (\d+) \|(.*)$", CLI_DOC.read_text(), re.MULTILINE)
    }
    assert set(rows) >= {0, 1, 2, 3, 4, 5, 6, 7, 130}
    for cls in _error_classes(FirelineError):
        assert f"`{cls.__name__}`" in rows[cls.exit_code], cls
