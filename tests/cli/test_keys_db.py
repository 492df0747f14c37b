"""`fireline db` and `fireline key`, and what every command does on an unmigrated database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fireline.bootstrap import build
from fireline.cli import app
from fireline.domain import Role, Unauthenticated
from fireline.settings import Settings
from tests.cli.conftest import Cli, PhotoFactory


def test_db_upgrade_is_repeatable_and_current_reports_it(clean_env: Path) -> None:
    url = f"sqlite:///{(clean_env / 'new.db').as_posix()}"
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--database-url", url, *args], catch_exceptions=False)
        return result.exit_code, result.stdout

    assert run("db", "current") == (
        0,
        f"database {url} is not migrated: run `fireline db upgrade`\n",
    )
    code, first = run("db", "upgrade")
    assert code == 0
    revision = first.split()[-1]
    assert first == f"database {url} is at revision {revision}\n"
    assert run("db", "upgrade") == (0, first)
    assert run("db", "current") == (0, first)


@pytest.mark.parametrize(
    "args",
    [
        ["bank", "list"],
        ["bank", "create", "b"],
        ["key", "list"],
        ["match", "--signal", f"md5:{'0' * 32}"],
        ["serve"],
    ],
)
def test_an_unmigrated_database_says_to_upgrade_and_exits_7(
    clean_env: Path, args: list[str]
) -> None:
    path = clean_env / "blank.db"
    result = CliRunner().invoke(
        app, ["--database-url", f"sqlite:///{path.as_posix()}", *args], catch_exceptions=False
    )
    assert result.exit_code == 7
    assert result.stderr.startswith("error: ")
    assert "fireline db upgrade" in result.stderr
    assert "Traceback" not in result.output


def test_a_command_on_a_missing_sqlite_path_creates_nothing(clean_env: Path) -> None:
    # `bank list` made the missing folders (only `db upgrade` may create anything).
    path = clean_env / "no" / "such" / "dir" / "fireline.db"
    result = CliRunner().invoke(
        app, ["--database-url", f"sqlite:///{path.as_posix()}", "bank", "list"]
    )
    assert result.exit_code == 7
    assert "fireline db upgrade" in result.stderr
    assert not (clean_env / "no").exists()


def test_hash_needs_no_database(clean_env: Path, photo: PhotoFactory) -> None:
    path = clean_env / "blank.db"
    result = CliRunner().invoke(
        app, ["--database-url", f"sqlite:///{path.as_posix()}", "hash", str(photo(1))]
    )
    assert result.exit_code == 0
    assert not path.exists()


def test_database_url_option_overrides_the_environment(cli: Cli, clean_env: Path) -> None:
    cli.ok("bank", "create", "in-the-file")
    # memory:// keeps nothing, and the file's banks are not visible through it.
    result = cli.ok("--database-url", "memory://", "bank", "list", "--json")
    assert result.stdout == ""
    assert "in-the-file" in cli.ok("bank", "list").stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [("FIRELINE_PORT", "not-a-port"), ("FIRELINE_ADMIN_KEY", "tiny-secret-42")],
)
def test_invalid_settings_are_a_usage_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = cli("bank", "list")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid settings: ")
    if variable == "FIRELINE_ADMIN_KEY":
        assert value not in result.output  # a secret, even a bad one, is never echoed


def test_key_lifecycle(cli: Cli) -> None:
    created = cli.ok("key", "create", "uploader", "--role", "matcher")
    secret = created.stdout.strip()
    assert secret.startswith("flk_") and "\n" not in secret
    assert "not shown again" in created.stderr

    keys = cli.json_lines("key", "list", "--json")
    assert [(k["name"], k["role"], k["revoked_at"]) for k in keys] == [
        ("uploader", "matcher", None)
    ]
    assert secret not in cli.ok("key", "list").stdout

    container = build(Settings(database_url=cli.database_url))
    try:
        assert container.keys.authenticate(secret).role is Role.MATCHER
        cli.ok("key", "revoke", str(keys[0]["id"]))
        with pytest.raises(Unauthenticated):
            container.keys.authenticate(secret)
    finally:
        container.close()
    assert cli.json_lines("key", "list", "--json")[0]["revoked_at"] is not None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["key", "create", "x", "--role", "root"], 2),
        (["key", "create", ""], 3),
        (["key", "revoke", "42"], 4),
        (["key", "revoke", str(2**70)], 4),  # past any SQL integer: was a traceback
        (["key", "create", "caf\udce9"], 3),  # a non-UTF-8 argument: was a traceback
        (["key", "revoke", "forty-two"], 2),
        (["key", "create", "default-role"], 0),
    ],
)
def test_key_exit_codes(cli: Cli, args: list[str], expected: int) -> None:
    assert cli(*args).exit_code == expected
