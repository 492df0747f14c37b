"""`fireline org`, `fireline audit`, and keys of organisations on the command line."""

from __future__ import annotations

import getpass
import sqlite3

import pytest

from tests.cli.conftest import Cli

ME = f"cli:{getpass.getuser()}"


def test_org_lifecycle(cli: Cli) -> None:
    assert "no organisations yet" in cli.ok("org", "list").stdout
    created = cli.ok("org", "create", "acme", "--description", "a platform")
    assert created.stdout.startswith("created organisation acme")
    orgs = cli.json_lines("org", "list", "--json")
    assert [(o["name"], o["description"]) for o in orgs] == [("acme", "a platform")]
    assert "acme" in cli.ok("org", "list").stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["org", "create", "has space"], 3),
        (["org", "create", ""], 3),
        (["org", "create", "nul", "--description", "caf\udce9"], 3),
        (["key", "create", "k", "--org", "nobody"], 4),
        (["key", "create", "k", "--role", "observer"], 0),
        (["key", "create", "k", "--role", "superuser"], 2),
        (["audit", "list", "--limit", "0"], 2),
        (["audit", "list", "--after", "-1"], 2),
    ],
)
def test_exit_codes(cli: Cli, args: list[str], expected: int) -> None:
    result = cli(*args)
    assert result.exit_code == expected, result.output


def test_a_taken_organisation_name_exits_5_and_changes_nothing(cli: Cli) -> None:
    cli.ok("org", "create", "acme")
    assert cli("org", "create", "acme").exit_code == 5
    assert len(cli.json_lines("org", "list", "--json")) == 1


def test_keys_belong_to_the_named_organisation_or_the_instance(cli: Cli) -> None:
    cli.ok("org", "create", "acme")
    cli.ok("key", "create", "theirs", "--role", "curator", "--org", "acme")
    cli.ok("key", "create", "ours", "--role", "auditor")
    keys = cli.json_lines("key", "list", "--json")
    assert [(k["name"], k["role"], k["org"]) for k in keys] == [
        ("theirs", "curator", "acme"),
        ("ours", "auditor", "local"),
    ]
    assert [o["name"] for o in cli.json_lines("org", "list", "--json")] == ["acme", "local"]


def test_changes_on_the_command_line_are_audited_as_the_user(cli: Cli) -> None:
    cli.ok("bank", "create", "b1")
    cli.ok("bank", "add", "b1", "--signal", f"md5:{'0' * 32}")
    cli.ok("bank", "retract", "1")
    cli.ok("bank", "delete", "b1", "--yes")
    records = cli.json_lines("audit", "list", "--json")
    assert [(r["seq"], r["actor"], r["action"], r["subject"]) for r in records] == [
        (1, ME, "bank.created", "bank:b1"),
        (2, ME, "entries.added", "bank:b1"),
        (3, ME, "entry.retracted", "entry:1"),
        (4, ME, "bank.deleted", "bank:b1"),
    ]
    page = cli.json_lines("audit", "list", "--json", "--after", "1", "--limit", "2")
    assert [r["seq"] for r in page] == [2, 3]
    table = cli.ok("audit", "list").stdout
    assert "bank.created" in table and records[0]["hash"][:12] in table
    assert "no audit records after 4" in cli.ok("audit", "list", "--after", "4").stdout


def test_verify_exits_0_when_intact_and_3_at_the_first_bad_record(cli: Cli) -> None:
    assert "0 records" in cli.ok("audit", "verify").stdout
    for name in ("b1", "b2", "b3"):
        cli.ok("bank", "create", name)
    intact = cli.ok("audit", "verify")
    assert intact.stdout.startswith("audit log intact: 3 records")
    (verdict,) = cli.json_lines("audit", "verify", "--json")
    assert verdict["ok"] is True and verdict["records"] == 3

    path = cli.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE audit_records SET subject = 'bank:other' WHERE seq = 2")
    broken = cli("audit", "verify")
    assert broken.exit_code == 10
    assert broken.stderr.startswith("error: audit log broken at record 2 (altered)")

    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM audit_records WHERE seq = 2")
    gap = cli("audit", "verify", "--json")
    assert gap.exit_code == 10
    assert "record 2 is missing" in gap.stderr
    assert '"problem": "gap"' in gap.stdout
