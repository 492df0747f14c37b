"""CLI fixtures: a real, migrated SQLite file per test and generated photos on disk."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from fireline.cli import app
from fireline.testing.media import ImageFormat, encode, random_photo


@dataclass
class Cli:
    """Runs ``fireline`` in-process against one database, the way a user would."""

    runner: CliRunner
    database_url: str

    def __call__(self, *args: str | Path, input: str | None = None) -> Result:
        return self.runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

    def json_lines(self, *args: str | Path) -> list[dict[str, Any]]:
        result = self(*args)
        assert result.exit_code in (0, 1), result.output
        return [json.loads(line) for line in result.stdout.splitlines()]

    def ok(self, *args: str | Path, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, result.output
        return result


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated with `fireline db upgrade`, copied by each test that needs one."""
    directory = tmp_path_factory.mktemp("template")
    path = directory / "fireline.db"
    result = CliRunner().invoke(
        app,
        ["--database-url", _sqlite_url(path), "db", "upgrade"],
        env={"FIRELINE_DATA_DIR": str(directory)},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No FIRELINE_* setting leaks in from the developer's shell; data stays in tmp_path."""
    import os

    for name in list(os.environ):
        if name.startswith("FIRELINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FIRELINE_DATA_DIR", str(tmp_path / "var"))
    # Wide enough that rich tables keep each value on one line, so tests can find them.
    monkeypatch.setenv("COLUMNS", "250")
    yield tmp_path


@pytest.fixture
def database(clean_env: Path, migrated_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of a migrated SQLite file of this test's own, set as FIRELINE_DATABASE_URL."""
    path = clean_env / "fireline.db"
    shutil.copyfile(migrated_template, path)
    url = _sqlite_url(path)
    monkeypatch.setenv("FIRELINE_DATABASE_URL", url)
    return url


@pytest.fixture
def cli(database: str) -> Cli:
    return Cli(runner=CliRunner(), database_url=database)


PhotoFactory = Callable[..., Path]


@pytest.fixture
def photo(tmp_path: Path) -> PhotoFactory:
    """Write ``random_photo(seed)`` to a file and return its path."""

    def write(
        seed: int, name: str | None = None, fmt: ImageFormat = "PNG", directory: Path | None = None
    ) -> Path:
        folder = directory or tmp_path / "media"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (name or f"photo-{seed}.{fmt.lower()}")
        path.write_bytes(encode(random_photo(seed), fmt))
        return path

    return write
