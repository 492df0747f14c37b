"""End to end through the installed `fireline` script: migrate, bank a photo, match."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import PhotoFactory
from tests.cli.scripts import FIRELINE, fireline


def test_installed_script_banks_and_matches(clean_env: Path, photo: PhotoFactory) -> None:
    assert FIRELINE.is_file(), "pip install -e . installs the fireline console script"
    database = f"sqlite:///{(clean_env / 'smoke.db').as_posix()}"

    def run(*args: str | Path) -> tuple[int, str, str]:
        done = fireline("--database-url", database, *args)
        return done.returncode, done.stdout, done.stderr

    code, out, err = run("db", "upgrade")
    assert code == 0, err
    assert "is at revision" in out

    assert run("bank", "create", "smoke")[0] == 0
    banked, unrelated = photo(7), photo(8)
    code, out, err = run("bank", "add", "smoke", banked, "--label", "entity:smoke-test")
    assert code == 0, err
    assert out.count("added entry") == 3

    code, out, _ = run("match", banked)
    assert code == 1
    assert "smoke" in out and "entity:smoke-test" in out
    code, _, _ = run("match", unrelated)
    assert code == 0
